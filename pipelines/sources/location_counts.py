"""Facilities to areas: which area of every level each point lies in, and how many per area.

Pure functions on frames in one metric CRS (testable with hand-made points and squares); the
``locations`` stage feeds them the validated points of each source.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines import config

CITY_TOLERANCE_M = 50.0  # points this close outside the city polygon still count (geocoding jitter)
UNLOCATED_REASONS = ("missing_coordinates", "unparsable_coordinates")


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
        hits = _intersecting(out, polys)
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


def _intersecting(points: gpd.GeoDataFrame, polys: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every (point, area) pair that intersects: ``area_id`` indexed by the point's index (as an inner sjoin).

    The tree is built on the points and queried with each polygon, so each polygon is prepared once
    and tests all its candidate points (an sjoin of the points would test every point against an
    unprepared polygon); ``intersects`` is symmetric, so the pairs are the same.
    """
    tree = shapely.STRtree(np.asarray(points.geometry.values))
    poly_pos, point_pos = tree.query(np.asarray(polys.geometry.values), predicate="intersects")
    ids = polys["area_id"].iloc[poly_pos]
    return pd.DataFrame({"area_id": ids.to_numpy()}, index=points.index[point_pos]).astype({"area_id": ids.dtype})


def _by_members(points: gpd.GeoDataFrame, city_areas: gpd.GeoDataFrame, level: str, ids: pd.Series) -> pd.Series:
    """Overlapping areas defined by members (Handlungsräume) for points in none of their polygons.

    Such a point still belongs to those whose member unit it was assigned to (e.g. a Kita in the
    50 m band outside the city that counts for Stadtbezirk 19 counts for Südwest too).
    """
    areas = city_areas[city_areas["level"] == level]
    if "members" not in areas.columns or "member_level" not in areas.columns:
        return ids
    rest = points.index.difference(ids.index)
    if not len(rest):
        return ids
    found: list[list[str]] = [[] for _ in rest]
    for area_id, member_level, members in zip(areas["area_id"], areas["member_level"], areas["members"],
                                              strict=True):
        col = f"area_id_{member_level}"
        if col not in points.columns:
            continue
        values = points.loc[rest, col]
        wanted = {m.strip() for m in str(members).split(",")}
        hit = values.notna().to_numpy() & np.fromiter((str(v) in wanted for v in values), bool, len(values))
        for k in np.flatnonzero(hit):
            found[k].append(str(area_id))
    extra = {i: ",".join(sorted(f)) for i, f in zip(rest, found, strict=True) if f}
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
