"""Munich Indikatorenatlas exports as long indicators per Stadtbezirk, city and Handlungsraum.

Each export (one per topic) has a long table ``Indikator, Ausprägung, Jahr, Raumbezug,
Indikatorwert, Basiswert 1..5, Name Basiswert 1..5`` and a sheet INHALT with the
definitions. The published value is text with a German decimal comma ("6,6", "-,9");
the Basiswerte use a decimal point. An indicator's identity includes its topic
("Altersgruppen / bis 2 Jahre" is a population share in Bevölkerung and a share of
children in care in Kinderbetreuung).

The workbook does not say how a value follows from its Basiswerte, so the formula is
inferred: among :data:`FORMULAS` times :data:`SCALES` the simplest one that reproduces
the published district values at their published precision (allowing for the rounding of
the Basiswerte themselves) is taken. Every row is then reduced to numerator/denominator,
so larger areas get ``scale * sum(numerator) / sum(denominator)``. An indicator is only
aggregated where that is additive: the city's own Basiswerte must be (close to) the sum of
the districts' (they are not for "moves within the area" or "share of the city").
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines import config
from pipelines.aggregate import aggregate_long
from pipelines.errors import InputError
from pipelines.io import read_toml
from pipelines.registry import Source, slugify
from pipelines.sources.indikatorenatlas.catalog import (
    CITY,
    catalog_row,
    inhalt_rows,
    report_untranslated,
    zeitbezug,
)
from pipelines.sources.indikatorenatlas.check import check_table, city_check, record_check
from pipelines.sources.indikatorenatlas.formula import Formula, fit_formula
from pipelines.sources.indikatorenatlas.periods import period_for_year, period_kind
from pipelines.sources.indikatorenatlas.read import CITY_ID, KIND, read_inhalt, read_table
from pipelines.sources.indikatorenatlas.rows import IndicatorRows, split_indicators
from pipelines.sources.indikatorenatlas.sheets import source_for_topic
from pipelines.stage import BuildContext

STAGE = "indikatorenatlas"
MAX_MEDIAN_RESIDUAL = 0.05  # city Basiswerte vs sum of districts (relative): above -> not additive
MISSING_CODES = ("88",)  # published instead of a value where the Basiswerte are missing (e.g. Stadtbezirk 01, 2018)
SHARE_OF_TOTAL_TOLERANCE = 0.005  # district denominators within 0.5 % of the city's: a share of the city total


def stage(ctx: BuildContext, areas: pd.DataFrame, membership: pd.DataFrame,
          *, city_values: str | None = None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Long indicators (city "munich") and catalog rows for every ``[[indicator_set]]`` of this kind.

    Stadtbezirk rows carry the published value; ``stadt`` and ``handlungsraum`` rows are
    aggregated with ``membership`` (``child_id`` = Stadtbezirk, optional ``share``). The
    published "Stadt München" values are compared with the aggregates (findings and
    ``ctx.notes["indikatorenatlas_city_check"]``). ``city_values="published"`` stores the
    official city value at level ``stadt`` instead of the aggregate; by default the
    choice comes from ``[settings] munich_city_values`` in indicators.toml (the
    official figure is what planners quote, and the city totals include residents
    without a Stadtbezirk, so the district sum can differ slightly).
    """
    if city_values is None:
        city_values = str(ctx.indicator_registry.get("settings", {}).get("munich_city_values", "aggregated"))
    if city_values not in ("aggregated", "published"):
        raise ValueError(f"city_values must be 'aggregated' or 'published', not {city_values!r}")
    district_ids = _district_ids(areas)
    membership = _with_stadt(membership, district_ids)
    glossary = read_toml(ctx.paths.translations).get("glossary", {}) \
        if (ctx.paths.translations).exists() else {}
    parts, catalog, checks = [], [], []
    for iset in ctx.indicator_registry.get("indicator_set", []):
        if iset.get("source_kind") != KIND:
            continue
        src = _source_for(ctx, iset["topic"])
        path = src.path(ctx.paths.geodata)
        table, inhalt = read_table(path, district_ids), read_inhalt(path)
        topic_rows, topic_cat, topic_checks = _topic(ctx, table, inhalt, iset, src, glossary, path)
        parts += topic_rows
        catalog += topic_cat
        checks += topic_checks
    if not parts:
        raise InputError(ctx.paths.indicators_registry, f"no [[indicator_set]] of source_kind {KIND!r}",
                         fix="restore the Munich indicator sets in geodata/indicators.toml")
    base = pd.concat(parts, ignore_index=True)
    long = _aggregate(base, catalog, membership, city_values)
    long = own_area_density(long, catalog, areas)
    for entry in catalog:  # the level "stadt" holds what the setting says, for every aggregated indicator
        if entry["aggregation"] != "none":
            entry["city_value"] = city_values
    record_check(ctx, STAGE, check_table(checks), catalog)
    report_untranslated(ctx, STAGE, catalog)
    return long, catalog


