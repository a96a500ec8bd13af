"""The area search box: the keyboard and screen-reader way to open any area's profile.

Type a name or number, press Enter, then Tab to a result and press Enter: the area
becomes the selection (``area=city:id`` in the URL, like a map click), the city's map
switches to the area's level when it is a map level, and the profile scrolls into view
(:mod:`dashboard.page_style`). Matching is :func:`dashboard.search.search_areas`.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

import streamlit as st

from dashboard.i18n import t
from dashboard.page import PageContext
from dashboard.page_style import SEARCH_PENDING
from dashboard.search import AreaEntry, AreaHit, build_index, search_areas
from dashboard.state import ViewState
from dashboard.views_state import set_view
from pipelines.config import COVERAGE_LEVELS

SEARCH_KEY = "w_area_search"
_CONTAINER_KEY = "ra-search"
_INDEX_KEY = "_area_search_index"


def _index(page: PageContext) -> tuple[AreaEntry, ...]:
    """The search index of this build, kept in the session (areas only change with a new build)."""
    cached = st.session_state.get(_INDEX_KEY)
    if cached and cached[0] == page.version:
        return cached[1]
    index = build_index(page.areas, page.choices.areas)
    st.session_state[_INDEX_KEY] = (page.version, index)
    return index


def _open(state: ViewState, hit: AreaHit) -> None:
    """Callback: select the hit, show its level on the map, clear the box."""
    new = replace(state, area_city=hit.city, area_id=hit.area_id)
    if hit.level in COVERAGE_LEVELS.get(hit.city, ()):
        new = new.with_level(hit.city, hit.level)
    set_view(new)
    st.session_state[SEARCH_KEY] = ""


def hit_label(hit: AreaHit, lang: str) -> str:
    """``Neuperlach · Handlungsraum · München`` (what a screen reader reads for the result button)."""
    return f"{hit.name} · {t(f'level_{hit.level}', lang)} · {t(f'city_{hit.city}', lang)} ({hit.area_id})"


def render_pending(lang: str) -> None:
    """A first paint's stand-in: the label and an empty box of the search's size (``views_first_paint`` says why).

    Drawn as html, so the first screen needs no text-input code: its ~20 files went to the browser
    before the map component's (first visit 1.66 -> 1.55 s, measured against the same page with the search).
    """
    with st.container(key=_CONTAINER_KEY):
        label = escape(t("search_label", lang))
        st.html(f'<div class="{SEARCH_PENDING}" aria-hidden="true"><p>{label}</p><div></div></div>')


def render(page: PageContext) -> None:
    """Search box and result buttons (nothing else)."""
    state = page.state
    lang = state.lang
    with st.container(key=_CONTAINER_KEY):
        query = st.text_input(t("search_label", lang), key=SEARCH_KEY, placeholder=t("search_placeholder", lang))
        if not query.strip():
            return
        hits = search_areas(_index(page), query)
        if not hits:
            st.caption(t("search_none", lang, query=query))
            return
        st.caption(t("search_results", lang, n=len(hits)))
        for hit in hits:
            st.button(hit_label(hit, lang), key=f"search_hit_{hit.city}_{hit.area_id}", type="tertiary",
                      on_click=_open, args=(state, hit))
