"""Simplified, nested web layers (GeoJSON) for the browser map, and a coverage check.

The full-resolution areas (several MB) are too heavy for a web map, but naive
per-polygon simplification tears shared borders apart (slivers and gaps between
neighbours). So each city's finest tiling level is simplified ONCE as a coverage
(:func:`shapely.coverage_simplify`, edge by edge, in the metric CRS), and every
coarser level is the dissolve of those simplified units: all levels nest and
share their borders exactly. Coordinates are then rounded to
``config.WEB_COORD_DECIMALS`` in EPSG:4326; identical vertices round identically,
so neighbours stay glued.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from io import BytesIO
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines import config
from pipelines.errors import InputError, PipelineError
from pipelines.sources.area_checks import AREAS_TABLE, city_areas_metric

# Simplification tolerances (metres) tried in order until the byte budgets hold.
# 5 m is invisible at city zoom and keeps Berlin's 542 Planungsräume well under 1.2 MB.
SIMPLIFY_TOLERANCES_M: tuple[float, ...] = (5.0, 8.0, 12.0, 20.0, 35.0)
# Slivers narrower than this (metres) between source polygons are closed before simplifying
# (Munich's Bezirksteile have a 0.09 m² hole that rounding would widen).
CLEAN_GAP_WIDTH_M = 1.0
BASE_PROPERTIES: tuple[str, ...] = ("area_id", "name", "level", "city", "parent_id", "approximate")
HANDLUNGSRAUM_EXTRAS: tuple[str, ...] = ("short_name", "members", "member_level", "status", "status_en",
                                         "source_quote", "source_url",
                                         "note_de", "note_en")


def build_web_layers(areas: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame]) -> dict[str, bytes]:
    """Compact GeoJSON per city × level, e.g. ``{"berlin_planungsraum.geojson": b"..."}``.

    Tries :data:`SIMPLIFY_TOLERANCES_M` from fine to coarse and returns the first
    set of layers within ``config.WEB_TOTAL_MAX_BYTES`` (all layers) and
    ``config.WEB_PLR_MAX_BYTES`` (Berlin Planungsräume).
    """
    return build_web_layer_frames(areas)[1]


def build_web_layer_frames(areas: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
                           ) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, bytes]]:
    """:func:`build_web_layers` plus the layer frames the GeoJSON was written from (same keys).

    The frames hold exactly the written geometry (rounded, EPSG:4326), so a report on them needs
    no re-reading of the GeoJSON.
    """
    sizes: dict[str, int] = {}
    for tolerance in SIMPLIFY_TOLERANCES_M:
        frames = simplify_web_layers(areas, tolerance)
        out = {name: layer_to_geojson(frame) for name, frame in frames.items()}
        sizes = {k: len(v) for k, v in out.items()}
        plr = sizes.get(config.web_layer_name("berlin", "planungsraum"), 0)
        if sum(sizes.values()) <= config.WEB_TOTAL_MAX_BYTES and plr <= config.WEB_PLR_MAX_BYTES:
            return frames, out
    raise PipelineError(
        f"web layers exceed the size budget even at {SIMPLIFY_TOLERANCES_M[-1]} m tolerance: {sizes} "
        f"(limits: total {config.WEB_TOTAL_MAX_BYTES}, Planungsräume {config.WEB_PLR_MAX_BYTES} bytes)")


def simplify_web_layers(areas: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
                        tolerance_m: float) -> dict[str, gpd.GeoDataFrame]:
    """Simplified layers in EPSG:4326, keyed by file name (``config.web_layer_name``), coordinates rounded.

    ``areas`` is the canonical areas table (one frame in any CRS, or one frame per city).
    ``tolerance_m`` is the coverage-simplification tolerance in metres.
    """
    out: dict[str, gpd.GeoDataFrame] = {}
    for city in config.CITIES:
        frame = city_areas_metric(areas, city)
        if frame.empty:
            continue
        for level, layer in _simplify_city(frame, city, tolerance_m).items():
            layer = layer.to_crs(config.WEB_CRS)
            layer = layer.set_geometry(_round_coverage(layer.geometry.values, config.WEB_COORD_DECIMALS))
            layer.attrs["simplify_tolerance_m"] = tolerance_m
            out[config.web_layer_name(city, level)] = layer
    return out


def _simplify_city(frame: gpd.GeoDataFrame, city: str, tolerance_m: float) -> dict[str, gpd.GeoDataFrame]:
    """Simplify the finest tiling level once; dissolve it into every coarser level."""
    levels = [lv for lv in config.COVERAGE_LEVELS[city] if (frame["level"] == lv).any()]
    if not levels:
        raise InputError(AREAS_TABLE, f"no tiling level for {city}",
                         fix=f"the area stage must produce one of {config.COVERAGE_LEVELS[city]}")
    finest = frame[frame["level"] == levels[-1]].sort_values("area_id").reset_index(drop=True)
    simple = shapely.coverage_simplify(_clean_coverage(finest.geometry.values), tolerance_m)
    finest = finest.set_geometry(gpd.GeoSeries(simple, crs=frame.crs))
    out = {levels[-1]: finest}
    ancestors = _ancestor_table(frame, finest, levels, city)
    for level in [*levels[:-1], "stadt"]:
        target = frame[frame["level"] == level]
        if not target.empty:
            out[level] = _dissolve_into(finest, ancestors[level], target)
    hr = frame[frame["level"] == "handlungsraum"]
    if not hr.empty:
        out["handlungsraum"] = _handlungsraum_layer(hr, finest, ancestors, tolerance_m)
    return {lv: out[lv] for lv in config.LEVELS[city] if lv in out}


def _ancestor_table(frame: gpd.GeoDataFrame, finest: gpd.GeoDataFrame, levels: list[str],
                    city: str) -> pd.DataFrame:
    """For each finest unit (index aligned with ``finest``) its id at every coarser level, via parent_id."""
    table = pd.DataFrame({levels[-1]: finest["area_id"].astype(str).values})
    for child, parent in zip(levels[::-1], [*levels[::-1][1:], "stadt"], strict=True):
        parents = frame[frame["level"] == child].set_index("area_id")["parent_id"].astype(str)
        table[parent] = table[child].map(parents)
        missing = table[table[parent].isna()]
        if not missing.empty:
            raise InputError(AREAS_TABLE, f"{city} {child} without parent_id",
                             where=f"area_id {missing[child].iloc[0]}", fix="set parent_id in the area stage")
    return table


def _dissolve_into(finest: gpd.GeoDataFrame, parent_ids: pd.Series, target: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Coarser units as the union of their simplified children (shared edges stay shared)."""
    geoms = {}
    for pid, idx in parent_ids.groupby(parent_ids.values).groups.items():
        geoms[str(pid)] = shapely.coverage_union_all(finest.geometry.values[np.asarray(idx)])
    missing = sorted(set(target["area_id"].astype(str)) - set(geoms))
    if missing:
        raise InputError(AREAS_TABLE, f"{len(missing)} {target['level'].iloc[0]} area(s) contain no finer unit",
                         where=f"area_id {missing[:5]}", fix="check parent_id of the finer level")
    target = target.sort_values("area_id").reset_index(drop=True)
    return target.set_geometry(gpd.GeoSeries([geoms[a] for a in target["area_id"].astype(str)], crs=finest.crs))


