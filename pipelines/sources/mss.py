"""Monitoring Soziale Stadtentwicklung (MSS) 2021 per Planungsraum, aggregated with care.

MSS publishes shares (S1, S3, S4, K-indicators), two-year changes in percentage
points (D1, D3, D4) and index classes (SI_N, DI_N) for each Planungsraum (PLR), but
no counts. To aggregate a share correctly we estimate its counts from the population
group it refers to (registry ``weight``), taken from the population table nearest in
time to the MSS reference date: numerator = value / scale * weight, denominator =
weight; a larger area then gets scale * sum(numerator) / sum(denominator), i.e. the
weight-weighted mean. Index classes are ordinal: they stay at the PLR level, and
``in_classes`` turns them into a countable share (residents in low-status PLRs).

PLRs that MSS does not rate never get a value (``-9999``, "Planungsraum ohne
Zuordnung", empty cells, ``KOM`` not "gültig"); they carry a flag and lower the
``coverage`` of the aggregates that contain them. Rules: header of the Berlin section
of ``geodata/indicators.toml``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.aggregate import aggregate_long
from pipelines.errors import InputError, RegistryError
from pipelines.io import require_columns
from pipelines.registry import Source, latest_source, sources_by_kind
from pipelines.sources.berlin_population import catalog_row, population_table
from pipelines.sources.expectations import MSS
from pipelines.sources.plr_tables import berlin_mappings, check_plr_ids, long_table, plr_ids, read_csv_source
from pipelines.stage import BuildContext, SourceTable

STAGE = "mss"
CITY = "berlin"
MSS_KINDS = ("berlin_mss_indizes", "berlin_mss_index_indikatoren", "berlin_mss_kontext_indikatoren")
DEFAULT_WEIGHT_KIND = "berlin_population_t2"
KOM_VALID = "gültig"
KOM_FLAGS = {"ungültig (EW unter 300)": "under_300", "ungültig (Ausreißer)": "outlier"}
NOT_RATED_CODES = ("-9999", "-9999.0")
NOT_RATED_TEXT = "Planungsraum ohne Zuordnung"


def stage(ctx: BuildContext, areas: pd.DataFrame, membership: pd.DataFrame,
          population: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Read the MSS tables and their weight tables, then :func:`mss_indicators`."""
    tables, weight_tables = read_mss(ctx)
    return mss_indicators(ctx, tables, weight_tables, areas, membership, population)


def read_mss(ctx: BuildContext) -> tuple[list[SourceTable], dict[str, SourceTable]]:
    """The newest table of every MSS kind the registry maps, and the population tables that weight it.

    Weight tables are keyed by source id: the edition nearest in time to each MSS table. All raw text.
    """
    specs = mss_specs(ctx)
    tables: list[SourceTable] = []
    weight_tables: dict[str, SourceTable] = {}
    for kind in MSS_KINDS:
        if not any(s["source_kind"] == kind for s in specs):
            continue
        src = latest_source(ctx.sources, kind, ctx.paths.geodata)
        tables.append(read_csv_source(ctx, src))
        for weight_kind in sorted({s["weight_kind"] for s in specs if s["weight"]}):
            chosen = weight_source(ctx, src, weight_kind)
            if chosen.id not in weight_tables:
                weight_tables[chosen.id] = read_csv_source(ctx, chosen)
    return tables, weight_tables


def mss_indicators(ctx: BuildContext, tables: list[SourceTable], weight_tables: dict[str, SourceTable],
                   areas: pd.DataFrame, membership: pd.DataFrame, population: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, list[dict]]:
    """Compute every registry indicator fed by an MSS table, at the PLR and (where allowed) all LOR levels.

    Pure: ``tables`` and ``weight_tables`` come from :func:`read_mss` (or are hand-built). Weights
    come from the population table nearest in time (named in ``ctx.notes["mss_weight_population"]``).
    ``population`` (the long table of :func:`pipelines.sources.berlin_population.stage`) is
    optional and only used to cross-check that weight table's city total.
    """
    known = plr_ids(areas)
    specs = mss_specs(ctx)
    frames: list[pd.DataFrame] = []
    catalog: list[dict] = []
    cache: dict[tuple[str, str], pd.DataFrame] = {}
    for raw in tables:
        src = raw.source
        kind_specs = [s for s in specs if s["source_kind"] == src.kind]
        if not kind_specs:
            continue
        table = mss_table(ctx, raw, known, [s["column"] for s in kind_specs])
        weights = _weights(ctx, src, known, specs, weight_tables, population, cache)
        maybe = [(spec, _indicator_base(ctx, src, table, spec, weights)) for spec in kind_specs]
        bases = [(spec, b) for spec, b in maybe if b is not None]
        aggregates = _aggregates(bases, membership)
        for spec, (base, _) in bases:
            agg = aggregates.get(spec["id"])
            rows = base if agg is None else pd.concat([base, agg], ignore_index=True)
            frames.append(rows)
            catalog.append(catalog_row(spec["entry"], [src.id], rows))
    return long_table(frames), catalog


