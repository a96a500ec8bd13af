"""Facility locations (Kitas, youth centres): read, validate, join to every area level, count.

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

from pipelines import config
from pipelines.errors import InputError, RegistryError
from pipelines.io import read_csv_text, read_vector
from pipelines.registry import Source, sources_by_kind
from pipelines.sources.area_checks import city_areas_metric
from pipelines.sources.expectations import EXPECTATIONS
from pipelines.stage import BuildContext

STAGE = "locations"
CITY_TOLERANCE_M = 50.0  # points this close outside the city polygon still count (geocoding jitter)
COUNT_PREFIX = config.CITY_IDS
REASONS = {
    "missing_id": "rows without an id",
    "missing_coordinates": "rows without coordinates",
    "unparsable_coordinates": "rows with unparsable coordinates",
    "outside_city": f"rows more than {CITY_TOLERANCE_M:.0f} m outside the city boundary",
    "duplicate_id": "rows repeating an id already seen (the first is kept)",
}
DISTRICT_COLUMN = "Stadtbezirknr."  # Munich: the Stadtbezirk number of each facility, also without coordinates
UNLOCATED_REASONS = ("missing_coordinates", "unparsable_coordinates")
MUNICH_COLUMNS = {"location_id": "ID Einrichtung", "name": "Name Einrichtung", "category": "Einrichtungsart",
                  "provider": "Trägerschaft", "lat": "Geokoordinaten Breite", "lon": "Geokoordinaten Länge"}
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
    """Rows as ``location_id, name, category, address, provider, x, y`` (metric CRS), ``_row``, ``_reason``."""
    layer = _layer(ctx, source)
    path = source.path(ctx.paths.geodata)
    df = read_munich_kitas(path) if source.kind == "munich_kitas" else read_berlin_locations(path)
    df.insert(0, "layer", layer)
    df.insert(0, "city", source.city)
    return df


def read_munich_kitas(path: Any) -> pd.DataFrame:
    """Munich day-care CSV (UTF-8 with BOM, WGS84 lat/lon, decimal comma tolerated) in EPSG:25832."""
    raw = read_csv_text(path)
    missing = [c for c in EXPECTATIONS["munich_kitas"].columns if c not in raw.columns]
    if missing:
        raise InputError(path, f"missing column(s) {missing}", where=f"columns {list(raw.columns)}",
                         fix="use the official export of 'Kindertagesbetreuungseinrichtungen in München'")
    out = pd.DataFrame({k: raw[v].fillna("").str.strip() for k, v in MUNICH_COLUMNS.items()})
    house = raw["Haus-nr."].fillna("") + raw.get("Hausnummernzusatz", pd.Series("", index=raw.index)).fillna("")
    out["address"] = _address(raw["Straße"], house, raw["PLZ"], raw["Ort"])
    out["_row"] = [f"Zeile {i + 2}" for i in range(len(raw))]  # CSV line (header is line 1)
    district = raw.get(DISTRICT_COLUMN, pd.Series("", index=raw.index)).fillna("").str.strip()
    out["district"] = district.where(~district.str.fullmatch(r"\d{1,2}"), district.str.zfill(2))
    lat, lon, reason = _parse_latlon(out.pop("lat"), out.pop("lon"))
    xy = gpd.GeoSeries(gpd.points_from_xy(lon.fillna(0), lat.fillna(0)), crs=config.WEB_CRS).to_crs(
        config.CITY_CRS["munich"])
    out["x"], out["y"] = np.where(reason == "", xy.x, np.nan), np.where(reason == "", xy.y, np.nan)
    out["_reason"] = np.where(out["location_id"] == "", "missing_id", reason)
    return out


def read_berlin_locations(path: Any) -> pd.DataFrame:
    """Berlin WFS export (kita / jfe GeoJSON) reprojected to EPSG:25833 after an explicit CRS check."""
    id_column, *required_columns = EXPECTATIONS["berlin_locations"].columns
    gdf = read_vector(path, id_columns=(id_column,))
    for required in required_columns:
        if required not in gdf.columns:
            raise InputError(path, f"missing column '{required}'", where=f"columns {list(gdf.columns)}",
                             fix="use the official WFS export (kita / jfe)")
    target = config.CITY_CRS["berlin"]
    if not gdf.crs.equals(target):
        gdf = gdf.to_crs(target)
    def col(name: str) -> pd.Series:
        return gdf[name].fillna("").astype(str).str.strip() if name in gdf.columns else pd.Series("", index=gdf.index)

    zusatz = col("e_zusatz") if "e_zusatz" in gdf.columns else col("e_zus")
    out = pd.DataFrame({"location_id": col("e_nr"), "name": col("e_name"), "category": col("e_art"),
                        "provider": col("t_name"),
                        "address": _address(col("e_strasse"), col("e_hnr") + zusatz, col("e_plz"), col("e_ort"))})
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    point = ~empty & (geom.geom_type == "Point")
    out["_row"] = [f"feature {i + 1}" for i in range(len(gdf))]
    out["x"] = np.where(point, geom.x.where(point), np.nan)
    out["y"] = np.where(point, geom.y.where(point), np.nan)
    reason = np.where(empty, "missing_coordinates", np.where(point, "", "unparsable_coordinates"))
    out["_reason"] = np.where(out["location_id"] == "", "missing_id", reason)
    return out


def _address(street: pd.Series, house: pd.Series, plz: pd.Series, town: pd.Series) -> pd.Series:
    first = (street.fillna("").str.strip() + " " + house.fillna("").str.strip()).str.strip()
    second = (plz.fillna("").str.strip() + " " + town.fillna("").str.strip()).str.strip()
    return (first + ", " + second).str.strip(", ")


def _parse_latlon(lat: pd.Series, lon: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Floats from text ("48,13" accepted) and a reason per row ("" when fine)."""
    def num(s: pd.Series) -> pd.Series:
        return pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce")
    la, lo = num(lat), num(lon)
    blank = (lat == "") | (lon == "")
    bad = la.isna() | lo.isna() | ~la.between(-90, 90) | ~lo.between(-180, 180)
    reason = np.where(blank, "missing_coordinates", np.where(bad, "unparsable_coordinates", ""))
    return la.where(reason == ""), lo.where(reason == ""), reason