def _district_ids(areas: pd.DataFrame) -> set[str]:
    ids = set(areas.loc[(areas["level"] == "stadtbezirk") & (areas.get("city", CITY) == CITY), "area_id"].astype(str))
    if not ids:
        raise ValueError("areas has no Munich stadtbezirk rows (pass the output of areas_munich.stage)")
    return ids


def _with_stadt(membership: pd.DataFrame, district_ids: set[str]) -> pd.DataFrame:
    """Keep the Stadtbezirk rows of ``membership`` and make sure every Stadtbezirk belongs to "muc"."""
    m = membership[membership["child_id"].astype(str).isin(district_ids)].copy()
    if "share" not in m.columns:
        m["share"] = 1.0
    if not (m["level"] == "stadt").any():
        city = pd.DataFrame({"child_id": sorted(district_ids), "level": "stadt", "area_id": CITY_ID, "share": 1.0})
        m = pd.concat([city, m], ignore_index=True)
    return m.astype({"child_id": str, "level": str, "area_id": str})


def _source_for(ctx: BuildContext, topic: str) -> Source:
    found = source_for_topic(ctx.sources, topic)
    if found is None:
        raise InputError(ctx.paths.sources_registry, f"no source of kind {KIND!r} with topic {topic!r}",
                         fix="register the Indikatorenatlas export (with topic = ...) in geodata/sources.toml")
    return found


def _topic(ctx: BuildContext, table: pd.DataFrame, inhalt: pd.DataFrame, iset: dict[str, Any], src: Source,
           glossary: dict[str, str], path: Path) -> tuple[list[pd.DataFrame], list[dict[str, Any]], list[dict]]:
    catalog, checks, base = [], [], []
    seen: dict[str, tuple[str, str]] = {}
    definitions = inhalt_rows(inhalt)
    for blk in split_indicators(table, MISSING_CODES):
        ind, aus = blk.indikator, blk.auspraegung
        info = definitions.get((ind, aus), [])
        blk = blk.with_periods(partial(_dated, zeitbezug(info)))
        iid = f"{iset['id_prefix']}__{slugify(ind)}__{slugify(aus)}"
        if iid in seen:
            raise InputError(path, f"indicators {seen[iid]} and {(ind, aus)} share the id {iid!r}",
                             fix="rename one Ausprägung; ids must stay unique after slugify")
        seen[iid] = (ind, aus)
        dist = ~blk.is_city
        formula, fit = fit_formula(blk.b[dist], blk.e[dist], blk.value[dist], blk.decimals)
        value = _missing_codes(ctx, blk, formula, iid, path)
        city_rows = _city_rows(blk, formula)
        additive, why = _additivity(formula, blk, city_rows)
        aggregation = "none" if formula is None or not additive else ("sum" if formula.den is None else "ratio")
        share_of_total = aggregation == "none" and is_share_of_total(formula, blk)
        if share_of_total:  # e.g. Bevölkerungsanteil: the districts' shares of the city add up
            aggregation, why = "sum", "share of the city total: larger areas get the sum of their units' shares"
        base.append(_base_values(blk, value, formula))
        checks.append(city_check(blk.period[city_rows], value[city_rows], blk.b[city_rows], blk.e[city_rows],
                                 blk.district_sums(blk.period[city_rows]), formula, blk.decimals, iid, aggregation))
        names = blk.names
        if formula is not None and formula.den and aggregation == "ratio" and "Fläche" in names[formula.den - 1]:
            why = "Handlungsräume built from Bezirksteile get the area apportioned by residents' share (approximation)"
        catalog.append(catalog_row(iid, ind, aus, iset["topic"], src, info, formula, fit, aggregation, why,
                                   sorted(set(blk.period)), glossary) | {
            "basis_names": [n for n in names if n], "period_kind": {CITY: period_kind(zeitbezug(info))},
            "share_of_total": share_of_total})
        if formula is None:
            ctx.add("info", STAGE, f"{iid}: no formula reproduces the district values ({why}); not aggregated",
                    source=str(path))
    rows = [_base_rows(base, [c["indicator_id"] for c in catalog])] if base else []
    return rows, catalog, checks


