"""Contract checks before a build is written (:mod:`pipelines.builder.checks`).

One hand-made valid set of tables passes; each test then breaks exactly one rule and
expects :class:`BuildValidationError` naming it (or, for the soft rules, a finding).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from pipelines import config
from pipelines.builder.checks import BuildValidationError, count_summary, merge_catalog, validate_tables
from pipelines.stage import BuildContext

CRS = config.CITY_CRS["munich"]
X0, Y0 = 690_000, 5_330_000


def _ctx() -> BuildContext:
    return BuildContext(config.resolve_paths(Path("/nonexistent/geodata")), [], {})


def _areas() -> gpd.GeoDataFrame:
    """City "muc" with two Stadtbezirke (the official count of 25 is not met: a finding, not an error)."""
    rows = [("stadt", "muc", None, box(X0, Y0, X0 + 2000, Y0 + 1000)),
            ("stadtbezirk", "01", "muc", box(X0, Y0, X0 + 1000, Y0 + 1000)),
            ("stadtbezirk", "02", "muc", box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000))]
    return gpd.GeoDataFrame({
        "city": "munich", "level": [r[0] for r in rows], "area_id": [r[1] for r in rows],
        "name": ["München", "Altstadt", "Ludwigsvorstadt"], "parent_id": [r[2] for r in rows],
        "population": [3.0, 1.0, 2.0], "area_km2": [2.0, 1.0, 1.0], "approximate": False,
    }, geometry=[r[3] for r in rows], crs=CRS)


def _indicators() -> pd.DataFrame:
    return pd.DataFrame({
        "city": "munich", "level": ["stadtbezirk", "stadtbezirk"], "area_id": ["01", "02"],
        "indicator_id": "muc_x", "period": "2024-12-31", "value": [1.0, np.nan], "numerator": np.nan,
        "denominator": np.nan, "coverage": 1.0, "flag": ["", "no_data"]})


def _locations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "city": ["munich", "munich"], "layer": "kitas", "location_id": ["k1", "k2"], "name": ["A", "B"],
        "category": "Kita", "address": "", "provider": ""},
        geometry=[Point(11.57, 48.14), Point(11.58, 48.13)], crs=config.WEB_CRS)


CATALOG = [{"indicator_id": "muc_x", "group": "munich"}]


def _validate(areas: gpd.GeoDataFrame | None = None, indicators: pd.DataFrame | None = None,
              locations: gpd.GeoDataFrame | None = None, catalog: list[dict[str, Any]] | None = None,
              ctx: BuildContext | None = None) -> None:
    validate_tables(ctx or _ctx(), {"munich": _areas() if areas is None else areas},
                    _indicators() if indicators is None else indicators,
                    _locations() if locations is None else locations, CATALOG if catalog is None else catalog)


def test_valid_tables_pass_and_unmet_official_counts_are_findings() -> None:
    ctx = _ctx()
    _validate(ctx=ctx)
    messages = [f.message for f in ctx.findings]
    assert "munich stadtbezirk: 2 areas, official count is 25" in messages
    assert all(f.severity == "warning" for f in ctx.findings)


def _set(column: str, index: int, value: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df[column] = df[column].astype(object)
        df.loc[index, column] = value
        return df
    return edit


AREA_BREAKS: dict[str, tuple[Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame], str]] = {
    "missing column": (lambda a: a.drop(columns="parent_id"), r"areas \(munich\): missing columns \['parent_id'\]"),
    "wrong crs": (lambda a: a.to_crs(config.WEB_CRS), "but the stage contract is EPSG:25832"),
    "other city": (_set("city", 1, "berlin"), "1 rows with another city value"),
    "unknown level": (_set("level", 2, "bezirk"), r"unknown levels \['bezirk'\]"),
    "numeric id": (_set("area_id", 1, 1), "area_id must be text"),
    "duplicate key": (_set("area_id", 2, "01"), r"duplicate \(city, level, area_id\)"),
    "empty geometry": (lambda a: a.set_geometry([a.geometry[0], Polygon(), a.geometry[2]]), "1 rows without geometry"),
}


@pytest.mark.parametrize("case", list(AREA_BREAKS))
def test_each_area_rule_stops_the_build(case: str) -> None:
    edit, message = AREA_BREAKS[case]
    with pytest.raises(BuildValidationError, match=message) as err:
        _validate(areas=edit(_areas()))
    assert "the previous build is untouched" in str(err.value)


def test_invalid_area_geometry_is_a_warning() -> None:
    ctx = _ctx()
    bowtie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    areas = _areas()
    areas.loc[1, "geometry"] = bowtie
    _validate(areas=areas, ctx=ctx)
    assert "1 invalid geometries in munich areas" in [f.message for f in ctx.findings]


INDICATOR_BREAKS: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], str]] = {
    "missing column": (lambda i: i.drop(columns="coverage"), r"indicators: missing columns \['coverage'\]"),
    "unknown flag": (_set("flag", 1, "secret"), r"unknown flags \['secret'\]"),
    "unknown city": (_set("city", 0, "hamburg"), r"unknown city values \['hamburg'\]"),
    "duplicate row": (_set("area_id", 1, "01"), "2 duplicate rows"),
    "bad period": (lambda i: i.assign(period="2024"), r"periods must be YYYY-MM-DD, found \['2024'\]"),
    "coverage above 1": (_set("coverage", 0, 1.5), "1 coverage values outside 0..1"),
    "flagged with value": (_set("value", 1, 5.0), "1 flagged rows still carry a value"),
    "area not in areas": (_set("area_id", 0, "99"), r"not in areas, e.g. \[\('munich', 'stadtbezirk', '99'\)\]"),
    "no catalog entry": (_set("indicator_id", 0, "muc_y"), r"catalog: no entry for 1 indicator_id\(s\)"),
}


@pytest.mark.parametrize("case", list(INDICATOR_BREAKS))
def test_each_indicator_rule_stops_the_build(case: str) -> None:
    edit, message = INDICATOR_BREAKS[case]
    with pytest.raises(BuildValidationError, match=message):
        _validate(indicators=edit(_indicators()))


def test_unflagged_missing_value_is_a_warning() -> None:
    ctx = _ctx()
    _validate(indicators=_set("flag", 1, "")(_indicators()), ctx=ctx)
    assert "indicator rows with no value and no flag" in [f.message for f in ctx.findings]


LOCATION_BREAKS: dict[str, tuple[Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame], str]] = {
    "missing column": (lambda loc: loc.drop(columns="provider"), r"locations: missing columns \['provider'\]"),
    "no crs": (lambda loc: loc.set_crs(None, allow_override=True), "locations: no CRS"),
    "duplicate id": (_set("location_id", 1, "k1"), r"duplicate \(city, layer, location_id\)"),
    "city not built": (_set("city", 1, "berlin"), r"cities that were not built \['berlin'\]"),
}


@pytest.mark.parametrize("case", list(LOCATION_BREAKS))
def test_each_location_rule_stops_the_build(case: str) -> None:
    edit, message = LOCATION_BREAKS[case]
    with pytest.raises(BuildValidationError, match=message):
        _validate(locations=edit(_locations()))


def test_duplicate_catalog_entry_stops_the_build() -> None:
    with pytest.raises(BuildValidationError, match=r"catalog: duplicate indicator_id \['muc_x'\]"):
        _validate(catalog=CATALOG + CATALOG)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(BuildValidationError) as err:
        _validate(areas=_areas().to_crs(config.WEB_CRS), indicators=_set("flag", 1, "secret")(_indicators()),
                  catalog=CATALOG + CATALOG)
    assert len(err.value.problems) == 3


def test_merge_catalog_keeps_one_entry_and_the_kept_city_of_the_previous_build() -> None:
    new = [{"indicator_id": "pop", "levels": {"munich": ["stadt"]}, "source_ids": ["a"]},
           {"indicator_id": "pop", "levels": {"berlin": ["bezirk"]}, "source_ids": ["b", "a"]}]
    merged = merge_catalog(new)
    assert merged == [{"indicator_id": "pop", "levels": {"munich": ["stadt"], "berlin": ["bezirk"]},
                       "source_ids": ["a", "b"]}]
    previous = [{"indicator_id": "old", "levels": {"berlin": ["bezirk"], "munich": ["stadt"]}},
                {"indicator_id": "gone", "levels": {"munich": ["stadt"]}}]
    kept = merge_catalog([{"indicator_id": "pop", "levels": {"munich": ["stadt"]}}], previous, ["berlin"])
    assert [e["indicator_id"] for e in kept] == ["pop", "old"]
    assert kept[1]["levels"] == {"berlin": ["bezirk"]}


def test_count_summary_counts_per_city_level_and_layer() -> None:
    counts = count_summary(_areas(), _indicators(), _locations())
    assert counts["areas"] == {"munich": {"stadt": 1, "stadtbezirk": 2}}
    assert counts["indicators"] == {"munich": {"rows": 2, "indicator_ids": 1, "flagged": 1}}
    assert counts["locations"] == {"munich": {"kitas": 2}}
