"""Berlin residents per Planungsraum, every half-year, as registry-driven indicators.

Each source of kind ``berlin_population_t1`` (residents, foreigners, migration
background) or ``berlin_population_t2`` (age groups, female) is one table of the
542 PLR at the source's ``reference_date``. An indicator whose ``[indicator.berlin]``
names that ``source_kind`` and a ``numerator`` (list of columns) is computed here:

* without ``denominator`` — a count: the sum of the numerator columns (persons);
* with ``denominator`` — a ratio: ``scale * sum(numerator) / sum(denominator)``
  (``scale`` from the berlin mapping, else the indicator's, else 1).

Counts and ratios are then aggregated from the PLR to every LOR level and the city
with :func:`pipelines.aggregate.aggregate_long`, so counts add up exactly and ratios
are ratios of sums, never means of percentages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines import config
from pipelines.aggregate import aggregate_long
from pipelines.errors import InputError, RegistryError
from pipelines.io import require_columns
from pipelines.registry import Source, sources_by_kind
from pipelines.sources.expectations import POPULATION
from pipelines.sources.plr_tables import berlin_mappings, check_plr_ids, long_table, plr_ids, read_csv_source
from pipelines.stage import BuildContext, SourceTable

STAGE = "berlin_population"
CITY = "berlin"
SOURCE_KINDS = ("berlin_population_t1", "berlin_population_t2")
ID_COLUMN, POPULATION_COLUMN = POPULATION.columns  # "id", "inhabitants"
# "-2021-01-" in a file name is the first half-year (30 June), "-2021-02-" the second (31 Dec).
_HALF_YEAR = re.compile(r"-(\d{4})-(01|02)-")
_HALF_YEAR_END = {"01": "06-30", "02": "12-31"}
Edition = tuple[str, pd.DataFrame, pd.Series]  # period, base rows of every indicator, residents per PLR


def stage(ctx: BuildContext, areas: pd.DataFrame, membership: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Read the registered population tables, then :func:`population_indicators`."""
    return population_indicators(ctx, read_population(ctx), areas, membership)


def read_population(ctx: BuildContext) -> list[SourceTable]:
    """Every registered edition of the population kinds the registry maps, as raw text tables."""
    kinds = {s["source_kind"] for s in population_specs(ctx)}
    return [read_csv_source(ctx, src) for kind in SOURCE_KINDS if kind in kinds
            for src in sources_by_kind(ctx.sources, kind)]


