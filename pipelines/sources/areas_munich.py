"""Munich's official areas as canonical rows: the city, 25 Stadtbezirke and 108 Bezirksteile.

Both geometry files come from the city's GeoDatenService in EPSG:25832. They hold
more polygons than areas (Stadtbezirke 18 and 19, Bezirksteile 18.5 and 19.3 come in
pieces), so each level is a dissolve by its id. The Bezirksteil names are taken from the
Statistisches Amt's 2022 population table ("NN.N Name"), the spelling the Indikatorenatlas
uses. As a golden check the Bezirksteile, dissolved by their first two digits, must
cover the official Stadtbezirke (intersection over union >= 99.9 %).

All geometry stays in EPSG:25832 (metres), so ``area_km2`` is a true area.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import config
from pipelines.errors import InputError
from pipelines.io import read_csv_with_columns
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
from pipelines.sources.expectations import EXPECTATIONS
from pipelines.stage import BuildContext

STAGE = "areas_munich"
CITY = "munich"
CITY_ID = config.CITY_IDS[CITY]
CITY_NAME = "München"
CRS = config.CITY_CRS[CITY]
POPULATION_PERIOD = "2022-12-31"  # reference date of the Bezirksteil population table
GOLDEN_MIN_OVERLAP = 0.999  # Bezirksteile dissolved to Stadtbezirke vs official geometry (intersection/union)
_SB_ID = re.compile(r"^\d{2}$")
_BT_ID = re.compile(r"^\d{2}\.\d$")
_BT_LABEL = re.compile(r"^(\d{2}\.\d)\s+(\S.*)$")
_POP_COLUMNS = EXPECTATIONS["munich_bezirksteile_population"].columns


def stage(ctx: BuildContext) -> gpd.GeoDataFrame:
    """Build the Munich areas (stadt, stadtbezirk, bezirksteil) in EPSG:25832.

    ``population`` is left empty (the build fills it from the indicator ``population``).
    Raises :class:`InputError` for a wrong CRS, bad or duplicate ids, or unrepairable geometry.
    """
    sb_path = latest_source(ctx.sources, "munich_stadtbezirke", ctx.paths.geodata).path(ctx.paths.geodata)
    bt_path = latest_source(ctx.sources, "munich_bezirksteile", ctx.paths.geodata).path(ctx.paths.geodata)
    sb = check_area_features(ctx, read_area_layer(sb_path, "munich_stadtbezirke"),
                             sb_path, "sb_nummer", _SB_ID, stage=STAGE)
    bt = check_area_features(ctx, read_area_layer(bt_path, "munich_bezirksteile"),
                             bt_path, "bt_nummer", _BT_ID, stage=STAGE)

    stadtbezirke = _dissolve(sb, "sb_nummer", "stadtbezirk", sb_path)
    stadtbezirke["parent_id"] = CITY_ID
    bezirksteile = _dissolve(bt, "bt_nummer", "bezirksteil", bt_path)
    bezirksteile["name"] = _bezirksteil_names(ctx, bezirksteile["area_id"])
    bezirksteile["parent_id"] = bezirksteile["area_id"].str[:2]
    orphans = sorted(set(bezirksteile["parent_id"]) - set(stadtbezirke["area_id"]))
    if orphans:
        raise InputError(bt_path, f"Bezirksteile point to unknown Stadtbezirke {orphans}", where="column 'bt_nummer'",
                         fix="use matching editions of the Stadtbezirk and Bezirksteil files")
    city = city_area(stadtbezirke, CITY_ID, CITY_NAME)
    for level, frame, path in (("stadtbezirk", stadtbezirke, sb_path), ("bezirksteil", bezirksteile, bt_path)):
        _check_count(ctx, level, len(frame), path)
    _golden_check(ctx, bezirksteile, stadtbezirke)
    return finish_areas(pd.concat([city, stadtbezirke, bezirksteile], ignore_index=True), CITY)


def bezirksteil_population(ctx: BuildContext) -> pd.DataFrame:
    """Residents per Bezirksteil on 31.12.2022 as canonical long indicator rows.

    ``indicator_id`` is ``population``, ``value`` and ``numerator`` are persons (main residence),
    ``coverage`` 1.0. The sum over all 108 Bezirksteile is the official 1,588,330.
    """
    table = _population_table(ctx)
    return pd.DataFrame({
        "city": CITY, "level": "bezirksteil", "area_id": table["area_id"], "indicator_id": "population",
        "period": POPULATION_PERIOD, "value": table["population"], "numerator": table["population"],
        "denominator": np.nan, "coverage": 1.0, "flag": "",
    })[list(config.INDICATOR_COLUMNS)].reset_index(drop=True)



def _population_table(ctx: BuildContext) -> pd.DataFrame:
    """Parse ``NN.N Name`` and the resident count of every row; any bad row names its line."""
    path = latest_source(ctx.sources, "munich_bezirksteile_population", ctx.paths.geodata).path(ctx.paths.geodata)
    raw = read_csv_with_columns(path, _POP_COLUMNS,
                                fix="use the Indikatorenatlas export 'Räumliche Gliederung, Indikatorwert'")
    ids, names, values = [], [], []
    for i, (label, value) in enumerate(zip(raw[_POP_COLUMNS[0]], raw[_POP_COLUMNS[1]], strict=True)):
        where = f"Zeile {i + 2}"  # header is line 1
        m = _BT_LABEL.match(str(label).strip()) if isinstance(label, str) else None
        if m is None:
            raise InputError(path, f"'Räumliche Gliederung' {label!r} is not 'NN.N Name'", where=where,
                             fix="each row must start with the Bezirksteil number, e.g. '01.1 Graggenau'")
        number = pd.to_numeric(str(value).strip(), errors="coerce") if isinstance(value, str) else np.nan
        if pd.isna(number) or number < 0 or number % 1 != 0:
            raise InputError(path, f"'Indikatorwert' {value!r} is not a resident count", where=where,
                             fix="use whole numbers without thousands separators")
        ids.append(m.group(1))
        names.append(m.group(2).strip())
        values.append(float(number))
    table = pd.DataFrame({"area_id": ids, "name": names, "population": values})
    dup = table["area_id"][table["area_id"].duplicated()]
    if len(dup):
        raise InputError(path, f"Bezirksteil {dup.iloc[0]!r} appears twice", where=f"Zeile {int(dup.index[0]) + 2}",
                         fix="keep one row per Bezirksteil")
    return table.astype({"area_id": "string", "name": "string"})


def _bezirksteil_names(ctx: BuildContext, ids: pd.Series) -> pd.Series:
    """Official names by number; a geometry without a population row keeps its number and is reported."""
    table = _population_table(ctx)
    return official_names(ctx, ids, dict(zip(table["area_id"], table["name"], strict=True)), stage=STAGE,
                          placeholder="Bezirksteil", missing="Bezirksteile without a name in the population table",
                          extra="population rows without a Bezirksteil geometry")


def _dissolve(gdf: gpd.GeoDataFrame, id_col: str, level: str, path: Path) -> gpd.GeoDataFrame:
    """One row per id: pieces of one area (e.g. Stadtbezirk 18) become a MultiPolygon."""
    cols = [id_col, "geometry"] + (["name"] if "name" in gdf.columns else [])
    if "name" in gdf.columns:
        names = gdf.groupby(id_col)["name"].nunique()
        if (names > 1).any():
            raise InputError(path, f"one {id_col} has several names", where=f"{id_col} {names[names > 1].index[0]}",
                             fix="use the official file: each id must have one name")
    out = gdf[cols].dissolve(by=id_col, as_index=False, sort=True).rename(columns={id_col: "area_id"})
    if out["area_id"].duplicated().any():  # cannot happen after a dissolve unless ids differ only in type
        raise InputError(path, "duplicate ids after dissolve", where=f"column '{id_col}'", fix="check the id column")
    return out.assign(level=level)


def _check_count(ctx: BuildContext, level: str, n: int, path: Path) -> None:
    expected = config.EXPECTED_COUNTS[(CITY, level)]
    if n != expected:
        ctx.add("warning", STAGE, f"{n} {level} areas instead of the official {expected}", source=str(path))


def _golden_check(ctx: BuildContext, bezirksteile: gpd.GeoDataFrame, stadtbezirke: gpd.GeoDataFrame) -> None:
    """Bezirksteile dissolved by their first two digits must reproduce the official Stadtbezirke."""
    share = dissolve_overlap(bezirksteile, stadtbezirke)
    report_overlap(ctx, share, stage=STAGE, check="golden check: Bezirksteile dissolved to Stadtbezirke",
                   threshold=GOLDEN_MIN_OVERLAP, digits=5)
    ctx.notes["munich_golden_overlap_min"] = round(float(share.min()), 6)


def dissolve_overlap(bezirksteile: gpd.GeoDataFrame, stadtbezirke: gpd.GeoDataFrame) -> pd.Series:
    """Intersection over union (0..1) per Stadtbezirk of its dissolved Bezirksteile and its official polygon."""
    dissolved = bezirksteile.assign(sb=bezirksteile["area_id"].str[:2])[["sb", "geometry"]].dissolve(by="sb")
    return intersection_over_union(dissolved.geometry, stadtbezirke.set_index("area_id").geometry)
