"""Facility locations (Kitas, youth centres): the build stage that validates, joins and counts them.

Bad rows are never dropped silently: rows without or with unparsable coordinates,
outside the city or with a repeated id are left out of ``locations.parquet`` and
reported as findings (stage ``locations``) with counts and example rows, and the
per-source tally goes to ``ctx.notes["locations"]`` for the manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines import config
from pipelines.errors import RegistryError
from pipelines.registry import Source, sources_by_kind
from pipelines.sources.area_checks import city_areas_metric
from pipelines.sources.location_counts import CITY_TOLERANCE_M, assign_areas, count_per_area, unlocated_rows
from pipelines.sources.location_rows import read_berlin_locations, read_munich_kitas
from pipelines.stage import BuildContext

STAGE = "locations"
COUNT_PREFIX = config.CITY_IDS
REASONS = {
    "missing_id": "rows without an id",
    "missing_coordinates": "rows without coordinates",
    "unparsable_coordinates": "rows with unparsable coordinates",
    "outside_city": f"rows more than {CITY_TOLERANCE_M:.0f} m outside the city boundary",
    "duplicate_id": "rows repeating an id already seen (the first is kept)",
}
LAYER_TEXT = {
    "kita": ("Kindertageseinrichtungen (Anzahl)", "Day-care facilities (count)",
             "Zahl der Kindertageseinrichtungen mit Standort im Gebiet.",
             "Number of day-care facilities located in the area."),
    "youth_centre": ("Jugendfreizeiteinrichtungen (Anzahl)", "Youth centres (count)",
                     "Zahl der Jugendfreizeiteinrichtungen (inkl. Kinderfarmen) mit Standort im Gebiet.",
                     "Number of youth centres (incl. children's farms) located in the area."),
}


def stage(ctx: BuildContext, areas: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
          ) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """Locations of every registered location source, their counts per area, and the count catalog.

    Returns ``(locations, indicators, catalog)``: canonical locations in EPSG:4326 with
    ``area_id_<level>`` columns; long indicator rows ``<muc|ber>_<layer>_count`` (sum,
    every level incl. ``stadt``, period = the source's ``reference_date``); catalog rows.
    """
    newest: dict[tuple[str, str], tuple[str, gpd.GeoDataFrame]] = {}  # (city, layer) -> newest edition
    counts: list[pd.DataFrame] = []
    notes: dict[str, Any] = ctx.notes.setdefault(STAGE, {})
    for source in sources_by_kind(ctx.sources, "munich_kitas") + sources_by_kind(ctx.sources, "berlin_locations"):
        city_areas = city_areas_metric(areas, source.city)
        if city_areas.empty:
            ctx.add("info", STAGE, f"{source.city} not built: locations skipped", source=source.id)
            continue
        raw = _read_source(ctx, source)
        kept = _validate(ctx, source, raw, _city_polygon(city_areas))
        kept = assign_areas(kept, city_areas)
        counts.append(count_per_area(kept, city_areas, _count_id(source), source.reference_date,
                                     unlocated=unlocated_rows(raw, city_areas)))
        notes[source.id] = {"rows": int(len(raw)), "kept": int(len(kept)),
                            "excluded": {k: int(v) for k, v in raw["_reason"].value_counts().items() if k}}
        key = (source.city, _layer(ctx, source))
        if source.reference_date >= newest.get(key, ("", kept))[0]:  # only the newest edition goes to the map
            newest[key] = (source.reference_date, kept.to_crs(config.WEB_CRS))
    locations = _combine([frame for _, frame in newest.values() if not frame.empty])
    indicators = pd.concat(counts, ignore_index=True) if counts else pd.DataFrame(columns=config.INDICATOR_COLUMNS)
    return locations, indicators, _catalog(ctx, indicators)


def _layer(ctx: BuildContext, source: Source) -> str:
    layer = source.extra.get("layer", "")
    if layer not in LAYER_TEXT:
        raise RegistryError(ctx.paths.sources_registry, f"layer {layer!r} unknown", where=f"source {source.id}",
                            fix=f"set layer to one of {sorted(LAYER_TEXT)}")
    return layer


def _count_id(source: Source) -> str:
    return f"{COUNT_PREFIX[source.city]}_{source.extra.get('layer')}_count"


def _read_source(ctx: BuildContext, source: Source) -> pd.DataFrame:
    """Rows as ``location_id, name, category, address, provider, x, y`` (metric CRS), ``_row``, ``_reason``.

    Read once per build (``ctx.reads``): the derived stage asks again for the newest edition's rows.
    Each caller gets its own copy, because :func:`_validate` marks reasons in the frame it is given.
    """
    layer = _layer(ctx, source)
    path = source.path(ctx.paths.geodata)
    key = ("locations", source.id, str(path))
    if key not in ctx.reads:
        df = read_munich_kitas(path) if source.kind == "munich_kitas" else read_berlin_locations(path)
        df.insert(0, "layer", layer)
        df.insert(0, "city", source.city)
        ctx.reads[key] = df
    return ctx.reads[key].copy()


def _city_polygon(city_areas: gpd.GeoDataFrame) -> Any:
    stadt = city_areas[city_areas["level"] == "stadt"]
    if stadt.empty:  # fall back to the union of the finest tiling level
        stadt = city_areas[city_areas["level"].isin(config.COVERAGE_LEVELS[city_areas["city"].iloc[0]])]
    return stadt.geometry.union_all()


def _farther_than(pts: gpd.GeoSeries, city: Any, metres: float) -> pd.Series:
    """``pts.distance(city) > metres``, measuring only the points outside the city (distance 0 inside).

    Nearly every facility lies inside: a prepared point-in-polygon test settles those, and only the
    rest pays for an exact distance to the long city boundary.
    """
    geoms = np.asarray(pts.values)
    shapely.prepare(city)  # the city polygon is this stage's own union: preparing it changes no value
    inside = shapely.intersects(city, geoms)
    far = np.zeros(len(geoms), dtype=bool)
    rest = np.flatnonzero(~inside)
    if len(rest):
        far[rest] = shapely.distance(city, geoms[rest]) > metres
    return pd.Series(far, index=pts.index)


def _validate(ctx: BuildContext, source: Source, raw: pd.DataFrame, city: Any) -> gpd.GeoDataFrame:
    """Mark outside/duplicate rows, report every reason as a finding, return the kept points."""
    crs = config.CITY_CRS[source.city]
    pts = gpd.GeoSeries(gpd.points_from_xy(raw["x"], raw["y"]), index=raw.index, crs=crs)
    ok = raw["_reason"] == ""
    outside = ok & _farther_than(pts[ok], city, CITY_TOLERANCE_M).reindex(raw.index, fill_value=False)
    raw.loc[outside, "_reason"] = "outside_city"
    ok = raw["_reason"] == ""
    dup = ok & raw.loc[ok, "location_id"].duplicated().reindex(raw.index, fill_value=False)
    raw.loc[dup, "_reason"] = "duplicate_id"
    for reason, text in REASONS.items():
        bad = raw[raw["_reason"] == reason]
        if not bad.empty:
            examples = ", ".join(f"{r} (id {i or '–'})" for r, i in zip(bad["_row"][:5], bad["location_id"][:5],
                                                                       strict=True))
            ctx.add("warning", STAGE, f"{len(bad)} {text} left out of locations", source=source.id,
                    where=examples + (" …" if len(bad) > 5 else ""), count=int(len(bad)))
    keep = raw["_reason"] == ""
    cols = [c for c in config.LOCATION_COLUMNS if c != "geometry"]
    return gpd.GeoDataFrame(raw.loc[keep, cols].reset_index(drop=True),
                            geometry=pts[keep].reset_index(drop=True), crs=crs)


def _combine(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in config.LOCATION_COLUMNS if c != "geometry"},
                                geometry=[], crs=config.WEB_CRS)
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=config.WEB_CRS)
    area_cols = [f"area_id_{lv}" for city in config.CITIES for lv in config.LEVELS[city]
                 if f"area_id_{lv}" in out.columns]
    return out[[*(c for c in config.LOCATION_COLUMNS if c != "geometry"), *area_cols, "geometry"]]


def _catalog(ctx: BuildContext, indicators: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for ind_id, rows in indicators.groupby("indicator_id", sort=True):
        city = rows["city"].iloc[0]
        layer = str(ind_id).removeprefix(f"{COUNT_PREFIX[city]}_").removesuffix("_count")
        label_de, label_en, def_de, def_en = LAYER_TEXT[layer]
        sources = [s.id for s in ctx.sources if s.kind in ("munich_kitas", "berlin_locations")
                   and s.city == city and s.extra.get("layer") == layer]
        out.append({
            "indicator_id": ind_id, "group": city, "topic": "standorte", "label_de": label_de,
            "label_en": label_en, "unit": "Einrichtungen", "unit_en": "facilities", "definition_de": def_de,
            "definition_en": def_en, "polarity": "neutral", "aggregation": "sum", "scale": 1,
            "comparability_note_de": "Zählt Einrichtungen, nicht Plätze; Standorte laut Verzeichnis zum Stichtag.",
            "comparability_note_en": "Counts facilities, not places; locations as listed on the reference date.",
            "source_ids": sources,
            "levels": {city: sorted(rows["level"].unique(), key=config.LEVELS[city].index)},
            "periods": {city: sorted(rows["period"].unique())},
        })
    return out


def unlocated_for(ctx: BuildContext, city: str, layer: str, city_areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """:func:`unlocated_rows` of the newest registered source of ``city``/``layer`` (empty if none)."""
    kinds = sources_by_kind(ctx.sources, "munich_kitas") + sources_by_kind(ctx.sources, "berlin_locations")
    sources = [s for s in kinds if s.city == city and s.extra.get("layer") == layer]
    if not sources or city_areas.empty:
        return pd.DataFrame(columns=["category", "area_id_stadtbezirk", "area_id_handlungsraum"])
    newest = max(sources, key=lambda s: s.reference_date)
    if not newest.path(ctx.paths.geodata).exists():  # the locations stage reports a missing file; nothing to add
        return pd.DataFrame(columns=["category", "area_id_stadtbezirk", "area_id_handlungsraum"])
    return unlocated_rows(_read_source(ctx, newest), city_areas)