def _handlungsraum_layer(hr: gpd.GeoDataFrame, finest: gpd.GeoDataFrame, ancestors: pd.DataFrame,
                         tolerance_m: float) -> gpd.GeoDataFrame:
    """Handlungsräume from their member units' simplified shapes, else (own perimeter) simplified alone."""
    geoms = []
    for _, row in hr.iterrows():
        level = str(row.get("member_level") or "")
        members = {m.strip() for m in str(row.get("members") or "").split(",") if m.strip()}
        if level in ancestors.columns and members:
            mask = ancestors[level].isin(members).to_numpy()
            if mask.any():
                geoms.append(shapely.coverage_union_all(finest.geometry.values[mask]))
                continue
        geoms.append(shapely.simplify(row.geometry, tolerance_m, preserve_topology=True))
    return hr.set_geometry(gpd.GeoSeries(geoms, index=hr.index, crs=hr.crs)).sort_values("area_id")


def _clean_coverage(geoms: np.ndarray) -> np.ndarray:
    """Valid polygons, shared edges made identical, hair-line gaps closed (input of the simplifier)."""
    geoms = geoms.copy()
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = [_polygonal(g) for g in shapely.make_valid(geoms[bad])]
    return shapely.coverage_clean(geoms, gap_width=CLEAN_GAP_WIDTH_M)


