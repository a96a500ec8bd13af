"""The two maps side by side (Munich left, Berlin right) with titles, level pickers, legends and notes.

Draws the :class:`~dashboard.page.PageContext` of this run; the only thing it decides
is which area a new click selects.
"""

from __future__ import annotations

from dataclasses import replace
from time import sleep
from typing import Any

import streamlit as st

from dashboard import geometry_store, loaders, views_compare, views_first_paint, views_projects
from dashboard.city_map import city_map_parts
from dashboard.clicks import component_click
from dashboard.i18n import t
from dashboard.map_payload import geometry_ref, locations_payload, map_payload
from dashboard.map_texts import comparability_note, map_caption, map_message
from dashboard.maps import MapOverlays, MapStyle
from dashboard.page import CityPage, PageContext
from dashboard.page_style import NOTE_KEY, PICKER_PENDING
from dashboard.period_labels import entry_period_label
from dashboard.state import ViewState, to_query
from dashboard.views_map_component import raumatlas_map
from dashboard.views_state import set_view, w_level
from pipelines.config import CITIES, COVERAGE_LEVELS

MAP_KEYS: dict[str, str] = {"munich": "map_munich", "berlin": "map_berlin"}
CLICK_SEEN = "_click_seen_{city}"


# folium tile names of the optional online basemaps (folium adds their attribution).
BASEMAP_TILES: dict[str, str] = {"osm": "OpenStreetMap"}


def map_height(state: ViewState) -> int:
    """Taller maps on a projector (no sidebar, the maps get the whole width)."""
    return 600 if state.present else 560


def render(page: PageContext, first_paint: bool = False) -> tuple[ViewState, dict[str, str]]:
    """Draw both maps; returns the state with a newly clicked area selected, and the clicks to mark as seen.

    ``first_paint``: a session's first run (:mod:`dashboard.views_first_paint`) holds each level picker's
    place with an empty box of its size; the pickers come with the rest of the page.

    The caller marks them (:func:`mark_clicks_seen`) only after it has stored that state: a run stopped in
    between (Streamlit stops a run at its next call when the browser asks for a new one) then sees the
    click again and selects the area again, instead of taking it as seen and losing it.
    """
    seen: dict[str, str] = {}
    state, entry = page.state, page.entry
    if not state.present:  # on a projector the maps come first; the note follows them
        # One container whatever it holds: a note or button that comes and goes with the indicator must not
        # shift the maps in the element tree, or the browser reloads the map frames (and loses zoom and pan).
        with st.container(key=NOTE_KEY):
            gap = page.period_gap  # both reference dates and the gap, when the cities' periods differ
            _comparability_note(entry, state.lang, gap.note if gap else "")
            views_compare.render_align_button(page)
    for col, city in zip(st.columns(2, gap="medium"), CITIES, strict=True):
        with col:
            _header(state, page.cities[city], entry, first_paint)
    for col, city in zip(st.columns(2, gap="medium"), CITIES, strict=True):
        with col:
            clicked = _city_map(page, page.cities[city])
            if clicked:
                area_id, seen[city] = clicked
                state = replace(state, area_city=city, area_id=area_id)
    if state.present:
        _comparability_note(entry, state.lang)
    return state, seen


MAPS_FIRST_S = 0.08
"""Pause after a changed view's maps, before the rest of the page is drawn (:func:`let_maps_paint`; 0 in AppTest)."""
_PAINTED_FOR = "_maps_painted_for"


def let_maps_paint(state: ViewState) -> None:
    """After the maps of a changed view, pause :data:`MAPS_FIRST_S` so the browser recolours them first.

    Streamlit's page renders the deltas that arrive close together in one go, and the map frames
    (same origin, so the page's main thread) apply their new values only after that render. On an
    indicator change the sidebar, comparison and ranking grids arrived 5-40 ms after the maps, and the
    frames recoloured 0.1-0.2 s after their values had arrived (measured in the browser, issue 11); with
    the rest of the page held back 0.08-0.1 s, 5-30 ms after. So the rest waits this long, and only in a
    run that changed the view (not a first paint, a rerun that left the maps as they were, or a
    projector's story, which has nothing heavy below the maps).
    """
    last = st.session_state.get(_PAINTED_FOR)
    st.session_state[_PAINTED_FOR] = state
    if last is not None and last != state and not state.present and MAPS_FIRST_S > 0:
        sleep(MAPS_FIRST_S)


def _comparability_note(entry: dict[str, Any], lang: str, periods: str = "") -> None:
    """The registry's comparability note, plus the two cities' dates and their gap when they differ."""
    note = comparability_note(entry, lang, periods)
    if note is not None:
        box = st.warning if note.kind == "warning" else st.info
        box(f"**{note.lead}:** {note.text}" if note.lead else note.text)


def _header(state: ViewState, city: CityPage, entry: dict[str, Any], first_paint: bool) -> None:
    """City name, its level picker and what the map shows (in presentation mode without the picker).

    In a first paint an empty box of the picker's height (``PICKER_PENDING`` in ``dashboard.page_style``)
    holds its place: the browser would otherwise load the selectbox's code (~20 files) before the map's.
    """
    lang, level = state.lang, city.level
    shows = map_caption(entry, city, lang)
    if state.present:
        st.markdown(f"**{t(f'city_{city.city}', lang)} · {t(f'level_{level}', lang)}** — {shows}")
        return
    name, picker = st.columns([2, 3], vertical_alignment="center")
    name.markdown(f"#### {t(f'city_{city.city}', lang)}")
    with picker:  # a selectbox never overflows a narrow column (4 Berlin levels)
        if first_paint:
            st.html(f'<div class="{PICKER_PENDING}" aria-hidden="true"></div>')
        else:
            st.selectbox(t("level", lang), COVERAGE_LEVELS[city.city], key=w_level(city.city),
                         format_func=lambda lv: t(f"level_short_{lv}", lang), label_visibility="collapsed")
    if shows:
        st.caption(shows)


