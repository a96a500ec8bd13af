"""All disk access of the pipeline: reading raw files, hashing, atomic writes.

Readers raise :class:`~pipelines.errors.InputError` naming the file and the fix
instead of letting pyogrio/pandas tracebacks reach the analyst.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pipelines.errors import InputError

if TYPE_CHECKING:  # imported where used: hashing and the no-op check must not load pandas/geopandas
    import geopandas as gpd
    import pandas as pd

_T = TypeVar("_T")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed (inputs can be tens of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_toml(path: Path) -> dict[str, Any]:
    """Read a registry file; a syntax error names the file and line."""
    if not path.exists():
        raise InputError(path, "file not found", fix="restore it from git or pass --geodata DIR")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise InputError(path, f"not valid TOML ({err})", fix="fix the syntax at the line named") from err


def require_exists(path: Path) -> None:
    """Raise a clear error for a missing or empty input file (readers call it first)."""
    if not path.exists():
        raise InputError(
            path, "file not found",
            fix="copy the file into geodata/raw/ (see geodata/sources.toml) or run 'python -m pipelines fetch'",
        )
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty", fix="download the file again")


def read_vector(path: Path, *, expected_crs: str | None = None, id_columns: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Read a shapefile/GeoJSON with ID columns as text; check CRS when one is expected.

    ``expected_crs`` is checked explicitly because geopandas only warns on mixed CRSs.
    """
    import geopandas as gpd

    require_exists(path)
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as err:  # pyogrio raises several DataSourceError flavours
        raise InputError(path, f"cannot be read as a vector file ({type(err).__name__}: {err})",
                         fix="the file is broken or truncated; download it again") from err
    if gdf.crs is None:
        raise InputError(path, "has no coordinate reference system",
                         fix=f"add a .prj / crs member ({expected_crs or 'EPSG code'})")
    if expected_crs is not None and not gdf.crs.equals(expected_crs):
        raise InputError(path, f"has CRS {gdf.crs.to_string()}, expected {expected_crs}",
                         fix=f"reproject the file to {expected_crs} or register the right CRS")
    for col in id_columns:
        if col not in gdf.columns:
            raise InputError(path, f"missing column '{col}'", where=f"columns {list(gdf.columns)}",
                             fix="use the official file or rename the column")
        gdf[col] = gdf[col].astype("string")
    return gdf


def read_csv_text(path: Path, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV with every column as text (IDs keep leading zeros); strips a UTF-8 BOM."""
    import pandas as pd

    require_exists(path)
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                           na_values=[""], **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        raise InputError(path, f"cannot be parsed as CSV ({err})",
                         fix="check delimiter and encoding, or download the file again") from err


def read_csv_with_columns(path: Path, columns: Iterable[str], *, fix: str) -> pd.DataFrame:
    """:func:`read_csv_text`, then require ``columns``: a missing one names the file, the header and ``fix``.

    A stage checks its columns right where the file is read, so a renamed header
    fails with the columns the file does have instead of a KeyError later.
    """
    return require_columns(read_csv_text(path), columns, path, fix=fix)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], path: Path, *, fix: str) -> pd.DataFrame:
    """Return ``frame`` if it has every one of ``columns``; else an error naming the file, its header and ``fix``.

    Pure (no disk access): stages that separate reading from transforming check a table they were
    handed with the same message as one they read themselves.
    """
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s) {missing}", where=f"columns {list(frame.columns)}", fix=fix)
    return frame


@contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """Yield a temp dir next to ``final``; on success swap it into place atomically.

    On any exception the temp dir is removed and ``final`` (the previous good
    build) is left untouched.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write via temp file + rename so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    """Pretty JSON, UTF-8, atomic."""
    write_bytes_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, default=str).encode("utf-8"))


def read_json(path: Path) -> Any:
    """Read JSON written by :func:`write_json`."""
    return json.loads(path.read_text(encoding="utf-8"))


def write_geoparquet(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """GeoParquet (the build's exchange format)."""
    gdf.to_parquet(path, index=False)


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Plain parquet for the long indicator table."""
    df.to_parquet(path, index=False)


def read_text(path: Path) -> str:
    """Read a UTF-8 text file (registries edited in place by ``fetch``)."""
    require_exists(path)
    return path.read_text(encoding="utf-8")


def read_geoparquet(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoParquet written by :func:`write_geoparquet` (a previous build's output)."""
    import geopandas as gpd

    return _read_build_output(path, gpd.read_parquet, "GeoParquet")


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a plain parquet written by :func:`write_parquet` (only ``columns`` if given)."""
    import pandas as pd

    return _read_build_output(path, lambda p: pd.read_parquet(p, columns=columns), "parquet")


def read_geojson(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON of a previous build (the web layers)."""
    import geopandas as gpd

    return _read_build_output(path, lambda p: gpd.read_file(p, engine="pyogrio"), "GeoJSON")


def _read_build_output(path: Path, reader: Callable[[Path], _T], fmt: str) -> _T:
    """Read a file of a previous build; any reader error means the build is broken, so the fix is a rebuild."""
    require_exists(path)
    try:
        return reader(path)
    except Exception as err:
        raise InputError(path, f"cannot be read as {fmt} ({err})",
                         fix="rebuild with 'python -m pipelines build --force'") from err


def write_vector(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write a vector file; the driver follows the suffix (.shp writes the sidecar files too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(path, engine="pyogrio")


def copy_file_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` over ``dst`` via a temp file + rename, so ``dst`` is never half-written."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bytes_limited(path: Path, max_bytes: int) -> bytes:
    """Whole file as bytes, refusing files above ``max_bytes`` before reading them.

    Used for untrusted user files (project lists): the caller parses the bytes, so the
    same parser serves files on disk and uploads in the app.
    """
    if not path.is_file():
        raise InputError(path, "Datei nicht gefunden / file not found", fix="Pfad prüfen / check the path")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(path, f"Datei zu groß: {size / 1e6:.1f} MB (Grenze {max_bytes / 1e6:.0f} MB) / "
                               f"file too large", fix="Datei aufteilen / split the file")
    with open(path, "rb") as fh:
        return fh.read(max_bytes + 1)


def list_files(folder: Path) -> list[Path]:
    """Regular, non-hidden files directly in ``folder``, sorted by name ([] if it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))


def read_bytes(path: Path) -> bytes:
    """Raw bytes of a file (document sanity checks, copying a previous build's web layers)."""
    require_exists(path)
    return path.read_bytes()
