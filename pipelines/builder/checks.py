"""Contract checks on the canonical tables before a build is written, and catalog merging.

A table that breaks the contract in ``docs/architecture.md`` (missing column,
wrong CRS, duplicate key, unknown flag) stops the build with every problem
listed; softer deviations (an official count not reproduced) become findings in
the manifest.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import pandas as pd

from pipelines import config
from pipelines.errors import PipelineError
from pipelines.stage import BuildContext

PERIOD_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_LISTED = 12


class BuildValidationError(PipelineError):
    """The stages produced tables that break the contract; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n  - ".join(problems[:MAX_LISTED])
        more = f"\n  … and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        super().__init__(f"build output failed validation ({len(problems)} problem(s)); "
                         f"the previous build is untouched:\n  - {shown}{more}")


def validate_tables(ctx: BuildContext, areas: dict[str, gpd.GeoDataFrame], indicators: pd.DataFrame,
                    locations: gpd.GeoDataFrame, catalog: list[dict[str, Any]]) -> None:
    """Raise :class:`BuildValidationError` listing every contract violation; add findings for the rest."""
    problems: list[str] = []
    area_keys: set[tuple[str, str, str]] = set()
    for city, gdf in areas.items():
        problems += _check_areas(ctx, city, gdf)
        area_keys |= set(zip([city] * len(gdf), gdf["level"].astype(str), gdf["area_id"].astype(str), strict=True))
    problems += _check_indicators(ctx, indicators, area_keys, {e.get("indicator_id") for e in catalog})
    problems += _check_locations(locations, set(areas))
    ids = [str(e.get("indicator_id")) for e in catalog]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        problems.append(f"catalog: duplicate indicator_id {dup[:5]}")
    if problems:
        raise BuildValidationError(problems)


def _missing(df: pd.DataFrame, cols: tuple[str, ...], what: str) -> list[str]:
    miss = [c for c in cols if c not in df.columns]
    return [f"{what}: missing columns {miss}"] if miss else []


def _check_areas(ctx: BuildContext, city: str, gdf: gpd.GeoDataFrame) -> list[str]:
    what = f"areas ({city})"
    problems = _missing(gdf, config.AREA_COLUMNS, what)
    if problems:
        return problems
    if gdf.crs is None or not gdf.crs.equals(config.CITY_CRS[city]):
        problems.append(f"{what}: CRS {gdf.crs} but the stage contract is {config.CITY_CRS[city]}")
    if (gdf["city"] != city).any():
        problems.append(f"{what}: {(gdf['city'] != city).sum()} rows with another city value")
    bad_levels = sorted(set(gdf["level"]) - set(config.LEVELS[city]))
    if bad_levels:
        problems.append(f"{what}: unknown levels {bad_levels}")
    if not all(isinstance(v, str) for v in gdf["area_id"]):
        problems.append(f"{what}: area_id must be text (IDs keep their leading zeros)")
    dup = gdf[gdf.duplicated(["city", "level", "area_id"], keep=False)]
    if len(dup):
        example = dup[["level", "area_id"]].head(3).values.tolist()
        problems.append(f"{what}: duplicate (city, level, area_id) e.g. {example}")
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        problems.append(f"{what}: {int(gdf.geometry.isna().sum() + gdf.geometry.is_empty.sum())} rows without geometry")
    invalid = int((~gdf.geometry.is_valid).sum())
    if invalid:
        ctx.add("warning", "validate", f"{invalid} invalid geometries in {city} areas", count=invalid)
    counts = gdf["level"].value_counts()
    for (c, level), expected in config.EXPECTED_COUNTS.items():
        if c == city and int(counts.get(level, 0)) != expected:
            ctx.add("warning", "validate", f"{city} {level}: {int(counts.get(level, 0))} areas, official count "
                    f"is {expected}", where=level)
    return problems


def _check_indicators(ctx: BuildContext, ind: pd.DataFrame, area_keys: set[tuple[str, str, str]],
                      catalog_ids: set[Any]) -> list[str]:
    problems = _missing(ind, config.INDICATOR_COLUMNS, "indicators")
    if problems or ind.empty:
        return problems
    bad_flags = sorted(set(ind["flag"].fillna("").astype(str).unique()) - set(config.FLAGS))
    if bad_flags:
        problems.append(f"indicators: unknown flags {bad_flags} (allowed: {config.FLAGS})")
    bad_city = sorted(set(ind["city"].astype(str).unique()) - set(config.CITIES))
    if bad_city:
        problems.append(f"indicators: unknown city values {bad_city}")
    keys = ["city", "level", "area_id", "indicator_id", "period"]
    dup = ind[ind.duplicated(keys, keep=False)]
    if len(dup):
        problems.append(f"indicators: {len(dup)} duplicate rows on {keys}, e.g. "
                        f"{dup[keys].head(2).values.tolist()}")
    periods = ind["period"].astype(str).drop_duplicates()
    bad_periods = [p for p in periods if not PERIOD_RE.match(p)]
    if bad_periods:
        problems.append(f"indicators: periods must be YYYY-MM-DD, found {bad_periods[:5]}")
    cov = pd.to_numeric(ind["coverage"], errors="coerce")
    if ((cov < -1e-9) | (cov > 1 + 1e-9)).any():
        problems.append(f"indicators: {int(((cov < 0) | (cov > 1)).sum())} coverage values outside 0..1")
    flagged_with_value = (ind["flag"].fillna("") != "") & ind["value"].notna()
    if flagged_with_value.any():
        example = ind.loc[flagged_with_value, keys].head(2).values.tolist()
        problems.append(f"indicators: {int(flagged_with_value.sum())} flagged rows still carry a value "
                        f"(flagged values must be NaN), e.g. {example}")
    unflagged_nan = (ind["flag"].fillna("") == "") & ind["value"].isna()
    if unflagged_nan.any():
        ctx.add("warning", "validate", "indicator rows with no value and no flag", count=int(unflagged_nan.sum()))
    ind_keys = ind[["city", "level", "area_id"]].drop_duplicates().astype(str)
    orphans = [k for k in zip(ind_keys["city"], ind_keys["level"], ind_keys["area_id"], strict=True)
               if k not in area_keys and k[0] in {a[0] for a in area_keys}]
    if orphans:
        problems.append(f"indicators: {len(orphans)} (city, level, area_id) not in areas, e.g. {orphans[:3]}")
    no_catalog = sorted(set(ind["indicator_id"].unique()) - catalog_ids)
    if no_catalog:
        problems.append(f"catalog: no entry for {len(no_catalog)} indicator_id(s), e.g. {no_catalog[:5]}")
    return problems


