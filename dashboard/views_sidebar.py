"""The sidebar: language, indicator, periods, classification, scale, district focus, layers, presentation."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import loaders
from dashboard.classify import MAX_K, METHODS, MIN_K, SCALES
from dashboard.i18n import LANGS, catalog_text, t
from dashboard.period_labels import entry_period_label
from dashboard.state import Choices, ViewState
from dashboard.views_state import (
    W_BASEMAP,
    W_CLS,
    W_FOCUS,
    W_IND,
    W_K,
    W_LANG,
    W_LAYERS,
    W_PRESENT,
    W_SCALE,
    state_from_widgets,
    w_period,
)
from pipelines.config import CITIES

GROUP_KEYS = {"comparable": "group_comparable", "munich": "group_munich", "berlin": "group_berlin"}


def indicator_option_label(entry: dict[str, Any] | None, lang: str) -> str:
    """Picker label: "⇄" marks comparable indicators (listed first); the others name their city."""
    if not entry:
        return "?"
    label = catalog_text(entry, "label", lang)
    if entry.get("group") == "comparable":
        return f"⇄ {label}"
    return f"{t(GROUP_KEYS.get(entry.get('group', ''), 'group_other'), lang)}: {label}"


def read(state: ViewState, choices: Choices) -> ViewState:
    """The state the sidebar's widgets describe, before they are drawn (their values are in the session).

    The page draws the sidebar after the maps: in a first visit the browser then loads the map
    component's code before the code of the sidebar's widgets (slider, radio, toggles), which
    otherwise queues ahead of it on the few connections the browser opens to the server.
    """
    indicator = st.session_state.get(W_IND) or state.indicator
    for city in CITIES:
        _fix_period(choices, indicator, city)
    return state_from_widgets(state, choices)


def render(state: ViewState, choices: Choices, version: str) -> None:
    """Draw the sidebar (after :func:`read`, which gave the state these widgets describe)."""
    catalog = loaders.catalog_by_id(version)
    lang = st.session_state.get(W_LANG) or state.lang
    with st.sidebar:
        st.segmented_control(t("language", lang), LANGS, key=W_LANG, format_func=lambda x: x.upper(),
                             required=True)
        lang = st.session_state.get(W_LANG) or lang
        st.selectbox(t("indicator", lang), choices.indicators, key=W_IND,
                     format_func=lambda i: indicator_option_label(catalog.get(i), lang),
                     help=t("indicator_help", lang))
        indicator = st.session_state.get(W_IND) or state.indicator
        for city in CITIES:
            _period_picker(choices, catalog.get(indicator), indicator, city, lang)
        st.divider()
        st.selectbox(t("classification", lang), METHODS, key=W_CLS, format_func=lambda m: t(f"method_{m}", lang))
        st.slider(t("classes", lang), MIN_K, MAX_K, key=W_K)
        st.radio(t("scale", lang), SCALES, key=W_SCALE, format_func=lambda s: t(f"scale_{s}", lang))
        districts = ("", *choices.districts)
        names = _district_names(version)
        st.selectbox(t("focus", lang), districts, key=W_FOCUS,
                     format_func=lambda d: names.get(d, d) if d else t("focus_all", lang), help=t("focus_help", lang))
        layers = loaders.available_layers(version)
        if layers:
            st.multiselect(t("layers", lang), layers, key=W_LAYERS, format_func=lambda x: t(f"layer_{x}", lang),
                           placeholder=t("layers_placeholder", lang))
        st.toggle(t("basemap_toggle", lang), key=W_BASEMAP, help=t("basemap_help", lang))
        st.divider()
        st.toggle(t("present_toggle", lang), key=W_PRESENT, help=t("present_help", lang))


def _period_picker(choices: Choices, entry: dict[str, Any] | None, indicator: str, city: str, lang: str) -> None:
    periods = tuple(reversed(choices.periods.get((indicator, city), ())))
    key = w_period(city)
    label = t("period_city", lang, city=t(f"city_{city}", lang))
    if not periods:
        st.caption(f"{label}: {t('not_available_city', lang)}")
        return
    # "Jahresmittel 2024", not "01.07.2024"
    st.selectbox(label, periods, key=key, format_func=lambda p: entry_period_label(entry, city, p, lang))


def render_pending() -> None:
    """The sidebar of a first paint: empty, but there, so the maps do not move when the controls arrive.

    The widgets' code and styles cost the browser ~0.3 s before the maps are drawn (measured,
    ``benchmarks/bench_app.py``); their values are in the session already (:func:`read`).
    """
    with st.sidebar:
        st.html('<div class="ra-sidebar-pending" aria-hidden="true"></div>')


def _fix_period(choices: Choices, indicator: str, city: str) -> None:
    """A new indicator that lacks the picker's period: its latest."""
    periods = tuple(reversed(choices.periods.get((indicator, city), ())))
    key = w_period(city)
    if periods and st.session_state.get(key) not in periods:
        st.session_state[key] = periods[0]


def _district_names(version: str) -> dict[str, str]:
    areas = loaders.load_areas(version)
    sel = areas[(areas["city"] == "berlin") & (areas["level"] == "bezirk")]
    return dict(zip(sel["area_id"], sel["name"], strict=True))