def _city_map(page: PageContext, city: CityPage) -> tuple[str, str] | None:
    """Draw one map; returns (area id, click marker) of a click not seen before."""
    state, lang = page.state, page.state.lang
    parts = city_map_parts(page, city, display=views_projects.project_display_for(page.version),
                           tiles=BASEMAP_TILES.get(state.basemap), height=map_height(state),
                           fill_frame=True)  # the frame height follows the screen (dashboard.page_style)
    if parts is None:
        if not page.entry or not city.period:
            st.info(map_message(page, city))
        else:
            _no_data_at_level(state, city, page.entry)
        return None
    # "drawn": the session's token the frames send back once the page's maps are drawn (views_first_paint)
    args = {**_map_args(page, city, parts.style, parts.overlays), "drawn": views_first_paint.drawn_token()}
    out = raumatlas_map(args, key=MAP_KEYS[city.city])
    # The legend sits under the map, not on it: on a projector no area may hide behind it.
    st.html(parts.legend_html)
    if parts.project_legend_html:
        st.html(parts.project_legend_html)
    if city.city == "munich":
        st.caption(t("hr_notice", lang))
    return _new_click(city.city, out)


def _map_args(page: PageContext, city: CityPage, style: MapStyle, overlays: MapOverlays) -> dict[str, Any]:
    """The component's arguments: geometry by URL (once per city, level and build), values for this run.

    Cached per view (the state's fields that change the map, projects aside) so that a second
    session opening the same view only looks the arguments up.
    """
    # Everything that can change this map: the whole view (both cities' levels and periods decide a
    # common scale), this map's selection and period, and the texts.
    query = to_query(replace(page.state, area_city="", area_id="", step=0))
    view_key = (city.city, city.level, city.period, tuple(sorted(query.items())),
                overlays.selected_area_id or "", style.label, style.unit, style.height)

    def make() -> dict[str, Any]:
        return _payload(page, city, style, overlays)

    if overlays.projects is not None:  # a session's own uploads: never shared
        return make()
    return loaders.map_args(page.version, view_key, make)


def _payload(page: PageContext, city: CityPage, style: MapStyle, overlays: MapOverlays) -> dict[str, Any]:
    version, lang = page.version, style.lang
    assert city.frame is not None
    url, data = geometry_store.layer_geometry(version, city.city, city.level, city.frame)
    outline_ref = outline_ids = None
    if city.outlines is not None and len(city.outlines):
        o_url, o_data = geometry_store.layer_geometry(version, city.city, "handlungsraum", city.outlines,
                                                      with_outline=False)
        outline_ref, outline_ids = geometry_ref(o_url, o_data), o_data["ids"]
    locations = None
    if city.locations is not None and len(city.locations):
        layers = tuple(sorted(city.locations["layer"].astype(str).unique()))
        loc_url, rows = geometry_store.memoized(
            ("locations", version, city.city, layers, lang),
            lambda: _publish_locations(city, lang, layers, version))
        locations = {"url": loc_url} if loc_url else {"rows": rows}
    focus = ",".join(sorted(city.focus_ids)) if city.focus_ids else ""
    title = t("map_frame_title", lang, city=t(f"city_{city.city}", lang), level=t(f"level_{city.level}", lang),
              label=style.label)
    return map_payload(city.frame, style, overlays, geometry=geometry_ref(url, data), ids=data["ids"],
                       view=f"{city.city}|{city.level}|{focus}", title=title, outline_geometry=outline_ref,
                       outline_ids=outline_ids, locations=locations)


def _publish_locations(city: CityPage, lang: str, layers: tuple[str, ...], version: str) -> tuple[str | None, Any]:
    """The facility points as a static file in the build version's folder (pruned with it)."""
    rows = locations_payload(city.locations, lang) or []
    name = f"locations_{city.city}_{'-'.join(layers)}_{lang}"
    return geometry_store.publish_json(name, rows, version=version), rows


def _new_click(city: str, out: Any) -> tuple[str, str] | None:
    """(area id, marker) of a click that was not seen before (the component repeats its last value every run)."""
    click = component_click(out)
    if click is None or st.session_state.get(CLICK_SEEN.format(city=city)) == click[1]:
        return None
    return click


def mark_clicks_seen(seen: dict[str, str]) -> None:
    """Remember each city's handled click (its marker), once the selection it made is stored."""
    for city, marker in seen.items():
        st.session_state[CLICK_SEEN.format(city=city)] = marker


def _no_data_at_level(state: ViewState, city: CityPage, entry: dict[str, Any]) -> None:
    """Say clearly that this level has no values and offer the levels (or the period) that have them."""
    lang, name = state.lang, city.city
    st.warning(t("no_data_level", lang, level=t(f"level_{city.level}", lang)))
    for lv in city.offered_levels:
        st.button(t("switch_level", lang, level=t(f"level_{lv}", lang)), key=f"switch_{name}_{lv}",
                  on_click=set_view, args=(state.with_level(name, lv),))
    if city.fallback_period:  # e.g. Munich residents per Bezirksteil exist only for 2022
        when = entry_period_label(entry, name, city.fallback_period, lang)
        st.button(t("switch_period", lang, period=when),
                  key=f"switch_{name}_period", on_click=set_view, args=(state.with_period(name, city.fallback_period),))
