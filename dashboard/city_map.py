"""One city's map of a page as the app draws it: the folium map, its legend, the project legend, the notes (pure).

:mod:`dashboard.views_maps` shows these in Streamlit; ``raumatlas deck``
(:mod:`dashboard.deck_view`) takes the same map apart for an offline file. Both get
their map from :func:`city_map`, so the deck cannot drift from the app: the same
:class:`~dashboard.maps.MapStyle` and :class:`~dashboard.maps.MapOverlays` from the
same :class:`~dashboard.page.CityPage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
import geopandas as gpd

from dashboard.i18n import catalog_text, t
from dashboard.legend import legend_for_values
from dashboard.map_texts import map_message
from dashboard.maps import MapOverlays, MapStyle, build_map
from dashboard.page import CityPage, PageContext
from dashboard.project_markers import project_legend_html
from dashboard.projects_view import ProjectDisplay, map_projects


@dataclass(frozen=True)
class CityMapParts:
    """What the map column of one city draws, before any renderer: the same for the app and the deck.

    Attributes:
        style: colours, classes, texts and size of the map.
        overlays: outlines, focus, selection, locations and project markers.
        legend_html: the legend under the map (escaped HTML).
        projects: the project markers' table (None when none are drawn).
        project_legend_html: the themes of those markers ("" without projects).
    """

    style: MapStyle
    overlays: MapOverlays
    legend_html: str
    projects: gpd.GeoDataFrame | None = None
    project_legend_html: str = ""


@dataclass(frozen=True)
class CityMap:
    """A city's parts drawn as an offline folium map (the deck and the map-HTML tests use it)."""

    map: folium.Map
    legend_html: str
    projects: gpd.GeoDataFrame | None = None
    project_legend_html: str = ""


def has_map(page: PageContext, city: CityPage) -> bool:
    """Whether ``city`` gets a drawn map in this page (else a message: see :func:`map_message`)."""
    return not map_message(page, city) and city.frame is not None and city.classification is not None


def city_map_parts(page: PageContext, city: CityPage, *, display: ProjectDisplay, tiles: str | None = None,
                   height: int = 560, fill_frame: bool = False) -> CityMapParts | None:
    """Style, overlays and legends of ``city`` (None when there is nothing to draw: see :func:`map_message`).

    ``display``: theme colours and English labels of the project markers, from the ``projects/schema.toml``
    of the geodata folder the caller knows (the app's, or the one a command was given).
    """
    state, entry = page.state, page.entry
    if not has_map(page, city) or city.frame is None or city.classification is None:  # (narrows the types)
        return None
    lang = state.lang
    label, unit = catalog_text(entry, "label", lang), catalog_text(entry, "unit", lang)
    style = MapStyle(classification=city.classification, colors=city.colors, label=label, unit=unit,
                     scale=state.scale, city_value=city.city_value, city_label=t(f"city_total_{city.city}", lang),
                     lang=lang, tiles=tiles, height=height, fill_frame=fill_frame)
    projects = map_projects(city.projects, display, lang) \
        if city.projects is not None and len(city.projects) else None
    overlays = MapOverlays(outlines=city.outlines, focus_area_ids=city.focus_ids,
                           selected_area_id=state.area_id if state.area_city == city.city else None,
                           locations=city.locations, projects=projects)
    legend = legend_for_values(city.frame["value"], city.classification, city.colors, city_value=city.city_value,
                               mode=state.scale, title=label, unit=unit, lang=lang, polarity=page.polarity)
    return CityMapParts(style=style, overlays=overlays, legend_html=legend, projects=projects,
                        project_legend_html=project_legend_html(projects, lang) if projects is not None else "")


def city_map(page: PageContext, city: CityPage, *, display: ProjectDisplay, tiles: str | None = None,
             height: int = 560, fill_frame: bool = False) -> CityMap | None:
    """The parts of ``city`` drawn as a folium map (None when there is nothing to draw)."""
    parts = city_map_parts(page, city, display=display, tiles=tiles, height=height, fill_frame=fill_frame)
    if parts is None or city.frame is None:
        return None
    return CityMap(map=build_map(city.frame, parts.style, parts.overlays), legend_html=parts.legend_html,
                   projects=parts.projects, project_legend_html=parts.project_legend_html)
