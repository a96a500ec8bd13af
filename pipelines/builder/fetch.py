"""Refresh raw files from their registered download addresses, safely; check inputs.

``fetch`` downloads each source's latest edition into ``geodata/staging/<id>/``,
checks it with the reader for its kind (CRS, expected columns, parseable), and
only then copies it into ``geodata/raw/`` and registers the new sha256 in
``sources.toml`` (a targeted text edit, so comments survive). A download that
fails any check leaves ``raw/`` and ``sources.toml`` untouched.

``check_inputs`` runs the same readers over the registered files without
writing anything (``python -m pipelines check``).
"""

from __future__ import annotations

import re
import shutil
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pipelines import config, io, io_excel
from pipelines.errors import InputError, PipelineError
from pipelines.registry import Source, load_indicator_registry, load_sources, verify_checksums
from pipelines.sources.expectations import EXPECTATIONS, Expect

STAGING_DIRNAME = "staging"
TIMEOUT_S = 120
DATA_SHEETS_SKIP = ("INHALT", "IMPRESSUM")
SIDECARS = (".shx", ".dbf", ".prj", ".cpg")  # parts of a shapefile, read through its .shp


@dataclass
class FetchResult:
    """Outcome for one source: status is updated | unchanged | skipped | failed."""

    source_id: str
    status: str
    message: str
    files: list[str] = field(default_factory=list)


def validate_file(source: Source, path: Path, display: Path | str | None = None) -> None:
    """Read ``path`` (a file of ``source``) with the reader for its kind; raise InputError if unusable."""
    exp = EXPECTATIONS.get(source.kind, Expect("document"))
    name = display or path
    if exp.reader == "vector":
        read = io.read_vector(path, expected_crs=exp.crs, id_columns=exp.columns)
        if read.empty:
            raise InputError(name, "contains no features", fix="download the file again")
    elif exp.reader == "csv":
        df = io.read_csv_text(path)
        _require_columns(df.columns, exp.columns, name)
        if df.empty:
            raise InputError(name, "contains no rows", fix="download the file again")
    elif exp.reader == "excel":
        sheets = io_excel.excel_sheet_names(path)
        data = [s for s in sheets if s.upper() not in DATA_SHEETS_SKIP]
        if "INHALT" not in [s.upper() for s in sheets] or not data:
            raise InputError(name, f"sheets {sheets}: expected INHALT plus one data sheet",
                             fix="use the Indikatorenatlas export of the whole topic")
        read = io_excel.read_excel_text
        _require_columns(read(path, data[0]).columns, exp.columns, name, where=f"sheet {data[0]!r}")
        for sheet, columns in exp.sheets:
            found = [s for s in sheets if s.upper() == sheet.upper()]
            if not found:
                raise InputError(name, f"sheets {sheets}: no sheet {sheet!r}", fix="use the unmodified export")
            _require_columns(read(path, found[0]).columns, columns, name, where=f"sheet {found[0]!r}")
    else:
        _validate_document(path, name)


def _require_columns(columns: object, expected: tuple[str, ...], name: Path | str, where: str = "") -> None:
    have = [str(c) for c in columns]  # type: ignore[attr-defined]
    missing = [c for c in expected if c not in have]
    if missing:
        raise InputError(name, f"missing column(s) {missing}", where=where or f"header {have[:8]}",
                         fix="use the official file layout (see geodata/sources.toml) or adapt the reader")


