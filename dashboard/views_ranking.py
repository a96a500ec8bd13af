"""Ranking tables of the current level in both cities, and Handlungsräume vs. the rest of Munich."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import loaders, views_projects
from dashboard.i18n import catalog_text, format_number, t
from dashboard.legend import flag_label
from dashboard.period_labels import entry_period_label
from dashboard.ranking import action_area_summary, ranking_table
from dashboard.ranking_export import ranking_export, summary_export
from dashboard.state import CITIES, ViewState
from dashboard.table_export import ExportTable, csv_bytes, xlsx_bytes


def render(state: ViewState, version: str) -> None:
    """Both rankings side by side (sortable, CSV download), then the Handlungsraum summary."""
    lang = state.lang
    entry = loaders.catalog_by_id(version).get(state.indicator)
    if entry is None:
        return
    label = catalog_text(entry, "label", lang)
    unit = catalog_text(entry, "unit", lang)
    st.subheader(t("ranking_title", lang, indicator=label))
    cols = st.columns(2, gap="large")
    areas = loaders.load_areas(version)
    for col, city in zip(cols, CITIES, strict=True):
        with col:
            level, period = state.level(city), state.period(city)
            when = entry_period_label(entry, city, period, lang)
            st.markdown(f"**{t(f'city_{city}', lang)} · {t(f'level_{level}', lang)} · {when}**")
            if not period:
                st.caption(t("not_available_city", lang))
                continue
            rows = loaders.indicator_values(version, city, level, state.indicator, period)
            if rows.empty:
                st.caption(t("no_data_level", lang, level=t(f"level_{level}", lang)))
                continue
            table = ranking_table(rows, areas, city, level, state.indicator, period, entry.get("polarity", ""))
            show = pd.DataFrame({
                t("col_rank", lang): table["rank"],
                t("col_area", lang): table["name"],
                t("col_value_unit", lang, unit=unit): table["value"],
                t("col_note", lang): [flag_label(f, lang) if f else "" for f in table["flag"]],
                t("col_coverage", lang): (100 * table["coverage"]).round(0),
            })
            counts = views_projects.ranking_counts(version, city, level)
            if counts is not None:  # does cross-department work reach the areas that need it most?
                show = views_projects.add_ranking_columns(show, table, counts, lang)
            value_col = t("col_value_unit", lang, unit=unit)
            st.dataframe(show, hide_index=True, width="stretch", height=320, column_config={
                value_col: st.column_config.NumberColumn(format=_number_format(table["value"])),
                t("col_coverage", lang): st.column_config.NumberColumn(format="%.0f")})
            export = ranking_export(show, table, lang, sheet=f"{t(f'city_{city}', lang)} {period}")
            _downloads(export, f"raumatlas_{city}_{level}_{state.indicator}_{period}", f"dl_{city}", lang)
    _summary(state, version, entry, areas, unit)


def _number_format(values: pd.Series) -> str:
    """Fixed decimals for a column: 0 from 1,000 up, 1 from 1 up, else 2."""
    top = float(values.abs().max()) if values.notna().any() else 0.0
    return "%.0f" if top >= 1000 else "%.1f" if top >= 1 else "%.2f"


def _summary(state: ViewState, version: str, entry: dict, areas: pd.DataFrame, unit: str) -> None:
    lang, period = state.lang, state.period("munich")
    st.subheader(t("summary_title", lang))
    if not period:
        st.caption(t("summary_not_available", lang))
        return
    rows = loaders.indicator_rows(version, "munich", state.indicator)
    summary = action_area_summary(rows, areas, entry, period)
    df = summary.rows
    labels = [r.label if r.kind == "handlungsraum" else t(f"summary_{r.kind}", lang) for r in df.itertuples()]
    values = [flag_label(f, lang) if f and pd.isna(v) else f"{format_number(v, lang)} {unit}".strip()
              for v, f in zip(df["value"], df["flag"], strict=True)]
    show = pd.DataFrame({
        t("col_area", lang): labels,
        t("col_value", lang): values,
        t("col_coverage", lang): [format_number(100 * c, lang, 0) + " %" if pd.notna(c) else "–"
                                  for c in df["coverage"]],
        t("col_approx", lang): [t("approx_label", lang) if a else "" for a in df["approximate"]],
    })
    st.dataframe(show, hide_index=True, width="stretch")
    period_text = entry_period_label(entry, "munich", period, lang)
    st.caption(f"{t('period', lang)}: {period_text}")
    for key in summary.notes:
        st.caption(t(key, lang))
    export = summary_export(df, labels, unit, [t(k, lang) for k in summary.notes], lang, period_text)
    _downloads(export, f"raumatlas_handlungsraeume_{state.indicator}_{period}", "dl_summary", lang)


def _downloads(export: ExportTable, stem: str, key: str, lang: str) -> None:
    """CSV for German Excel and XLSX of one table, side by side."""
    a, b = st.columns(2)
    a.download_button(t("download_csv_excel", lang), csv_bytes(export), file_name=f"{stem}.csv", mime="text/csv",
                      key=key, width="stretch")
    b.download_button(t("download_xlsx", lang), xlsx_bytes(export), file_name=f"{stem}.xlsx", key=f"{key}_xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", width="stretch")
