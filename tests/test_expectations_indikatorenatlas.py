"""The Indikatorenatlas columns live in one table (sources/expectations.py): the stage and fetch refuse alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.builder.fetch import validate_file
from pipelines.errors import InputError
from pipelines.registry import Source, SourceFile
from pipelines.sources.expectations import EXPECTATIONS
from pipelines.sources.indikatorenatlas.read import INHALT_COLUMNS, KIND, TABLE_COLUMNS, read_inhalt, read_table

SOURCE = Source(id="muc_ia_test", kind=KIND, city="munich", title="t", publisher="p", licence="l", attribution="a",
                url="https://example.org", reference_date="2024-12-31", files=(SourceFile("x.xlsx", ""),),
                extra={"topic": "test"})


def _workbook(path: Path, drop_table: str | None = None, drop_inhalt: str | None = None) -> Path:
    table = pd.DataFrame([("Zahl", "insgesamt", "2024", "01 Eins", "5", "5", "1")], columns=list(TABLE_COLUMNS))
    inhalt = pd.DataFrame([("Zahl", "insgesamt", "Personen.", "31.12.", "Test")], columns=list(INHALT_COLUMNS))
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        inhalt.drop(columns=[drop_inhalt] if drop_inhalt else []).to_excel(xw, sheet_name="INHALT", index=False)
        table.drop(columns=[drop_table] if drop_table else []).to_excel(xw, sheet_name="TEST", index=False)
    return path


def test_reader_columns_are_the_expectation_table() -> None:
    exp = EXPECTATIONS[KIND]
    assert TABLE_COLUMNS == exp.columns and INHALT_COLUMNS == exp.sheet_columns("INHALT") != ()


def test_good_workbook_passes_both(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "ok.xlsx")
    validate_file(SOURCE, path)
    assert len(read_table(path, {"01"})) == 1 and len(read_inhalt(path)) == 1


@pytest.mark.parametrize("where", ["table", "inhalt"])
def test_missing_column_is_refused_by_fetch_and_stage(tmp_path: Path, where: str) -> None:
    col = "Basiswert 2" if where == "table" else "Zeitbezug"
    path = _workbook(tmp_path / "bad.xlsx", **{f"drop_{where}": col})
    with pytest.raises(InputError, match=col):
        validate_file(SOURCE, path)
    with pytest.raises(InputError, match=col):
        read_table(path, {"01"}) if where == "table" else read_inhalt(path)
