"""Read planners' project lists as they really come: CSV (``;``/``,``, UTF-8/BOM/Windows-1252), XLSX, GeoJSON.

Everything is read as text; nothing is ever evaluated. Excel formulas are not
computed: the value Excel cached is used as text and the cell is reported. Rows keep
the number a planner sees in Excel (header = row 1, first data row = "Zeile 2");
GeoJSON rows are numbered "Feature 1", "Feature 2", ... The schema (columns,
aliases, controlled lists, limits, messages) is data in ``geodata/projects/schema.toml``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipelines.errors import InputError
from pipelines.io import read_bytes_limited
from pipelines.projects.findings import findings_for
from pipelines.projects.limits import limit
from pipelines.projects.raw_table import RawTable, build_table, cut_cell, header_map, table_guard
from pipelines.projects.schema import (
    ProjectSchema,
    fail,
)
from pipelines.projects.values import cell_text
from pipelines.projects.xlsx_stream import iter_first_sheet

_MAGIC = {b"\x89PNG": "ein PNG-Bild / a PNG image", b"\xff\xd8\xff": "ein JPEG-Bild / a JPEG image",
          b"%PDF": "ein PDF / a PDF", b"GIF8": "ein GIF-Bild / a GIF image",
          b"\xd0\xcf\x11\xe0": "eine alte .xls-Datei / an old .xls workbook", b"\x1f\x8b": "gzip"}
_DELIMITERS = (";", ",", "\t")


def read_projects(path: Path, schema: ProjectSchema) -> RawTable:
    """Read one project file from disk (size-capped) into a :class:`RawTable`; bad files raise InputError."""
    data = read_bytes_limited(Path(path), int(schema.limits["max_bytes"]))
    return parse_projects(data, Path(path).name, schema)


def parse_projects(data: bytes, name: str, schema: ProjectSchema) -> RawTable:
    """Parse the bytes of a project file (from disk or an upload); the format is sniffed, then the suffix."""
    if len(data) > schema.limits["max_bytes"]:
        raise fail(name, schema, "too_large", mb=len(data) / 1e6, limit=schema.limits["max_bytes"] / 1e6)
    if not data.strip():
        raise fail(name, schema, "empty_file")
    suffix = Path(name).suffix.lower()
    if data[:4] == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm"):
        return _parse_xlsx(data, name, schema)
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise fail(name, schema, "binary_file", what=what)
    text, encoding = _decode(data, name, schema)
    if suffix in (".geojson", ".json") or text.lstrip()[:1] == "{":
        return _parse_geojson(text, name, schema, encoding)
    return _parse_csv(text, name, schema, encoding)


def _decode(data: bytes, name: str, schema: ProjectSchema) -> tuple[str, str]:
    """UTF-16 by BOM, else UTF-8 (with/without BOM), else Windows-1252 (German Excel's default)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:8192]:
        raise fail(name, schema, "binary_file", what="Binärdaten / binary data")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as err:
            _refuse_mixed_utf8(data, err, name, schema)
            continue
        controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\r\n")
        if controls > 8:
            raise fail(name, schema, "binary_file", what="Binärdaten / binary data")
        if enc == "utf-8-sig":
            return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, enc
    raise fail(name, schema, "bad_encoding")


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_mixed_utf8(data: bytes, err: UnicodeDecodeError, name: str, schema: ProjectSchema) -> None:
    """A UTF-8 file with a few bytes of another encoding: refuse, naming the row (no silent mojibake).

    Windows-1252 text almost never contains valid UTF-8 multi-byte sequences; a file with more
    of them than invalid bytes is UTF-8 that someone edited with another encoding.
    """
    if err.encoding.replace("_", "-").lower() not in ("utf-8", "utf-8-sig"):
        return
    valid = len(_UTF8_MULTIBYTE.findall(data, 0, 1 << 20))
    invalid = data.decode("utf-8", errors="replace").count("\ufffd") - data.count("\ufffd".encode())
    if valid == 0 or valid < invalid:
        return
    row = data.count(b"\n", 0, err.start) + 1
    raise fail(name, schema, "mixed_encoding", row=row, byte=data[err.start])


def _sniff_delimiter(text: str) -> str:
    """The delimiter giving the widest header; ties go to ``;`` (German Excel)."""
    sample = text[:65536]
    first = next((ln for ln in sample.splitlines() if ln.strip()), "")
    widths = {d: len(next(csv.reader([first], delimiter=d), [])) for d in _DELIMITERS}
    return max(_DELIMITERS, key=lambda d: (widths[d], -_DELIMITERS.index(d)))


def _parse_csv(text: str, name: str, schema: ProjectSchema, encoding: str) -> RawTable:
    delim = _sniff_delimiter(text)
    records: list[tuple[int, list[str]]] = []
    guard = table_guard(name, schema)
    if csv.field_size_limit() < limit(schema.limits, "max_bytes"):  # a long cell is cut below, not refused
        csv.field_size_limit(limit(schema.limits, "max_bytes") + 1)
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delim), start=1):
            records.append((number, guard.row(cells, f"Zeile {number}", f"row {number}")))
    except csv.Error as err:
        raise fail(name, schema, "unreadable", detail=str(err), where=f"Zeile {len(records) + 1}") from None
    table = build_table(records, name, schema, "csv")
    table.encoding, table.delimiter = encoding, delim
    return table