def _aggregates(bases: list[tuple[dict[str, Any], tuple[pd.DataFrame, pd.Series | None]]],
                membership: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Aggregated rows per indicator id: one :func:`aggregate_long` per scale and weight, not per indicator.

    Rows of different indicators never share a group (the id is part of the key), and each
    indicator's rows keep their order, so every indicator's slice of the batch equals what a call
    of its own returns (index aside, which the caller drops).
    """
    batches: dict[tuple[Any, ...], list[tuple[str, pd.DataFrame, pd.Series]]] = {}
    for spec, (base, w) in bases:
        if w is not None:
            key = (spec["scale"], spec["weight_kind"], tuple(spec["weight"]))
            batches.setdefault(key, []).append((spec["id"], base, w))
    out: dict[str, pd.DataFrame] = {}
    for (scale, _, _), batch in batches.items():
        ids = [i for i, _, _ in batch]
        if len(set(ids)) < len(ids):  # the same id twice in one table: aggregate each on its own
            parts = [(i, aggregate_long(b, membership, rule="ratio", scale=scale, weights=w.fillna(0.0)))
                     for i, b, w in batch]
            out.update(parts[::-1])  # the first one wins, as the caller looks up by id
            continue
        agg = aggregate_long(pd.concat([b for _, b, _ in batch], ignore_index=True), membership, rule="ratio",
                             scale=scale, weights=batch[0][2].fillna(0.0))
        for iid, part in agg.groupby("indicator_id", sort=False):
            out[str(iid)] = part.reset_index(drop=True)
    return out


def mss_specs(ctx: BuildContext) -> list[dict[str, Any]]:
    """Registry entries computed from an MSS table, checked and normalised."""
    path = ctx.paths.indicators_registry
    out: list[dict[str, Any]] = []
    for ind, ber in berlin_mappings(ctx, MSS_KINDS):
        where = f"indicator {ind['id']}"
        if not ber.get("column"):
            raise RegistryError(path, "an MSS indicator needs column = '<MSS column>'", where=where, fix='e.g. "S4"')
        weight = list(ber.get("weight") or [])
        if ind["aggregation"] == "ratio" and not weight:
            raise RegistryError(path, "aggregation 'ratio' needs weight = [population columns]", where=where,
                                fix='e.g. weight = ["inhabitants"], or aggregation = "none"')
        if ind["aggregation"] == "sum":
            raise RegistryError(path, "MSS values are shares, changes or classes, never counts", where=where,
                                fix="use aggregation 'ratio' (with weight) or 'none'")
        out.append({"id": ind["id"], "source_kind": ber["source_kind"], "column": ber["column"], "weight": weight,
                    "weight_kind": ber.get("weight_source_kind", DEFAULT_WEIGHT_KIND),
                    "in_classes": [float(c) for c in ber.get("in_classes", [])],
                    "scale": float(ber.get("scale", ind.get("scale", 1.0))), "rule": ind["aggregation"],
                    "entry": ind})
    return out


def mss_table(ctx: BuildContext, raw_table: SourceTable, plr_ids: list[str], columns: list[str]) -> pd.DataFrame:
    """One MSS table: index PLR id; ``_flag`` from KOM ("" = rated) and each column as floats.

    A value exists only for rated PLRs: -9999, "Planungsraum ohne Zuordnung" and
    empty cells become NaN (with ``<column>__flag`` saying why). Any other
    non-numeric cell raises :class:`InputError` naming file, CSV line and column.
    """
    src, path = raw_table.source, raw_table.path
    raw = require_columns(raw_table.frame, [*MSS.columns, *columns], path,
                          fix="use the official MSS 2021 table (PLR_ID, EW, KOM and the indicator columns)")
    ids = raw["PLR_ID"].fillna("").str.strip()
    check_plr_ids(path, ids, plr_ids, column="PLR_ID",
                  fix="MSS 2021 uses the 8-digit LOR 2021 ids (text with leading zeros)")
    kom = raw["KOM"].fillna("").str.strip()
    flag = kom.map(lambda k: "" if k == KOM_VALID else KOM_FLAGS.get(k, "not_rated"))
    if "EW" in raw.columns:
        no_ew = raw["EW"].isna() & (flag == "")
        if no_ew.any():
            ctx.add("warning", STAGE, "rated Planungsräume without residents (EW empty) treated as not rated",
                    source=src.id, where=", ".join(ids[no_ew]), count=int(no_ew.sum()))
            flag = flag.mask(no_ew, "not_rated")
    out = pd.DataFrame({"_flag": flag.to_numpy()}, index=pd.Index(ids, name="area_id"))
    for col in dict.fromkeys(columns):
        values, cell_flags = _parse_column(raw[col], flag, path, col)
        out[col], out[f"{col}__flag"] = values, cell_flags
    absent = sorted(set(plr_ids) - set(ids))
    out = out.reindex(plr_ids)
    out = out.fillna({c: "no_data" for c in out.columns if c.endswith("flag")})
    if absent:
        ctx.add("warning", STAGE, f"{len(absent)} Planungsräume missing from the MSS table (flagged no_data)",
                source=src.id, where=", ".join(absent[:20]), count=len(absent))
    return out


def _parse_column(col: pd.Series, row_flag: pd.Series, path: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    text = col.fillna("").astype(str).str.strip()
    num = pd.to_numeric(text, errors="coerce")
    sentinel = text.isin(NOT_RATED_CODES) | text.str.contains(NOT_RATED_TEXT, regex=False)
    empty = text == ""
    bad = num.isna() & ~sentinel & ~empty & (row_flag == "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(path, f"value {text.iloc[i]!r} is not a number", where=f"Zeile {i + 2}, column '{name}'",
                         fix="MSS cells hold numbers, -9999 or 'Planungsraum ohne Zuordnung'")
    cell_flag = np.where(row_flag != "", row_flag, np.where(sentinel, "not_rated", np.where(empty, "no_data", "")))
    values = np.where(cell_flag == "", num.to_numpy(dtype=float, na_value=np.nan), np.nan)
    return values, cell_flag


def weight_source(ctx: BuildContext, src: Source, kind: str) -> Source:
    """The population source of ``kind`` nearest in time to the MSS table ``src`` (ties: the older one)."""
    candidates = sources_by_kind(ctx.sources, kind)
    if not candidates:
        raise InputError(ctx.paths.sources_registry,
                         f"no population source of kind {kind!r} for MSS weights",
                         fix="register a Berlin population table")
    ref = _date(src.reference_date)
    return min(candidates, key=lambda s: (abs((_date(s.reference_date) - ref).days), s.reference_date))


def _weights(ctx: BuildContext, src: Source, plr_ids: list[str], specs: list[dict[str, Any]],
             weight_tables: dict[str, SourceTable], population: pd.DataFrame | None,
             cache: dict[tuple[str, str], pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Weight columns per population kind, from the table nearest in time to the MSS date.

    ``specs`` are all MSS specs, so one table is parsed once for every MSS file (``cache``).
    """
    out: dict[str, pd.DataFrame] = {}
    for kind in sorted({s["weight_kind"] for s in specs if s["weight"]}):
        chosen = weight_source(ctx, src, kind)
        if (kind, chosen.id) in cache:
            out[kind] = cache[(kind, chosen.id)]
            continue
        if chosen.id not in weight_tables:
            raise InputError(ctx.paths.sources_registry, f"population table {chosen.id} (MSS weights) was not read",
                             where=f"source {src.id}", fix="pass the tables returned by read_mss")
        cols = sorted({c for s in specs if s["weight_kind"] == kind for c in s["weight"]} | {"inhabitants"})
        out[kind] = cache[(kind, chosen.id)] = population_table(ctx, weight_tables[chosen.id], plr_ids, cols)
        notes = ctx.notes.setdefault("mss_weight_population", chosen.id)
        if chosen.id not in str(notes):
            ctx.notes["mss_weight_population"] = f"{notes}, {chosen.id}"
        ctx.add("info", STAGE, f"MSS weights from population table {chosen.id} ({chosen.reference_date}) "
                f"for MSS data of {src.reference_date}", source=chosen.id)
        _cross_check(ctx, chosen, out[kind], population)
    return out


def _cross_check(ctx: BuildContext, chosen: Source, table: pd.DataFrame, population: pd.DataFrame | None) -> None:
    if population is None or population.empty:
        return
    city = population[(population["indicator_id"] == "population") & (population["level"] == "stadt")
                      & (population["period"] == chosen.reference_date)]
    if len(city) and abs(float(city["value"].iloc[0]) - table["inhabitants"].sum()) > 0.5:
        ctx.add("warning", STAGE, f"weight table {chosen.id}: {table['inhabitants'].sum():.0f} residents, "
                f"population indicator says {float(city['value'].iloc[0]):.0f}", source=chosen.id)


def _indicator_base(ctx: BuildContext, src: Source, table: pd.DataFrame, spec: dict[str, Any],
                    weights: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.Series | None] | None:
    """PLR rows of one indicator and the weight per PLR (None: not aggregated); None if the column is empty."""
    col = spec["column"]
    values, flags = table[col].to_numpy(dtype=float), table[f"{col}__flag"].to_numpy(dtype=object)
    if not np.isfinite(values).any():
        ctx.add("warning", STAGE, f"column {col} holds no values: indicator {spec['id']} skipped",
                source=src.id, where=f"column '{col}'")
        return None
    if spec["in_classes"]:
        values = np.where(np.isnan(values), np.nan, np.isin(values, spec["in_classes"]) * 100.0)
    base = pd.DataFrame({"level": "planungsraum", "area_id": table.index, "indicator_id": spec["id"],
                         "period": src.reference_date, "value": values, "numerator": np.nan,
                         "denominator": np.nan, "flag": flags})
    base["coverage"] = np.where(base["flag"] == "", 1.0, 0.0)
    if spec["rule"] == "none":
        return base, None
    w = weights[spec["weight_kind"]][spec["weight"]].sum(axis=1, min_count=len(spec["weight"]))
    base["denominator"] = w.to_numpy()
    base["numerator"] = base["value"] / spec["scale"] * base["denominator"]
    return base, w



def _date(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)
