"""Ranking tables of the current level in both cities, and Handlungsräume vs. the rest of Munich."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import loaders, views_projects
from dashboard.i18n import catalog_text, format_number, format_period, format_value, t
from dashboard.legend import flag_label
from dashboard.ranking import action_area_summary, ranking_table
from dashboard.state import ViewState
from pipelines.config import CITIES


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
            st.markdown(f"**{t(f'city_{city}', lang)} · {t(f'level_{level}', lang)} · {format_period(period, lang)}**")
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
            csv = table.assign(city=city, level=level, indicator_id=state.indicator, period=period)
            st.download_button(t("download_csv", lang), csv.to_csv(index=False).encode("utf-8"),
                               file_name=f"raumatlas_{city}_{level}_{state.indicator}_{period}.csv",
                               mime="text/csv", key=f"dl_{city}")
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
    st.caption(f"{t('period', lang)}: {format_period(period, lang)}")
    for key in summary.notes:
        st.caption(t(key, lang))
