"""Folium choropleth maps for the dashboard, built purely (no Streamlit import).

One map = one compact GeoJSON layer of areas (a style table instead of per-feature
styles, coordinates rounded to 5 decimals ≈ 1 m), optional overlays on top
(:mod:`dashboard.map_layers`: Handlungsraum outlines, clustered locations; project
markers from :mod:`dashboard.project_markers`), and only local JS/CSS
(:mod:`dashboard.offline`). The legend is not part of the map: the app draws it under
the map (:func:`dashboard.legend.legend_for_values`), so on a projector no area hides
behind it.

Every area feature carries ``properties.area_id`` and ``properties.layer ==
"areas"`` so a click reported by ``st_folium`` (``last_active_drawing``) maps
back to an area. All text from data is HTML-escaped before it reaches a tooltip.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element

from dashboard.classify import NO_DATA_COLOR, Classification, map_classes, relative_to_city
from dashboard.i18n import format_number, format_value
from dashboard.legend import flag_label, text, value_decimals
from dashboard.map_elements import FitOnResize, GeoJsonLayer
from dashboard.map_labels import OutlineLabels, has_label_positions
from dashboard.map_layers import check_layer, city_outline, feature, location_cluster, outline_layer
from dashboard.offline import make_offline
from dashboard.project_markers import project_markers

BACKGROUND = "#f3f2ee"
# area state -> (fill opacity, line colour, line weight); the map component draws the same (map_payload)
AREA_STYLE = {"normal": (0.8, "#555555", 0.6), "focus": (0.9, "#1a1a1a", 1.6), "dimmed": (0.15, "#9a9a9a", 0.3),
              "selected": (0.9, "#0b3d91", 4.0)}
_FILL_FRAME_CSS = "<style>#map_div { height: calc(100vh - 12px) !important; }</style>"
_CSS = f"""<style>
.leaflet-container {{ background: {BACKGROUND}; font: 15px/1.35 system-ui, sans-serif; }}
.leaflet-tooltip.ra-tt {{ font-size: 15px; line-height: 1.35; white-space: nowrap; }}
.leaflet-tooltip.ra-label {{ background: rgba(255,255,255,0.85); border: 1px solid #333; box-shadow: none;
  font-size: 14px; font-weight: 600; padding: 1px 5px; }}
