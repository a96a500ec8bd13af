"""One story of the deck: the app's own view of it, taken apart into shareable data.

A story's query is read with the app's :func:`dashboard.state.parse_query`; each
city's map is made by the app's :func:`dashboard.maps.build_map` with the
classification, colours and legend the app computes (the steps of
``views_maps``: join the web layer with :func:`dashboard.ranking.ranking_table`,
classify own/common/relative, :func:`dashboard.classify.colors_for`,
:func:`dashboard.legend.legend_for_values`). The deck then keeps the map's
feature styles, tooltips, outlines and markers, and takes its geometry apart
so that a level can be sent once for all stories (:class:`CityView`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import parse_qsl

import geopandas as gpd
import pandas as pd
from folium.plugins import FastMarkerCluster

from dashboard.classify import Classification, classify, classify_common, colors_for, relative_to_city
from dashboard.deck_data import BuildData
from dashboard.i18n import catalog_text, format_period, t
from dashboard.legend import legend_for_values
from dashboard.map_elements import FitOnResize, GeoJsonLayer
from dashboard.maps import build_map
from dashboard.project_markers import ProjectMarkers, project_legend_html
from dashboard.projects_view import filter_projects, load_project_display, map_projects
from dashboard.ranking import ranking_table
from dashboard.state import CITIES, Q_LANG, Choices, ViewState, parse_query
from pipelines.errors import InputError

SCALE_TO_MODE = {"own": "city", "common": "common", "relative": "relative"}
"""The app's scale names (URL) -> classification modes (as ``views_maps.SCALE_TO_MODE``)."""

Geometry = dict[str, Any]


@dataclass
class CityView:
    """One city's map of one story, without the area geometry (that is shared per level).

    Attributes:
        city, level: what is drawn.
        header_html: "München · Stadtbezirke — label · date" (escaped).
        message: a note instead of the map (indicator missing in this city / no values at this level).
        area_ids: drawn areas in drawing order; ``styles[style_index[i]]`` and ``tooltips[i]`` belong to
            ``area_ids[i]``.
        styles: Leaflet path styles (fillColor = the legend class colour or the no-data grey).
        tooltip_suffix: the city value line the app appends to every tooltip.
        legend_html: the app's legend row (escaped HTML).
        classification, colors: the app's classes and class colours of this map.
        fills: area_id -> fill colour (what the map paints; for tests and checks).
        bounds: ``[[south, west], [north, east]]`` the map is fitted to (the district focus if any).
        geometry: area_id -> GeoJSON geometry (rounded as in the app), merged into the shared level table.
        outlines: Handlungsraum outline features (label, popup, geometry; Munich only).
        city_outline: the city's boundary line (GeoJSON geometry).
        locations: marker rows ``[lat, lon, popup_html, colour]`` and their layers (shared per city+layers).
        selected: the area whose profile the view names (``area=``), drawn with the app's thick outline.
        projects, project_legend_html: project marker rows ``[lat, lon, tooltip_html, colour]`` and their legend.
    """

    city: str
    level: str
    header_html: str
    message: str = ""
    selected: str = ""
    area_ids: list[str] = field(default_factory=list)
    style_index: list[int] = field(default_factory=list)
    tooltips: list[str] = field(default_factory=list)
    styles: list[dict[str, Any]] = field(default_factory=list)
    tooltip_suffix: str = ""
    legend_html: str = ""
    classification: Classification | None = None
    colors: list[str] = field(default_factory=list)
    fills: dict[str, str] = field(default_factory=dict)
    bounds: list[list[float]] = field(default_factory=list)
    geometry: dict[str, Geometry] = field(default_factory=dict)
    outlines: list[dict[str, Any]] = field(default_factory=list)
    city_outline: Geometry | None = None
    locations: list[list[Any]] = field(default_factory=list)
    location_layers: tuple[str, ...] = ()
    projects: list[list[Any]] = field(default_factory=list)
    project_legend_html: str = ""