def _validate_document(path: Path, name: Path | str) -> None:
    data = io.read_bytes(path)
    if path.suffix.lower() == ".pdf":
        if not data.startswith(b"%PDF") or b"%%EOF" not in data[-2048:]:
            raise InputError(name, "is not a complete PDF (missing %PDF header or %%EOF trailer)",
                             fix="download the file again")
    elif path.suffix.lower() in (".md", ".txt", ".toml"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(name, f"is not UTF-8 text ({err})", fix="save it as UTF-8") from err


def check_inputs(geodata: Path, on_file: Callable[[str], None] | None = None) -> dict[str, int]:
    """Validate registries, checksums and the readability of every registered file; write nothing."""
    for toml_path in sorted(geodata.glob("*.toml")):
        io.read_toml(toml_path)
    sources = load_sources(geodata)
    load_indicator_registry(geodata)
    checked = verify_checksums(sources, geodata)
    n = 0
    for s in sources:
        # a shapefile is read through its .shp; the sidecars were checked by their sha256
        main_files = [f for f in s.files if Path(f.path).suffix.lower() not in SIDECARS]
        for f in main_files:
            if on_file:
                on_file(f.path)
            validate_file(s, geodata / f.path)
            n += 1
    return {"sources": len(sources), "files": len(checked), "read": n}


def rewrite_url(url: str, base_url: str | None) -> str:
    """Point ``url`` at ``base_url``'s scheme and host (keeping path and query): tests serve files locally."""
    if not base_url:
        return url
    u, b = urlsplit(url), urlsplit(base_url)
    return urlunsplit((b.scheme, b.netloc, b.path.rstrip("/") + u.path, u.query, u.fragment))


def fetch_sources(geodata: Path, source_ids: list[str] | None = None, base_url: str | None = None,
                  log: Callable[[str], None] = print) -> list[FetchResult]:
    """Fetch the selected sources (default: every source with a ``download_url``)."""
    sources = load_sources(geodata)
    by_id = {s.id: s for s in sources}
    unknown = [i for i in source_ids or [] if i not in by_id]
    if unknown:
        raise InputError(geodata / config.SOURCES_FILE, f"unknown source id(s) {unknown}",
                         fix=f"use one of: {', '.join(sorted(by_id))}")
    selected = [by_id[i] for i in source_ids] if source_ids else sources
    results = []
    for s in selected:
        if not any(f.download_url for f in s.files):
            res = FetchResult(s.id, "failed" if source_ids else "skipped",
                              f"no download address registered for {s.id} (add download_url to its files "
                              f"in {config.SOURCES_FILE})")
        else:
            try:
                res = _fetch_one(geodata, s, base_url, log)
            except PipelineError as err:
                res = FetchResult(s.id, "failed", str(err))
        log(f"{s.id}: {res.status} – {res.message}")
        results.append(res)
    return results


def _fetch_one(geodata: Path, s: Source, base_url: str | None, log: Callable[[str], None]) -> FetchResult:
    stage = geodata / STAGING_DIRNAME / s.id
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    targets = _download(s, stage, base_url, log)
    for reg_path, staged in targets.items():
        if Path(reg_path).suffix.lower() in SIDECARS:
            continue
        try:
            validate_file(s, staged, display=f"download of {reg_path} ({staged})")
        except InputError as err:
            raise InputError(err.file, err.problem, where=err.where,
                             fix=f"not installed: raw/ and {config.SOURCES_FILE} are unchanged; the rejected "
                                 f"download is kept in {stage} for inspection") from err
    new_sha = {p: io.sha256_file(f) for p, f in targets.items()}
    old_sha = {f.path: f.sha256 for f in s.files}
    changed = {p: h for p, h in new_sha.items() if h != old_sha.get(p)}
    if not changed:
        shutil.rmtree(stage, ignore_errors=True)
        return FetchResult(s.id, "unchanged", "the registered edition is the latest", list(targets))
    toml_path = geodata / config.SOURCES_FILE
    new_text = register_checksums(io.read_text(toml_path), changed, toml_path)
    for p in changed:
        io.copy_file_atomic(targets[p], geodata / p)
    io.write_bytes_atomic(toml_path, new_text.encode("utf-8"))
    shutil.rmtree(stage, ignore_errors=True)
    return FetchResult(s.id, "updated", f"new edition installed and registered ({len(changed)} file(s)); "
                       "run 'python -m pipelines build'", sorted(changed))


def _download(s: Source, stage: Path, base_url: str | None, log: Callable[[str], None]) -> dict[str, Path]:
    """Download the files of ``s`` into ``stage``; returns registered path -> staged file.

    A shapefile entry's ``download_url`` is a WFS GetFeature returning GeoJSON; it
    is converted to a shapefile set so the registered sidecar files are replaced too.
    """
    out: dict[str, Path] = {}
    for f in s.files:
        if not f.download_url:
            continue
        url = rewrite_url(f.download_url, base_url)
        log(f"{s.id}: downloading {url}")
        data = _http_get(url, s.id)
        target = stage / Path(f.path).name
        if target.suffix.lower() == ".shp":
            geojson = stage / (target.stem + ".download.geojson")
            io.write_bytes_atomic(geojson, data)
            exp = EXPECTATIONS.get(s.kind, Expect("vector"))
            gdf = io.read_vector(geojson, expected_crs=exp.crs, id_columns=exp.columns)
            io.write_vector(gdf, target)
            for sib in s.files:
                staged = stage / Path(sib.path).name
                if not staged.exists():
                    raise InputError(f"download of {f.path}", f"conversion did not produce {staged.name}",
                                     fix="register only the files a shapefile needs (.shp .shx .dbf .prj .cpg)")
                out[sib.path] = staged
        else:
            io.write_bytes_atomic(target, data)
            out[f.path] = target
    return out


def _http_get(url: str, source_id: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "raumatlas-fetch/0.1"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - registered URLs only
            return bytes(resp.read())
    except urllib.error.HTTPError as err:
        raise InputError(url, f"download failed: HTTP {err.code} {err.reason}", where=f"source {source_id}",
                         fix=f"check download_url of {source_id} in {config.SOURCES_FILE}; nothing was changed",
                         ) from err
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise InputError(url, f"download failed: {getattr(err, 'reason', err)}", where=f"source {source_id}",
                         fix="check the network connection and the registered download_url; nothing was changed",
                         ) from err


def _replacement(sha: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m.group(1) + sha + m.group(3)


def register_checksums(text: str, new_sha: dict[str, str], toml_path: Path | str = config.SOURCES_FILE) -> str:
    """Replace the sha256 of each registered path in the sources.toml text (comments and layout kept)."""
    for path, sha in new_sha.items():
        pattern = re.compile(r'(\{[^}\n]*\bpath\s*=\s*"' + re.escape(path)
                             + r'"[^}\n]*\bsha256\s*=\s*")([0-9a-fA-F]*)(")')
        text, n = pattern.subn(_replacement(sha), text)
        if n != 1:
            raise InputError(toml_path, f"cannot find exactly one entry for {path!r} with a sha256 ({n} found)",
                             fix="keep each file entry on one line: { path = \"…\", sha256 = \"…\" }")
    registered = {f["path"]: f.get("sha256") for s in tomllib.loads(text).get("source", []) for f in s["files"]}
    for path, sha in new_sha.items():
        if registered.get(path) != sha:
            raise InputError(toml_path, f"could not register the new sha256 of {path}", fix="edit it by hand")
    return text
