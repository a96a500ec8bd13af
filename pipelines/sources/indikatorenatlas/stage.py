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

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines import config
from pipelines.aggregate import aggregate_long
from pipelines.errors import InputError
from pipelines.io import read_toml
from pipelines.registry import Source, slugify, sources_by_kind
from pipelines.sources.indikatorenatlas.check import city_check, record_check
from pipelines.sources.indikatorenatlas.formula import Formula, fit_formula
from pipelines.sources.indikatorenatlas.read import CITY_ID, read_inhalt, read_table
from pipelines.sources.indikatorenatlas.rows import IndicatorRows, split_indicators
from pipelines.stage import BuildContext

STAGE = "indikatorenatlas"
CITY = "munich"
KIND = "munich_indikatorenatlas"
MAX_MEDIAN_RESIDUAL = 0.05  # city Basiswerte vs sum of districts (relative): above -> not additive
MISSING_CODES = ("88",)  # published instead of a value where the Basiswerte are missing (e.g. Stadtbezirk 01, 2018)
POLARITY: dict[str, str] = {  # Indikator -> polarity where the direction is obvious; else "neutral"
    "Arbeitslose - Anteil": "higher_is_worse",
    "(Regel-)Leistungsberechtigte - erwerbsfähig - Anteil": "higher_is_worse",
    "(Regel-)Leistungsberechtigte - nicht erwerbsfähig - Anteil": "higher_is_worse",
    "Sozialversicherungspflichtig Beschäftigte - Anteil": "higher_is_better",
}
UNIT_EN = {"%": "%", "je 1.000": "per 1,000", "Personen": "persons", "Jahre": "years",
           "Einw./km²": "residents/km²", "Kinder je Frau": "children per woman", "": ""}


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
        checks.append(topic_checks)
    if not parts:
        raise InputError(ctx.paths.indicators_registry, f"no [[indicator_set]] of source_kind {KIND!r}",
                         fix="restore the Munich indicator sets in geodata/indicators.toml")
    base = pd.concat(parts, ignore_index=True)
    long = _aggregate(base, catalog, membership, city_values)
    record_check(ctx, STAGE, pd.concat(checks, ignore_index=True), catalog)
    _report_untranslated(ctx, catalog)
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
    found = [s for s in sources_by_kind(ctx.sources, KIND) if s.extra.get("topic") == topic]
    if not found:
        raise InputError(ctx.paths.sources_registry, f"no source of kind {KIND!r} with topic {topic!r}",
                         fix="register the Indikatorenatlas export (with topic = ...) in geodata/sources.toml")
    return found[-1]


def _topic(ctx: BuildContext, table: pd.DataFrame, inhalt: pd.DataFrame, iset: dict[str, Any], src: Source,
           glossary: dict[str, str], path: Path) -> tuple[list[pd.DataFrame], list[dict[str, Any]], pd.DataFrame]:
    catalog, checks, base = [], [], []
    seen: dict[str, tuple[str, str]] = {}
    definitions = _inhalt_rows(inhalt)
    for blk in split_indicators(table, MISSING_CODES):
        ind, aus = blk.indikator, blk.auspraegung
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
        base.append(_base_values(blk, value, formula))
        checks.append(city_check(blk.period[city_rows], value[city_rows], blk.b[city_rows], blk.e[city_rows],
                                 blk.district_sums(blk.period[city_rows]), formula, blk.decimals, iid, aggregation))
        names = blk.names
        if formula is not None and formula.den and aggregation == "ratio" and "Fläche" in names[formula.den - 1]:
            why = "Handlungsräume built from Bezirksteile get the area apportioned by residents' share (approximation)"
        catalog.append(_catalog_row(iid, ind, aus, iset["topic"], src, definitions.get((ind, aus)), formula, fit,
                                    aggregation, why, sorted(set(blk.period)), glossary)
                       | {"basis_names": [n for n in names if n]})
        if formula is None:
            ctx.add("info", STAGE, f"{iid}: no formula reproduces the district values ({why}); not aggregated",
                    source=str(path))
    rows = [_base_rows(base, [c["indicator_id"] for c in catalog])] if base else []
    return rows, catalog, pd.concat(checks, ignore_index=True)