def _dated(time_reference: str, period: str) -> str:
    """The stored period of a table period ``YYYY-12-31`` for an indicator with this Zeitbezug."""
    return period_for_year(int(period[:4]), time_reference)


def is_share_of_total(f: Formula | None, blk: IndicatorRows) -> bool:
    """True for ``b1/b2`` shares whose denominator is the city total in every district row (per period)."""
    if f is None or f.den is None or len(f.terms) != 1 or not blk.is_city.any():
        return False
    col = f.den - 1
    city = blk.is_city
    total = dict(zip(blk.period[city], blk.b[city, col], strict=True))
    den = blk.b[~city, col]
    usable = ~np.isnan(den)
    if not usable.any() or all(np.isnan(v) for v in total.values()):
        return False
    ref = np.array([total.get(p, np.nan) for p in blk.period[~city][usable]], dtype=float)
    with np.errstate(invalid="ignore"):
        return bool((np.abs(den[usable] - ref) <= SHARE_OF_TOTAL_TOLERANCE * np.abs(ref)).all())


def own_area_density(long: pd.DataFrame, catalog: list[dict[str, Any]], areas: pd.DataFrame) -> pd.DataFrame:
    """Per-area ratios ("… je km²") of approximated Handlungsräume over their own geometry area.

    Aggregating apportions each Stadtbezirk's area by the share of its residents in the
    member Bezirksteile, which is not the area of those Bezirksteile; the Handlungsraum's
    own ``area_km2`` is. Exact Handlungsräume (whole Stadtbezirke) keep the official areas.
    """
    if "approximate" not in areas.columns or "area_km2" not in areas.columns:
        return long
    hr = areas[(areas["level"] == "handlungsraum") & areas["approximate"].fillna(False).astype(bool)]
    km2 = dict(zip(hr["area_id"].astype(str), hr["area_km2"].astype(float), strict=True))
    ids = [c["indicator_id"] for c in catalog if c["aggregation"] == "ratio" and c.get("formula") == "b1/b2"
           and len(c.get("basis_names", [])) > 1 and "Fläche" in c["basis_names"][1]]
    sel = long["indicator_id"].isin(ids) & (long["level"] == "handlungsraum") & long["area_id"].isin(km2)
    if not sel.any():
        return long
    scale = long.loc[sel, "indicator_id"].map({c["indicator_id"]: float(c["scale"]) for c in catalog})
    long = long.copy()
    long.loc[sel, "denominator"] = long.loc[sel, "area_id"].map(km2)
    long.loc[sel, "value"] = (scale * long.loc[sel, "numerator"] / long.loc[sel, "denominator"]).where(
        long.loc[sel, "flag"] == "")
    return long


def _missing_codes(ctx: BuildContext, blk: IndicatorRows, f: Formula | None, iid: str, path: Path) -> np.ndarray:
    """A value of 88 in a row without the Basiswerte its formula needs is the export's missing-value code."""
    if f is None:
        return blk.value
    code = np.isnan(blk.b[:, [i - 1 for i in f.needs]]).any(axis=1) & blk.is_code
    if not code.any():
        return blk.value
    ctx.add("info", STAGE, f"{iid}: placeholder value(s) {sorted(set(blk.value_text[code]))} without "
            "Basiswerte read as missing (flag no_data)", source=str(path),
            where=", ".join(f"{a} {p[:4]}" for a, p in list(zip(blk.area_id[code], blk.period[code],
                                                                strict=True))[:10]), count=int(code.sum()))
    return np.where(code, np.nan, blk.value)


