"""What the map component receives on every run: values, colours and tooltip parts, never geometry (pure).

The geometry of a (city, level) reaches the browser once, as a static file
(:mod:`dashboard.geometry_store`); a change of indicator, period, classes, scale,
language or story at the same level sends only this payload: one class index, one
formatted value, rank, index and coverage per area (a few KB for Berlin's 542
Planungsräume). The component (``dashboard/map_component/``) builds each tooltip
from these parts with the same lines as :func:`dashboard.maps.build_map`; every
text from data is HTML-escaped here, area names in the component.

The styles, colours and texts come from the same :class:`~dashboard.maps.MapStyle`
and :class:`~dashboard.maps.MapOverlays` as the folium map, so both draw alike.
"""

from __future__ import annotations

from html import escape
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard.classify import NO_DATA_COLOR, relative_to_city
from dashboard.i18n import format_number, format_value
from dashboard.legend import flag_label, text, value_decimals
from dashboard.map_layers import location_rows, outline_items
from dashboard.maps import (
    AREA_STYLE,
    BACKGROUND,
    MapOverlays,
    MapStyle,
    as_float,
    check_map_input,
    city_value_line,
)
from dashboard.project_markers import SVG_LIMIT, project_columns

PAYLOAD_VERSION = 1
OSM = {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
       "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'}
TILES: dict[str, dict[str, str]] = {"OpenStreetMap": OSM}


def geometry_ref(url: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """How the component gets a geometry: by URL (fetched once, cached) or inline when no URL could be written."""
    return {"url": url, "key": url or f"inline-{data['ids'][:1]}-{len(data['ids'])}"} if url else \
        {"inline": data, "key": f"inline-{len(data['ids'])}-{data['bbox']}"}


def map_payload(layer: gpd.GeoDataFrame, style: MapStyle, overlays: MapOverlays, *, geometry: dict[str, Any],
                ids: list[str], view: str, title: str, outline_geometry: dict[str, Any] | None = None,
                outline_ids: list[str] | None = None, locations: dict[str, Any] | None = None) -> dict[str, Any]:
    """The component's arguments for one map.

    Args:
        layer: areas with ``area_id``, ``name`` and the joined ``value`` (NaN = missing), optional
            ``flag``, ``coverage``, ``rank`` (see :func:`dashboard.maps.build_map`).
        style: colours, labels, language and size, as for :func:`dashboard.maps.build_map`.
        overlays: outlines, focus, selection, locations, projects, as for :func:`dashboard.maps.build_map`.
        geometry: :func:`geometry_ref` of the areas' encoded geometry.
        ids: the area ids in the geometry's order (every value array follows it).
        view: what the map shows (city, level, focus): when it changes the map fits its bounds
            anew, otherwise the user's zoom and pan stay.
        title: the map frame's accessible title.
        outline_geometry: :func:`geometry_ref` of the Handlungsraum outlines (None: no outlines drawn).
        outline_ids: the outlines' ids in that geometry's order.
        locations: ``{"url": ...}`` or ``{"rows": ...}`` of the location points (see
            :func:`dashboard.map_layers.location_rows`), None for none.

    Raises:
        ValueError: as :func:`dashboard.maps.build_map` (columns, duplicate ids, colour count).
    """
    check_map_input(layer, style, "map_payload")
    classification = style.classification
    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name)).assign(area_id=layer["area_id"].astype(str))
    frame = frame.set_index("area_id").reindex(ids)
    values = _floats(frame, "value")
    classed = relative_to_city(values, style.city_value) if style.scale == "relative" else values
    decimals = value_decimals(values) if style.decimals is None else style.decimals
    lang = style.lang
    position = {a: i for i, a in enumerate(ids)}
    focus = sorted(position[str(a)] for a in overlays.focus_area_ids or () if str(a) in position)
    selected = position.get(str(overlays.selected_area_id), -1) if overlays.selected_area_id is not None else -1
    ranks = _floats(frame, "rank")
    return {
        "v": PAYLOAD_VERSION,
        "title": title,
        "lang": lang,
        "view": view,
        "geometry": geometry,
        "styles": {name: {"fillOpacity": o, "color": c, "weight": w, "opacity": 0.9}
                   for name, (o, c, w) in AREA_STYLE.items()},
        "colors": list(style.colors),
        "nodata": NO_DATA_COLOR,
        "background": BACKGROUND,
        "cls": [int(i) for i in classification.assign(classed)],
        **_tooltip_parts(frame, values, classed, ranks, style, decimals),
        "focus": focus or None,
        "selected": selected,
        "tiles": TILES.get(style.tiles) if style.tiles else None,
        "outlines": _outlines(overlays, lang, outline_geometry, outline_ids),
        "locations": locations,
        "projects": _projects(overlays, lang),
        "height": style.height,
    }