def _parse_xlsx(data: bytes, name: str, schema: ProjectSchema) -> RawTable:
    """First worksheet via openpyxl's cell parser in one pass (defusedxml); formulas are never computed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
        if unpacked > schema.limits["max_xlsx_unpacked_bytes"]:
            raise fail(name, schema, "too_large", mb=unpacked / 1e6,
                        limit=schema.limits["max_xlsx_unpacked_bytes"] / 1e6)
        guard = table_guard(name, schema)
        records: list[tuple[int, list[str]]] = []
        formulas: list[tuple[int, int, str]] = []
        cap, more_formulas = limit(schema.limits, "max_findings_per_code"), 0
        for number, in_xml, present in iter_first_sheet(data):
            guard.raw(in_xml, f"Zeile {number}", f"row {number}")
            width = max(present, default=-1) + 1  # trailing blanks are dropped by guard.row
            if width > guard.max_columns:
                width = max((j + 1 for j, (v, f) in present.items() if v not in (None, "") or f), default=0)
                if width > guard.max_columns:  # refuse before building a row that wide
                    guard.row([""] * (guard.max_columns) + ["x"], f"Zeile {number}", f"row {number}")
            cells = [""] * width
            for j, (value, formula) in present.items():
                if j >= width:
                    continue
                if formula is not None:
                    if len(formulas) < cap:  # the first ones are listed; the rest only counted
                        formulas.append((number, j, formula))
                    else:
                        more_formulas += 1
                    value = formula if value is None else value
                cells[j] = value if type(value) is str else _excel_text(value)
            records.append((number, guard.row(cells, f"Zeile {number}", f"row {number}")))
    except (InputError, MemoryError):
        raise
    except Exception as err:  # BadZipFile, KeyError, XML errors: a broken or truncated workbook
        raise fail(name, schema, "bad_xlsx", detail=f"{type(err).__name__}: {err}"[:200]) from None
    table = build_table(records, name, schema, "xlsx")
    header = header_map(next((c for _, c in records if any(x.strip() for x in c)), []), name, schema)
    for row, j, text in formulas:
        col = header[j] if j < len(header) and header[j] else f"#{j + 1}"
        table.problems.note("warning", "formula_cell", row, col, schema, formula=cell_text(text, 60))
    table.problems.skip("warning", "formula_cell", "", more_formulas)
    return table


def _excel_text(value: Any) -> str:
    """Excel cell value as text: integral floats without '.0', dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _parse_geojson(text: str, name: str, schema: ProjectSchema, encoding: str) -> RawTable:
    """Point features with properties; coordinates become lat/lon (GeoJSON is lon, lat in WGS84)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise fail(name, schema, "unreadable", detail=f"JSON: {err}"[:200]) from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    if not isinstance(features, list):
        raise fail(name, schema, "unreadable", detail="keine FeatureCollection / no FeatureCollection")
    if len(features) > schema.limits["max_rows"]:
        raise fail(name, schema, "too_many_rows", limit=schema.limits["max_rows"])
    keys: dict[str, None] = {}  # distinct property keys in order of appearance (dict: O(1) membership)
    rows: list[dict[str, str]] = []
    problems = findings_for(schema)
    guard = table_guard(name, schema)
    for i, feat in enumerate(features, start=1):
        props = feat.get("properties") if isinstance(feat, dict) else None
        if not isinstance(props, dict):
            props = {}
        guard.keys(keys, [str(k) for k in props], f"Feature {i}", f"feature {i}")
        row = {str(k): _json_text(v) for k, v in props.items()}
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if isinstance(geom, dict) and geom.get("type") == "Point" and len(geom.get("coordinates") or []) >= 2:
            row["lon"], row["lat"] = (_json_text(c) for c in geom["coordinates"][:2])
        elif geom:
            kind = str(geom.get("type", "?")) if isinstance(geom, dict) else "?"
            problems.note("error", "not_a_point", i, "geometry", schema, kind=cell_text(kind, 30))
        if "lon" in row:
            keys.setdefault("lon")
            keys.setdefault("lat")
        guard.row(list(row.values()), f"Feature {i}", f"feature {i}")  # counts cells, cuts nothing here
        rows.append({k: cut_cell(v, guard.max_chars) for k, v in row.items()})
    header = list(keys)
    records = [(0, header)] + [(i, [r.get(k, "") for k in header]) for i, r in enumerate(rows, start=1)]
    table = build_table(records, name, schema, "geojson")
    table.row_label, table.encoding = ("Feature", "Feature"), encoding
    table.problems.extend(problems)
    return table


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


