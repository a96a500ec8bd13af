"""Excel sheets as text (:mod:`pipelines.io_excel`): the fast path reads exactly what pandas reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import io_excel


@pytest.mark.parametrize("sheet", [1, "INHALT", "IMPRESSUM"])
def test_read_excel_text_equals_pandas_on_the_bundled_workbooks(geodata: Path, sheet: int | str) -> None:
    """The plain-sheet fast path gives exactly pandas' ``read_excel(dtype=str)``; other sheets fall back to it."""
    import pandas as pd

    for path in sorted((geodata / "raw/munich/indikatorenatlas").glob("*.xlsx")):
        expected = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="calamine")
        pd.testing.assert_frame_equal(io_excel.read_excel_text(path, sheet), expected, check_exact=True)


def test_read_excel_text_cells_as_pandas_converts_them(tmp_path: Path) -> None:
    """Whole floats as integers, other floats by str, NA strings and empty cells missing."""
    import pandas as pd

    p = tmp_path / "t.xlsx"
    pd.DataFrame({"a": ["x", "NA", None, " y "], "b": [1.0, 19.8, 0.1 + 0.2, None], "c": [1, 2, 3, 4]}).to_excel(
        p, index=False)
    expected = pd.read_excel(p, sheet_name=0, dtype=str, engine="calamine")
    assert io_excel._read_plain_sheet(p, 0) is not None
    pd.testing.assert_frame_equal(io_excel.read_excel_text(p, 0), expected, check_exact=True)


def test_each_distinct_cell_is_converted_once_with_its_text_in_first_seen_order() -> None:
    """20 and 20.0 share the text "20"; NaN, empty and NA texts are one missing text; codes point at the texts."""
    from array import array

    nan = float("nan")
    cells = (20, "x", 20.0, nan, "", 19.8, "NA", 20, float("nan"), "20")
    distinct, codes = io_excel._text_column(cells)
    assert distinct == ["20", "x", None, "19.8"]
    assert list(codes) == [0, 1, 0, 2, 2, 3, 2, 0, 2, 0]
    assert isinstance(codes, array)


@pytest.mark.parametrize("column", [[True, False, True], [1, True, 0], [1.5, "x", False]])
def test_a_column_with_booleans_is_left_to_pandas(tmp_path: Path, column: list) -> None:
    """Booleans (equal to 1 and 0 as dict keys) are refused by type, so pandas converts the sheet ("True", "1")."""
    import pandas as pd

    p = tmp_path / "b.xlsx"
    pd.DataFrame({"a": column, "b": ["u", "v", "w"]}).to_excel(p, index=False)
    assert io_excel.plain_sheet_columns(p, 0) is None
    expected = pd.read_excel(p, sheet_name=0, dtype=str, engine="calamine")
    pd.testing.assert_frame_equal(io_excel.read_excel_text(p, 0), expected, check_exact=True)


def test_a_blank_row_is_left_to_pandas_and_a_row_blank_in_one_column_is_not(tmp_path: Path) -> None:
    import pandas as pd

    blank, partly = tmp_path / "blank.xlsx", tmp_path / "partly.xlsx"
    pd.DataFrame({"a": ["x", None, "z"], "b": [1, None, 3]}).to_excel(blank, index=False)
    pd.DataFrame({"a": ["x", None, "z"], "b": [1, 2, None]}).to_excel(partly, index=False)
    assert io_excel.plain_sheet_columns(blank, 0) is None
    assert io_excel.plain_sheet_columns(partly, 0) is not None
    for p in (blank, partly):
        expected = pd.read_excel(p, sheet_name=0, dtype=str, engine="calamine")
        pd.testing.assert_frame_equal(io_excel.read_excel_text(p, 0), expected, check_exact=True)
