"""Static files the map component fetches once: encoded geometry and location points (no Streamlit).

Streamlit serves ``static/`` under ``/app/static/`` (``server.enableStaticServing``).
Files are written to ``static/geo/`` under a name that contains a hash of their
content, so a file never changes once written: a rebuild with other geometry gets
a new name, the browser's cache can keep the old one as long as it likes, and two
sessions (or two processes) writing the same file write the same bytes. Each
(build version, city, level) is encoded once per server process (a small memo).

When the folder is not writable (a read-only deployment) :func:`publish_json`
returns None and the caller sends the data inline instead: slower, never blank.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from dashboard.geometry_codec import encode_layer

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
GEO_SUBDIR = "geo"
STATIC_URL = "/app/static"

_MEMO: dict[tuple, tuple[str | None, dict[str, Any]]] = {}
_LOCK = threading.Lock()
_MEMO_MAX = 64


def encoded_json(data: Any) -> bytes:
    """Minified UTF-8 JSON (the bytes that are hashed, written and sent)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def publish_json(name: str, data: Any, static_dir: Path = STATIC_DIR) -> str | None:
    """Write ``data`` to ``static/geo/<name>-<hash>.json`` (once) and return its URL; None if not writable."""
    body = encoded_json(data)
    digest = hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16]
    filename = f"{name}-{digest}.json"
    folder = static_dir / GEO_SUBDIR
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
    return f"{STATIC_URL}/{GEO_SUBDIR}/{filename}"


def memoized(key: tuple, make: Callable[[], tuple[str | None, dict[str, Any]]]) -> tuple[str | None, dict[str, Any]]:
    """``make()`` once per ``key`` in this process (bounded; oldest entries dropped first)."""
    with _LOCK:
        hit = _MEMO.get(key)
    if hit is not None:
        return hit
    value = make()
    with _LOCK:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = value
    return value


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
        return publish_json(f"{city}_{level}", data, static_dir), data

    return memoized(("geometry", version, city, level, with_outline, str(static_dir)), make)