def _city_rows(blk: IndicatorRows, f: Formula | None) -> np.ndarray:
    """Positions of the city rows with every Basiswert the formula needs (``b1`` without a formula)."""
    need = [i - 1 for i in f.needs] if f is not None else [0]
    return np.flatnonzero(blk.is_city & ~np.isnan(blk.b[:, need]).any(axis=1))


def _additivity(f: Formula | None, blk: IndicatorRows, city_rows: np.ndarray) -> tuple[bool, str]:
    """Aggregate only if the city's Basiswerte are about the sum of the districts' (median over years)."""
    if f is None:
        return False, "no Basiswerte" if np.isnan(blk.b[~blk.is_city, 0]).all() else "formula not inferred"
    if not len(city_rows):
        return False, "the city rows have no Basiswerte to check the aggregation against"
    need = [i - 1 for i in f.needs]
    c = blk.b[city_rows][:, need]
    s = blk.district_sums(blk.period[city_rows])[:, need]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_year = np.fmax.reduce(np.abs(c - s) / np.where(np.abs(c) > 0, np.abs(c), np.nan), axis=1)
    per_year = per_year[~np.isnan(per_year)]
    resid = float(np.median(per_year)) if len(per_year) else float("nan")
    if not resid <= MAX_MEDIAN_RESIDUAL:
        return False, f"not additive: city Basiswerte differ from the district sum by {resid:.0%} (median)"
    return True, ""


def _base_values(blk: IndicatorRows, value: np.ndarray, f: Formula | None) -> dict[str, np.ndarray]:
    if f is not None:
        num, _, den, _ = f.parts(blk.b, blk.e)
    else:
        num = den = np.full(len(value), np.nan)
    return {"area_id": blk.area_id, "period": blk.period, "value": value, "numerator": num, "denominator": den}


def _base_rows(blocks: list[dict[str, np.ndarray]], ids: list[str]) -> pd.DataFrame:
    """The published rows of every indicator of a topic, one indicator after the other."""
    col = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    value = col["value"]
    return pd.DataFrame({
        "level": np.where(col["area_id"] == CITY_ID, "stadt", "stadtbezirk"), "area_id": col["area_id"],
        "indicator_id": np.repeat(np.array(ids, dtype=object), [len(b["value"]) for b in blocks]),
        "period": col["period"], "value": value, "numerator": col["numerator"],
        "denominator": col["denominator"], "coverage": 1.0, "flag": np.where(np.isnan(value), "no_data", ""),
    })


def _aggregate(base: pd.DataFrame, catalog: list[dict[str, Any]], membership: pd.DataFrame,
               city_values: str) -> pd.DataFrame:
    """District rows as published; aggregates per (rule, scale) batch; published city rows where not aggregated."""
    rule = {c["indicator_id"]: (c["aggregation"], c["scale"], bool(c.get("share_of_total"))) for c in catalog}
    keys = base["indicator_id"].map(rule)
    dist = base[base["level"] == "stadtbezirk"]
    out = [dist]
    for (agg, scale, share), ids in pd.Series(list(rule)).groupby(pd.Series(list(rule.values()))):
        if agg == "none":
            continue
        part = dist[dist["indicator_id"].isin(set(ids))]
        if agg == "sum" and not share:  # counts: aggregate the exact count, not a rounded published value
            part = part.assign(value=part["numerator"].where(part["value"].notna()))
        elif share:  # shares of the city total add up as published values (numerator/denominator: no ratio)
            part = part.assign(numerator=np.nan, denominator=np.nan)
        out.append(aggregate_long(part, membership, rule=agg, scale=float(scale)))
    published_city = base[(base["level"] == "stadt") & ((keys.str[0] == "none") | (city_values == "published"))]
    long = pd.concat(out, ignore_index=True)
    if city_values == "published":
        long = long[long["level"] != "stadt"]
    long = pd.concat([long, published_city], ignore_index=True).assign(city=CITY)
    long["flag"] = long["flag"].fillna("").astype(str)
    return long[list(config.INDICATOR_COLUMNS)].reset_index(drop=True)