def population_indicators(ctx: BuildContext, tables: list[SourceTable], areas: pd.DataFrame,
                          membership: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Compute every registry indicator fed by the Berlin population tables, at all LOR levels.

    Pure: ``tables`` are the raw tables of :func:`read_population` (or hand-built ones). Returns
    the long indicator table (``config.INDICATOR_COLUMNS``, city "berlin") and one catalog row
    per indicator (Berlin side only: ``levels``/``periods`` keyed "berlin").
    """
    known = plr_ids(areas)
    specs = population_specs(ctx)
    frames: list[pd.DataFrame] = []
    used: dict[str, set[str]] = {s["id"]: set() for s in specs}
    for kind in SOURCE_KINDS:
        kind_specs = [s for s in specs if s["source_kind"] == kind]
        if not kind_specs:
            continue
        needed = sorted({c for s in kind_specs for c in s["numerator"] + s["denominator"]} | {POPULATION_COLUMN})
        editions: list[Edition] = []
        for raw in (t for t in tables if t.source.kind == kind):
            src = raw.source
            period = source_period(ctx, src)
            table = population_table(ctx, raw, known, needed)
            base = pd.concat([_base_values(table, s, period) for s in kind_specs], ignore_index=True)
            editions.append((period, base, table[POPULATION_COLUMN]))
            for s in kind_specs:
                used[s["id"]].add(src.id)
        frames += _with_aggregates(editions, membership, kind_specs)
    if not frames:
        ctx.add("warning", STAGE, "no Berlin population sources or indicators registered")
        return long_table([]), []
    long = long_table(frames)
    _check_totals(ctx, long)
    per_indicator = dict(iter(long.groupby("indicator_id", sort=False)))
    catalog = [catalog_row(s["entry"], sorted(used[s["id"]]), per_indicator.get(s["id"], long.iloc[:0]))
               for s in specs]
    return long, catalog


def population_specs(ctx: BuildContext) -> list[dict[str, Any]]:
    """Registry entries computed from a population table, checked and normalised."""
    path = ctx.paths.indicators_registry
    out: list[dict[str, Any]] = []
    for ind, ber in berlin_mappings(ctx, SOURCE_KINDS):
        num, den = list(ber.get("numerator") or []), list(ber.get("denominator") or [])
        if not num:
            raise RegistryError(path, "a population indicator needs numerator = [columns]",
                                where=f"indicator {ind['id']}", fix='e.g. numerator = ["inhabitants"]')
        rule = "ratio" if den else "sum"
        if ind["aggregation"] != rule:
            raise RegistryError(path, f"aggregation {ind['aggregation']!r} does not match the mapping ({rule})",
                                where=f"indicator {ind['id']}",
                                fix="use aggregation = 'sum' without denominator, 'ratio' with one")
        scale = float(ber.get("scale", ind.get("scale", 1.0)))
        out.append({"id": ind["id"], "source_kind": ber["source_kind"], "numerator": num, "denominator": den,
                    "rule": rule, "scale": scale, "entry": ind})
    return out


def source_period(ctx: BuildContext, src: Source) -> str:
    """The period (ISO date) of a population source; must agree with the half-year in its file name."""
    period = src.reference_date
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        raise RegistryError(ctx.paths.sources_registry, f"reference_date {period!r} is not YYYY-MM-DD",
                            where=f"source {src.id}", fix="write the half-year's last day, e.g. 2021-06-30")
    m = _HALF_YEAR.search(Path(src.files[0].path).name)
    if m and period != f"{m.group(1)}-{_HALF_YEAR_END[m.group(2)]}":
        raise RegistryError(ctx.paths.sources_registry,
                            f"reference_date {period} does not match the half-year {m.group(1)}-{m.group(2)} "
                            "in the file name", where=f"source {src.id}",
                            fix="half-year 01 ends on 06-30, 02 on 12-31")
    return period


def population_table(ctx: BuildContext, table: SourceTable, plr_ids: Iterable[str],
                     columns: Iterable[str]) -> pd.DataFrame:
    """One population table: index = PLR id (text), the requested columns as floats (persons).

    Unknown or duplicated PLR ids and non-numeric cells raise :class:`InputError`
    (file, CSV line, column); PLRs of the areas missing from the file become NaN rows
    and a warning finding.
    """
    src, path, columns = table.source, table.path, list(columns)
    raw = require_columns(
        table.frame, [*POPULATION.columns, *columns], path,
        fix="use the Open Lifeworlds planning-areas table of this kind, or fix the registry mapping")
    ids = raw[ID_COLUMN].fillna("").str.strip()
    known = set(plr_ids)
    check_plr_ids(path, ids, known, column=ID_COLUMN, fix="ids must be the 8-digit LOR 2021 PLR_ID with leading zeros")
    values = pd.DataFrame(index=pd.Index(ids, name="area_id"))
    for col in columns:
        values[col] = _numeric(raw[col], path, col).to_numpy()
    absent = sorted(known - set(ids))
    if absent:
        ctx.add("warning", STAGE, f"{len(absent)} Planungsräume missing from the table (values flagged no_data)",
                source=src.id, where=", ".join(absent[:20]), count=len(absent))
    return values.reindex(sorted(known))


def catalog_row(entry: dict[str, Any], source_ids: list[str], values: pd.DataFrame) -> dict[str, Any]:
    """One catalog dict (docs/architecture.md) for the Berlin side of a registry indicator."""
    present = set(values["level"].unique())
    levels = [lv for lv in config.LEVELS[CITY] if lv in present]
    return {
        "indicator_id": entry["id"], "group": entry["group"], "topic": entry.get("topic", entry["group"]),
        "label_de": entry["label_de"], "label_en": entry["label_en"],
        "unit": entry["unit"], "unit_en": entry.get("unit_en", entry["unit"]),
        "definition_de": entry["definition_de"], "definition_en": entry.get("definition_en", ""),
        "polarity": entry["polarity"], "aggregation": entry["aggregation"], "scale": entry.get("scale"),
        "comparability_note_de": entry.get("comparability_note_de", ""),
        "comparability_note_en": entry.get("comparability_note_en", ""),
        "source_ids": source_ids, "levels": {CITY: levels},
        "periods": {CITY: sorted(set(values["period"].unique()))},
    }


def _numeric(col: pd.Series, path: Path, name: str) -> pd.Series:
    """Text cells to floats; an empty or non-numeric cell names file, CSV line and column."""
    num = pd.to_numeric(col.str.strip(), errors="coerce")
    bad = num.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(path, f"value {col.iloc[i]!r} is not a number", where=f"Zeile {i + 2}, column '{name}'",
                         fix="the table must hold counts only; download it again")
    return num.astype(float)


def _base_values(table: pd.DataFrame, spec: dict[str, Any], period: str) -> pd.DataFrame:
    """PLR-level rows of one indicator: counts (value only) or ratios (value, numerator, denominator).

    Computed on arrays and framed once (the same columns, order and dtypes as filling a frame step by step).
    """
    num = table[spec["numerator"]].sum(axis=1, min_count=len(spec["numerator"])).to_numpy()
    nan = np.full(len(table), np.nan)
    flag = np.full(len(table), "", dtype=object)
    if spec["rule"] == "sum":
        value, numerator, denominator = num, nan, nan
    else:
        den = table[spec["denominator"]].sum(axis=1, min_count=len(spec["denominator"])).to_numpy()
        numerator, denominator = num, den
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den > 0, spec["scale"] * num / den, np.nan)
        flag[den == 0] = "zero_denominator"
    flag[np.isnan(value) & (flag == "")] = "no_data"
    return pd.DataFrame({"level": "planungsraum", "area_id": table.index, "indicator_id": spec["id"],
                         "period": period, "numerator": numerator, "denominator": denominator,
                         "flag": pd.array(flag, dtype="str"), "value": value,
                         "coverage": np.where(flag == "", 1.0, 0.0)})


def _with_aggregates(editions: list[Edition], membership: pd.DataFrame,
                     specs: list[dict[str, Any]]) -> list[pd.DataFrame]:
    """Per edition: its base rows plus their aggregates, coverage weighted by its table's residents.

    One :func:`aggregate_long` per rule and scale for all editions of a kind, not per edition:
    rows of different periods never share a group (the period is part of the key), and each
    edition's rows keep their order, so each period's slice of the batch equals what a call of
    its own returns (index aside; the caller concatenates). Editions with the same period go
    into separate batches.
    """
    out: dict[int, list[pd.DataFrame]] = {i: [base] for i, (_, base, _) in enumerate(editions)}
    for batch in _distinct_period_batches(editions):
        of_period = {editions[i][0]: i for i in batch}
        rows = pd.concat([editions[i][1].assign(_weight=editions[i][1]["area_id"].map(editions[i][2].fillna(0.0)))
                          for i in batch], ignore_index=True)
        for rule in ("sum", "ratio"):
            for scale in sorted({s["scale"] for s in specs if s["rule"] == rule}):
                ids = [s["id"] for s in specs if s["rule"] == rule and s["scale"] == scale]
                sel = rows[rows["indicator_id"].isin(ids)]
                if not len(sel):
                    continue
                agg = aggregate_long(sel, membership, rule=rule, scale=scale, weight_column="_weight")
                if rule == "sum":  # counts carry no numerator/denominator (canonical table contract)
                    agg["numerator"] = np.nan
                for period, part in agg.groupby("period", sort=False):
                    out[of_period[period]].append(part)
    return [pd.concat(parts, ignore_index=True) for _, parts in sorted(out.items())]


def _distinct_period_batches(editions: list[Edition]) -> list[list[int]]:
    """Edition positions in batches whose periods differ (one batch unless a period repeats)."""
    batches: list[tuple[set[str], list[int]]] = []
    for i, (period, _, _) in enumerate(editions):
        batch = next((b for b in batches if period not in b[0]), None)
        if batch is None:
            batch = (set(), [])
            batches.append(batch)
        batch[0].add(period)
        batch[1].append(i)
    return [ids for _, ids in batches]


def _check_totals(ctx: BuildContext, long: pd.DataFrame) -> None:
    """Golden check: the city total of ``population`` equals the sum over PLR (per period)."""
    pop = long[long["indicator_id"] == "population"]
    for period, grp in pop.groupby("period"):
        plr = grp.loc[grp["level"] == "planungsraum", "value"].sum()
        city = grp.loc[grp["level"] == "stadt", "value"].sum()
        if abs(plr - city) > 0.5:
            ctx.add("error", STAGE, f"population {period}: city {city:.0f} != sum of PLR {plr:.0f}")
        ctx.notes.setdefault("berlin_population_total", {})[str(period)] = float(city)
