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
