"""The area profile ("Steckbrief") of the clicked area, drawn below the maps (beside them on wide screens)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from html import escape

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import loaders, views_compare, views_exports, views_projects
from dashboard.i18n import catalog_text, format_number, format_period, format_value, t
from dashboard.legend import flag_label, value_decimals
from dashboard.page import PageContext
from dashboard.period_labels import entry_period_label
from dashboard.profile import (
    AreaRef,
    action_area_info,
    comparable_vs_city,
    find_area,
    locations_inside,
    relatives,
    time_series,
)
from dashboard.profile_export import comparable_export, listing_export
from dashboard.state import ViewState
from dashboard.views_ranking import table_downloads
from dashboard.views_state import set_view


def _select(state: ViewState, city: str, area_id: str) -> None:
    set_view(replace(state, area_city=city, area_id=area_id))


def render(page: PageContext) -> None:
    """Draw the profile of the selected area (nothing when none is selected)."""
    state, version = page.state, page.version
    if not state.area_id:
        return
    lang, city = state.lang, state.area_city
    areas = page.areas
    row = find_area(areas, city, state.area_id)
    if row is None:
        return
    level = str(row["level"])
    with st.container(border=True, key="profile"):
        head, close = st.columns([5, 2])  # the close button's label fits beside the maps too
        head.subheader(t("profile_title", lang, name=row["name"]))
        head.caption(f"{t(f'city_{city}', lang)} · {t(f'level_{level}', lang)} · {row['area_id']}")
        close.button(t("profile_close", lang), key="profile_close",
                     on_click=set_view, args=(replace(state, area_city="", area_id=""),))
        with head:  # under the name: the narrow close column would cut the labels
            views_compare.add_button(state, city, state.area_id)
            views_exports.render_profile_download(page, level)
        if level == "handlungsraum":
            _action_area(areas, state.area_id, lang)
        _facts(row, lang)
        catalog = page.catalog
        rows = loaders.area_and_city_rows(version, city, level, state.area_id)
        _comparable(rows, catalog, city, level, state.area_id, lang)
        _series(version, state, city, level, page.entry, lang)
        _locations(version, city, level, state.area_id, lang)
        views_projects.render_area(page, city, level, state.area_id)
        _relatives(areas, state, city, lang)


def _facts(row: pd.Series, lang: str) -> None:
    a, b = st.columns(2)
    a.metric(t("population", lang), format_number(row.get("population"), lang, 0))
    b.metric(t("area_km2", lang), format_number(row.get("area_km2"), lang, 1))


def _action_area(areas: pd.DataFrame, area_id: str, lang: str) -> None:
    info = action_area_info(areas, area_id)
    if not info:
        return
    if info["approximate"]:
        st.warning(f"**{t('approx_label', lang)}** — {info['note_de'] if lang == 'de' else info['note_en']}")
    else:
        st.info(info["note_de"] if lang == "de" else info["note_en"])
    members = ", ".join(f"{m} {escape(n)}" for m, n in info["members"])
    member_level = t("level_short_" + str(info["member_level"]), lang)
    st.markdown(f"**{t('hr_members', lang)}** ({member_level}): {members}")
    status = (lang == "en" and info.get("status_en")) or info["status"]
    st.markdown(f"**{t('hr_status', lang)}:** {escape(str(status))}")
    if info["source_quote"]:
        st.markdown(f"> {escape(str(info['source_quote']))}")
        st.caption(f"{t('source', lang)}: {info['source_url']}")


def _comparable(rows: pd.DataFrame, catalog: Mapping[str, dict], city: str, level: str, area_id: str,
                lang: str) -> None:
    table = comparable_vs_city(rows, list(catalog.values()), city, level, area_id)
    st.markdown(f"**{t('profile_comparable', lang)}**")
    if table.empty:
        st.caption(t("profile_no_values", lang))
        return
    out = pd.DataFrame({
        t("col_indicator", lang): [catalog_text(catalog[i], "label", lang) for i in table["indicator_id"]],
        t("col_period", lang): [entry_period_label(catalog[i], city, p, lang)
                                for i, p in zip(table["indicator_id"], table["period"], strict=True)],
        t("col_value", lang): [_value_text(v, f, catalog[i], lang, _pair_decimals(v, c))
                               for v, f, i, c in zip(table["value"], table["flag"], table["indicator_id"],
                                                     table["city_value"], strict=True)],
        t("col_city_value", lang): [format_value(c, catalog_text(catalog[i], "unit", lang), lang, _pair_decimals(v, c))
                                    for v, c, i in zip(table["value"], table["city_value"], table["indicator_id"],
                                                       strict=True)],
        t("col_index", lang): [format_number(v, lang, 0) for v in table["index"]],
        t("col_coverage", lang): [format_number(100 * c, lang, 0) + " %" for c in table["coverage"]],
    })
    st.dataframe(out, hide_index=True, width="stretch")
    st.caption(t("profile_index_help", lang))
    export = comparable_export(table, catalog, lambda i, p: entry_period_label(catalog[i], city, p, lang), lang,
                               sheet=t("profile_comparable", lang))
    table_downloads(export, f"raumatlas_steckbrief_{city}_{level}_{area_id}", "dl_profile_cmp", lang)


def _pair_decimals(value: float, city_value: float) -> int:
    """One number of decimals for an area's value and its city's, so they read alike (``17,0`` next to ``19,4``)."""
    return value_decimals(pd.Series([value, city_value], dtype="float64"))


def _value_text(value: float, flag: str, entry: dict, lang: str, decimals: int | None = None) -> str:
    if flag:
        return flag_label(flag, lang)
    return format_value(value, catalog_text(entry, "unit", lang), lang, decimals)


def _series(version: str, state: ViewState, city: str, level: str, entry: dict, lang: str) -> None:
    if not entry:
        return
    rows = loaders.indicator_rows(version, city, state.indicator)
    series = time_series(rows, city, level, state.area_id, state.indicator)
    if series.empty:
        return
    st.markdown(f"**{t('profile_series', lang, indicator=catalog_text(entry, 'label', lang))}**")
    if entry.get("aggregation") == "sum":  # a count next to the city total would flatten the area's line
        series = series[["area"]]
    unit = catalog_text(entry, "unit", lang)
    names = {"area": t("series_area", lang), "city": t(f"city_{city}", lang)}
    d = value_decimals(series.stack())
    # The text alternative: every value in words, read by screen readers (the chart's description) and shown.
    summary = "; ".join(
        f"{names[col]}: " + ", ".join(f"{format_period(p, lang)} {format_value(v, unit, lang, d)}"
                                      for p, v in series[col].dropna().items())
        for col in series.columns)
    st.altair_chart(series_chart(series, names, unit, lang, d, summary), width="stretch")
    st.caption(summary)


def _locations(version: str, city: str, level: str, area_id: str, lang: str) -> None:
    counts, listing = locations_inside(loaders.load_locations(version), city, level, area_id)
    st.markdown(f"**{t('profile_locations', lang)}**")
    if counts.empty:
        st.caption(t("profile_no_locations", lang))
        return
    cols = st.columns(max(len(counts), 1))
    for col, (layer, n) in zip(cols, counts.items(), strict=False):
        col.metric(t(f"layer_{layer}", lang), int(n))
    listing = listing.assign(layer=[t(f"layer_{x}", lang) for x in listing["layer"]])
    listing.columns = [t(f"col_{c}", lang) for c in listing.columns]
    st.dataframe(listing, hide_index=True, width="stretch")
    table_downloads(listing_export(listing, t("profile_locations", lang)),
                    f"raumatlas_einrichtungen_{city}_{level}_{area_id}", "dl_profile_loc", lang)


def _relatives(areas: pd.DataFrame, state: ViewState, city: str, lang: str) -> None:
    parent, children, in_hr = relatives(areas, city, state.area_id)
    groups: list[tuple[str, list[AreaRef]]] = [
        (t("profile_parent", lang), [parent] if parent and parent.level != "stadt" else []),
        (t("profile_children", lang), children),
        (t("profile_in_hr", lang), in_hr),
    ]
    for label, refs in groups:
        if not refs:
            continue
        st.markdown(f"**{label}**")
        cols = st.columns(min(len(refs), 4))
        for i, ref in enumerate(refs[:24]):
            cols[i % len(cols)].button(ref.name, key=f"rel_{ref.city}_{ref.area_id}", on_click=_select,
                                       args=(state, ref.city, ref.area_id), width="stretch")


def series_chart(series: pd.DataFrame, names: Mapping[str, str], unit: str, lang: str, decimals: int,
                 description: str) -> alt.Chart:
    """Area vs. city over time: years on the axis (no month names in any language), values as the app prints them."""
    long = series.reset_index().melt(id_vars="period", var_name="line", value_name="value").dropna()
    long["line"] = long["line"].map(names)
    long["when"] = [format_period(p, lang) for p in long["period"]]
    long["shown"] = [format_value(v, unit, lang, decimals) for v in long["value"]]
    long["period"] = pd.to_datetime(long["period"])
    sep = "," if lang == "de" else "."
    return (
        alt.Chart(long, height=260, description=description)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", labelAngle=0)),
            y=alt.Y("value:Q", title=unit or None,
                    axis=alt.Axis(labelExpr=f"replace(format(datum.value, '.{decimals}f'), '.', '{sep}')")),
            color=alt.Color("line:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("line:N", title=" "), alt.Tooltip("when:N", title=" "),
                     alt.Tooltip("shown:N", title=" ")],
        )
    )