def story_state(story: dict[str, Any], number: int, choices: Choices, lang: str, source: str) -> ViewState:
    """The view of story ``number`` (1-based) in ``lang``; any value the app would replace is an error.

    The app shows a notice and falls back to a default; a deck is prepared ahead of a talk,
    so an unknown indicator, level, period, district or area stops the build instead.
    """
    params: dict[str, object] = dict(parse_qsl(str(story.get("query", "")), keep_blank_values=False))
    params[Q_LANG] = lang
    state, notices = parse_query(params, choices)
    if notices:
        bad = "; ".join(f"unknown {n.key.removeprefix('notice_bad_')} '{n.value}'" for n in notices)
        raise InputError(source, bad, where=f"story {number} ({story.get('title_de', '')})",
                         fix="use values the app offers (indicator ids: catalog.json / geodata/indicators.toml)")
    return state


def story_views(build: BuildData, state: ViewState) -> dict[str, CityView]:
    """Both cities' maps of one view, classified together when the scale is common."""
    entry = build.catalog.get(state.indicator, {})
    frames = {city: _frame(build, state, city) for city in CITIES}
    city_values = {city: _city_value(build, state, city) for city in CITIES}
    classes = _classifications(state, frames, city_values)
    return {city: _city_view(build, state, city, entry, frames[city], classes.get(city), city_values[city])
            for city in CITIES}


def comparability_note(entry: dict[str, Any], lang: str) -> tuple[str, str]:
    """(kind, text) of the note under the maps: ``warning``/``info`` as the app decides, "" for none."""
    if not entry:
        return "", ""
    if entry.get("group") == "comparable":
        note = catalog_text(entry, "comparability_note", lang)
        if not note:
            return "", ""
        warn = note.upper().startswith(("NICHT", "NOT", "NUR", "ONLY", "EINGESCHR", "LIMITED"))
        return ("warning" if warn else "info"), f"{t('comparability', lang)}: {note}"
    return "info", t("only_one_city", lang, city=t(f"city_{entry.get('group')}", lang))


def _frame(build: BuildData, state: ViewState, city: str) -> gpd.GeoDataFrame | None:
    """The web layer joined with values, ranks and flags (as ``views_maps._frame``)."""
    level, period = state.level(city), state.period(city)
    if not period:
        return None
    ind = build.indicators
    rows = ind[(ind["city"] == city) & (ind["level"] == level) & (ind["indicator_id"] == state.indicator)
               & (ind["period"] == period)]
    layer = build.web_layer(city, level)
    if rows.empty or layer is None:
        return None
    ranks = ranking_table(rows, build.areas, city, level, state.indicator, period)
    joined = layer[["area_id", "name", "geometry"]].merge(
        ranks[["area_id", "value", "flag", "coverage", "rank"]], on="area_id", how="left")
    joined["flag"] = joined["flag"].fillna("no_data")
    joined["rank"] = pd.to_numeric(joined["rank"], errors="coerce")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=layer.crs)


def _city_value(build: BuildData, state: ViewState, city: str) -> float | None:
    ind = build.indicators
    rows = ind[(ind["city"] == city) & (ind["level"] == "stadt") & (ind["indicator_id"] == state.indicator)
               & (ind["period"] == state.period(city))]
    return float(rows["value"].iloc[0]) if len(rows) and pd.notna(rows["value"].iloc[0]) else None


def _classifications(state: ViewState, frames: dict[str, gpd.GeoDataFrame | None],
                     city_values: dict[str, float | None]) -> dict[str, Classification]:
    """Own, common or relative breaks (as ``views_maps._classifications``)."""
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


