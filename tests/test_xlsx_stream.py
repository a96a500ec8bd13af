"""The bounded XLSX reader (pipelines/projects/xlsx_stream.py) reads what openpyxl reads, and refuses early.

Workbooks written by openpyxl (shared strings, numbers, dates, booleans, formulas, shared
formulas, characters that need escaping) are read cell for cell as openpyxl's own reader gives
them, on the regular-expression path and — the same workbook made less regular — on the XML
parser's path. Hostile workbooks (entities, a huge styles part, a row wider than Excel allows,
more irregular XML than the budget) are refused with a "too complex" line before they cost time.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile

import openpyxl
import pytest

from pipelines.projects import xlsx_stream
from pipelines.projects.xlsx_cells import SheetTooComplex
from tests import hostile_files as hf

SHEET = "xl/worksheets/sheet1.xml"


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "titel", "betrag", "datum", "aktiv", "formel"])
    for i in range(1, 40):
        ws.append([f"P{i}", f"Jugend & Familie <{i}> \"Müller\" 😀 x005F_y", i * 1.5, dt.datetime(2024, 1, i % 28 + 1),
                   i % 2 == 0, f"=C{i + 1}*2"])
    ws["G2"] = "=SUM(C2:C3)"
    ws["H5"] = 10**15
    ws["I7"] = -0.000123
    ws["B45"] = "  leading and trailing  "
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite(data: bytes, part: str, edit) -> bytes:  # noqa: ANN001
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, edit(body) if info.filename == part else body)
    return out.getvalue()


def _ours(data: bytes) -> dict[tuple[int, int], tuple]:
    return {(row, col): cell for row, _, cells in xlsx_stream.iter_first_sheet(data) for col, cell in cells.items()}


def _openpyxl(data: bytes) -> dict[tuple[int, int], tuple]:
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True).active
    formulas = openpyxl.load_workbook(io.BytesIO(data)).active
    out = {}
    for row_v, row_f in zip(values.iter_rows(), formulas.iter_rows(), strict=True):
        for v, f in zip(row_v, row_f, strict=True):
            formula = f.value if isinstance(f.value, str) and f.value.startswith("=") else None
            if v.value is not None or formula is not None:
                out[(v.row, v.column - 1)] = (v.value, formula)
    return out


def test_reads_what_openpyxl_reads(monkeypatch):
    data = _workbook()
    expected = _openpyxl(data)
    monkeypatch.setattr(xlsx_stream, "parse_xml", lambda *a: pytest.fail("an openpyxl sheet takes the fast path"))
    assert _ours(data) == expected


def test_xml_parser_path_reads_the_same():
    data = _workbook()
    irregular = _rewrite(data, SHEET, lambda b: b.replace(b"</c><c ", b"</c>\n<!-- x --><c "))
    assert _ours(irregular) == _ours(data)


def test_prefixed_element_names_read_the_same():
    data = _workbook()

    def prefix(body: bytes) -> bytes:
        body = body.replace(b'<worksheet xmlns="', b'<x:worksheet xmlns:x="')
        body = body.replace(b"</worksheet>", b"</x:worksheet>")
        return re.sub(rb"<(/?)(sheetData|row|c|v|f|is|t|dimension|sheetViews|sheetView|sheetFormatPr|pageMargins|"
                      rb"selection|cols|col)\b", rb"<\1x:\2", body)

    assert _ours(_rewrite(data, SHEET, prefix)) == _ours(data)


def test_shared_formulas_are_translated():
    shared = b'<f t="shared" ref="F3:F4" si="0">C3*2</f>'
    data = _rewrite(_workbook(), SHEET, lambda b: b.replace(b"<f>C3*2</f>", shared)
                    .replace(b"<f>C4*2</f>", b'<f t="shared" si="0"/>'))
    cells = _ours(data)
    assert cells[(3, 5)][1] == "=C3*2" and cells[(4, 5)][1] == "=C4*2"


@pytest.mark.parametrize("cell", [b"<c r=\"A1\" t=\"inlineStr\"><is><t>&c;</t></is></c>",
                                  b"<c r=\"A1\"><f>&c;</f><v>1</v></c>"])
def test_entities_are_never_expanded(cell):
    laughs = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;">]>'
    data = _rewrite(hf.raw_xlsx([[(0, "id")]]), SHEET, lambda b: re.sub(
        rb"<sheetData>.*</sheetData>", b"<sheetData><row r=\"1\">" + cell + b"</row></sheetData>",
        b.replace(b"<worksheet", laughs + b"<worksheet", 1)))
    try:
        cells = _ours(data)
    except Exception:  # noqa: BLE001 - refused (an undefined entity for the XML parser): fine
        return
    assert all("aaaa" not in str(v) + str(f) for v, f in cells.values())


def test_huge_styles_part_is_counted_before_it_is_read():
    data = hf.raw_xlsx([[(0, "id")]])
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/styles.xml", "<styleSheet>" + "<x/>" * (xlsx_stream.MAX_PART_TAGS + 1) + "</styleSheet>")
    t0 = time.process_time()
    with pytest.raises(SheetTooComplex, match="styles.xml"):
        list(xlsx_stream.iter_first_sheet(buf.getvalue()))
    assert time.process_time() - t0 < 2


def test_row_wider_than_excel_is_refused():
    cells = "".join(f'<c r="{hf.col(j)}1"/>' for j in range(16_385))
    data = _rewrite(hf.raw_xlsx([[(0, "id")]]), SHEET, lambda b: re.sub(rb"<sheetData>.*</sheetData>",
                                                                          f"<sheetData><row r=\"1\">{cells}</row>"
                                                                          f"</sheetData>".encode(), b))
    with pytest.raises(SheetTooComplex, match="16,384"):
        list(xlsx_stream.iter_first_sheet(data))


def test_irregular_xml_beyond_the_budget_is_refused_before_parsing():
    rows = [list(enumerate(hf.HEAD))] + [list(enumerate([f"P{i}", *hf.ROW[1:]])) for i in range(3_000)]
    data = _rewrite(hf.raw_xlsx(rows), SHEET, lambda b: b.replace(b"</c><c ", b"</c><!-- --><c "))  # irregular
    assert sum(1 for _ in xlsx_stream.iter_first_sheet(data)) == 3_001
    with pytest.raises(SheetTooComplex, match="too complex"):
        list(xlsx_stream.iter_first_sheet(data, max_slow_tags=10_000))


@pytest.mark.parametrize("block", [
    b'<row r="1"><c r="A1"><v>1</v></c>junk</row>',  # text between cells
    b'<row r="1"><c r="A1"><v>1</v></c></row>x<row r="2"/>',  # text between rows
    b'<row r="1"><c r="A1"><v>1</v></c><!-- note --></row>',  # a comment
    b'<row r="1"><c r="A1"><v>1</v></c></row><mergeCells/>',  # another element
    b'<c r="A1"><v>1</v></c><row r="2"/>',  # a cell outside a row
    b'<row r="1"><row r="2"></row></row>',  # a row in a row
    b'<row r="1"><c r="A1"><v>1</v></c>',  # a row that does not end in the block
    b'<row r="1"></row></row>',  # an end without a start
])
def test_a_block_with_anything_besides_simple_rows_goes_to_the_xml_parser(block):
    from pipelines.projects.xlsx_fast import plain_rows_block, rows_block

    assert rows_block(block, 0) is None
    assert plain_rows_block(block, 0) is None


def test_rows_without_formulas_take_the_plain_path_and_read_what_openpyxl_reads(monkeypatch):
    """The common sheet (no formulas) is matched by the six-group cell pattern; rows_block is not needed."""
    from pipelines.projects import xlsx_cells

    data = _rewrite(_workbook(), SHEET, lambda b: re.sub(rb"<f>[^<]*</f>", b"", b))
    expected = _openpyxl(data)
    assert not any(f for _, f in expected.values())
    def not_plain(*_a):  # noqa: ANN202
        pytest.fail("a sheet without formulas takes the plain path")

    monkeypatch.setattr(xlsx_cells, "rows_block", not_plain)
    monkeypatch.setattr(xlsx_stream, "parse_xml", not_plain)
    assert _ours(data) == expected


def test_the_plain_path_leaves_formulas_and_other_attributes_to_the_full_pattern():
    from pipelines.projects.xlsx_fast import plain_rows_block, rows_block

    for block in (b'<row r="1"><c r="A1"><f>B1*2</f><v>4</v></c></row>',
                  b'<row r="1"><c r="A1" cm="1"><v>4</v></c></row>'):
        assert plain_rows_block(block, 0) is None and rows_block(block, 0) is not None


def test_simple_rows_with_blanks_between_them_are_read_fast():
    from pipelines.projects.xlsx_fast import plain_rows_block, rows_block, strings_block

    block = b'\n <row r="3"><c r="B3" t="s"><v>2</v></c>\n<c r="C3"/></row>\n<row/>\n<row r="7" spans="1:2"/> '
    rows = rows_block(block, 0)
    assert [(n, [c[1:3] for c in cells]) for n, cells in rows] == [(3, [(b"B", b"3"), (b"C", b"3")]), (4, []), (7, [])]
    plain = plain_rows_block(block, 0)
    assert [(n, [c[1:5] for c in cells]) for n, cells in plain] == [
        (3, [(b"B", b"", b"s", b"2"), (b"C", b"", b"", b"")]), (4, []), (7, [])]
    assert plain_rows_block(b'<row r="2"/><row><c r="A3" t="inlineStr"><is><t>x &amp; y</t></is></c></row>', 0) == [
        (2, []), (3, [(b'<c r="A3" t="inlineStr"><is><t>x &amp; y</t></is></c>', b"A", b"", b"inlineStr", b"",
                       b"x &amp; y")])]
    assert strings_block(b"<si><t>a</t></si>\n<si><t/></si> ") == ["a", ""]
    assert strings_block(b"<si><t>a</t></si><si><r><t>b</t></r></si>") is None  # rich text: the XML parser