def _floats(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as float64 with NaN for anything missing (nullable Int64/Float64 columns hold pd.NA)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.Series(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
                     index=frame.index)


def _tooltip_parts(frame: pd.DataFrame, values: pd.Series, classed: pd.Series, ranks: pd.Series, style: MapStyle,
                   decimals: int) -> dict[str, Any]:
    """Per area the formatted value (or the index of its missing reason), rank, index and coverage texts."""
    lang, unit = style.lang, style.unit
    flags: list[str] = []
    val: list[str | int] = []
    for value, flag in zip(values, frame.get("flag", pd.Series("", index=frame.index)), strict=True):
        if np.isnan(value):
            label = escape(flag_label(str(flag) if isinstance(flag, str) and flag else "no_data", lang))
            if label not in flags:
                flags.append(label)
            val.append(flags.index(label))
        else:
            val.append(escape(format_value(value, unit, lang, decimals)))
    rank = [int(r) if np.isfinite(r) and np.isfinite(v) else 0 for r, v in zip(ranks, values, strict=True)]
    coverage = _floats(frame, "coverage")
    cov = [escape(format_number(100 * c, lang, 0)) if np.isfinite(v) and np.isfinite(c) and c < 0.995 else None
           for v, c in zip(values, coverage, strict=True)]
    out: dict[str, Any] = {
        "label": escape(style.label),
        "val": val,
        "flags": flags,
        "rank": rank,
        "rank_total": int(ranks.notna().sum()),
        "rank_tpl": escape(text("rank", lang)),
        "cov": cov,
        "cov_tpl": escape(text("coverage", lang)),
        "suffix": city_value_line(style, decimals),
        "rel": None,
    }
    if style.scale == "relative":
        ref = style.city_label or text("city_value", lang)
        out["rel"] = [escape(format_number(r, lang, 0)) if np.isfinite(as_float(r)) else None for r in classed]
        out["rel_prefix"] = escape(f"{text('index', lang).capitalize()} ({ref} = 100): ")
    return out


def _outlines(overlays: MapOverlays, lang: str, geometry: dict[str, Any] | None,
              ids: list[str] | None) -> dict[str, Any] | None:
    if overlays.outlines is None or not len(overlays.outlines) or geometry is None or ids is None:
        return None
    items = {item["area_id"]: item for item in outline_items(overlays.outlines, lang)}
    keys = ("label", "approximate", "at", "leader")
    return {"geometry": geometry,
            "items": [{"id": a, **{k: items[a][k] for k in keys}} if a in items else None for a in ids]}


def _projects(overlays: MapOverlays, lang: str) -> dict[str, Any] | None:
    if overlays.projects is None or not len(overlays.projects):
        return None
    return {**project_columns(overlays.projects, lang), "svgLimit": SVG_LIMIT}


def locations_payload(locations: gpd.GeoDataFrame | None, lang: str) -> list[list] | None:
    """Rows of the location points for the component (None for none)."""
    if locations is None or not len(locations):
        return None
    return location_rows(locations, lang)
