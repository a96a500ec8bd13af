"""German-Excel CSV and XLSX of the app's tables (dashboard/table_export.py), on hand-made edge cases."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.table_export import ExportTable, csv_bytes, shown_number, xlsx_bytes


def read_like_german_excel(data: bytes) -> list[list[str]]:
    """What German Excel sees: BOM -> UTF-8, ``;`` separated; ``="…"`` is a text constant."""
    assert data.startswith(b"\xef\xbb\xbf"), "no BOM: Excel would read cp1252"
    text = data[3:].decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return [[c[2:-1] if c.startswith('="') and c.endswith('"') else c for c in r] for r in rows]


def german_number(cell: str) -> float:
    assert "." not in cell, cell  # no thousands separator that a reader could take for a decimal point
    return float(cell.replace(",", "."))


@pytest.fixture
def table() -> ExportTable:
    df = pd.DataFrame({
        "Gebiet-ID": ["081005", "01.1", "muc", "=1+1"],
        "Name": ["Neukölln; Nord", '=HYPERLINK("http://x")', "-5 Punkte", "@SUM(A1)"],
        "Wert": [6.9312, 1234.56, -3.25, float("nan")],
        "Abdeckung %": [100.0, 87.4, 0.0, None],
    })
    return ExportTable(frame=df, id_columns=("Gebiet-ID",),
                       number_columns={"Wert": None, "Abdeckung %": 0}, sheet="Vergleich", notes=("Quelle: Test",))


def test_shown_number_rounds_like_the_screen() -> None:
    assert shown_number(6.9312) == (6.93, 2)
    assert shown_number(12.96) == (13.0, 1)
    assert shown_number(19.31) == (19.3, 1)  # from 10 up the screen shows one decimal
    assert shown_number(1234.56) == (1235.0, 0)
    assert shown_number(87.44, 0) == (87.0, 0)
    assert shown_number(float("nan")) == (None, 0)


def test_csv_is_german_excel(table: ExportTable) -> None:
    rows = read_like_german_excel(csv_bytes(table))
    assert rows[0] == ["Gebiet-ID", "Name", "Wert", "Abdeckung %"]
    assert [r[0] for r in rows[1:]] == ["081005", "01.1", "muc", "'=1+1"]  # ids stay text
    assert rows[1][1] == "Neukölln; Nord"  # quoted, not split
    assert rows[2][1].startswith("'=HYPERLINK") and rows[3][1] == "'-5 Punkte" and rows[4][1] == "'@SUM(A1)"
    assert [r[2] for r in rows[1:]] == ["6,93", "1235", "-3,25", ""]  # a real negative number stays a number
    assert german_number(rows[1][2]) == 6.93
    assert [r[3] for r in rows[1:]] == ["100", "87", "0", ""]


def test_csv_id_cells_are_excel_text_constants(table: ExportTable) -> None:
    raw = csv_bytes(table).decode("utf-8-sig").splitlines()
    assert raw[1].startswith('="081005";')


def test_xlsx_keeps_ids_as_text_and_numbers_as_numbers(table: ExportTable) -> None:
    wb = load_workbook(io.BytesIO(xlsx_bytes(table)))
    ws = wb["Vergleich"]
    assert [c.value for c in ws[1]] == ["Gebiet-ID", "Name", "Wert", "Abdeckung %"]
    assert ws["A2"].value == "081005" and ws["A2"].data_type == "s"
    assert ws["A3"].value == "01.1" and ws["A5"].value == "=1+1" and ws["A5"].data_type == "s"
    assert ws["B3"].data_type == "s" and ws["B3"].value.startswith("=HYPERLINK")  # text, never a formula
    assert ws["C2"].value == 6.93 and ws["C2"].number_format == "0.00"
    assert ws["C3"].value == 1235 and ws["C4"].value == -3.25 and ws["C5"].value is None
    assert ws["D3"].value == 87 and ws["D3"].number_format == "0"
    assert ws["A7"].value == "Quelle: Test"
