"""The two maps side by side (Munich left, Berlin right) with titles, level pickers and notes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import shapely.geometry
import streamlit as st
from streamlit_folium import st_folium

from dashboard import loaders, views_compare, views_projects
from dashboard.classify import Classification, classify, classify_common, colors_for, relative_to_city
from dashboard.i18n import catalog_text, t
from dashboard.legend import legend_for_values
from dashboard.maps import build_map
from dashboard.period_labels import entry_period_label
from dashboard.project_markers import project_legend_html
from dashboard.ranking import ranking_table
from dashboard.state import CITIES, MAP_LEVELS, ViewState
from dashboard.views_state import set_view, w_level

MAP_KEYS: dict[str, str] = {"munich": "map_munich", "berlin": "map_berlin"}
SCALE_TO_MODE = {"own": "city", "common": "common", "relative": "relative"}
CLICK_SEEN = "_click_seen_{city}"


# folium tile names of the optional online basemaps (folium adds their attribution).
BASEMAP_TILES: dict[str, str] = {"osm": "OpenStreetMap"}


def map_height(state: ViewState) -> int:
    """Taller maps on a projector (no sidebar, the maps get the whole width)."""
    return 600 if state.present else 560


def render(state: ViewState, version: str) -> ViewState:
    """Draw both maps; returns the state with a newly clicked area selected."""
    lang = state.lang
    entry = loaders.catalog_by_id(version).get(state.indicator, {})
    if not state.present:  # on a projector the maps come first; the note follows them
        choices = loaders.load_choices(version)
        _comparability_note(entry, lang, views_compare.period_note_text(state, entry, choices))
        views_compare.render_align_button(state, entry, choices)
    frames = {city: _frame(state, version, city) for city in CITIES}
    city_values = {city: _city_value(state, version, city) for city in CITIES}
    classes = _classifications(state, frames, city_values)
    for col, city in zip(st.columns(2, gap="medium"), CITIES, strict=True):
        with col:
            _header(state, city, entry)
    for col, city in zip(st.columns(2, gap="medium"), CITIES, strict=True):
        with col:
            clicked = _city_map(state, version, city, entry, frames[city], classes.get(city), city_values[city])
            if clicked:
                state = replace(state, area_city=clicked[0], area_id=clicked[1])
    if state.present:
        _comparability_note(entry, lang)
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


def _frame(state: ViewState, version: str, city: str) -> gpd.GeoDataFrame | None:
    """The web layer of the city's level joined with values, ranks and flags (None if no data)."""
    level, period = state.level(city), state.period(city)
    if not period:
        return None
    rows = loaders.indicator_values(version, city, level, state.indicator, period)
    layer = loaders.load_web_layer(version, city, level)
    if rows.empty or layer is None:
        return None
    ranks = ranking_table(rows, loaders.load_areas(version), city, level, state.indicator, period)
    joined = layer[["area_id", "name", "geometry"]].merge(
        ranks[["area_id", "value", "flag", "coverage", "rank"]], on="area_id", how="left")
    joined["flag"] = joined["flag"].fillna("no_data")
    joined["rank"] = pd.to_numeric(joined["rank"], errors="coerce")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=layer.crs)


def _city_value(state: ViewState, version: str, city: str) -> float | None:
    period = state.period(city)
    if not period:
        return None
    rows = loaders.indicator_values(version, city, "stadt", state.indicator, period)
    return float(rows["value"].iloc[0]) if len(rows) and pd.notna(rows["value"].iloc[0]) else None


def _classifications(state: ViewState, frames: dict[str, gpd.GeoDataFrame | None],
                     city_values: dict[str, float | None]) -> dict[str, Classification]:
    """Breaks per city: own, one common scale for both, or each relative to its city value."""
    mode = SCALE_TO_MODE[state.scale]
    present = {c: f for c, f in frames.items() if f is not None}
    if mode == "common" and len(present) == 2:
        common = classify_common([f["value"] for f in present.values()], state.method, state.k)
        return dict.fromkeys(present, common)
    out = {}
    for city, frame in present.items():
        values = frame["value"]
        if mode == "relative":
            values = relative_to_city(values, city_values[city])
        out[city] = classify(values, state.method, state.k)
    return out


def _header(state: ViewState, city: str, entry: dict[str, Any]) -> None:
    """City name, its level picker and what the map shows (in presentation mode without the picker)."""
    lang, level, period = state.lang, state.level(city), state.period(city)
    shows = f"{catalog_text(entry, 'label', lang)} · {entry_period_label(entry, city, period, lang)}" \
        if entry and period else ""
    if state.present:
        st.markdown(f"**{t(f'city_{city}', lang)} · {t(f'level_{level}', lang)}** — {shows}")
        return
    name, picker = st.columns([2, 3], vertical_alignment="center")
    name.markdown(f"#### {t(f'city_{city}', lang)}")
    with picker:  # a selectbox never overflows a narrow column (4 Berlin levels)
        st.selectbox(t("level", lang), MAP_LEVELS[city], key=w_level(city),
                     format_func=lambda lv: t(f"level_short_{lv}", lang), label_visibility="collapsed")
    if shows:
        st.caption(shows)


