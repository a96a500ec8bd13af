"""Berlin's LOR 2021 hierarchy as canonical areas: Planungsraum up to Bezirk and the city.

The 542 Planungsräume (PLR) are the base unit. Their 8-digit ``PLR_ID`` encodes the
hierarchy (BEZ(2) PGR(2) BZR(2) PLR(2)), so every higher level is the PLR dissolved
by an id prefix: the levels then tile the city exactly and aggregates never see gaps
or double counts. The official Bezirksregion/Prognoseraum/Bezirk files only supply
names, and their geometry serves as a golden check of the dissolve (overlap share,
recorded as a finding per level).

All geometry stays in EPSG:25833 (metres), so ``area_km2`` is a true area.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipelines import config
from pipelines.aggregate import membership_from_parents
from pipelines.errors import InputError
from pipelines.registry import latest_source
from pipelines.sources.area_checks import (
    check_area_features,
    city_area,
    finish_areas,
    intersection_over_union,
    official_names,
    read_area_layer,
    report_overlap,
)
from pipelines.stage import BuildContext

STAGE = "areas_berlin"
CITY = "berlin"
CITY_ID = config.CITY_IDS[CITY]
CITY_NAME = "Berlin"
CRS = config.CITY_CRS[CITY]
# Number of PLR_ID digits that identify each level (the id is a prefix of the PLR_ID).
PREFIX_DIGITS: dict[str, int] = {"bezirk": 2, "prognoseraum": 4, "bezirksregion": 6, "planungsraum": 8}
PARENT_LEVEL: dict[str, str] = {
    "planungsraum": "bezirksregion", "bezirksregion": "prognoseraum", "prognoseraum": "bezirk", "bezirk": "stadt",
}
GOLDEN_MIN_OVERLAP = 0.99  # dissolved vs official geometry, intersection / union
_PLR_ID = re.compile(r"^\d{8}$")


def stage(ctx: BuildContext) -> gpd.GeoDataFrame:
    """Build the Berlin areas (stadt, bezirk, prognoseraum, bezirksregion, planungsraum) in EPSG:25833.

    ``population`` is left empty here (the LOR files carry none); see
    :func:`pipelines.builder.stages.fill_population`.
    """
    plr_src = latest_source(ctx.sources, "berlin_lor_plr", ctx.paths.geodata)
    plr_path = plr_src.path(ctx.paths.geodata)
    plr = read_area_layer(plr_path, "berlin_lor_plr")
    plr = _check_plr(ctx, plr, plr_path)

    bzr_src, pgr_src, bez_src = (latest_source(ctx.sources, k, ctx.paths.geodata)
                                 for k in ("berlin_lor_bzr", "berlin_lor_pgr", "berlin_bezirke"))
    bzr = read_area_layer(bzr_src.path(ctx.paths.geodata), "berlin_lor_bzr")
    pgr = read_area_layer(pgr_src.path(ctx.paths.geodata), "berlin_lor_pgr")
    bez = read_area_layer(bez_src.path(ctx.paths.geodata), "berlin_bezirke")
    bez = bez.to_crs(CRS)  # ALKIS Bezirke come in EPSG:4326: reproject explicitly before any comparison
    bez["bez_id"] = bez["Gemeinde_s"].str.strip().str[-2:]

    official = {
        "bezirksregion": _official(bzr, "BZR_ID", "BZR_NAME", bzr_src.path(ctx.paths.geodata)),
        "prognoseraum": _official(pgr, "PGR_ID", "PGR_NAME", pgr_src.path(ctx.paths.geodata)),
        "bezirk": _official(bez, "bez_id", "Gemeinde_n", bez_src.path(ctx.paths.geodata)),
    }
    base = gpd.GeoDataFrame(
        {"level": "planungsraum", "area_id": plr["PLR_ID"], "name": plr["PLR_NAME"].str.strip()},
        geometry=plr.geometry.values, crs=CRS,
    )
    parts = [city_area(base, CITY_ID, CITY_NAME), base]
    for level in ("bezirk", "prognoseraum", "bezirksregion"):
        dissolved = _dissolve(base, PREFIX_DIGITS[level], level)
        dissolved["name"] = _names(ctx, dissolved["area_id"], official[level], level)
        _golden_check(ctx, dissolved, official[level], level)
        parts.append(dissolved)
    areas = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=CRS)
    return finish_areas(areas.assign(parent_id=_parent_ids(areas)), CITY)


def berlin_membership(areas: gpd.GeoDataFrame | pd.DataFrame) -> pd.DataFrame:
    """Map every Planungsraum to its Bezirksregion, Prognoseraum, Bezirk and the city.

    Columns ``child_id, level, area_id`` (input of :func:`pipelines.aggregate.aggregate_long`);
    the chain follows ``parent_id`` so it always agrees with the areas table.
    """
    ber = areas[areas["city"] == CITY] if "city" in areas.columns else areas
    parent = dict(zip(ber["area_id"], ber["parent_id"], strict=True))
    level_of = dict(zip(ber["area_id"], ber["level"], strict=True))
    units = ber.loc[ber["level"] == "planungsraum", ["area_id"]].reset_index(drop=True)
    cols: dict[str, list[str]] = {lvl: [] for lvl in ("bezirksregion", "prognoseraum", "bezirk", "stadt")}
    for plr_id in units["area_id"]:
        node = parent.get(plr_id)
        while node is not None and not pd.isna(node):
            cols[level_of[node]].append(node)
            node = parent.get(node)
    for lvl, ids in cols.items():
        if len(ids) != len(units):
            raise ValueError(f"areas: not every planungsraum has exactly one {lvl} ancestor")
        units[lvl] = ids
    return membership_from_parents(units, {lvl: lvl for lvl in cols}).reset_index(drop=True)


def _check_plr(ctx: BuildContext, plr: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Ids must be 8 digits and unique; invalid rings are repaired (and reported); the count is compared."""
    plr = check_area_features(
        ctx, plr, path, "PLR_ID", _PLR_ID, stage=STAGE, id_rule="is not 8 digits",
        id_fix="use the official LOR 2021 file (PLR_ID = BEZ PGR BZR PLR, text with leading zeros)",
        unique=True, what="PLR geometries")
    n = config.EXPECTED_COUNTS[(CITY, "planungsraum")]
    if len(plr) != n:
        ctx.add("warning", STAGE, f"{len(plr)} Planungsräume instead of the official {n}", source=str(path))
    return plr


