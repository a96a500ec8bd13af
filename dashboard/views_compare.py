"""The comparison table view (Vergleich), its "add to comparison" button and the reference-date note.

Thin: the table comes from :mod:`dashboard.comparison`, files from :mod:`dashboard.table_export`,
period words from :mod:`dashboard.period_labels`; the state lives in the URL (``cmp``,
``cmp_ind``, ``cmp_align``; see :mod:`dashboard.state`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import loaders
from dashboard.comparison import (
    Pin,
    choose_periods,
    comparison_export,
    comparison_rows,
    parse_pin,
    period_gaps,
    pin_label,
    screen_frame,
)
from dashboard.i18n import catalog_text, t
from dashboard.period_labels import entry_period_label, format_gap, gap_years, nearest_period
from dashboard.state import CMP_REST, CMP_TOTALS, MAP_LEVELS, MAX_PINS, Choices, ViewState
from dashboard.table_export import csv_bytes, xlsx_bytes
from dashboard.views_state import set_view

W_PINS, W_IND, W_ALIGN = "w_cmp_pins", "w_cmp_ind", "w_cmp_align"
PICK_LEVELS: dict[str, tuple[str, ...]] = {"munich": ("handlungsraum", *MAP_LEVELS["munich"]),
                                           "berlin": MAP_LEVELS["berlin"]}


def pin_options(areas: pd.DataFrame) -> list[str]:
    """Every pin a planner may choose, in a useful order: city totals, rest of Munich, then by level."""
    out = [f"munich:{CMP_TOTALS['munich']}", f"munich:{CMP_REST}", f"berlin:{CMP_TOTALS['berlin']}"]
    for city, levels in PICK_LEVELS.items():
        mine = areas[areas["city"] == city]
        for level in levels:
            ids = mine.loc[mine["level"] == level, "area_id"].astype(str)
            out += [f"{city}:{a}" for a in sorted(ids)]
    return out


def _labels(version: str, lang: str) -> dict[str, str]:
    areas = loaders.load_areas(version)
    return {p: pin_label(Pin(*p.split(":", 1)), areas, lang) for p in pin_options(areas)}


def _comparable(choices: Choices, catalog: dict[str, dict[str, Any]]) -> list[str]:
    return [i for i in choices.indicators if catalog.get(i, {}).get("group") == "comparable"]


def _sync(key: str, value: Any) -> None:
    """Show the state's value in a widget before it is drawn (the URL or a profile button may have changed it)."""
    if st.session_state.get(key) != value:
        st.session_state[key] = value


def _on_change(state: ViewState) -> None:
    ss = st.session_state
    set_view(replace(state, compare=tuple(ss.get(W_PINS) or ())[:MAX_PINS], compare_ind=tuple(ss.get(W_IND) or ()),
                     compare_align=bool(ss.get(W_ALIGN))))


def add_button(state: ViewState, city: str, area_id: str) -> None:
    """The profile's "Zum Vergleich hinzufügen" button (disabled once the area is in the comparison)."""
    pin = f"{city}:{area_id}"
    inside = pin in state.compare
    st.button(t("cmp_in" if inside else "cmp_add", state.lang), key="cmp_add", disabled=inside or
              len(state.compare) >= MAX_PINS, on_click=set_view, args=(replace(state, compare=(*state.compare, pin)),))


