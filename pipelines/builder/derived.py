"""Indicators defined purely in ``indicators.toml``: copies, rates per population, densities, sums.

An ``[[indicator]]`` entry's per-city table (``[indicator.munich]``/``[indicator.berlin]``)
says how to derive it from rows that already exist (see the header of
``indicators.toml``). Mappings with ``source_kind`` are read by other stages and
skipped here. Derived entries may build on each other (``kitas_per_1000_u6``
needs ``muc_under6``), so they run in dependency order; a cycle or an unknown
id is a :class:`~pipelines.errors.RegistryError` naming the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import config
from pipelines.builder.web_layers import city_areas_metric
from pipelines.errors import RegistryError
from pipelines.sources.indikatorenatlas.periods import ANNUAL_MEAN, STICHTAG, YEAR_MIDDLE
from pipelines.sources.location_counts import count_per_area
from pipelines.sources.locations import unlocated_for
from pipelines.stage import BuildContext

STAGE = "derived"
RULES = ("from", "locations_layer", "numerator_indicator", "sum_of_numerators")
LOCATION_KINDS = ("munich_kitas", "berlin_locations")
KEYS = ["level", "area_id", "period"]

Task = tuple[str, str]  # (indicator id, city)


def stage(ctx: BuildContext, areas: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame], indicators: pd.DataFrame,
          locations: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """New indicator rows (canonical columns) and their catalog rows, for every derived registry mapping.

    ``indicators`` holds the rows of all earlier stages; only the rows added here are returned.
    A city without any input rows (not built) is skipped.
    """
    path = ctx.paths.indicators_registry
    entries = {e["id"]: e for e in ctx.indicator_registry.get("indicator", [])}
    built = set(indicators["city"].unique()) if len(indicators) else set()
    tasks = {(iid, city): e[city] for iid, e in entries.items() for city in config.CITIES
             if city in built and isinstance(e.get(city), dict) and "source_kind" not in e[city]}
    for (iid, city), mapping in tasks.items():
        if not any(k in mapping for k in RULES):
            raise RegistryError(path, f"[indicator.{city}] has none of {RULES} and no source_kind",
                                where=f"indicator {iid}", fix="add one derivation rule (see the file header)")
    # _derive reads rows only by the indicator ids a mapping refers to: keep just those (same rows, same order)
    refs = {r for mapping in tasks.values() for r in references(mapping)}
    table = indicators[indicators["indicator_id"].isin(refs)] if len(indicators) else indicators
    new: list[pd.DataFrame] = []
    for iid, city in dependency_order(tasks, indicators, path):
        entry, mapping = entries[iid], tasks[(iid, city)]
        rows = _derive(ctx, entry, city, mapping, table, areas, locations)
        if rows.empty:
            ctx.add("warning", STAGE, f"{iid}: no rows derived for {city}", where=f"indicator {iid}")
            continue
        rows = rows.assign(city=city, indicator_id=iid)[list(config.INDICATOR_COLUMNS)]
        new.append(rows)
        table = pd.concat([table, rows], ignore_index=True)
    out = pd.concat(new, ignore_index=True) if new else pd.DataFrame(columns=list(config.INDICATOR_COLUMNS))
    # levels and periods from every row of the indicator (e.g. Munich residents per Bezirksteil come from
    # an earlier stage under the same id), not only from the rows derived here
    return out, [_catalog_row(ctx, entries[iid], table[table["indicator_id"] == iid], tasks)
                 for iid in dict.fromkeys(out["indicator_id"])]


def references(mapping: Mapping[str, Any]) -> list[str]:
    """Indicator ids a per-city mapping reads."""
    refs = [mapping[k] for k in ("from", "per", "numerator_indicator") if k in mapping]
    return [str(r) for r in [*refs, *mapping.get("sum_of_numerators", [])]]


def dependency_order(tasks: Mapping[Task, Mapping[str, Any]], indicators: pd.DataFrame, path: Any) -> list[Task]:
    """Tasks sorted so that every task runs after the derived tasks it reads (Kahn's algorithm).

    Raises :class:`RegistryError` for an id that is neither derived nor in ``indicators`` (same city),
    and for a cycle.
    """
    pairs = indicators[["city", "indicator_id"]].drop_duplicates() if len(indicators) else None
    present = set(zip(pairs["city"], pairs["indicator_id"], strict=True)) if pairs is not None else set()
    deps: dict[Task, set[Task]] = {}
    for (iid, city), mapping in tasks.items():
        deps[(iid, city)] = set()
        for ref in references(mapping):
            if (ref, city) in tasks:
                deps[(iid, city)].add((ref, city))
            elif (city, ref) not in present:
                raise RegistryError(path, f"[indicator.{city}] refers to unknown indicator {ref!r}",
                                    where=f"indicator {iid}",
                                    fix="check the spelling against catalog.json, or add the missing entry")
    order: list[Task] = []
    ready = sorted(t for t, d in deps.items() if not d)
    while ready:
        task = ready.pop(0)
        order.append(task)
        for t, d in deps.items():
            if task in d:
                d.discard(task)
                if not d and t not in order and t not in ready:
                    ready.append(t)
    left = sorted(t for t, d in deps.items() if d)
    if left:
        raise RegistryError(path, f"derived indicators depend on each other in a cycle: {[t[0] for t in left]}",
                            where=f"indicator {left[0][0]} ({left[0][1]})", fix="break the cycle")
    return order


def _derive(ctx: BuildContext, entry: Mapping[str, Any], city: str, mapping: Mapping[str, Any], table: pd.DataFrame,
            areas: Any, locations: gpd.GeoDataFrame) -> pd.DataFrame:
    rows = table[table["city"] == city]
    scale = float(mapping.get("scale", entry.get("scale", 1.0)))
    if "from" in mapping:
        return rows[rows["indicator_id"] == mapping["from"]].copy()
    if "sum_of_numerators" in mapping:
        return sum_of_numerators(rows, list(mapping["sum_of_numerators"]))
    if "numerator_indicator" in mapping:
        if not mapping.get("per_km2"):
            raise RegistryError(ctx.paths.indicators_registry, "numerator_indicator needs per_km2 = true",
                                where=f"indicator {entry['id']} ({city})", fix="add per_km2 = true")
        num = rows[rows["indicator_id"] == mapping["numerator_indicator"]]
        return per_km2(num, city_areas_metric(areas, city), scale)
    layer = str(mapping["locations_layer"])
    if "per" not in mapping:
        raise RegistryError(ctx.paths.indicators_registry, "locations_layer needs per = \"<count id>\"",
                            where=f"indicator {entry['id']} ({city})", fix="name the denominator count")
    points = locations[(locations["city"] == city) & (locations["layer"] == layer)] if len(locations) else locations
    if "categories" in mapping and len(points):  # e.g. only facilities for under-6s, not after-school care
        wanted = [str(c) for c in mapping["categories"]]
        unknown = sorted(set(wanted) - set(points["category"].astype(str)))
        if unknown and len(unknown) < len(set(wanted)):
            ctx.add("warning", "derived", f"categories {unknown} of {entry['id']} ({city}) do not occur in layer "
                    f"{layer!r}", source=config.INDICATORS_FILE)
        elif unknown:  # none of them: almost certainly a typo, every rate would be 0
            raise RegistryError(ctx.paths.indicators_registry, f"categories {unknown} do not occur in layer "
                                f"{layer!r} ({city})", where=f"indicator {entry['id']} ({city})",
                                fix=f"use categories of the data: {sorted(set(points['category'].astype(str)))}")
        points = points[points["category"].astype(str).isin(wanted)]
    if points.empty:
        return pd.DataFrame(columns=list(config.INDICATOR_COLUMNS))
    dates = [s.reference_date for s in ctx.sources
             if s.kind in LOCATION_KINDS and s.city == city and s.extra.get("layer") == layer]
    city_areas = city_areas_metric(areas, city)
    unlocated = unlocated_for(ctx, city, layer, city_areas)  # facilities without coordinates, by Stadtbezirk
    if "categories" in mapping:
        unlocated = unlocated[unlocated["category"].astype(str).isin([str(c) for c in mapping["categories"]])]
    counts = count_per_area(points, city_areas, "count", max(dates, default=""), unlocated=unlocated)
    return locations_per(counts, rows[rows["indicator_id"] == mapping["per"]], scale)


def locations_per(counts: pd.DataFrame, per: pd.DataFrame, scale: float) -> pd.DataFrame:
    """``scale`` × count / per-count, per area at every level where both exist.

    The denominator is the ``per`` indicator's value at the period nearest the locations'
    reference date (a list of 31.12.2022 is counted against the children of 31.12.2022, not
    of a later year), per level; without a known reference date, its latest period. The result
    keeps the count's period (or the denominator's when unknown). numerator = count,
    denominator = per-count.
    """
    latest = per[per["period"] == per.groupby("level")["period"].transform(
        lambda p: nearest_period(list(p.unique()), _reference(counts)))]
    den = latest.set_index(["level", "area_id"])
    joined = counts.join(den[["value", "flag", "coverage", "period"]].rename(
        columns={"value": "den", "flag": "den_flag", "coverage": "den_cov", "period": "den_period"}),
        on=["level", "area_id"], how="inner")
    out = joined[["level", "area_id"]].copy()
    out["period"] = joined["period"].where(joined["period"] != "", joined["den_period"])
    out["numerator"] = joined["value"].astype(float)
    out["denominator"] = joined["den"].astype(float)
    out["coverage"] = joined["den_cov"].astype(float).fillna(1.0)
    return _ratio(out, joined["den_flag"], scale)


def _reference(counts: pd.DataFrame) -> str:
    dates = [p for p in counts["period"].unique() if p] if len(counts) else []
    return max(dates, default="")


def nearest_period(periods: list[str], reference: str) -> str:
    """The ISO period closest to ``reference`` (ties: the earlier one); the latest when no reference."""
    if not periods:
        return ""
    if not reference:
        return max(periods)
    ref = pd.Timestamp(reference)
    return min(sorted(periods), key=lambda p: abs((pd.Timestamp(p) - ref).days))


def per_km2(numerator: pd.DataFrame, city_areas: gpd.GeoDataFrame, scale: float = 1.0) -> pd.DataFrame:
    """``scale`` × value / area (km²) for every row of the numerator indicator whose area is known."""
    area = city_areas[["level", "area_id"]].copy()
    area["km2"] = (city_areas["area_km2"].astype(float) if "area_km2" in city_areas.columns
                   else city_areas.geometry.area / 1e6).to_numpy()
    joined = numerator.merge(area, on=["level", "area_id"], how="inner")
    out = joined[KEYS].copy()
    out["numerator"] = joined["value"].astype(float)
    out["denominator"] = joined["km2"].astype(float)
    out["coverage"] = joined["coverage"].astype(float).fillna(1.0)
    return _ratio(out, joined["flag"], scale)


def _ratio(out: pd.DataFrame, upstream_flag: pd.Series, scale: float) -> pd.DataFrame:
    """Value = scale × numerator / denominator; flags say why not (upstream flag, no data, zero)."""
    up = upstream_flag.fillna("").astype(str).to_numpy()
    missing = out["numerator"].isna() | out["denominator"].isna()
    zero = ~missing & (out["denominator"] == 0)
    flag = np.where(up != "", up, np.where(missing, "no_data", np.where(zero, "zero_denominator", "")))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = scale * out["numerator"] / out["denominator"]
    out["value"] = np.where(flag == "", value, np.nan)
    out["flag"] = flag
    return out


def sum_of_numerators(rows: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """A count as the sum of other indicators' numerators, where all of them have a row (same area and period)."""
    parts = []
    for i, iid in enumerate(ids):
        part = rows.loc[rows["indicator_id"] == iid, [*KEYS, "numerator", "coverage", "flag"]]
        parts.append(part.rename(columns={"numerator": f"n{i}", "coverage": f"c{i}", "flag": f"f{i}"}))
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.merge(part, on=KEYS, how="inner")
    nums = joined[[f"n{i}" for i in range(len(ids))]].astype(float)
    flags = joined[[f"f{i}" for i in range(len(ids))]].fillna("").astype(str)
    first_flag = flags.apply(lambda r: next((f for f in r if f), ""), axis=1) if len(joined) else flags.iloc[:, 0]
    bad = nums.isna().any(axis=1) | (first_flag != "")
    out = joined[KEYS].copy()
    out["value"] = nums.sum(axis=1).where(~bad)
    out["numerator"] = out["denominator"] = np.nan
    out["coverage"] = joined[[f"c{i}" for i in range(len(ids))]].astype(float).min(axis=1).fillna(1.0)
    out["flag"] = np.where(bad, np.where(first_flag != "", first_flag, "no_data"), "")
    return out