def _inhalt_rows(inhalt: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    """The first INHALT row of every (Indikator, Ausprägung)."""
    first: dict[tuple[str, str], int] = {}
    for pos, key in enumerate(zip(inhalt["Indikator"], inhalt["Ausprägung"], strict=True)):
        first.setdefault(key, pos)
    return {key: inhalt.iloc[pos] for key, pos in first.items()}


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
    rule = {c["indicator_id"]: (c["aggregation"], c["scale"]) for c in catalog}
    keys = base["indicator_id"].map(rule)
    dist = base[base["level"] == "stadtbezirk"]
    out = [dist]
    for (agg, scale), ids in pd.Series(list(rule)).groupby(pd.Series(list(rule.values()))):
        if agg == "none":
            continue
        part = dist[dist["indicator_id"].isin(set(ids))]
        if agg == "sum":  # counts: aggregate the exact count, not a rounded published value
            part = part.assign(value=part["numerator"].where(part["value"].notna()))
        out.append(aggregate_long(part, membership, rule=agg, scale=float(scale)))
    published_city = base[(base["level"] == "stadt") & ((keys.str[0] == "none") | (city_values == "published"))]
    long = pd.concat(out, ignore_index=True)
    if city_values == "published":
        long = long[long["level"] != "stadt"]
    long = pd.concat([long, published_city], ignore_index=True).assign(city=CITY)
    long["flag"] = long["flag"].fillna("").astype(str)
    return long[list(config.INDICATOR_COLUMNS)].reset_index(drop=True)


def _catalog_row(iid: str, ind: str, aus: str, topic: str, src: Source, info: pd.Series | None, f: Formula | None,
                 fit: float, aggregation: str, why: str, periods: list[str], glossary: dict[str, str]) -> dict:
    first = info if info is not None else pd.Series(dtype=object)
    definition = str(first.get("Beschreibung", "") or "")
    unit = _unit(f, ind, definition)
    levels = ["stadt", "stadtbezirk"] + (["handlungsraum"] if aggregation != "none" else [])
    return {
        "indicator_id": iid, "group": "munich", "topic": topic, "label_de": f"{ind} – {aus}",
        "label_en": f"{translate(ind, glossary)} – {translate(aus, glossary)}", "unit": unit,
        "unit_en": UNIT_EN.get(unit, unit), "definition_de": definition,
        "definition_en": f"(German original, Indikatorenatlas München) {definition}",
        "polarity": POLARITY.get(ind, "neutral"), "aggregation": aggregation,
        "scale": float(f.scale) if f and f.den else 1.0,
        "comparability_note_de": "", "comparability_note_en": "", "source_ids": [src.id],
        "levels": {CITY: levels}, "periods": {CITY: periods},
        "data_source": str(first.get("Datenquelle", "") or ""), "time_reference": str(first.get("Zeitbezug", "") or ""),
        "formula": f.name if f else "", "formula_fit": round(fit, 4), "aggregation_note": why,
        "city_value": "published" if aggregation == "none" else "aggregated",
    }


def _unit(f: Formula | None, ind: str, definition: str) -> str:
    text = definition.lower()
    if f is not None and f.den is None:
        return "Personen"
    if (f and f.scale == 100) or "in prozent" in text:
        return "%"
    if (f and f.scale == 1000) or re.search(r"(pro|je) 1[ .]?000 ", text):
        return "je 1.000"
    if "dichte" in ind.lower():
        return "Einw./km²"
    if "alter" in ind.lower() or "wohndauer" in ind.lower() or "in jahren" in text:
        return "Jahre"
    return "Kinder je Frau" if "geburtenrate" in ind.lower() else ""


_AGE_RULES = ((re.compile(r"\b(\d+) bis (\d+) Jahre[n]?\b"), r"\1 to \2 years"),
              (re.compile(r"\bbis (\d+) Jahre[n]?\b"), r"up to \1 years"),
              (re.compile(r"\b(\d+) Jahre und älter\b"), r"\1 years and older"))


def translate(text: str, glossary: dict[str, str]) -> str:
    """English for an Indikatorenatlas term: whole-term glossary entry, else phrase by phrase."""
    if text in glossary:
        return glossary[text]
    for pattern, repl in _AGE_RULES:
        text = pattern.sub(repl, text)
    if not glossary:
        return text
    alternatives = "|".join(re.escape(k) for k in sorted(glossary, key=len, reverse=True))
    return re.sub(rf"(?<![\w-])({alternatives})(?![\w-])", lambda m: glossary[m.group(1)], text)


def _report_untranslated(ctx: BuildContext, catalog: list[dict[str, Any]]) -> None:
    german = re.compile(r"[äöüß]|\b(und|bis|nicht|mit|ohne|Jahre)\b")
    left = [c["indicator_id"] for c in catalog if german.search(c["label_en"])]
    if left:
        ctx.add("info", STAGE, "English labels with untranslated German words (add them to translations.toml "
                "[glossary])", where=", ".join(left[:20]), count=len(left))