def render(state: ViewState, version: str, choices: Choices) -> None:
    """The whole comparison section: pickers, table, reference-date notes and downloads."""
    lang = state.lang
    catalog = loaders.catalog_by_id(version)
    areas = loaders.load_areas(version)
    st.subheader(t("cmp_title", lang), anchor="vergleich")
    st.caption(t("cmp_intro", lang))
    labels = _labels(version, lang)
    _sync(W_PINS, list(state.compare))
    _sync(W_IND, list(state.compare_ind))
    _sync(W_ALIGN, state.compare_align)
    st.multiselect(t("cmp_pick_areas", lang), list(labels), key=W_PINS, format_func=lambda p: labels.get(p, p),
                   on_change=_on_change, args=(state,), max_selections=MAX_PINS,
                   placeholder=t("cmp_pins_placeholder", lang))
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.multiselect(t("cmp_pick_indicators", lang), list(choices.indicators), key=W_IND,
                     format_func=lambda i: catalog_text(catalog.get(i, {}), "label", lang) or i,
                     on_change=_on_change, args=(state,), placeholder=t("cmp_ind_placeholder", lang))
    right.toggle(t("cmp_align", lang), key=W_ALIGN, on_change=_on_change, args=(state,),
                 help=t("cmp_align_help", lang))
    pins = [p for p in (parse_pin(x) for x in state.compare) if p is not None]
    if not pins:
        st.info(t("cmp_empty", lang))
        return
    indicators = list(state.compare_ind) or _comparable(choices, catalog)
    periods = choose_periods(indicators, choices.periods, state.compare_align)
    rows = pd.concat([loaders.indicator_rows(version, city, ind) for ind in indicators
                      for city in ("munich", "berlin")], ignore_index=True)
    table = comparison_rows(pins, indicators, rows, areas, catalog, periods)
    export = comparison_export(table, catalog, areas, lang)
    cols = list(export.frame.columns)  # indicator and area stay in view when the table scrolls sideways
    st.dataframe(screen_frame(export, lang), hide_index=True, width="stretch", key="cmp_table",
                 height=min(38 + 35 * len(export.frame), 640),
                 column_config={cols[0]: st.column_config.Column(pinned=True, width="medium"),
                                cols[1]: st.column_config.Column(pinned=True),
                                cols[-1]: st.column_config.Column(width="large")})
    st.caption(t("cmp_index_help", lang))
    gaps = period_gaps(table)
    if gaps:
        lines = [t("cmp_gap", lang, indicator=catalog_text(catalog[i], "label", lang),
                   muc=entry_period_label(catalog[i], "munich", m, lang),
                   ber=entry_period_label(catalog[i], "berlin", b, lang), gap=format_gap(g, lang))
                 for i, (m, b, g) in gaps.items()]
        st.warning(f"**{t('cmp_gaps_title', lang)}**\n\n" + "\n".join(f"- {x}" for x in lines))
    notes = [f"{t('cmp_gaps_title', lang)}: " + " ".join(lines)] if gaps else []
    export = replace(export, notes=(*notes, t("cmp_index_help", lang)))
    a, b, c = st.columns([2, 2, 1])
    a.download_button(t("download_csv_excel", lang), csv_bytes(export), file_name="raumatlas_vergleich.csv",
                      mime="text/csv", key="cmp_dl_csv", width="stretch")
    b.download_button(t("download_xlsx", lang), xlsx_bytes(export), file_name="raumatlas_vergleich.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="cmp_dl_xlsx",
                      width="stretch")
    c.button(t("cmp_clear", lang), key="cmp_clear", on_click=set_view,
             args=(replace(state, compare=(), compare_ind=(), compare_align=False),), width="stretch")


def _period_situation(state: ViewState, entry: dict[str, Any], choices: Choices) -> dict[str, Any] | None:
    """Both cities' periods of a comparable indicator when they differ: texts, gap, nearest and latest."""
    if not entry or entry.get("group") != "comparable":
        return None
    lang, muc, ber = state.lang, state.period("munich"), state.period("berlin")
    if not muc or not ber or muc == ber:
        return None
    periods = choices.periods.get((state.indicator, "munich"), ())
    nearest, latest = nearest_period(periods, ber), (periods[-1] if periods else "")
    return {"muc": entry_period_label(entry, "munich", muc, lang),
            "ber": entry_period_label(entry, "berlin", ber, lang), "gap": format_gap(gap_years(muc, ber), lang),
            "nearest": nearest, "latest": latest,
            "aligned": muc == nearest and muc != latest, "current": muc}


def period_note_text(state: ViewState, entry: dict[str, Any], choices: Choices) -> str:
    """The sentence for the comparability note: both dates and the gap ("" when the dates agree)."""
    s = _period_situation(state, entry, choices)
    if s is None:
        return ""
    return t("period_note_aligned" if s["aligned"] else "period_note", state.lang, muc=s["muc"], ber=s["ber"],
             gap=s["gap"])


def render_align_button(state: ViewState, entry: dict[str, Any], choices: Choices) -> None:
    """One click to put Munich on its period nearest Berlin's, and one back to the latest."""
    s = _period_situation(state, entry, choices)
    if s is None:
        return
    lang = state.lang
    if s["current"] != s["nearest"]:
        st.button(t("period_align_button", lang, period=entry_period_label(entry, "munich", s["nearest"], lang)),
                  key="period_align", on_click=set_view, args=(state.with_period("munich", s["nearest"]),),
                  icon=":material/event:")
    elif s["current"] != s["latest"]:
        st.button(t("period_latest_button", lang, period=entry_period_label(entry, "munich", s["latest"], lang)),
                  key="period_latest", on_click=set_view, args=(state.with_period("munich", s["latest"]),),
                  icon=":material/update:")
