"""The overlays of a dashboard map: Handlungsraum outlines, clustered locations, the city outline.

Pure (no Streamlit); used by :func:`dashboard.maps.build_map`. Outline features carry
``properties.layer == "outlines"`` so a click on them is never taken for an area. All
text from data is HTML-escaped before it reaches a tooltip or popup; only http(s)
sources become links.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from folium.plugins import FastMarkerCluster

from dashboard.legend import text
from dashboard.map_elements import GeoJsonLayer
from dashboard.map_labels import has_label_positions
from dashboard.palettes import LOCATION_COLORS
from pipelines.config import WEB_COORD_DECIMALS, WEB_CRS


def outline_items(outlines: gpd.GeoDataFrame, lang: str) -> list[dict]:
    """Per Handlungsraum: ``area_id``, ``name``, escaped ``label``, ``approximate``, ``at`` and ``leader``.

    ``at`` is ``[lat, lon]`` of the label when the outlines carry ``label_lat``/``label_lon``
    (placed apart by :mod:`dashboard.label_layout`), else None (the label sits at the outline's centre);
    ``leader`` is the ``[lat, lon]`` on the area a leader line goes back to when the label had to move.
    """
    check_layer(outlines, "outlines", ("area_id", "name"))
    items = []
    for _, row in outlines.iterrows():
        approx = _text_or_none(row.get("approximate")) in ("True", "true", "1")
        name = str(row["name"])
        short = _text_or_none(row.get("short_name")) or name
        label = f"{short} ({text('approximation', lang)})" if approx else short
        at = _point(row.get("label_lat"), row.get("label_lon"))
        anchor = _point(row.get("anchor_lat"), row.get("anchor_lon"))
        leader = anchor if at is not None and bool(row.get("label_leader", False)) else None
        items.append({"area_id": str(row["area_id"]), "name": name, "label": escape(label), "approximate": approx,
                      "at": at, "leader": leader})
    return items


def _point(lat: object, lon: object) -> list[float] | None:
    """``[lat, lon]`` rounded as the web layers are, or None when either is missing."""
    la, lo = _num(lat), _num(lon)
    return [round(la, WEB_COORD_DECIMALS), round(lo, WEB_COORD_DECIMALS)] if np.isfinite(la) and np.isfinite(lo) \
        else None


def outline_layer(outlines: gpd.GeoDataFrame, lang: str) -> GeoJsonLayer:
    """Unfilled Handlungsraum outlines with permanent labels; a click on the line or the label selects it.

    The app then opens the Handlungsraum's profile (members, the city's quote and source), so no
    popup covers the map. Labels placed apart (:mod:`dashboard.label_layout`) are drawn by
    :mod:`dashboard.map_labels` instead of the layer's own tooltips.
    """
    features = []
    for (_, row), item in zip(outlines.iterrows(), outline_items(outlines, lang), strict=True):
        inside = row.geometry.representative_point()  # where a click on the label is reported
        props = {"area_id": item["area_id"], "name": item["name"], "layer": "outlines", "s": int(item["approximate"]),
                 "label": item["label"], "px": round(inside.x, 6), "py": round(inside.y, 6)}
        features.append(feature(row.geometry, props))
    line = {"fill": False, "color": "#111111", "weight": 3, "opacity": 1}
    placed = has_label_positions(outlines)
    return GeoJsonLayer(features, [line, {**line, "dashArray": "8 6"}], tooltip=None if placed else "label",
                        click_label=not placed,
                        tooltip_options={"permanent": True, "direction": "center", "interactive": True,
                                         "className": "ra-label"})


def location_rows(locations: gpd.GeoDataFrame, lang: str) -> list[list]:
    """Rows ``[lat, lon, popup_html, colour]`` of the location points (popups escaped)."""
    check_layer(locations, "locations", ("name",))
    rows = []
    for _, r in locations[~locations.geometry.is_empty & locations.geometry.notna()].iterrows():
        kind = str(r.get("layer") or "")
        lines = [f"<b>{escape(str(r['name']))}</b>"]
        lines += [escape(s) for s in (text(kind, lang) if kind in LOCATION_COLORS else kind,
                                      _text_or_none(r.get("category")), _text_or_none(r.get("address")),
                                      _text_or_none(r.get("provider"))) if s]
        colour = LOCATION_COLORS.get(kind, "#444444")
        rows.append([round(r.geometry.y, WEB_COORD_DECIMALS), round(r.geometry.x, WEB_COORD_DECIMALS),
                     "<br>".join(lines), colour])
    return rows


def location_cluster(locations: gpd.GeoDataFrame, lang: str) -> FastMarkerCluster:
    """Clustered circle markers (no marker images, no awesome-markers) with escaped popups."""
    rows = location_rows(locations, lang)
    callback = """function (row) {
        var m = L.circleMarker(new L.LatLng(row[0], row[1]),
            {radius: 7, color: "#ffffff", weight: 1.5, fillColor: row[3], fillOpacity: 0.95});
        m.bindPopup(row[2]);
        return m;
    }"""
    return FastMarkerCluster(rows, callback=callback, name=text("locations", lang),
                             max_cluster_radius=45, show_coverage_on_hover=False)


def city_outline(layer: gpd.GeoDataFrame) -> GeoJsonLayer:
    """The city's outer boundary (union of the areas), thin and non-interactive, for orientation."""
    union = shapely.union_all(shapely.make_valid(layer.geometry.values)).simplify(0.0002)
    boundary = feature(shapely.boundary(union), {"s": 0})
    return GeoJsonLayer([boundary], [{"color": "#222222", "weight": 1.6, "fill": False}], interactive=False)


def feature(geometry: shapely.Geometry, props: dict) -> dict:
    """A GeoJSON feature with coordinates rounded to :data:`WEB_COORD_DECIMALS` (smaller maps, same look)."""
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(_round(geometry))}


def _round(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geometry, lambda c: np.round(c, WEB_COORD_DECIMALS))


def check_layer(gdf: gpd.GeoDataFrame, what: str, columns: Sequence[str]) -> None:
    """Refuse a layer the map cannot draw right, naming the fix (Leaflet needs EPSG:4326)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ValueError(f"{what} must be a GeoDataFrame, got {type(gdf).__name__}")
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; join them before build_map")
    if gdf.crs is None or not gdf.crs.equals(WEB_CRS):
        raise ValueError(f"{what} must be in EPSG:4326 (got {gdf.crs}); use .to_crs('EPSG:4326')")


def _text_or_none(value: object) -> str | None:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    s = str(value).strip()
    return s or None


def _num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