def _catalog_row(ctx: BuildContext, entry: Mapping[str, Any], rows: pd.DataFrame,
                 tasks: Mapping[Task, Mapping[str, Any]]) -> dict[str, Any]:
    """Catalog entry from the registry entry; levels/periods only for the cities derived here."""
    cities = [c for c in rows["city"].unique() if (entry["id"], c) in tasks]  # in order of appearance
    sources: list[str] = []
    for city in cities:
        layer = tasks[(entry["id"], city)].get("locations_layer")
        sources += [s.id for s in ctx.sources if layer and s.kind in LOCATION_KINDS and s.city == city
                    and s.extra.get("layer") == layer]
    return {
        "indicator_id": entry["id"], "group": entry["group"], "topic": entry.get("topic", ""),
        "label_de": entry["label_de"], "label_en": entry["label_en"], "unit": entry["unit"],
        "unit_en": entry.get("unit_en", entry["unit"]), "definition_de": entry["definition_de"],
        "definition_en": entry.get("definition_en", ""), "polarity": entry["polarity"],
        "aggregation": entry["aggregation"], "scale": entry.get("scale", 1),
        "comparability_note_de": entry.get("comparability_note_de", ""),
        "comparability_note_en": entry.get("comparability_note_en", ""),
        "source_ids": sources,
        "derived_from": {c: references(tasks[(entry["id"], c)]) for c in cities},
        "levels": {c: sorted(rows.loc[rows["city"] == c, "level"].unique(), key=config.LEVELS[c].index)
                   for c in cities},
        "periods": {c: sorted(rows.loc[rows["city"] == c, "period"].unique()) for c in cities},
        "period_kind": {c: _period_kind(tasks[(entry["id"], c)], rows.loc[rows["city"] == c, "period"])
                        for c in cities},
    }


def _period_kind(mapping: Mapping[str, Any], periods: pd.Series) -> str:
    """What a period stands for: the mapping's ``period_kind``, else a whole year or a reference date.

    A whole year when every period is the middle of a year (how the Indikatorenatlas stores annual
    means and sums), else a reference date.
    """
    if "period_kind" in mapping:
        return str(mapping["period_kind"])
    if len(periods) and periods.astype(str).str.endswith(f"-{YEAR_MIDDLE}").all():
        return ANNUAL_MEAN
    return STICHTAG
