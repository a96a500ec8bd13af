"""Keeps three things in step: the URL (``st.query_params``), the widgets and the view state.

The URL is the source of truth when it changes from outside (first load, a
shared link, the browser's back button); otherwise the widgets are. The
canonical :class:`~dashboard.state.ViewState` lives in ``st.session_state``
under ``_view`` so it survives runs in which the sidebar is hidden
(presentation mode) and its widgets' own state is dropped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from dashboard.state import (
    Q_IND,
    Q_LANG,
    Q_PRESENT,
    Q_STEP,
    Choices,
    Notice,
    ViewState,
    merge_story,
    parse_query,
    revalidate,
    story_query,
    to_query,
)
from pipelines.config import CITIES

VIEW_KEY, WRITTEN_KEY = "_view", "_qp_written"
W_LANG, W_IND, W_CLS, W_K, W_SCALE, W_FOCUS, W_LAYERS, W_PRESENT, W_BASEMAP = (
    "w_lang", "w_ind", "w_cls", "w_k", "w_scale", "w_focus", "w_layers", "w_present", "w_basemap")


def w_period(city: str) -> str:
    """Widget key of a city's period picker."""
    return f"w_period_{city}"


def w_level(city: str) -> str:
    """Widget key of a city's level picker."""
    return f"w_level_{city}"


def widget_values(state: ViewState) -> dict[str, Any]:
    """The value every widget shows for ``state``."""
    vals: dict[str, Any] = {W_LANG: state.lang, W_IND: state.indicator, W_CLS: state.method, W_K: state.k,
                            W_SCALE: state.scale, W_FOCUS: state.focus, W_LAYERS: list(state.layers),
                            W_PRESENT: state.present, W_BASEMAP: bool(state.basemap)}
    for city in CITIES:
        vals[w_period(city)] = state.period(city)
        vals[w_level(city)] = state.level(city)
    return vals


def push_to_widgets(state: ViewState, *, overwrite: bool) -> None:
    """Seed (or overwrite) the widgets' session values from ``state`` before they are drawn."""
    for key, value in widget_values(state).items():
        if overwrite or key not in st.session_state:
            st.session_state[key] = value


def state_from_widgets(state: ViewState, choices: Choices) -> ViewState:
    """Read the widgets that exist in this run back into a (consistent) state."""
    ss = st.session_state
    s = replace(
        state,
        lang=ss.get(W_LANG) or state.lang,
        indicator=ss.get(W_IND) or state.indicator,
        method=ss.get(W_CLS) or state.method,
        k=int(ss.get(W_K) or state.k),
        scale=ss.get(W_SCALE) or state.scale,
        focus=ss.get(W_FOCUS, state.focus) or "",
        layers=tuple(ss.get(W_LAYERS, list(state.layers)) or ()),
        present=bool(ss.get(W_PRESENT, state.present)),
        basemap="osm" if ss.get(W_BASEMAP, bool(state.basemap)) else "",
    )
    for city in CITIES:
        if ss.get(w_period(city)):
            s = s.with_period(city, ss[w_period(city)])
        if ss.get(w_level(city)):
            s = s.with_level(city, ss[w_level(city)])
    return revalidate(s, choices)


def current_state(choices: Choices, stories: list[dict[str, Any]]) -> tuple[ViewState, list[Notice]]:
    """The view for this run, and notices for URL values that fell back to defaults."""
    params = st.query_params.to_dict()
    written = st.session_state.get(WRITTEN_KEY)
    if written is not None and params == written and VIEW_KEY in st.session_state:
        state = st.session_state[VIEW_KEY]
        push_to_widgets(state, overwrite=False)
        return state, []
    if params.get(Q_PRESENT) in ("1", "true") and Q_IND not in params and stories:
        params = merge_story(params, story_query(stories, params.get(Q_STEP, "0")))
    state, notices = parse_query(params, choices)
    set_view(state)
    return state, notices


def set_view(state: ViewState) -> None:
    """Make ``state`` the canonical view and show it in the widgets (also from callbacks)."""
    st.session_state[VIEW_KEY] = state
    push_to_widgets(state, overwrite=True)


def go_to_story(stories: list[dict[str, Any]], choices: Choices, step: int, lang: str) -> None:
    """Callback: load story ``step`` in presentation mode, keeping the language."""
    params = {**story_query(stories, step), Q_PRESENT: "1", Q_STEP: str(step), Q_LANG: lang}
    state, _ = parse_query(params, choices)
    set_view(state)


def commit(state: ViewState) -> None:
    """Store ``state`` and write it to the URL (only when it changed, to avoid needless reruns)."""
    st.session_state[VIEW_KEY] = state
    q = to_query(state)
    if st.query_params.to_dict() != q:
        st.query_params.from_dict(q)
    st.session_state[WRITTEN_KEY] = q
