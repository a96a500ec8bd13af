"""Rankings and the Handlungsraum summary as German-Excel CSV/XLSX, on the real build (Berlin id 081005)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.legend import value_decimals
from dashboard.ranking import action_area_summary, ranking_formatters, ranking_table
from dashboard.ranking_export import ranking_export, summary_export
from dashboard.table_export import csv_bytes, xlsx_bytes
from tests.test_table_export import german_number, read_like_german_excel


@pytest.fixture(scope="module")
def build(processed_build: Path) -> dict:
    catalog = json.loads((processed_build / "catalog.json").read_text("utf-8"))
    return {"ind": pd.read_parquet(processed_build / "indicators.parquet"),
            "areas": pd.read_parquet(processed_build / "areas.parquet").drop(columns="geometry"),
            "catalog": {c["indicator_id"]: c for c in catalog}}


def test_berlin_ranking_keeps_ids_as_text_and_values_as_shown(build: dict) -> None:
    ind = build["ind"]
    rows = ind[(ind["city"] == "berlin") & (ind["indicator_id"] == "unemployment_share")]
    table = ranking_table(rows, build["areas"], "berlin", "bezirksregion", "unemployment_share", "2020-12-31")
    show = pd.DataFrame({"Rang": table["rank"], "Gebiet": table["name"], "Wert (%)": table["value"],
                         "Hinweis": "", "Abdeckung (%)": (100 * table["coverage"]).round(0)})
    export = ranking_export(show, table, "de", sheet="Berlin")
    rows_csv = read_like_german_excel(csv_bytes(export))
    assert rows_csv[0] == ["Rang", "Gebiets-ID", "Gebiet", "Wert (%)", "Hinweis", "Abdeckung (%)"]
    ids = [r[1] for r in rows_csv[1:]]
    assert "081005" in ids and all(len(i) == 6 for i in ids)
    assert value_decimals(table["value"]) == 1
    first = table.iloc[0]
    assert german_number(rows_csv[1][3]) == round(float(first["value"]), 1) and rows_csv[1][0] == "1"
    on_screen = ranking_formatters(table, "de", "Wert (%)", "Abdeckung (%)")["Wert (%)"](first["value"])
    assert rows_csv[1][3] == on_screen  # the file writes the number exactly as the table shows it
    ws = load_workbook(io.BytesIO(xlsx_bytes(export)))["Berlin"]
    cell = next(c for c in ws["B"] if c.value == "081005")
    assert cell.data_type == "s"


def test_summary_rows_export_with_rest_and_notes(build: dict) -> None:
    ind = build["ind"]
    rows = ind[(ind["city"] == "munich") & (ind["indicator_id"] == "foreign_share")]
    summary = action_area_summary(rows, build["areas"], build["catalog"]["foreign_share"], "2024-12-31")
    labels = [str(x) for x in summary.rows["label"]]
    export = summary_export(summary.rows, labels, "%", ["Hinweis A"], "de", "31.12.2024")
    csv_rows = read_like_german_excel(csv_bytes(export))
    assert csv_rows[0][:4] == ["Gebiet", "Gebiets-ID", "Stand", "Wert"]
    assert [r[1] for r in csv_rows[1:]][-1] == "muc" and "hr6" in [r[1] for r in csv_rows[1:]]
    city = csv_rows[-1]
    assert german_number(city[3]) == 30.6
    ws = load_workbook(io.BytesIO(xlsx_bytes(export))).active
    assert ws.cell(row=len(csv_rows) + 2, column=1).value == "Hinweis A"
