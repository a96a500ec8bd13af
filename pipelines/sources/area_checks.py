"""Checks and finishing steps shared by the area stages of both cities.

Munich (Stadtbezirke, Bezirksteile) and Berlin (LOR Planungsräume) read official
polygon files with the same traps: ids that lost their leading zeros, features
without geometry, self-intersecting rings. Both compare a dissolve with official
geometry and end in the canonical areas table. One implementation here keeps the
two cities' rules, error messages and column contract from drifting apart; the
city modules pass their own wording where the messages name city vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines import config
from pipelines.errors import InputError
from pipelines.io import read_vector
from pipelines.sources.expectations import EXPECTATIONS
from pipelines.stage import BuildContext

_TEXT_COLUMNS = ("city", "level", "area_id", "name", "parent_id")
AREAS_TABLE = "areas table (output of the area stages)"  # names the table in errors about it



def read_area_layer(path: Path, kind: str) -> gpd.GeoDataFrame:
    """Read an official area layer with the CRS and id columns of :mod:`pipelines.sources.expectations`."""
    exp = EXPECTATIONS[kind]
    return read_vector(path, expected_crs=exp.crs, id_columns=exp.columns)


def check_area_features(ctx: BuildContext, gdf: gpd.GeoDataFrame, path: Path, id_col: str,
                        pattern: re.Pattern[str], *, stage: str, id_rule: str | None = None,
                        id_fix: str = "use the official file (ids are text with leading zeros)",
                        unique: bool = False, what: str = "geometries") -> gpd.GeoDataFrame:
    """Validate the ids and geometry of one official area file; return it with stripped ids.

    Ids must match ``pattern`` (text with leading zeros: a numeric read would lose
    them) and, with ``unique``, occur once (files whose areas come in pieces are
    dissolved later and pass ``unique=False``). A feature without geometry is an
    error, because an area without a polygon cannot be mapped or aggregated.
    Invalid rings (e.g. bow-ties) are repaired with ``make_valid`` and reported as
    a warning finding, since the official files occasionally hold them; what
    ``make_valid`` cannot turn into a non-empty valid geometry is an error.

    Args:
        ctx: build context that receives the repair finding.
        gdf: the file as read by :func:`pipelines.io.read_vector`.
        path: the file, named in every error and finding.
        id_col: the id column (text).
        pattern: what a valid id looks like.
        stage: stage name of the finding.
        id_rule: how the bad-id message ends (default "does not look like <pattern>").
        id_fix: the fix named for a bad id.
        unique: whether a duplicate id is an error.
        what: the noun of the repair finding ("invalid <what> repaired with make_valid").

    Raises:
        InputError: a bad or duplicate id, a feature without geometry, or unrepairable geometry.
    """
    rule = id_rule or f"does not look like {pattern.pattern}"
    ids = gdf[id_col].str.strip()
    for i, value in enumerate(ids):
        if pd.isna(value) or not pattern.match(value):
            raise InputError(path, f"{id_col} {value!r} {rule}", where=f"feature {i}", fix=id_fix)
    if unique:
        dup = ids[ids.duplicated()]
        if len(dup):
            raise InputError(path, f"duplicate {id_col} {dup.iloc[0]!r} ({len(dup)} duplicate(s))",
                             where=f"feature {int(dup.index[0])} ({id_col} {dup.iloc[0]})",
                             fix="remove the duplicated feature or download the official file again")
    gdf = gdf.assign(**{id_col: ids})
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise InputError(path, "features without geometry", where=f"{id_col} {gdf.loc[empty, id_col].tolist()[:5]}",
                         fix="download the official file again")
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = shapely.make_valid(gdf.loc[invalid, "geometry"].values)
        still = ~gdf.geometry.is_valid | gdf.geometry.is_empty
        if still.any():
            raise InputError(path, "invalid geometry that make_valid cannot repair",
                             where=f"{id_col} {gdf.loc[still, id_col].tolist()[:5]}",
                             fix="repair the polygons in a GIS or download the official file again")
        ctx.add("warning", stage, f"invalid {what} repaired with make_valid", source=str(path),
                where=", ".join(gdf.loc[invalid, id_col]), count=int(invalid.sum()))
    return gdf


def official_names(ctx: BuildContext, ids: pd.Series, lookup: Mapping[str, str], *, stage: str, placeholder: str,
                   missing: str, extra: str) -> pd.Series:
    """Name every id from an official lookup; gaps on either side become warning findings.

    An id without an official name keeps ``"<placeholder> <id>"`` instead of failing
    the build (the geometry is still right); official ids without any geometry are
    reported too, because they hint at mismatched editions. ``missing`` and
    ``extra`` are the two findings' messages.
    """
    absent = sorted(set(ids) - set(lookup))
    if absent:
        ctx.add("warning", stage, missing, where=", ".join(absent), count=len(absent))
    unused = sorted(set(lookup) - set(ids))
    if unused:
        ctx.add("warning", stage, extra, where=", ".join(unused), count=len(unused))
    return ids.map(lambda i: lookup.get(i, f"{placeholder} {i}"))


def city_area(parts: gpd.GeoDataFrame, area_id: str, name: str) -> gpd.GeoDataFrame:
    """The one ``stadt`` row: the union of ``parts`` (so the city tiles exactly with its levels)."""
    return gpd.GeoDataFrame({"level": ["stadt"], "area_id": [area_id], "name": [name], "parent_id": [None]},
                            geometry=[shapely.union_all(parts.geometry.values)], crs=parts.crs)


def intersection_over_union(a: gpd.GeoSeries, b: gpd.GeoSeries) -> pd.Series:
    """Intersection over union (0..1) of the geometries of ``a`` and ``b`` with the same index (id).

    The golden checks compare a dissolve with the official polygons: 1 means the
    same shape, an id that ``b`` lacks (or an empty pair) scores 0. Result is
    indexed like ``a`` and named ``overlap``.

    Raises:
        ValueError: the two CRS differ (areas would be compared in different units).
    """
    if not a.crs.equals(b.crs):
        raise ValueError(f"CRS differ: {a.crs} vs {b.crs}")
    other = b.reindex(a.index)
    a_geoms, b_geoms = np.asarray(a.values), np.asarray(other.values)
    inter = shapely.area(shapely.intersection(a_geoms, b_geoms))
    # |A ∪ B| = |A| + |B| - |A ∩ B|: the union's area without computing the union (an overlay as costly
    # as the intersection); a missing or empty geometry has area 0 and NaN stays NaN, as before
    union = shapely.area(a_geoms) + np.nan_to_num(shapely.area(b_geoms), nan=0.0) - np.nan_to_num(inter, nan=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = inter / np.where(union > 0, union, 0.0)
    return pd.Series(np.nan_to_num(share, nan=0.0), index=a.index, name="overlap")


def report_overlap(ctx: BuildContext, share: pd.Series, *, stage: str, check: str, threshold: float,
                   digits: int) -> None:
    """Record a golden check of ``share`` (intersection over union per id) as one finding.

    ``info`` when every id reaches ``threshold``, else ``warning`` listing the ids below
    it: a dissolve that misses the official geometry means a wrong edition or a broken
    file, which the analyst must see in the manifest but which need not stop the build.
    ``check`` opens the message; the minimum is shown with ``digits`` decimals, each
    listed id with one fewer.
    """
    bad = share[share < threshold]
    ctx.add("info" if bad.empty else "warning", stage,
            f"{check}, minimum overlap {share.min():.{digits}f} (intersection/union; threshold {threshold})",
            where=", ".join(f"{i} ({v:.{digits - 1}f})" for i, v in bad.items()), count=len(share))


def finish_areas(areas: pd.DataFrame, city: str) -> gpd.GeoDataFrame:
    """Turn a city's area rows (level, area_id, name, parent_id, geometry) into the canonical table.

    Adds ``city``, an empty ``population`` (filled later from the population
    indicators), ``area_km2`` (true km², because the city CRS is metric) and
    ``approximate`` = False (official areas are exact); sorts by the city's level
    order, then id; ids and names become text so leading zeros survive; columns
    follow ``config.AREA_COLUMNS``.

    Raises:
        ValueError: ``areas`` carries a CRS other than the city's metric one.
    """
    crs = config.CITY_CRS[city]
    if isinstance(areas, gpd.GeoDataFrame) and areas.crs is not None and not areas.crs.equals(crs):
        raise ValueError(f"areas of {city} are in {areas.crs}, expected {crs}")
    out = gpd.GeoDataFrame(areas, geometry="geometry", crs=crs)
    out["city"] = city
    out["population"] = np.nan
    out["area_km2"] = out.geometry.area / 1e6
    out["approximate"] = False
    order = {lvl: i for i, lvl in enumerate(config.LEVELS[city])}
    out = out.assign(_o=out["level"].map(order)).sort_values(["_o", "area_id"]).drop(columns="_o")
    for col in _TEXT_COLUMNS:
        out[col] = out[col].astype("string")
    return gpd.GeoDataFrame(out[list(config.AREA_COLUMNS)].reset_index(drop=True), geometry="geometry", crs=crs)


def city_areas_metric(areas: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame], city: str) -> gpd.GeoDataFrame:
    """Rows of one city reprojected to its metric CRS (``config.CITY_CRS``), CRS checked explicitly.

    Accepts the combined areas table in any CRS or a mapping ``city -> frame``.
    """
    frame = areas.get(city) if isinstance(areas, Mapping) else areas
    if frame is None:
        return gpd.GeoDataFrame({"city": [], "level": [], "area_id": []}, geometry=[], crs=config.CITY_CRS[city])
    if frame.crs is None:
        raise InputError(AREAS_TABLE, "has no CRS", fix="set the CRS in the area stage (EPSG:25832/25833)")
    frame = frame[frame["city"] == city]
    return frame.to_crs(config.CITY_CRS[city]) if not frame.crs.equals(config.CITY_CRS[city]) else frame.copy()
