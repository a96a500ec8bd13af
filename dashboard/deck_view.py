"""One story of the deck: the app's own page of it, taken apart into shareable data.

A story's query is read with the app's :func:`dashboard.state.parse_query` (as a
presentation step, ``present=1&step=N``); its page is the app's
:func:`dashboard.page.build_page` on the build folder (frame, classification, colours,
focus, outlines, locations, projects), and each city's map, legend and project legend
come from :func:`dashboard.city_map.city_map`, the function ``views_maps`` draws. The
deck then keeps the map's feature styles, tooltips, outlines and markers, and takes its
geometry apart so that a level can be sent once for all stories (:class:`CityView`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import parse_qsl

from folium.plugins import FastMarkerCluster

from dashboard.city_map import city_map
from dashboard.classify import Classification
from dashboard.i18n import t
from dashboard.map_elements import FitOnResize, GeoJsonLayer
from dashboard.map_texts import map_caption, map_message
from dashboard.page import BuildData, PageContext, build_page
from dashboard.project_markers import ProjectMarkers
from dashboard.projects_view import ProjectDisplay
from dashboard.state import Q_LANG, Q_PRESENT, Q_STEP, Choices, ViewState, parse_query
from pipelines.config import CITIES
from pipelines.errors import InputError

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
        outlines: Handlungsraum outline features (label, dashed, geometry; Munich only).
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
    params.update({Q_LANG: lang, Q_PRESENT: "1", Q_STEP: str(number - 1)})  # the app's ?present=1&step=N
    state, notices = parse_query(params, choices)
    if notices:
        bad = "; ".join(f"unknown {n.key.removeprefix('notice_bad_')} '{n.value}'" for n in notices)
        raise InputError(source, bad, where=f"story {number} ({story.get('title_de', '')})",
                         fix="use values the app offers (indicator ids: catalog.json / geodata/indicators.toml)")
    return state


def story_page(build: BuildData, choices: Choices, state: ViewState) -> PageContext:
    """The app's page of one story: the build's projects, no uploads, no project filters."""
    return build_page(state, choices, build)


def story_views(page: PageContext, display: ProjectDisplay) -> dict[str, CityView]:
    """Both cities' maps of one story's page (``display``: project marker colours and labels of the build's geodata)."""
    return {city: _city_view(page, city, display) for city in CITIES}


def _city_view(page: PageContext, city: str, display: ProjectDisplay) -> CityView:
    state, lang, city_page = page.state, page.state.lang, page.cities[city]
    shows = map_caption(page.entry, city_page, lang)
    header = (f"<b>{escape(t(f'city_{city}', lang))} · {escape(t(f'level_{city_page.level}', lang))}</b>"
              + (f" — {escape(shows)}" if shows else ""))
    view = CityView(city=city, level=city_page.level, header_html=header, message=map_message(page, city_page))
    drawn = city_map(page, city_page, display=display)
    if view.message or drawn is None:
        return view
    view.selected = state.area_id if state.area_city == city else ""
    view.classification, view.colors = city_page.classification, list(city_page.colors)
    view.legend_html, view.project_legend_html = drawn.legend_html, drawn.project_legend_html
    view.location_layers = state.layers
    _take_map_apart(drawn.map, view)
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
                view.outlines = [{"label": f["properties"]["label"],
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
