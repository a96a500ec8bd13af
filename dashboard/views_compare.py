"""The comparison table view (Vergleich), its "add to comparison" button and the align-period button.

Draws what :func:`dashboard.page.build_page` computed (:mod:`dashboard.comparison_page`: pin
options, rows, the export table, the period gap); files come from :mod:`dashboard.table_export`;
the state lives in the URL (``cmp``, ``cmp_ind``, ``cmp_align``; see :mod:`dashboard.state`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from dashboard.comparison import screen_frame
from dashboard.i18n import catalog_text, t
from dashboard.page import PageContext
from dashboard.state import MAX_PINS, ViewState
from dashboard.table_export import csv_bytes, xlsx_bytes
from dashboard.views_state import set_view

W_PINS, W_IND, W_ALIGN = "w_cmp_pins", "w_cmp_ind", "w_cmp_align"


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


def render(page: PageContext) -> None:
    """The whole comparison section: pickers, table, reference-date notes and downloads."""
    state, cmp = page.state, page.comparison
    lang, catalog = state.lang, page.catalog
    if cmp is None:
        return
    st.subheader(t("cmp_title", lang), anchor="vergleich")
    st.caption(t("cmp_intro", lang))
    labels = cmp.options
    _sync(W_PINS, list(state.compare))
    _sync(W_IND, list(state.compare_ind))
    _sync(W_ALIGN, state.compare_align)
    st.multiselect(t("cmp_pick_areas", lang), list(labels), key=W_PINS, format_func=lambda p: labels.get(p, p),
                   on_change=_on_change, args=(state,), max_selections=MAX_PINS,
                   placeholder=t("cmp_pins_placeholder", lang))
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.multiselect(t("cmp_pick_indicators", lang), list(page.choices.indicators), key=W_IND,
                     format_func=lambda i: catalog_text(catalog.get(i, {}), "label", lang) or i,
                     on_change=_on_change, args=(state,), placeholder=t("cmp_ind_placeholder", lang))
    right.toggle(t("cmp_align", lang), key=W_ALIGN, on_change=_on_change, args=(state,),
                 help=t("cmp_align_help", lang))
    export = cmp.export
    if export is None:
        st.info(t("cmp_empty", lang))
        return
    cols = list(export.frame.columns)  # indicator and area stay in view when the table scrolls sideways
    st.dataframe(screen_frame(export, lang), hide_index=True, width="stretch", key="cmp_table",
                 height=min(38 + 35 * len(export.frame), 640),
                 column_config={cols[0]: st.column_config.Column(pinned=True, width="medium"),
                                cols[1]: st.column_config.Column(pinned=True),
                                cols[-1]: st.column_config.Column(width="large")})
    st.caption(t("cmp_index_help", lang))
    if cmp.gap_lines:
        st.warning(f"**{t('cmp_gaps_title', lang)}**\n\n" + "\n".join(f"- {x}" for x in cmp.gap_lines))
    a, b, c = st.columns([2, 2, 1])
    a.download_button(t("download_csv_excel", lang), lambda: csv_bytes(export), file_name="raumatlas_vergleich.csv",
                      mime="text/csv", key="cmp_dl_csv", on_click="ignore", width="stretch")
    b.download_button(t("download_xlsx", lang), lambda: xlsx_bytes(export), file_name="raumatlas_vergleich.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="cmp_dl_xlsx",
                      on_click="ignore", width="stretch")
    c.button(t("cmp_clear", lang), key="cmp_clear", on_click=set_view,
             args=(replace(state, compare=(), compare_ind=(), compare_align=False),), width="stretch")


def render_align_button(page: PageContext) -> None:
    """One click to put Munich on its period nearest Berlin's, and one back to the latest."""
    state, gap = page.state, page.period_gap
    if gap is None:
        return
    lang = state.lang
    if gap.current != gap.nearest:
        st.button(t("period_align_button", lang, period=gap.nearest_label), key="period_align", on_click=set_view,
                  args=(state.with_period("munich", gap.nearest),), icon=":material/event:")
    elif gap.current != gap.latest:
        st.button(t("period_latest_button", lang, period=gap.latest_label), key="period_latest", on_click=set_view,
                  args=(state.with_period("munich", gap.latest),), icon=":material/update:")