def _official(gdf: gpd.GeoDataFrame, id_col: str, name_col: str, path) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame({"area_id": gdf[id_col].str.strip(), "name": gdf[name_col].str.strip()},
                           geometry=gdf.geometry.values, crs=gdf.crs)
    dup = out["area_id"][out["area_id"].duplicated()]
    if len(dup):
        raise InputError(path, f"duplicate id {dup.iloc[0]!r} in column '{id_col}'",
                         fix="use the official LOR 2021 / ALKIS file")
    return out


def _dissolve(base: gpd.GeoDataFrame, digits: int, level: str) -> gpd.GeoDataFrame:
    keyed = base[["area_id", "geometry"]].assign(area_id=base["area_id"].str[:digits])
    out = keyed.dissolve(by="area_id", as_index=False, sort=True)
    return out.assign(level=level)


def _names(ctx: BuildContext, ids: pd.Series, official: gpd.GeoDataFrame, level: str) -> pd.Series:
    """Official names by id; ids the official file lacks get a placeholder and a finding."""
    lookup = dict(zip(official["area_id"], official["name"], strict=True))
    return official_names(ctx, ids, lookup, stage=STAGE, placeholder=level.capitalize(),
                          missing=f"{level} ids in the PLR file without an official name",
                          extra=f"official {level} ids without any Planungsraum")


def overlap_share(dissolved: gpd.GeoDataFrame, official: gpd.GeoDataFrame) -> pd.Series:
    """Intersection over union (0..1) of each dissolved area with the official one of the same id."""
    return intersection_over_union(dissolved.set_index("area_id").geometry, official.set_index("area_id").geometry)


def _golden_check(ctx: BuildContext, dissolved: gpd.GeoDataFrame, official: gpd.GeoDataFrame, level: str) -> None:
    share = overlap_share(dissolved, official)
    report_overlap(ctx, share, stage=STAGE, check=f"golden check {level}: dissolved PLRs vs official geometry",
                   threshold=GOLDEN_MIN_OVERLAP, digits=4)
    ctx.notes.setdefault("berlin_golden_overlap_min", {})[level] = round(float(share.min()), 6)


def _parent_ids(areas: pd.DataFrame) -> list[str | None]:
    """Parent of every row from the id digits (the PLR_ID encodes the whole hierarchy)."""
    return [
        None if lvl == "stadt" else CITY_ID if lvl == "bezirk" else aid[: PREFIX_DIGITS[PARENT_LEVEL[lvl]]]
        for lvl, aid in zip(areas["level"], areas["area_id"], strict=True)
    ]