def _city_map(state: ViewState, version: str, city: str, entry: dict[str, Any],
              frame: gpd.GeoDataFrame | None, classification: Classification | None,
              city_value: float | None) -> tuple[str, str] | None:
    lang, period = state.lang, state.period(city)
    if not entry or not period:
        st.info(t("not_available_city", lang))
        return None
    if frame is None or classification is None:
        _no_data_at_level(state, version, city, entry)
        return None
    mode = SCALE_TO_MODE[state.scale]
    polarity = entry.get("polarity", "neutral")
    focus = _focus_ids(state, version, city)
    projects = views_projects.map_layer(state, version, city)
    colors = colors_for(classification, polarity, mode)
    m = build_map(
        frame, classification=classification, colors=colors,
        label=catalog_text(entry, "label", lang), unit=catalog_text(entry, "unit", lang), polarity=polarity,
        mode=mode, city_value=city_value, city_label=t(f"city_total_{city}", lang),
        lang=lang, outlines=_outlines(version, city), focus_area_ids=focus,
        selected_area_id=state.area_id if state.area_city == city else None,
        locations=_locations(state, version, city), projects=projects, height=map_height(state),
        fill_frame=state.present, show_legend=False, tiles=BASEMAP_TILES.get(state.basemap))
    out = st_folium(m, key=MAP_KEYS[city], height=map_height(state), use_container_width=True,
                    returned_objects=["last_active_drawing", "last_object_clicked"])
    # The legend sits under the map, not on it: on a projector no area may hide behind it.
    st.html(legend_for_values(frame["value"], classification, colors,
                              city_value=city_value, mode=mode, title=catalog_text(entry, "label", lang),
                              unit=catalog_text(entry, "unit", lang), lang=lang, polarity=polarity, layout="row"))
    if projects is not None:
        st.html(project_legend_html(projects, lang, layout="row"))
    if city == "munich":
        st.caption(t("hr_notice", lang))
    return _new_click(city, out)


def _new_click(city: str, out: Any) -> tuple[str, str] | None:
    """An area id from a click that was not seen before (st_folium repeats its last value every run)."""
    if not isinstance(out, dict):
        return None
    drawing = out.get("last_active_drawing") or {}
    props = drawing.get("properties") or {} if isinstance(drawing, dict) else {}
    area_id = props.get("area_id")
    if not area_id:
        return None
    clicked = out.get("last_object_clicked")
    if not clicked_inside(drawing, clicked):  # e.g. a project marker: st_folium repeats the last area
        return None
    marker = repr((area_id, clicked))
    key = CLICK_SEEN.format(city=city)
    if st.session_state.get(key) == marker:
        return None
    st.session_state[key] = marker
    return city, str(area_id)


def clicked_inside(drawing: dict[str, Any], clicked: Any) -> bool:
    """Whether the click position lies in the drawn feature (tolerance ~10 m for border clicks).

    st_folium reports ``last_active_drawing`` (the last clicked area) and
    ``last_object_clicked`` (the last click of anything). A click on a marker
    changes only the latter; without this check it would reopen the last area.
    """
    if not isinstance(clicked, dict) or "lat" not in clicked or "lng" not in clicked:
        return True  # no position to compare (older st_folium payloads): trust the drawing
    try:
        shape = shapely.geometry.shape(drawing["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
        return True
    point = shapely.Point(float(clicked["lng"]), float(clicked["lat"]))
    return bool(shape.buffer(1e-4).contains(point))


def _no_data_at_level(state: ViewState, version: str, city: str, entry: dict[str, Any]) -> None:
    """Say clearly that this level has no values and offer the levels that have them."""
    lang, level = state.lang, state.level(city)
    st.warning(t("no_data_level", lang, level=t(f"level_{level}", lang)))
    offered = [lv for lv in MAP_LEVELS[city] if lv != level and not loaders.indicator_values(
        version, city, lv, state.indicator, state.period(city)).empty]
    for lv in offered:
        st.button(t("switch_level", lang, level=t(f"level_{lv}", lang)), key=f"switch_{city}_{lv}",
                  on_click=set_view, args=(state.with_level(city, lv),))
    rows = loaders.indicator_rows(version, city, state.indicator)
    periods = sorted(rows.loc[(rows["level"] == level) & rows["value"].notna(), "period"].unique(), reverse=True)
    if periods:  # e.g. Munich residents per Bezirksteil exist only for 2022
        st.button(t("switch_period", lang, period=entry_period_label(entry, city, periods[0], lang)),
                  key=f"switch_{city}_period",
                  on_click=set_view, args=(state.with_period(city, periods[0]),))


def _focus_ids(state: ViewState, version: str, city: str) -> list[str] | None:
    """Berlin district focus: the areas of the current level inside the chosen Bezirk."""
    if city != "berlin" or not state.focus:
        return None
    level = state.level(city)
    areas = loaders.load_areas(version)
    ids = areas.loc[(areas["city"] == "berlin") & (areas["level"] == level), "area_id"].astype(str)
    return [a for a in ids if a[:2] == state.focus]


def _outlines(version: str, city: str) -> gpd.GeoDataFrame | None:
    return loaders.load_web_layer(version, city, "handlungsraum") if city == "munich" else None


def _locations(state: ViewState, version: str, city: str) -> gpd.GeoDataFrame | None:
    if not state.layers:
        return None
    loc = loaders.load_locations(version)
    if loc is None:
        return None
    sel = loc[(loc["city"] == city) & (loc["layer"].isin(state.layers))]
    if sel.crs is not None and sel.crs.to_epsg() != 4326:
        sel = sel.to_crs("EPSG:4326")
    return sel if len(sel) else None
