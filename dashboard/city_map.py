"""One city's map of a page as the app draws it: the folium map, its legend, the project legend, the notes (pure).

:mod:`dashboard.views_maps` shows these in Streamlit; ``raumatlas deck``
(:mod:`dashboard.deck_view`) takes the same map apart for an offline file. Both get
their map from :func:`city_map`, so the deck cannot drift from the app: the same
:class:`~dashboard.maps.MapStyle` and :class:`~dashboard.maps.MapOverlays` from the
same :class:`~dashboard.page.CityPage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd

from dashboard.i18n import catalog_text, t
from dashboard.legend import legend_for_values
from dashboard.maps import MapOverlays, MapStyle, build_map
from dashboard.page import CityPage, PageContext
from dashboard.period_labels import entry_period_label
from dashboard.project_markers import project_legend_html
from dashboard.projects_view import ProjectDisplay, map_projects

_WARNING_STARTS = ("NICHT", "NOT", "NUR", "ONLY", "EINGESCHR", "LIMITED")


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


@dataclass(frozen=True)
class Note:
    """The comparability note under the maps: ``kind`` ``warning``/``info``; ``lead`` may be ""."""

    kind: str
    lead: str
    text: str


def city_map_parts(page: PageContext, city: CityPage, *, display: ProjectDisplay, tiles: str | None = None,
                   height: int = 560, fill_frame: bool = False) -> CityMapParts | None:
    """Style, overlays and legends of ``city`` (None when there is nothing to draw: see :func:`map_message`).

    ``display``: theme colours and English labels of the project markers, from the ``projects/schema.toml``
    of the geodata folder the caller knows (the app's, or the one a command was given).
    """
    state, entry = page.state, page.entry
    if map_message(page, city) or city.frame is None or city.classification is None:
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


def map_message(page: PageContext, city: CityPage) -> str:
    """Why ``city`` has no map ("" when it has one): the indicator is missing there, or the level has no values."""
    lang = page.state.lang
    if not page.entry or not city.period:
        return t("not_available_city", lang)
    if city.frame is None or city.classification is None:
        return t("no_data_level", lang, level=t(f"level_{city.level}", lang))
    return ""


def map_caption(entry: dict[str, Any], city: CityPage, lang: str) -> str:
    """What the map shows, e.g. "Arbeitslosenanteil (15–64 J.) · Jahresmittel 2024" ("" without indicator or period)."""
    if not entry or not city.period:
        return ""
    return f"{catalog_text(entry, 'label', lang)} · {entry_period_label(entry, city.city, city.period, lang)}"


def comparability_note(entry: dict[str, Any], lang: str, periods: str = "") -> Note | None:
    """The note under the maps: the comparability note of a comparable indicator, or "only in one city".

    ``periods``: both cities' reference dates and their gap in years when they differ
    (:attr:`dashboard.page.PageContext.period_gap`); it makes the note a warning.
    """
    if not entry:
        return None
    if entry.get("group") != "comparable":
        return Note("info", "", t("only_one_city", lang, city=t(f"city_{entry.get('group')}", lang)))
    note = catalog_text(entry, "comparability_note", lang)
    if not note and not periods:
        return None
    kind = "warning" if periods or note.upper().startswith(_WARNING_STARTS) else "info"
    text = note + (f"\n\n**{t('period', lang)}:** {periods}" if periods else "")
    return Note(kind, t("comparability", lang), text)
