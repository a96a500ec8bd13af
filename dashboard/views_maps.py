"""The two maps side by side (Munich left, Berlin right) with titles, level pickers, legends and notes.

Draws the :class:`~dashboard.page.PageContext` of this run; the only thing it decides
is which area a new click selects.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from dashboard import views_compare, views_projects
from dashboard.clicks import clicked_area
from dashboard.i18n import catalog_text, t
from dashboard.legend import legend_for_values
from dashboard.maps import MapOverlays, MapStyle, build_map
from dashboard.page import CityPage, PageContext
from dashboard.period_labels import entry_period_label
from dashboard.project_markers import project_legend_html
from dashboard.state import ViewState
from dashboard.views_state import set_view, w_level
from pipelines.config import CITIES, COVERAGE_LEVELS

MAP_KEYS: dict[str, str] = {"munich": "map_munich", "berlin": "map_berlin"}
CLICK_SEEN = "_click_seen_{city}"


# folium tile names of the optional online basemaps (folium adds their attribution).
BASEMAP_TILES: dict[str, str] = {"osm": "OpenStreetMap"}


def map_height(state: ViewState) -> int:
    """Taller maps on a projector (no sidebar, the maps get the whole width)."""
    return 600 if state.present else 560


def render(page: PageContext) -> ViewState:
    """Draw both maps; returns the state with a newly clicked area selected."""
    state, entry = page.state, page.entry
    if not state.present:  # on a projector the maps come first; the note follows them
        gap = page.period_gap  # both reference dates and the gap, when the cities' periods differ
        _comparability_note(entry, state.lang, gap.note if gap else "")
        views_compare.render_align_button(page)
    for col, city in zip(st.columns(2, gap="medium"), CITIES, strict=True):
        with col:
            _header(state, page.cities[city], entry)
    for col, city in zip(st.columns(2, gap="medium"), CITIES, strict=True):
        with col:
            clicked = _city_map(page, page.cities[city])
            if clicked:
                state = replace(state, area_city=clicked[0], area_id=clicked[1])
    if state.present:
        _comparability_note(entry, state.lang)
    return state


def _comparability_note(entry: dict[str, Any], lang: str, periods: str = "") -> None:
    """The registry's comparability note, plus the two cities' dates and their gap when they differ."""
    if not entry:
        return
    if entry.get("group") == "comparable":
        note = catalog_text(entry, "comparability_note", lang)
        if note or periods:
            box = st.warning if periods or note.upper().startswith(
                ("NICHT", "NOT", "NUR", "ONLY", "EINGESCHR", "LIMITED")) else st.info
            box(f"**{t('comparability', lang)}:** {note}" + (f"\n\n**{t('period', lang)}:** {periods}" if periods
                                                             else ""))
    else:
        st.info(t("only_one_city", lang, city=t(f"city_{entry.get('group')}", lang)))


def _header(state: ViewState, city: CityPage, entry: dict[str, Any]) -> None:
    """City name, its level picker and what the map shows (in presentation mode without the picker)."""
    lang, level, period = state.lang, city.level, city.period
    shows = f"{catalog_text(entry, 'label', lang)} · {entry_period_label(entry, city.city, period, lang)}" \
        if entry and period else ""
    if state.present:
        st.markdown(f"**{t(f'city_{city.city}', lang)} · {t(f'level_{level}', lang)}** — {shows}")
        return
    name, picker = st.columns([2, 3], vertical_alignment="center")
    name.markdown(f"#### {t(f'city_{city.city}', lang)}")
    with picker:  # a selectbox never overflows a narrow column (4 Berlin levels)
        st.selectbox(t("level", lang), COVERAGE_LEVELS[city.city], key=w_level(city.city),
                     format_func=lambda lv: t(f"level_short_{lv}", lang), label_visibility="collapsed")
    if shows:
        st.caption(shows)


def _city_map(page: PageContext, city: CityPage) -> tuple[str, str] | None:
    state, entry = page.state, page.entry
    lang = state.lang
    if not entry or not city.period:
        st.info(t("not_available_city", lang))
        return None
    if city.frame is None or city.classification is None:
        _no_data_at_level(state, city, entry)
        return None
    projects = views_projects.map_layer(city, lang)
    label, unit = catalog_text(entry, "label", lang), catalog_text(entry, "unit", lang)
    style = MapStyle(classification=city.classification, colors=city.colors, label=label, unit=unit,
                     scale=state.scale, city_value=city.city_value, city_label=t(f"city_total_{city.city}", lang),
                     lang=lang, tiles=BASEMAP_TILES.get(state.basemap), height=map_height(state),
                     fill_frame=state.present)
    overlays = MapOverlays(outlines=city.outlines, focus_area_ids=city.focus_ids,
                           selected_area_id=state.area_id if state.area_city == city.city else None,
                           locations=city.locations, projects=projects)
    out = st_folium(build_map(city.frame, style, overlays), key=MAP_KEYS[city.city], height=map_height(state),
                    use_container_width=True, returned_objects=["last_active_drawing", "last_object_clicked"])
    # The legend sits under the map, not on it: on a projector no area may hide behind it.
    st.html(legend_for_values(city.frame["value"], city.classification, city.colors, city_value=city.city_value,
                              mode=state.scale, title=label, unit=unit, lang=lang, polarity=page.polarity))
    if projects is not None:
        st.html(project_legend_html(projects, lang))
    if city.city == "munich":
        st.caption(t("hr_notice", lang))
    return _new_click(city.city, out)


def _new_click(city: str, out: Any) -> tuple[str, str] | None:
    """An area id from a click that was not seen before (st_folium repeats its last value every run)."""
    click = clicked_area(out)
    if click is None:
        return None
    area_id, marker = click
    key = CLICK_SEEN.format(city=city)
    if st.session_state.get(key) == marker:
        return None
    st.session_state[key] = marker
    return city, area_id


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