.leaflet-tooltip.ra-label.ra-approx {{ border-style: dashed; font-style: italic; }}
.leaflet-popup-content {{ font-size: 15px; line-height: 1.4; }}
</style>"""



@dataclass(frozen=True)
class MapStyle:
    """How the areas of one map are coloured, labelled and sized.

    Attributes:
        classification: breaks to colour by (:func:`dashboard.classify.classify`; in
            ``relative`` scale computed on ``relative_to_city(value, city_value)``).
        colors: one hex colour per class, lowest first (``colors_for(...)``).
        label: indicator label for the tooltips (plain text).
        unit: unit of ``value``, e.g. ``"%"`` (plain text).
        scale: ``own``, ``common`` or ``relative`` (values are classed as ``100 * value /
            city_value``; the tooltip also shows that index).
        city_value: the whole city's value (one tooltip line; required for ``relative``).
        city_label: how the tooltip names the city value, e.g. "München gesamt"
            (default "Stadtwert"/"city value").
        lang: ``de`` or ``en``: number format and fixed phrases.
        decimals: decimals of the tooltip values (default :func:`dashboard.legend.value_decimals`).
        tiles: None (no network: light background and city outline) or a folium tile
            name such as ``"OpenStreetMap"`` (needs internet; attribution shown).
        height: map height in pixels.
        fill_frame: let the map fill its st_folium frame whatever ``height`` says
            (presentation mode sizes the frames with CSS; streamlit-folium names the map ``map_div``).
    """

    classification: Classification
    colors: tuple[str, ...]
    label: str
    unit: str = ""
    scale: str = "own"
    city_value: float | None = None
    city_label: str | None = None
    lang: str = "de"
    decimals: int | None = None
    tiles: str | None = None
    height: int = 560
    fill_frame: bool = False


@dataclass(frozen=True)
class MapOverlays:
    """What is drawn on or marked in the areas (all optional, all EPSG:4326).

    Attributes:
        outlines: Handlungsräume (``area_id``, ``name``, optional ``short_name``, ``approximate``,
            ``status``, ``source_quote``, ``source_url``, ``note_de``/``note_en``) as labelled,
            unfilled outlines; approximate ones dashed; a click on the line or label selects the Handlungsraum.
        focus_area_ids: areas to focus: the map zooms to them and dims the rest.
        selected_area_id: the area whose profile is open: a thick dark-blue outline, drawn last.
        locations: points (``name``, ``address``, ``provider``, ``layer`` kita/youth_centre,
            optional ``category``) as clustered circle markers with a popup.
        projects: planners' projects (``titel``, ``thema``, ``status``, ``federfuehrung``,
            ``color``; ``dashboard.projects_view.map_projects``) as small circles coloured by theme.
    """

    outlines: gpd.GeoDataFrame | None = None
    focus_area_ids: Collection[str] | None = None
    selected_area_id: str | None = None
    locations: gpd.GeoDataFrame | None = None
    projects: gpd.GeoDataFrame | None = None


def check_map_input(layer: gpd.GeoDataFrame, style: MapStyle, who: str) -> None:
    """What every map of a layer needs (the folium map and the component's payload alike).

    Raises ValueError for missing ``area_id``/``name`` columns, a colour count that does not
    match the classification, or a repeated ``area_id``; ``who`` names the caller in the message.
    """
    check_layer(layer, "layer", ("area_id", "name"))
    if len(style.colors) != style.classification.k:
        raise ValueError(f"{who} needs {style.classification.k} colours, got {len(style.colors)}")
    if layer["area_id"].duplicated().any():
        raise ValueError(f"layer has duplicate area_id: {sorted(layer.loc[layer['area_id'].duplicated(), 'area_id'])}")


def build_map(layer: gpd.GeoDataFrame, style: MapStyle, overlays: MapOverlays = MapOverlays()) -> folium.Map:
    """Build one offline choropleth map of one city and level.

    Args:
        layer: areas in EPSG:4326 with ``area_id`` (unique), ``name``, ``geometry``
            and the joined values: ``value`` (indicator unit; NaN = missing) and
            optionally ``flag`` (why missing), ``coverage`` (0..1), ``rank``
            (1 = first, NaN = unranked) and ``rank_total`` (default: count of ranks).
        style: colours, labels, language and size (:class:`MapStyle`).
        overlays: outlines, focus, selection, locations, projects (:class:`MapOverlays`).

    Returns:
        A ``folium.Map`` whose JS/CSS links point to ``/app/static/vendor/...``.

    Raises:
        ValueError: missing columns, duplicate ``area_id``, a CRS other than
            EPSG:4326, or a colour count that does not match the classification.
    """
    check_map_input(layer, style, "build_map")
    classification = style.classification
    values = pd.to_numeric(layer.get("value", pd.Series(np.nan, index=layer.index)), errors="coerce")
    classed = relative_to_city(values, style.city_value) if style.scale == "relative" else values  # tooltips
    d = value_decimals(values) if style.decimals is None else style.decimals
    fills = [style.colors[i] if i >= 0 else NO_DATA_COLOR
             for i in map_classes(values, classification, style.scale, style.city_value)]
    focus = {str(a) for a in overlays.focus_area_ids} if overlays.focus_area_ids else set()
    selected = overlays.selected_area_id

    m = folium.Map(
        location=_center(layer), zoom_start=10, tiles=style.tiles, height=style.height, control_scale=True,
        zoom_snap=0.25, **{"maxZoom": 18, "minZoom": 8},  # Map's own max_zoom only reaches tiles; clusters need it
    )
    m.get_root().header.add_child(Element(_CSS), name="raumatlas_css")
    if style.fill_frame:
        m.get_root().header.add_child(Element(_FILL_FRAME_CSS), name="raumatlas_fill_css")
    styles: list[dict] = []
    features = []
    for (_, row), fill, rel in zip(layer.iterrows(), fills, classed, strict=True):
        area_id = str(row["area_id"])
        state = "normal" if not focus else "focus" if area_id in focus else "dimmed"
        if selected is not None and area_id == str(selected):
            state = "selected"
        opacity, line, weight = AREA_STYLE[state]
        area_style = {"fillColor": fill, "fillOpacity": opacity, "color": line, "weight": weight, "opacity": 0.9}
        if area_style not in styles:
            styles.append(area_style)
        props = {"area_id": area_id, "name": str(row["name"]), "layer": "areas", "s": styles.index(area_style),
                 "tt": _tooltip(row, rel, style=style, decimals=d, layer=layer)}
        features.append(feature(row.geometry, props))
    # SVG paints in order: the selected area last, so no neighbour covers its outline.
    features.sort(key=lambda f: f["properties"]["area_id"] == str(selected))
    GeoJsonLayer(features, styles, tooltip="tt", suffix=city_value_line(style, d), highlight=True,
                 tooltip_options={"sticky": True, "className": "ra-tt"}).add_to(m)
    _add_overlays(m, layer, style, overlays)
    target = layer[layer["area_id"].astype(str).isin(focus)] if focus else layer
    minx, miny, maxx, maxy = (target if len(target) else layer).total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(8, 8))
    FitOnResize([[miny, minx], [maxy, maxx]]).add_to(m)
    return make_offline(m)


def _add_overlays(m: folium.Map, layer: gpd.GeoDataFrame, style: MapStyle, overlays: MapOverlays) -> None:
    if style.tiles is None:
        city_outline(layer).add_to(m)
    if overlays.outlines is not None and len(overlays.outlines):
        outline_layer(overlays.outlines, style.lang).add_to(m)
        if has_label_positions(overlays.outlines):
            OutlineLabels(overlays.outlines).add_to(m)
    if overlays.locations is not None and len(overlays.locations):
        location_cluster(overlays.locations, style.lang).add_to(m)
    if overlays.projects is not None and len(overlays.projects):
        project_markers(overlays.projects, style.lang).add_to(m)


def city_value_line(style: MapStyle, decimals: int) -> str:
    """The city value, added to every tooltip once in JS (not stored per feature)."""
    if style.city_value is None or np.isnan(as_float(style.city_value)):
        return ""
    name = style.city_label or text("city_value", style.lang)
    return "<br>" + escape(f"{name}: {format_value(style.city_value, style.unit, style.lang, decimals)}")


def _tooltip(row: pd.Series, rel: float, style: MapStyle, decimals: int,
             layer: gpd.GeoDataFrame) -> str:
    """Escaped tooltip HTML: name, value or missing reason, rank, index, coverage (city line added in JS)."""
    label, unit, lang = style.label, style.unit, style.lang
    lines = [f"<b>{escape(str(row['name']))}</b>"]
    value = as_float(row.get("value"))
    if np.isnan(value):
        lines.append(f"{escape(label)}: <i>{escape(flag_label(str(row.get('flag') or 'no_data'), lang))}</i>")
    else:
        lines.append(f"{escape(label)}: <b>{escape(format_value(value, unit, lang, decimals))}</b>")
        rank = as_float(row.get("rank"))
        if not np.isnan(rank):
            total = as_float(row.get("rank_total"))
            total = layer["rank"].notna().sum() if np.isnan(total) else total
            lines.append(escape(text("rank", lang).format(rank=int(rank), total=int(total))))
    if style.scale == "relative" and not np.isnan(as_float(rel)):
        ref = style.city_label or text("city_value", lang)
        lines.append(escape(f"{text('index', lang).capitalize()} ({ref} = 100): {format_number(rel, lang, 0)}"))
    coverage = as_float(row.get("coverage"))
    if not np.isnan(value) and not np.isnan(coverage) and coverage < 0.995:
        lines.append(escape(text("coverage", lang).format(pct=format_number(100 * coverage, lang, 0))))
    return "<br>".join(lines)


def _center(layer: gpd.GeoDataFrame) -> list[float]:
    minx, miny, maxx, maxy = layer.total_bounds
    return [float((miny + maxy) / 2), float((minx + maxx) / 2)]


def as_float(value: object) -> float:
    """A cell as a float; NaN for anything that is not a number (None, "", pd.NA)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


