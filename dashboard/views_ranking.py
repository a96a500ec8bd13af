"""Ranking tables of the current level in both cities, and Handlungsräume vs. the rest of Munich.

Draws the rankings and the summary the :class:`~dashboard.page.PageContext` computed.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import views_projects
from dashboard.i18n import catalog_text, format_number, format_value, t
from dashboard.legend import flag_label
from dashboard.page import CityPage, PageContext
from dashboard.period_labels import entry_period_label
from dashboard.ranking import ranking_formatters
from dashboard.ranking_export import ranking_export, summary_export
from dashboard.table_export import ExportTable, csv_bytes, xlsx_bytes
from pipelines.config import CITIES

RANKING_KEY = "ra-ranking"
"""Key of the container around the rankings and the summary (CSS class ``st-key-ra-ranking``; tests read it)."""


def render(page: PageContext) -> None:
    """Both rankings side by side (in rank order; CSV for German Excel and XLSX), then the Handlungsraum summary."""
    state, entry = page.state, page.entry
    lang = state.lang
    if not entry:
        return
    label = catalog_text(entry, "label", lang)
    unit = catalog_text(entry, "unit", lang)
    with st.container(key=RANKING_KEY):
        st.subheader(t("ranking_title", lang, indicator=label))
        cols = st.columns(2, gap="large")
        for col, city in zip(cols, CITIES, strict=True):
            with col:
                _city_ranking(page, page.cities[city], unit)
        _summary(page, unit)


def _city_ranking(page: PageContext, city: CityPage, unit: str) -> None:
    lang, level, period = page.state.lang, city.level, city.period
    when = entry_period_label(page.entry, city.city, period, lang)
    st.markdown(f"**{t(f'city_{city.city}', lang)} · {t(f'level_{level}', lang)} · {when}**")
    if not period:
        st.caption(t("not_available_city", lang))
        return
    table = city.ranking
    if table is None:
        st.caption(t("no_data_level", lang, level=t(f"level_{level}", lang)))
        return
    value_col = t("col_value_unit", lang, unit=unit)
    show = pd.DataFrame({
        t("col_rank", lang): table["rank"],
        t("col_area", lang): table["name"],
        value_col: table["value"],
        t("col_note", lang): [flag_label(f, lang) if f else "" for f in table["flag"]],
        t("col_coverage", lang): (100 * table["coverage"]).round(0),
    })
    if city.project_counts is not None:  # does cross-department work reach the areas that need it most?
        show = views_projects.add_ranking_columns(show, table, city.project_counts, lang)
    shown, config = _as_shown(show, ranking_formatters(table, lang, value_col, t("col_coverage", lang)))
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch", height=320)
    # The files hold what the table shows (same decimals, German notation) plus the area id as text.
    export = ranking_export(show, table, lang, sheet=f"{t(f'city_{city.city}', lang)} {period}")
    table_downloads(export, f"raumatlas_{city.city}_{level}_{page.state.indicator}_{period}", f"dl_{city.city}", lang)


def _as_shown(show: pd.DataFrame, formatters: dict[str, Callable[[object], str]]) -> tuple[pd.DataFrame, dict]:
    """The table's numbers as text, written as in the tooltips (same formatter, same decimals), right-aligned.

    The grid reads a number column's raw value to screen readers and to the page's text ("17.1267…" on a
    German page); as text every reader gets what the canvas shows ("17,1"). The rows come sorted by rank
    (= by value) and the rank column stays a number, so sorting by rank still orders by value (a click on
    the value header sorts the texts; the downloads keep numbers for sorting in Excel).
    """
    shown = show.copy()
    for col, fmt in formatters.items():
        shown[col] = [fmt(v) for v in show[col]]
    return shown, {col: st.column_config.TextColumn(alignment="right") for col in formatters}


def _summary(page: PageContext, unit: str) -> None:
    lang, period = page.state.lang, page.state.period("munich")
    st.subheader(t("summary_title", lang))
    summary = page.summary
    if not period or summary is None:
        st.caption(t("summary_not_available", lang))
        return
    df = summary.rows
    labels = [r.label if r.kind == "handlungsraum" else t(f"summary_{r.kind}", lang) for r in df.itertuples()]
    values = [flag_label(f, lang) if f and pd.isna(v) else format_value(v, unit, lang)
              for v, f in zip(df["value"], df["flag"], strict=True)]
    show = pd.DataFrame({
        t("col_area", lang): labels,
        t("col_value", lang): values,
        t("col_coverage", lang): [format_number(100 * c, lang, 0) + " %" if pd.notna(c) else "–"
                                  for c in df["coverage"]],
        t("col_approx", lang): [t("approx_label", lang) if a else "" for a in df["approximate"]],
    })
    st.dataframe(show, hide_index=True, width="stretch")
    period_text = entry_period_label(page.entry, "munich", period, lang)
    st.caption(f"{t('period', lang)}: {period_text}")
    for key in summary.notes:
        st.caption(t(key, lang))
    export = summary_export(df, labels, unit, [t(key, lang) for key in summary.notes], lang, period_text)
    table_downloads(export, f"raumatlas_handlungsraeume_{page.state.indicator}_{period}", "dl_summary", lang)


def table_downloads(export: ExportTable, stem: str, key: str, lang: str) -> None:
    """CSV for German Excel and XLSX of one table, side by side.

    The files are written only when a button is clicked (a callable, no rerun): writing both on
    every run was most of an indicator change's server time.
    """
    a, b = st.columns(2)
    a.download_button(t("download_csv_excel", lang), lambda: csv_bytes(export), file_name=f"{stem}.csv",
                      mime="text/csv", key=key, on_click="ignore", width="stretch")
    b.download_button(t("download_xlsx", lang), lambda: xlsx_bytes(export), file_name=f"{stem}.xlsx",
                      key=f"{key}_xlsx", on_click="ignore",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", width="stretch")
