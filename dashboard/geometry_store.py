"""Static files the map component fetches once: encoded geometry and location points (no Streamlit).

Streamlit serves ``static/`` under ``/app/static/`` (``server.enableStaticServing``).
Files are written to ``static/geo/`` under a name that contains a hash of their
content, so a file never changes once written: a rebuild with other geometry gets
a new name, the browser's cache can keep the old one as long as it likes, and two
sessions (or two processes) writing the same file write the same bytes. Each
(build version, city, level) is encoded once per server process (a small memo).

When the folder is not writable (a read-only deployment) :func:`publish_json`
returns None and the caller sends the data inline instead: slower, never blank.

Files of a build version live in ``static/geo/v-<version>/``. The first file written for a
new version removes the folders of every other version (renamed away first, so a folder
is either served whole or gone) and the flat geometry files of releases before these
folders; the current version's files are kept. A memo entry whose file was removed is
made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from dashboard.geometry_codec import encode_layer
from pipelines.config import STATIC_DIR, STATIC_URL

GEO_SUBDIR = "geo"

_MEMO: dict[tuple, tuple[str | None, dict[str, Any]]] = {}
_LOCK = threading.Lock()
_MEMO_MAX = 64
VERSION_PREFIX = "v-"
_PRUNED: set[tuple[str, str]] = set()  # (geo folder, version) pruned by this process
# layers and facility points of releases before version folders
_FLAT_GEOMETRY = re.compile(r"^(locations_)?(munich|berlin)_[a-z_-]+-[0-9a-f]{16}\.json$")
_STALE_SECONDS = 600  # temporary files of a killed writer older than this are removed


def encoded_json(data: Any) -> bytes:
    """Minified UTF-8 JSON (the bytes that are hashed, written and sent)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def publish_json(name: str, data: Any, static_dir: Path = STATIC_DIR, version: str | None = None) -> str | None:
    """Write ``data`` to ``static/geo/[v-<version>/]<name>-<hash>.json`` (once) and return its URL.

    None if the folder is not writable. With ``version``, the file goes into that version's
    folder and the first write of a version removes the other versions' files (:func:`prune_versions`).
    """
    body = encoded_json(data)
    digest = hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16]
    filename = f"{name}-{digest}.json"
    geo = static_dir / GEO_SUBDIR
    sub = version_folder(version) if version is not None else ""
    folder = geo / sub if sub else geo
    target = folder / filename
    try:
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
    except OSError:
        return None
    if version is not None and (str(geo), version) not in _PRUNED:
        prune_versions(geo, keep=version)
    return f"{STATIC_URL}/{GEO_SUBDIR}/{sub + '/' if sub else ''}{filename}"


def version_folder(version: str) -> str:
    """The folder name of a build version under ``static/geo/`` (only safe characters)."""
    return VERSION_PREFIX + (re.sub(r"[^A-Za-z0-9_.-]", "_", version) or "_")


def prune_versions(geo: Path, keep: str) -> list[str]:
    """Remove every version folder but ``keep``'s, old flat geometry files and stale temporaries; names removed.

    A folder is first renamed to a hidden name (atomic: the URL of a file is served whole or
    not at all), then deleted. Errors are ignored: cleaning never breaks a page.
    """
    with _LOCK:
        _PRUNED.add((str(geo), keep))
    keep_name, removed, now = version_folder(keep), [], time.time()
    try:
        entries = list(os.scandir(geo))
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False) and entry.name.startswith(VERSION_PREFIX) \
                    and entry.name != keep_name:
                trash = geo / f".trash-{entry.name}-{os.getpid()}-{threading.get_ident()}"
                os.replace(entry.path, trash)
                shutil.rmtree(trash, ignore_errors=True)
                removed.append(entry.name)
            elif entry.is_file(follow_symlinks=False) and _FLAT_GEOMETRY.match(entry.name):
                os.unlink(entry.path)
                removed.append(entry.name)
            elif entry.name.startswith((".tmp-", ".trash-")) and now - entry.stat().st_mtime > _STALE_SECONDS:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            continue
    return removed


def memoized(key: tuple, make: Callable[[], tuple[str | None, dict[str, Any]]],
             static_dir: Path = STATIC_DIR) -> tuple[str | None, dict[str, Any]]:
    """``make()`` once per ``key`` in this process (bounded; oldest entries dropped first).

    An entry whose static file has been removed since (a newer build version pruned it) is made again.
    """
    with _LOCK:
        hit = _MEMO.get(key)
    if hit is not None and _file_present(hit[0], static_dir):
        return hit
    value = make()
    with _LOCK:
        _MEMO.pop(key, None)
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = value
    return value


def _file_present(url: str | None, static_dir: Path) -> bool:
    """True when ``url`` is None (inline data) or its file under ``static_dir`` exists."""
    if url is None or not url.startswith(STATIC_URL + "/"):
        return True
    return (static_dir / url.removeprefix(STATIC_URL + "/")).is_file()


def layer_geometry(version: str, city: str, level: str, layer: gpd.GeoDataFrame, *,
                   with_outline: bool = True, static_dir: Path = STATIC_DIR) -> tuple[str | None, dict[str, Any]]:
    """(URL or None, encoded layer) of one city and level; encoded once per (version, city, level).

    ``layer`` needs ``area_id``, ``name`` and a geometry in EPSG:4326. The encoded
    dict is returned too: its ``ids`` fix the order of every value array, and it is
    sent inline when the URL is None.
    """
    def make() -> tuple[str | None, dict[str, Any]]:
        outline = None
        if with_outline:  # the city's outer boundary, drawn when there is no background map
            union = shapely.union_all(shapely.make_valid(layer.geometry.values)).simplify(0.0002)
            outline = shapely.boundary(union)
        data = encode_layer(list(layer.geometry), layer["area_id"].astype(str).tolist(),
                            layer["name"].astype(str).tolist(), outline=outline)
        return publish_json(f"{city}_{level}", data, static_dir, version=version), data

    return memoized(("geometry", version, city, level, with_outline, str(static_dir)), make, static_dir)