def _check_locations(loc: gpd.GeoDataFrame, cities: set[str]) -> list[str]:
    problems = _missing(loc, config.LOCATION_COLUMNS, "locations")
    if problems or loc.empty:
        return problems
    if loc.crs is None:
        problems.append("locations: no CRS")
    dup = loc[loc.duplicated(["city", "layer", "location_id"], keep=False)]
    if len(dup):
        problems.append(f"locations: duplicate (city, layer, location_id), e.g. "
                        f"{dup[['city', 'layer', 'location_id']].head(3).values.tolist()}")
    bad_city = sorted(set(loc["city"]) - cities)
    if bad_city:
        problems.append(f"locations: rows for cities that were not built {bad_city}")
    return problems


def merge_catalog(entries: list[dict[str, Any]], previous: list[dict[str, Any]] | None = None,
                  keep_cities: list[str] | None = None) -> list[dict[str, Any]]:
    """One catalog entry per indicator_id; per-city ``levels``/``periods`` and ``source_ids`` are merged.

    With ``previous`` (the last build's catalog) and ``keep_cities`` (cities not
    rebuilt), the kept cities' parts of previous entries are carried over, so a
    ``--city`` build does not lose the other city's catalog.
    """
    merged: dict[str, dict[str, Any]] = {}
    for e in entries:
        _merge_entry(merged, e, cities=None)
    if previous and keep_cities:
        for e in previous:
            iid = str(e.get("indicator_id"))
            if iid in merged:
                _merge_entry(merged, e, cities=keep_cities)
            elif _has_city(e, keep_cities):
                merged[iid] = _only_cities(dict(e), keep_cities)
    return list(merged.values())


def _merge_entry(merged: dict[str, dict[str, Any]], e: dict[str, Any], cities: list[str] | None) -> None:
    iid = e["indicator_id"]
    if iid not in merged:
        merged[iid] = dict(e)
        return
    cur = merged[iid]
    for key in ("levels", "periods"):
        a, b = cur.get(key), e.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            cur[key] = {**a, **{c: v for c, v in b.items() if cities is None or c in cities}}
        elif a in (None, {}, []) and b:
            cur[key] = b
    src = list(cur.get("source_ids") or [])
    cur["source_ids"] = src + [s for s in (e.get("source_ids") or []) if s not in src]
    for k, v in e.items():
        if cur.get(k) in (None, "", [], {}) and v not in (None, "", [], {}):
            cur[k] = v


def _has_city(e: dict[str, Any], cities: list[str]) -> bool:
    levels = e.get("levels")
    if isinstance(levels, dict):
        return any(levels.get(c) for c in cities)
    return e.get("group") in cities


def _only_cities(e: dict[str, Any], cities: list[str]) -> dict[str, Any]:
    for key in ("levels", "periods"):
        if isinstance(e.get(key), dict):
            e[key] = {c: v for c, v in e[key].items() if c in cities}
    return e


def count_summary(areas: pd.DataFrame, indicators: pd.DataFrame, locations: pd.DataFrame) -> dict[str, Any]:
    """Counts per city and level (areas), per city (indicator rows and ids) and per city and layer (locations)."""
    out: dict[str, Any] = {"areas": {}, "indicators": {}, "locations": {}}
    for city in config.CITIES:
        a = areas[areas["city"] == city]
        if len(a):
            vc = a["level"].value_counts()
            out["areas"][city] = {lvl: int(vc[lvl]) for lvl in config.LEVELS[city] if lvl in vc}
        i = indicators[indicators["city"] == city]
        if len(i):
            out["indicators"][city] = {"rows": int(len(i)), "indicator_ids": int(i["indicator_id"].nunique()),
                                       "flagged": int((i["flag"].fillna("") != "").sum())}
        loc = locations[locations["city"] == city] if len(locations) else locations
        if len(loc):
            out["locations"][city] = {str(k): int(v) for k, v in loc["layer"].value_counts().sort_index().items()}
    return out
