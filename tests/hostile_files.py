"""Hostile project files for tests and ``benchmarks/bench_upload_limits.py`` (issue 12), generated, never stored.

Small on disk, huge once parsed by a naive reader: an .xlsx declaring 16,384 columns, a
GeoJSON with one new property key per feature, a CSV header with a million cells, a cell of a
megabyte. All values are fictitious.
"""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

HEAD = ["id", "titel", "stadt", "lat", "lon", "thema", "federfuehrung", "status"]
ROW = ["P1", "TESTDATEN Garten", "München", "48,137", "11,575", "Wohnen", "Sozialreferat", "Idee"]


def col(j: int) -> str:
    """Excel column letters of a 0-based index."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def raw_xlsx(rows: list[list[tuple[int, str]]], dimension: str = "") -> bytes:
    """A minimal .xlsx written by hand (inline strings), so the sheet can be as hostile as a test needs."""
    def row_xml(i: int, cells: list[tuple[int, str]]) -> str:
        body = "".join(f'<c r="{col(j)}{i}" t="inlineStr"><is><t>{v}</t></is></c>' for j, v in cells)
        return f'<row r="{i}">{body}</row>'

    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main">{dim}<sheetData>'
             + "".join(row_xml(i, cells) for i, cells in enumerate(rows, start=1)) + "</sheetData></worksheet>")
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Projekte" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return buf.getvalue()



def xlsx_dimension_bomb(rows: int) -> bytes:
    """``rows`` ordinary project rows in a sheet that declares A1:XFD1048576 (old reader: 16,384 cells a row)."""
    body = [list(enumerate(HEAD))] + [list(enumerate([f"P{i}", *ROW[1:]])) for i in range(rows)]
    return raw_xlsx(body, dimension="A1:XFD1048576")


def geojson_distinct_keys(features: int) -> bytes:
    """Area features that each carry one property key no other feature has (old reader: N x N matrix)."""
    feats = [{"type": "Feature", "geometry": None, "properties": {f"k{i}": 1, "area_id": "01"}}
             for i in range(features)]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def csv_wide_header(columns: int) -> bytes:
    """A valid project header followed by ``columns`` more header cells."""
    return (";".join(HEAD) + ";" + ";".join(f"x{i}" for i in range(columns)) + "\n").encode()


def csv_long_cell(chars: int) -> bytes:
    """One project whose title has ``chars`` characters."""
    row = [*ROW[:1], "TESTDATEN " + "x" * chars, *ROW[2:]]
    return ("\n".join(";".join(r) for r in (HEAD, row)) + "\n").encode()