def _city_polygon(city_areas: gpd.GeoDataFrame) -> Any:
    stadt = city_areas[city_areas["level"] == "stadt"]
    if stadt.empty:  # fall back to the union of the finest tiling level
        stadt = city_areas[city_areas["level"].isin(config.COVERAGE_LEVELS[city_areas["city"].iloc[0]])]
    return stadt.geometry.union_all()


def _validate(ctx: BuildContext, source: Source, raw: pd.DataFrame, city: Any) -> gpd.GeoDataFrame:
    """Mark outside/duplicate rows, report every reason as a finding, return the kept points."""
    crs = config.CITY_CRS[source.city]
    pts = gpd.GeoSeries(gpd.points_from_xy(raw["x"], raw["y"]), index=raw.index, crs=crs)
    ok = raw["_reason"] == ""
    outside = ok & (pts[ok].distance(city) > CITY_TOLERANCE_M).reindex(raw.index, fill_value=False)
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


def assign_areas(points: gpd.GeoDataFrame, city_areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``area_id_<level>`` for every non-city level of ``city_areas`` (both in the same metric CRS).

    Tiling levels get exactly one id (a point on a shared border goes to the lower id; one in the
    tolerance band just outside goes to the nearest area); Handlungsräume may overlap, so a point gets
    every id it falls in, comma-separated, or none.
    """
    if points.crs is None or not points.crs.equals(city_areas.crs):
        raise ValueError(f"points CRS {points.crs} differs from areas CRS {city_areas.crs}")
    out = points.copy()
    city = city_areas["city"].iloc[0]
    levels = [lv for lv in config.LEVELS[city] if lv != "stadt"]
    # tiling levels first: overlapping areas defined by members fall back on their members' ids
    for level in sorted(levels, key=lambda lv: lv not in config.COVERAGE_LEVELS[city]):
        polys = city_areas.loc[city_areas["level"] == level, ["area_id", "geometry"]].sort_values("area_id")
        if polys.empty:
            continue
        hits = gpd.sjoin(out[["geometry"]], polys, predicate="intersects", how="inner")
        if level in config.COVERAGE_LEVELS[city]:
            ids = hits.groupby(level=0)["area_id"].min()
            rest = out.index.difference(ids.index)
            if len(rest):
                near = gpd.sjoin_nearest(out.loc[rest, ["geometry"]], polys, max_distance=CITY_TOLERANCE_M)
                ids = pd.concat([ids, near.groupby(level=0)["area_id"].min()])
        else:
            ids = hits.groupby(level=0)["area_id"].agg(lambda s: ",".join(sorted(s)))
            ids = _by_members(out, city_areas, level, ids)
        out[f"area_id_{level}"] = ids.reindex(out.index).astype("string")
    return out[[*points.columns.drop("geometry", errors="ignore"),
                *(f"area_id_{lv}" for lv in levels if f"area_id_{lv}" in out.columns), "geometry"]]


def _by_members(points: gpd.GeoDataFrame, city_areas: gpd.GeoDataFrame, level: str, ids: pd.Series) -> pd.Series:
    """Overlapping areas defined by members (Handlungsräume) for points in none of their polygons.

    Such a point still belongs to those whose member unit it was assigned to (e.g. a Kita in the
    50 m band outside the city that counts for Stadtbezirk 19 counts for Südwest too).
    """
    areas = city_areas[city_areas["level"] == level]
    if "members" not in areas.columns or "member_level" not in areas.columns:
        return ids
    rest = points.index.difference(ids.index)
    extra = {}
    for i in rest:
        found = sorted(str(a.area_id) for a in areas.itertuples()
                       if f"area_id_{a.member_level}" in points.columns
                       and pd.notna(points.at[i, f"area_id_{a.member_level}"])
                       and str(points.at[i, f"area_id_{a.member_level}"]) in
                       {m.strip() for m in str(a.members).split(",")})
        if found:
            extra[i] = ",".join(found)
    return pd.concat([ids, pd.Series(extra, dtype=object)]) if extra else ids


def unlocated_rows(raw: pd.DataFrame, city_areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Rows without (usable) coordinates whose Stadtbezirk number is known: counted where the level allows.

    Munich's day-care list gives every facility's Stadtbezirk number, also for the 62 without
    coordinates. Returns ``category`` and ``area_id_stadtbezirk`` (plus ``area_id_handlungsraum`` for
    Handlungsräume made of whole Stadtbezirke) per such row; empty for sources without that column.
    Finer levels (Bezirksteile, Handlungsräume built from Bezirksteile) cannot place them.
    """
    cols = ["category", "area_id_stadtbezirk", "area_id_handlungsraum"]
    if "district" not in raw.columns or "_reason" not in raw.columns:
        return pd.DataFrame(columns=cols)
    districts = set(city_areas.loc[city_areas["level"] == "stadtbezirk", "area_id"].astype(str))
    rows = raw[raw["_reason"].isin(UNLOCATED_REASONS) & raw["district"].isin(districts)]
    out = pd.DataFrame({"category": rows["category"].to_numpy(), "area_id_stadtbezirk": rows["district"].to_numpy()})
    hr = city_areas[city_areas["level"] == "handlungsraum"]
    whole = {} if "member_level" not in hr.columns else {
        str(r.area_id): {m.strip() for m in str(r.members).split(",")}
        for r in hr.itertuples() if r.member_level == "stadtbezirk"}
    out["area_id_handlungsraum"] = [",".join(sorted(h for h, ms in whole.items() if d in ms)) or pd.NA
                                    for d in out["area_id_stadtbezirk"]]
    return out


def count_per_area(points: gpd.GeoDataFrame, city_areas: gpd.GeoDataFrame, indicator_id: str,
                   period: str, unlocated: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long rows: number of points per area at every level (0 where none), ``stadt`` = all points.

    Levels for which ``points`` has no ``area_id_<level>`` column are left out. ``unlocated``
    (see :func:`unlocated_rows`) adds facilities without coordinates to the city and to every
    area of a level for which it has an ``area_id_<level>``.
    """
    extra = unlocated if unlocated is not None else pd.DataFrame()
    city = city_areas["city"].iloc[0]
    rows = []
    for level in config.LEVELS[city]:
        ids = city_areas.loc[city_areas["level"] == level, "area_id"].astype(str)
        if ids.empty:
            continue
        if level == "stadt":
            n = pd.Series(len(points) + len(extra), index=ids.values)
        elif f"area_id_{level}" not in points.columns:
            continue  # level not joined: no count rather than a false zero
        else:
            col = points[f"area_id_{level}"].dropna().astype(str)
            if f"area_id_{level}" in extra.columns:
                col = pd.concat([col, extra[f"area_id_{level}"].dropna().astype(str)], ignore_index=True)
            col = col[col != ""]
            n = col.str.split(",").explode().value_counts().reindex(ids.values, fill_value=0)
        rows.append(pd.DataFrame({"level": level, "area_id": ids.values, "value": n.values.astype(float)}))
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "city", city)
    out["indicator_id"], out["period"] = indicator_id, period
    out["numerator"], out["denominator"], out["coverage"], out["flag"] = np.nan, np.nan, 1.0, ""
    return out[list(config.INDICATOR_COLUMNS)]


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
