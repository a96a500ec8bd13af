"""Folium choropleth maps for the dashboard, built purely (no Streamlit import).

One map = one ``GeoJson`` layer of areas (style per feature through folium's
deduplicated style map, geometry embedded once, coordinates rounded to 5
decimals ≈ 1 m), optional Handlungsraum outlines on top, optional clustered
locations, a legend control, and only local JS/CSS (:mod:`dashboard.offline`).

Every area feature carries ``properties.area_id`` and ``properties.layer ==
"areas"`` so a click reported by ``st_folium`` (``last_active_drawing``) maps
back to an area; outline features carry ``layer == "outlines"``. All text from
data is HTML-escaped before it reaches a tooltip or popup.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.plugins import FastMarkerCluster

from dashboard.classify import NO_DATA_COLOR, Classification, relative_to_city
from dashboard.legend import (
    decimals_for,
    decimals_for_values,
    flag_label,
    format_number,
    format_value,
    legend_for_values,
    text,
)
from dashboard.map_elements import FitOnResize, GeoJsonLayer, LegendControl
from dashboard.offline import make_offline
from dashboard.project_markers import project_legend_html, project_markers

COORD_DECIMALS = 5
BACKGROUND = "#f3f2ee"
LOCATION_COLORS: dict[str, str] = {"kita": "#08519c", "youth_centre": "#1b7837"}
_STYLE = {"normal": (0.8, "#555555", 0.6), "focus": (0.9, "#1a1a1a", 1.6), "dimmed": (0.15, "#9a9a9a", 0.3),
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


def build_map(
    layer: gpd.GeoDataFrame,
    *,
    classification: Classification,
    colors: Sequence[str],
    label: str,
    unit: str = "",
    polarity: str = "higher_is_worse",
    mode: str = "city",
    city_value: float | None = None,
    city_label: str | None = None,
    lang: str = "de",
    outlines: gpd.GeoDataFrame | None = None,
    focus_area_ids: Collection[str] | None = None,
    selected_area_id: str | None = None,
    locations: gpd.GeoDataFrame | None = None,
    projects: gpd.GeoDataFrame | None = None,
    tiles: str | None = None,
    height: int = 560,
    fill_frame: bool = False,
    decimals: int | None = None,
    show_legend: bool = True,
) -> folium.Map:
    """Build one offline choropleth map of one city and level.

    Args:
        layer: areas in EPSG:4326 with ``area_id`` (unique), ``name``, ``geometry``
            and the joined values: ``value`` (indicator unit; NaN = missing) and
            optionally ``flag`` (why missing), ``coverage`` (0..1), ``rank``
            (1 = first, NaN = unranked) and ``rank_total`` (default: count of ranks).
        classification: breaks to colour by (from :func:`dashboard.classify.classify`;
            in ``relative`` mode computed on ``relative_to_city(value, city_value)``).
        colors: one hex colour per class, lowest first (``colors_for(...)``).
        label: indicator label for legend and tooltip (plain text).
        unit: unit of ``value``, e.g. ``"%"`` (plain text).
        polarity: indicator polarity; only changes the legend's reading hint.
        mode: ``city``, ``common`` or ``relative`` (values are classed as
            ``100 * value / city_value``; the tooltip also shows that index).
        city_value: the whole city's value (tooltip line; required for ``relative``).
        city_label: how the tooltip names the city value, e.g. "München gesamt"
            (default "Stadtwert"/"city value").
        lang: ``de`` or ``en``: number format and fixed phrases.
        outlines: Handlungsräume (EPSG:4326; ``area_id``, ``name``, optional
            ``short_name`` (map label), ``approximate``, ``status``, ``source_quote``, ``source_url``,
            ``note_de``/``note_en``) drawn on top as labelled, unfilled outlines;
            approximate ones dashed and labelled "Näherung"/"approximation"; a
            click on the line opens a popup with the city's quote and source link.
        focus_area_ids: area_ids to focus: the map zooms to them and dims the rest.
        selected_area_id: the area whose profile is open: drawn with a thick dark-blue outline.
        locations: points in EPSG:4326 (``name``, ``address``, ``provider``,
            ``layer`` kita/youth_centre, optional ``category``) shown as clustered
            circle markers with a popup.
        projects: planners' projects in EPSG:4326 (``titel``, ``thema``, ``status``,
            ``federfuehrung``, ``color``; see ``dashboard.projects_view.map_projects``) drawn
            as small circle markers coloured by theme with an escaped tooltip; with
            ``show_legend`` also a theme legend (bottom left).
        tiles: None (default: no network, light background and city outline) or a
            folium tile name such as ``"OpenStreetMap"`` (needs internet; attribution shown).
        height: map height in pixels.
        fill_frame: let the map fill its st_folium frame whatever ``height`` says (presentation
            mode sizes the frames to the screen with CSS; streamlit-folium names the map ``map_div``).
        decimals: decimals of all numbers (default: legend from the class breaks,
            tooltips 0 for whole-number data, else 1, or 2 below 10).
        show_legend: add the legend as a map control (bottom right).

    Returns:
        A ``folium.Map`` whose JS/CSS links point to ``/app/static/vendor/...``.

    Raises:
        ValueError: missing columns, duplicate ``area_id``, a CRS other than
            EPSG:4326, or a colour count that does not match the classification.
    """
    _check_layer(layer, "layer", ("area_id", "name"))
    if len(colors) != classification.k:
        raise ValueError(f"build_map needs {classification.k} colours, got {len(colors)}")
    if layer["area_id"].duplicated().any():
        raise ValueError(f"layer has duplicate area_id: {sorted(layer.loc[layer['area_id'].duplicated(), 'area_id'])}")
    values = pd.to_numeric(layer.get("value", pd.Series(np.nan, index=layer.index)), errors="coerce")
    classed = relative_to_city(values, city_value) if mode == "relative" else values
    legend_d = decimals_for(classification) if decimals is None else decimals
    d = _value_decimals(values) if decimals is None else decimals
    fills = [colors[i] if i >= 0 else NO_DATA_COLOR for i in classification.assign(classed)]
    focus = {str(a) for a in focus_area_ids} if focus_area_ids else set()

    m = folium.Map(
        location=_center(layer), zoom_start=10, tiles=tiles, height=height, control_scale=True, zoom_snap=0.25,
        **{"maxZoom": 18, "minZoom": 8},  # Map's own max_zoom only reaches tiles; MarkerCluster needs the map's
    )
    m.get_root().header.add_child(Element(_CSS), name="raumatlas_css")
    if fill_frame:
        m.get_root().header.add_child(Element(_FILL_FRAME_CSS), name="raumatlas_fill_css")
    styles: list[dict] = []
    features = []
    for (_, row), fill, rel in zip(layer.iterrows(), fills, classed, strict=True):
        area_id = str(row["area_id"])
        state = "normal" if not focus else "focus" if area_id in focus else "dimmed"
        if selected_area_id is not None and area_id == str(selected_area_id):
            state = "selected"
        opacity, line, weight = _STYLE[state]
        style = {"fillColor": fill, "fillOpacity": opacity, "color": line, "weight": weight, "opacity": 0.9}
        if style not in styles:
            styles.append(style)
        tooltip = _tooltip(row, rel, label=label, unit=unit, mode=mode, lang=lang, decimals=d, layer=layer,
                           city_label=city_label)
        props = {"area_id": area_id, "name": str(row["name"]), "layer": "areas", "s": styles.index(style),
                 "tt": tooltip}
        features.append(_feature(row.geometry, props))
    # SVG paints in order: the selected area last, so no neighbour covers its outline.
    features.sort(key=lambda f: f["properties"]["area_id"] == str(selected_area_id))
    city_line = ""
    if city_value is not None and not np.isnan(_num(city_value)):
        city_line = "<br>" + escape(f"{city_label or text('city_value', lang)}: "
                                    f"{format_value(city_value, unit, lang, d)}")
    GeoJsonLayer(features, styles, tooltip="tt", suffix=city_line, highlight=True,
                  tooltip_options={"sticky": True, "className": "ra-tt"}).add_to(m)
    if tiles is None:
        _city_outline(layer).add_to(m)
    if outlines is not None and len(outlines):
        _outline_layer(outlines, lang).add_to(m)
    if locations is not None and len(locations):
        _location_cluster(locations, lang).add_to(m)
    if projects is not None and len(projects):
        project_markers(projects, lang).add_to(m)
        if show_legend:
            LegendControl(project_legend_html(projects, lang), position="bottomleft").add_to(m)
    if show_legend:
        LegendControl(legend_for_values(values, classification, colors, city_value=city_value, mode=mode,
                                        title=label, unit=unit, lang=lang, polarity=polarity,
                                        decimals=legend_d)).add_to(m)
    target = layer[layer["area_id"].astype(str).isin(focus)] if focus else layer
    minx, miny, maxx, maxy = (target if len(target) else layer).total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(8, 8))
    FitOnResize([[miny, minx], [maxy, maxx]]).add_to(m)
    return make_offline(m)


def _tooltip(row: pd.Series, rel: float, *, label: str, unit: str, mode: str, lang: str, decimals: int,
             layer: gpd.GeoDataFrame, city_label: str | None) -> str:
    """Escaped tooltip HTML: name, value or missing reason, rank, index, coverage (city line added in JS)."""
    lines = [f"<b>{escape(str(row['name']))}</b>"]
    value = _num(row.get("value"))
    if np.isnan(value):
        lines.append(f"{escape(label)}: <i>{escape(flag_label(str(row.get('flag') or 'no_data'), lang))}</i>")
    else:
        lines.append(f"{escape(label)}: <b>{escape(format_value(value, unit, lang, decimals))}</b>")
        rank = _num(row.get("rank"))
        if not np.isnan(rank):
            total = _num(row.get("rank_total"))
            total = layer["rank"].notna().sum() if np.isnan(total) else total
            lines.append(escape(text("rank", lang).format(rank=int(rank), total=int(total))))
    if mode == "relative" and not np.isnan(_num(rel)):
        ref = city_label or text("city_value", lang)
        lines.append(escape(f"{text('index', lang).capitalize()} ({ref} = 100): {format_number(rel, lang, 0)}"))
    coverage = _num(row.get("coverage"))
    if not np.isnan(value) and not np.isnan(coverage) and coverage < 0.995:
        lines.append(escape(text("coverage", lang).format(pct=format_number(100 * coverage, lang, 0))))
    return "<br>".join(lines)


def _outline_layer(outlines: gpd.GeoDataFrame, lang: str) -> GeoJsonLayer:
    """Unfilled Handlungsraum outlines with permanent labels; a click on the line or the label selects it.

    The app then opens the Handlungsraum's profile (members, the city's quote and source), so no
    popup covers the map.
    """
    _check_layer(outlines, "outlines", ("area_id", "name"))
    features = []
    for _, row in outlines.iterrows():
        approx = _text_or_none(row.get("approximate")) in ("True", "true", "1")
        name = str(row["name"])
        short = _text_or_none(row.get("short_name")) or name
        label = f"{short} ({text('approximation', lang)})" if approx else short
        inside = row.geometry.representative_point()  # where a click on the label is reported
        props = {"area_id": str(row["area_id"]), "name": name, "layer": "outlines", "s": int(approx),
                 "label": escape(label), "px": round(inside.x, 6), "py": round(inside.y, 6)}
        features.append(_feature(row.geometry, props))
    line = {"fill": False, "color": "#111111", "weight": 3, "opacity": 1}
    return GeoJsonLayer(features, [line, {**line, "dashArray": "8 6"}], tooltip="label", click_label=True,
                         tooltip_options={"permanent": True, "direction": "center", "interactive": True,
                                          "className": "ra-label"})


def _location_cluster(locations: gpd.GeoDataFrame, lang: str) -> FastMarkerCluster:
    """Clustered circle markers (no marker images, no awesome-markers) with escaped popups."""
    _check_layer(locations, "locations", ("name",))
    rows = []
    for _, r in locations[~locations.geometry.is_empty & locations.geometry.notna()].iterrows():
        kind = str(r.get("layer") or "")
        lines = [f"<b>{escape(str(r['name']))}</b>"]
        lines += [escape(s) for s in (text(kind, lang) if kind in LOCATION_COLORS else kind,
                                      _text_or_none(r.get("category")), _text_or_none(r.get("address")),
                                      _text_or_none(r.get("provider"))) if s]
        colour = LOCATION_COLORS.get(kind, "#444444")
        rows.append([round(r.geometry.y, COORD_DECIMALS), round(r.geometry.x, COORD_DECIMALS),
                     "<br>".join(lines), colour])
    callback = """function (row) {
        var m = L.circleMarker(new L.LatLng(row[0], row[1]),
            {radius: 7, color: "#ffffff", weight: 1.5, fillColor: row[3], fillOpacity: 0.95});
        m.bindPopup(row[2]);
        return m;
    }"""
    return FastMarkerCluster(rows, callback=callback, name=text("locations", lang),
                             max_cluster_radius=45, show_coverage_on_hover=False)


def _city_outline(layer: gpd.GeoDataFrame) -> GeoJsonLayer:
    """The city's outer boundary (union of the areas), thin and non-interactive, for orientation."""
    union = shapely.union_all(shapely.make_valid(layer.geometry.values)).simplify(0.0002)
    feature = _feature(shapely.boundary(union), {"s": 0})
    return GeoJsonLayer([feature], [{"color": "#222222", "weight": 1.6, "fill": False}], interactive=False)


def _feature(geometry: shapely.Geometry, props: dict) -> dict:
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(_round(geometry))}


def _round(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geometry, lambda c: np.round(c, COORD_DECIMALS))


def _center(layer: gpd.GeoDataFrame) -> list[float]:
    minx, miny, maxx, maxy = layer.total_bounds
    return [float((miny + maxy) / 2), float((minx + maxx) / 2)]


def _check_layer(gdf: gpd.GeoDataFrame, what: str, columns: Sequence[str]) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ValueError(f"{what} must be a GeoDataFrame, got {type(gdf).__name__}")
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; join them before build_map")
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValueError(f"{what} must be in EPSG:4326 (got {gdf.crs}); use .to_crs('EPSG:4326')")


def _value_decimals(values: pd.Series) -> int:
    """Tooltip decimals: 0 for whole numbers (counts), else at least 1 (2 below 10)."""
    finite = values[np.isfinite(values)]
    if len(finite) and np.allclose(finite, np.round(finite)):
        return 0
    return max(1, decimals_for_values(finite.tolist()))


def _num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _text_or_none(value: object) -> str | None:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    s = str(value).strip()
    return s or None
