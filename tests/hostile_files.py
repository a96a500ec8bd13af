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


# Worst cases just under the 10 MB upload cap (benchmarks/bench_upload_limits.py, tests/test_upload_limits.py)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_from_sheet(sheet_data: str, strings: list[str] | None = None, head: str = "",
                    parts: dict[str, str] | None = None) -> bytes:
    """An .xlsx whose first sheet holds ``sheet_data`` (the rows' XML), optional shared strings and extra parts."""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">{head}<sheetData>{sheet_data}'
             "</sheetData></worksheet>")
    extra = dict(parts or {})
    if strings is not None:
        extra["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">'
                                         + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
    buf = BytesIO()
    with zipfile.ZipFile(BytesIO(raw_xlsx([[(0, "x")]]))) as src, \
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = sheet.encode()
            elif info.filename == "[Content_Types].xml" and strings is not None:
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            zf.writestr(info.filename, body)
        for name, text in extra.items():
            zf.writestr(name, text)
    return buf.getvalue()


def _header_row() -> str:
    return '<row r="1">' + "".join(f'<c r="{col(j)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                                   for j, h in enumerate(HEAD)) + "</row>"


def xlsx_shared_strings(rows: int, cols: int = 20, unique: bool = False) -> bytes:
    """``rows`` x ``cols`` shared-string cells as Excel writes them (every cell its own string if ``unique``)."""
    letters = [col(j) for j in range(cols)]
    body, n = [_header_row()], 0
    for i in range(2, rows + 2):
        cells = "".join(f'<c r="{letters[j]}{i}" t="s"><v>{n + j if unique else j}</v></c>' for j in range(cols))
        n += cols
        body.append(f'<row r="{i}">{cells}</row>')
    strings = [f"Projekt {k} TESTDATEN" for k in range(n if unique else cols)]
    return xlsx_from_sheet("".join(body), strings)


def xlsx_irregular(rows: int) -> bytes:
    """Ordinary rows with a comment between cells: only the XML parser can read them (the slow path)."""
    letters = [col(j) for j in range(len(HEAD))]
    body = [_header_row()]
    for i in range(2, rows + 2):
        cells = "<!-- -->".join(f'<c r="{letters[j]}{i}" t="inlineStr"><is><t>{v}</t></is></c>'
                                for j, v in enumerate([f"P{i}", *ROW[1:]]))
        body.append(f'<row r="{i}">{cells}</row>')
    return xlsx_from_sheet("".join(body))


def xlsx_empty_cells(cells: int, per_row: int = 1_000) -> bytes:
    """A header and ``cells`` empty but styled cell elements (they carry nothing and cost reading time)."""
    letters = [col(j) for j in range(per_row)]
    body = [_header_row()]
    for i in range(2, cells // per_row + 2):
        body.append(f'<row r="{i}">' + "".join(f'<c r="{c}{i}" s="1"/>' for c in letters) + "</row>")
    return xlsx_from_sheet("".join(body))


def xlsx_empty_rows(rows: int) -> bytes:
    """A header and ``rows`` rows without cells."""
    return xlsx_from_sheet(_header_row() + "".join(f'<row r="{i}"/>' for i in range(2, rows + 2)))


def xlsx_big_styles(tags: int) -> bytes:
    """One ordinary row, and a styles part of ``tags`` elements (read by openpyxl, tag by tag)."""
    fmt = '<numFmt numFmtId="164" formatCode="0.0"/>'
    return xlsx_from_sheet(_header_row(), parts={"xl/styles.xml": f'<styleSheet xmlns="{_MAIN}"><numFmts>'
                                                 + fmt * tags + "</numFmts></styleSheet>"})


def xlsx_junk_before_data(tags: int) -> bytes:
    """``tags`` elements before ``<sheetData>`` (skipped unparsed) and one ordinary row."""
    return xlsx_from_sheet(_header_row(), head="<sheetPr>" + "<x/>" * tags + "</sheetPr>")
