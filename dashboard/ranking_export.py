"""The ranking and "Handlungsräume vs. übriges München" tables as German-Excel CSV/XLSX (pure).

The files hold what the screen shows (same columns, same rounding) plus the area id as text,
so a planner can sort, filter and join them in Excel without retyping anything.
"""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import t
from dashboard.legend import flag_label, value_decimals
from dashboard.table_export import ExportTable


def ranking_export(show: pd.DataFrame, table: pd.DataFrame, lang: str, sheet: str) -> ExportTable:
    """The ranking as shown (``show``, rows aligned with ``table``) with the area id after the rank.

    The value column keeps the screen's decimals (:func:`dashboard.legend.value_decimals`, as in
    :func:`dashboard.ranking.ranking_formatters`), so the file and the table print a value alike.
    """
    frame = show.copy()
    id_col = t("cmp_col_area_id", lang)
    frame.insert(1, id_col, table["area_id"].astype(str).to_numpy())
    value_col = next(c for c in frame.columns if c.startswith(t("col_value", lang)))
    numbers: dict[str, int | None] = {t("col_rank", lang): 0, value_col: value_decimals(table["value"]),
                                      t("col_coverage", lang): 0}
    count_col = t("proj_rank_count", lang)
    if count_col in frame.columns:
        numbers[count_col] = 0
    frame[t("col_rank", lang)] = pd.to_numeric(frame[t("col_rank", lang)], errors="coerce").astype(float)
    return ExportTable(frame=frame, id_columns=(id_col,), number_columns=numbers, sheet=sheet)


def summary_export(rows: pd.DataFrame, labels: list[str], unit: str, notes: list[str], lang: str,
                   period_text: str) -> ExportTable:
    """Handlungsräume, all together, the rest and the city: value and coverage as numbers, notes below."""
    frame = pd.DataFrame({
        t("col_area", lang): labels,
        t("cmp_col_area_id", lang): rows["area_id"].fillna("").astype(str).to_numpy(),
        t("cmp_col_period", lang): period_text,
        t("col_value", lang): rows["value"].astype(float).to_numpy(),
        t("cmp_col_unit", lang): unit,
        t("col_coverage", lang): (100.0 * rows["coverage"].astype(float)).to_numpy(),
        t("col_note", lang): [flag_label(f, lang) if f else "" for f in rows["flag"].fillna("")],
        t("col_approx", lang): [t("approx_label", lang) if a else "" for a in rows["approximate"]],
    })
    return ExportTable(frame=frame, id_columns=(t("cmp_col_area_id", lang),),
                       number_columns={t("col_value", lang): None, t("col_coverage", lang): 0},
                       sheet=t("summary_title", lang)[:31], notes=tuple(notes))