def _round_coverage(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """Round every vertex; repair the rare self-touching ring the rounding creates.

    Shared vertices round to the same value on both sides, so shared borders stay
    shared; only geometries made invalid by rounding are repaired (polygonal part kept).
    """
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    bad = ~shapely.is_valid(rounded)
    if bad.any():
        fixed = shapely.make_valid(rounded[bad], method="structure", keep_collapsed=False)
        rounded[bad] = [_polygonal(g) for g in fixed]
    return rounded


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def layer_to_geojson(layer: gpd.GeoDataFrame) -> bytes:
    """Compact GeoJSON FeatureCollection (no spaces, UTF-8, coordinates as rounded)."""
    if layer.crs is None or not layer.crs.equals(config.WEB_CRS):
        raise ValueError(f"web layers must be in {config.WEB_CRS}, got {layer.crs}")
    cols = [c for c in (*BASE_PROPERTIES, *HANDLUNGSRAUM_EXTRAS) if c in layer.columns]
    features = []
    for row, geom in zip(layer[cols].to_dict("records"), layer.geometry.values, strict=True):
        props = {k: _json_value(v) for k, v in row.items()}
        features.append({"type": "Feature", "properties": props, "geometry": _geometry_json(geom)})
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def layer_from_geojson(data: bytes) -> gpd.GeoDataFrame:
    """Parse a web layer back (properties stay text: area ids keep their leading zeros)."""
    return gpd.read_file(BytesIO(data), engine="pyogrio")


def _geometry_json(geom: shapely.Geometry) -> dict[str, Any]:
    mapped = shapely.geometry.mapping(geom)
    if _already_rounded(geom, config.WEB_COORD_DECIMALS):  # the usual case (simplify_web_layers rounds)
        return {"type": mapped["type"], "coordinates": mapped["coordinates"]}
    return {"type": mapped["type"], "coordinates": _round_nested(mapped["coordinates"])}


def _already_rounded(geom: shapely.Geometry, decimals: int) -> bool:
    """True if Python's ``round(c, decimals)`` would return every coordinate unchanged (2D only).

    A coordinate ``y`` with ``np.round(y, d) == y`` is the double nearest to k / 10**d, and
    rounding that double to d places gives k / 10**d again, so ``round`` keeps it.
    """
    if shapely.has_z(geom):
        return False
    xy = shapely.get_coordinates(geom)
    return bool(np.all(np.abs(xy) < 1e9)) and bool(np.array_equal(np.round(xy, decimals), xy))


def _round_nested(coords: Any) -> Any:
    if isinstance(coords[0], float | int):
        return [round(float(c), config.WEB_COORD_DECIMALS) for c in coords[:2]]
    return [_round_nested(c) for c in coords]


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | np.floating):
        return value.item()
    return str(value) if not isinstance(value, int | float) else value


def coverage_report(layer: gpd.GeoDataFrame | bytes, reference: gpd.GeoDataFrame | None = None) -> dict[str, Any]:
    """Is the layer a clean coverage? Areas in m², measured in the city's metric CRS.

    ``layer`` is a layer frame or the GeoJSON bytes from :func:`build_web_layers`.

    Returns ``n_features``, ``is_valid_coverage`` (:func:`shapely.coverage_is_valid`),
    ``invalid_edges`` (polygons with invalid coverage edges), ``overlap_m2`` (sum of
    areas minus area of the union), ``gap_m2`` (holes inside the union that the
    reference — the unsimplified areas, if given — does not have) and, with a
    reference, ``boundary_diff_m2``/``boundary_diff_share`` (symmetric difference of
    the outer unions: the price of simplifying the city boundary).
    """
    if isinstance(layer, bytes | bytearray):
        layer = layer_from_geojson(bytes(layer))
    metric = _to_metric(layer)
    geoms = shapely.make_valid(metric.geometry.values)
    valid = bool(shapely.coverage_is_valid(geoms))
    union = shapely.coverage_union_all(geoms) if valid else shapely.union_all(geoms)
    holes = _holes(union)
    report: dict[str, Any] = {
        "n_features": int(len(geoms)),
        "is_valid_coverage": valid,
        # a valid coverage has no invalid edge (GEOS: isValid is "no invalid edge found")
        "invalid_edges": 0 if valid else int((~shapely.is_empty(shapely.coverage_invalid_edges(geoms))).sum()),
        "overlap_m2": float(max(shapely.area(geoms).sum() - union.area, 0.0)),
    }
    if reference is not None:
        ref_union = shapely.union_all(shapely.make_valid(_to_metric(reference).geometry.values))
        holes = holes.difference(_holes(ref_union))
        diff = union.symmetric_difference(ref_union).area
        report["boundary_diff_m2"] = float(diff)
        report["boundary_diff_share"] = float(diff / ref_union.area) if ref_union.area else 0.0
    report["gap_m2"] = float(holes.area)
    return report


def _holes(geom: shapely.Geometry) -> shapely.Geometry:
    rings = [shapely.Polygon(r) for p in shapely.get_parts(geom) if p.geom_type == "Polygon" for r in p.interiors]
    return shapely.union_all(rings) if rings else shapely.Polygon()


def _to_metric(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if layer.crs is None:
        raise ValueError("layer has no CRS")
    if not layer.crs.is_geographic:
        return layer
    cities = set(layer["city"]) if "city" in layer.columns else set()
    if len(cities) != 1:
        raise ValueError(f"a geographic layer needs exactly one city to pick a metric CRS, got {cities}")
    return layer.to_crs(config.CITY_CRS[cities.pop()])