def _city_view(build: BuildData, state: ViewState, city: str, entry: dict[str, Any],
               frame: gpd.GeoDataFrame | None, classification: Classification | None,
               city_value: float | None) -> CityView:
    lang, level, period = state.lang, state.level(city), state.period(city)
    shows = f"{catalog_text(entry, 'label', lang)} · {format_period(period, lang)}" if entry and period else ""
    header = (f"<b>{escape(t(f'city_{city}', lang))} · {escape(t(f'level_{level}', lang))}</b>"
              + (f" — {escape(shows)}" if shows else ""))
    view = CityView(city=city, level=level, header_html=header)
    if not entry or not period:
        view.message = t("not_available_city", lang)
        return view
    if frame is None or classification is None:
        view.message = t("no_data_level", lang, level=t(f"level_{level}", lang))
        return view
    view.selected = state.area_id if state.area_city == city else ""
    mode, polarity = SCALE_TO_MODE[state.scale], entry.get("polarity", "neutral")
    label, unit = catalog_text(entry, "label", lang), catalog_text(entry, "unit", lang)
    colors = colors_for(classification, polarity, mode)
    projects = _projects(build, city, lang)
    m = build_map(frame, classification=classification, colors=colors, label=label, unit=unit, polarity=polarity,
                  mode=mode, city_value=city_value, city_label=t(f"city_total_{city}", lang), lang=lang,
                  outlines=build.web_layer(city, "handlungsraum") if city == "munich" else None,
                  focus_area_ids=_focus_ids(build, state, city), selected_area_id=view.selected or None,
                  locations=_locations(build, state, city),
                  projects=projects, show_legend=False)
    view.classification, view.colors = classification, list(colors)
    view.legend_html = legend_for_values(frame["value"], classification, colors, city_value=city_value, mode=mode,
                                         title=label, unit=unit, lang=lang, polarity=polarity, layout="row")
    if projects is not None:
        view.project_legend_html = project_legend_html(projects, lang, layout="row")
    view.location_layers = state.layers
    _take_map_apart(m, view)
    return view


def _take_map_apart(m: Any, view: CityView) -> None:
    """Copy styles, tooltips, outlines, markers and bounds out of the app's folium map into ``view``."""
    for child in m._children.values():
        if isinstance(child, GeoJsonLayer) and child.features:
            kind = child.features[0]["properties"].get("layer")
            if kind == "areas":
                view.styles, view.tooltip_suffix = list(child.styles), child.suffix
                for f in child.features:
                    p = f["properties"]
                    view.area_ids.append(p["area_id"])
                    view.style_index.append(int(p["s"]))
                    view.tooltips.append(p["tt"])
                    view.fills[p["area_id"]] = child.styles[p["s"]]["fillColor"]
                    view.geometry[p["area_id"]] = f["geometry"]
            elif kind == "outlines":
                view.outlines = [{"label": f["properties"]["label"], "popup": f["properties"]["popup"],
                                  "dashed": bool(f["properties"]["s"]), "geometry": f["geometry"]}
                                 for f in child.features]
            else:
                view.city_outline = child.features[0]["geometry"]
        elif isinstance(child, FastMarkerCluster):
            view.locations = [list(r) for r in child.data]
        elif isinstance(child, ProjectMarkers):
            view.projects = [list(r) for r in child.rows]
        elif isinstance(child, FitOnResize):
            view.bounds = child.bounds


def _focus_ids(build: BuildData, state: ViewState, city: str) -> list[str] | None:
    if city != "berlin" or not state.focus:
        return None
    a = build.areas
    ids = a.loc[(a["city"] == "berlin") & (a["level"] == state.level(city)), "area_id"].astype(str)
    return [x for x in ids if x[:2] == state.focus]


def _locations(build: BuildData, state: ViewState, city: str) -> gpd.GeoDataFrame | None:
    loc = build.locations
    if not state.layers or loc is None:
        return None
    sel = loc[(loc["city"] == city) & (loc["layer"].isin(state.layers))]
    return sel if len(sel) else None


def _projects(build: BuildData, city: str, lang: str) -> gpd.GeoDataFrame | None:
    """The build's projects of ``city`` as the app draws them (no upload: the deck is made from the build)."""
    if build.projects is None:
        return None
    sel = filter_projects(build.projects, city=city)
    return map_projects(sel, load_project_display(), lang) if len(sel) else None
