"""The area profile's tables as German-Excel files (pure: no Streamlit).

The profile shows its tables without the grid's toolbar (English only), so each table gets
the app's own buttons: CSV (UTF-8 with BOM, ``;``, decimal comma) and XLSX, both written by
:mod:`dashboard.table_export`. Numbers stay numbers in the files, rounded as the screen shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from dashboard.i18n import catalog_text, t
from dashboard.legend import flag_label, value_decimals
from dashboard.table_export import ExportTable

SHEET_MAX = 31  # Excel's limit for a sheet name


def comparable_export(table: pd.DataFrame, catalog: Mapping[str, dict], period_text: Callable[[str, str], str],
                      lang: str, sheet: str) -> ExportTable:
    """The profile's "comparable indicators vs. the city" table (:func:`dashboard.profile.comparable_vs_city`).

    Args:
        table: rows of ``comparable_vs_city`` (``indicator_id, period, value, city_value, index, flag, coverage``).
        catalog: indicator entries by id (labels and units in both languages).
        period_text: ``(indicator_id, period) -> "31.12.2024"``, as the screen writes the reference date.
        lang: UI language (headers, flags, units).
        sheet: XLSX sheet name (cut to 31 characters).
    """
    values, cities = [], []
    for v, c in zip(table["value"], table["city_value"], strict=True):
        d = value_decimals(pd.Series([v, c], dtype="float64"))  # one decimals per row, as on screen
        values.append(round(v, d) if pd.notna(v) else None)
        cities.append(round(c, d) if pd.notna(c) else None)
    value, city_value = t("col_value", lang), t("col_city_value", lang)
    index, coverage = t("col_index", lang), t("col_coverage", lang)
    frame = pd.DataFrame({
        t("col_indicator", lang): [catalog_text(catalog[i], "label", lang) for i in table["indicator_id"]],
        t("col_period", lang): [period_text(i, p) for i, p in zip(table["indicator_id"], table["period"], strict=True)],
        value: [None if f else v for v, f in zip(values, table["flag"], strict=True)],
        city_value: cities,
        t("col_unit", lang): [catalog_text(catalog[i], "unit", lang) for i in table["indicator_id"]],
        index: list(table["index"]),
        coverage: [100 * c if pd.notna(c) else None for c in table["coverage"]],
        t("col_note", lang): [flag_label(f, lang) if f else "" for f in table["flag"]],
    })
    numbers: dict[str, int | None] = {value: None, city_value: None, index: 0, coverage: 0}
    return ExportTable(frame=frame, number_columns=numbers, sheet=sheet[:SHEET_MAX])


def listing_export(listing: pd.DataFrame, sheet: str) -> ExportTable:
    """A text table as shown (e.g. the facilities in the area): every cell as text."""
    return ExportTable(frame=listing.reset_index(drop=True), sheet=sheet[:SHEET_MAX])
