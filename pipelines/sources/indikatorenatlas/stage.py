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
from pipelines.sources.indikatorenatlas.formula import Formula, basis, infer_formula
from pipelines.sources.indikatorenatlas.periods import period_for_year, period_kind
from pipelines.sources.indikatorenatlas.read import CITY_ID, read_inhalt, read_table
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
# (Indikator, Ausprägung) -> polarity where only one Ausprägung has an obvious direction. Single-parent
# households: higher is worse, as Berlin's MSS context indicator K02 (the breakdown by sex is neutral).
POLARITY_PAIRS: dict[tuple[str, str], str] = {("Haushalte Alleinerziehend", "insgesamt"): "higher_is_worse"}
SHARE_OF_TOTAL_TOLERANCE = 0.005  # district denominators within 0.5 % of the city's: a share of the city total
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
    long = own_area_density(long, catalog, areas)
    for entry in catalog:  # the level "stadt" holds what the setting says, for every aggregated indicator
        if entry["aggregation"] != "none":
            entry["city_value"] = city_values
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
    rows, catalog, checks = [], [], []
    seen: dict[str, tuple[str, str]] = {}
    for (ind, aus), g in table.groupby(["indikator", "auspraegung"], sort=False):
        iid = f"{iset['id_prefix']}__{slugify(ind)}__{slugify(aus)}"
        if iid in seen:
            raise InputError(path, f"indicators {seen[iid]} and {(ind, aus)} share the id {iid!r}",
                             fix="rename one Ausprägung; ids must stay unique after slugify")
        seen[iid] = (ind, aus)
        zeitbezug = _zeitbezug(inhalt, ind, aus)
        g = g.assign(period=[period_for_year(int(p[:4]), zeitbezug) for p in g["period"]])
        decimals = int(g["decimals"].max())
        formula, fit = infer_formula(g[g["area_id"] != CITY_ID], decimals)
        g = _missing_codes(ctx, g, formula, iid, path)
        dist, city = g[g["area_id"] != CITY_ID], g[g["area_id"] == CITY_ID]
        additive, why = _additivity(formula, dist, city)
        aggregation = "none" if formula is None or not additive else ("sum" if formula.den is None else "ratio")
        share_of_total = aggregation == "none" and is_share_of_total(formula, dist, city)
        if share_of_total:  # e.g. Bevölkerungsanteil: the districts' shares of the city add up
            aggregation, why = "sum", "share of the city total: larger areas get the sum of their units' shares"
        rows.append(_base_rows(g, formula, iid))
        checks.append(city_check(dist, city, formula, decimals, iid, aggregation))
        names = [str(g[f"name{i}"].dropna().iloc[0]) if g[f"name{i}"].notna().any() else "" for i in range(1, 6)]
        if formula is not None and formula.den and aggregation == "ratio" and "Fläche" in names[formula.den - 1]:
            why = "Handlungsräume built from Bezirksteile get the area apportioned by residents' share (approximation)"
        catalog.append(_catalog_row(iid, ind, aus, iset["topic"], src, inhalt, formula, fit, aggregation, why,
                                    sorted(g["period"].unique()), glossary) | {
            "basis_names": [n for n in names if n], "period_kind": {CITY: period_kind(zeitbezug)},
            "share_of_total": share_of_total})
        if formula is None:
            ctx.add("info", STAGE, f"{iid}: no formula reproduces the district values ({why}); not aggregated",
                    source=str(path))
    return rows, catalog, pd.concat(checks, ignore_index=True)


def _zeitbezug(inhalt: pd.DataFrame, ind: str, aus: str) -> str:
    """The INHALT sheet's Zeitbezug of one indicator ("" when the sheet does not list it)."""
    info = inhalt.loc[(inhalt["Indikator"] == ind) & (inhalt["Ausprägung"] == aus), "Zeitbezug"].dropna()
    return str(info.iloc[0]) if len(info) else ""


def is_share_of_total(f: Formula | None, dist: pd.DataFrame, city: pd.DataFrame) -> bool:
    """True for ``b1/b2`` shares whose denominator is the city total in every district row (per period)."""
    if f is None or f.den is None or len(f.terms) != 1 or city.empty:
        return False
    col = f"b{f.den}"
    total = city.set_index("period")[col]
    den = dist[[col, "period"]].dropna()
    if den.empty or total.dropna().empty:
        return False
    ref = den["period"].map(total).astype(float)
    return bool(((den[col] - ref).abs() <= SHARE_OF_TOTAL_TOLERANCE * ref.abs()).all())


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


def _missing_codes(ctx: BuildContext, g: pd.DataFrame, f: Formula | None, iid: str, path: Path) -> pd.DataFrame:
    """A value of 88 in a row without the Basiswerte its formula needs is the export's missing-value code."""
    if f is None:
        return g
    code = g[[f"b{i}" for i in f.needs]].isna().any(axis=1) & g["value_text"].isin(MISSING_CODES)
    if not code.any():
        return g
    ctx.add("info", STAGE, f"{iid}: placeholder value(s) {sorted(set(g.loc[code, 'value_text']))} without "
            "Basiswerte read as missing (flag no_data)", source=str(path),
            where=", ".join(f"{a} {p[:4]}" for a, p in list(zip(g.loc[code, "area_id"], g.loc[code, "period"],
                                                                strict=True))[:10]), count=int(code.sum()))
    return g.assign(value=g["value"].mask(code))


def _additivity(f: Formula | None, dist: pd.DataFrame, city: pd.DataFrame) -> tuple[bool, str]:
    """Aggregate only if the city's Basiswerte are about the sum of the districts' (median over years)."""
    if f is None:
        return False, "no Basiswerte" if dist["b1"].isna().all() else "formula not inferred"
    cols = [f"b{i}" for i in f.needs]
    c = city.set_index("period")[cols].dropna()
    if c.empty:
        return False, "the city rows have no Basiswerte to check the aggregation against"
    s = dist.groupby("period")[cols].sum(min_count=1).reindex(c.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = ((c - s).abs() / c.abs().where(c.abs() > 0)).max(axis=1).median()
    if not resid <= MAX_MEDIAN_RESIDUAL:
        return False, f"not additive: city Basiswerte differ from the district sum by {resid:.0%} (median)"
    return True, ""


def _base_rows(g: pd.DataFrame, f: Formula | None, iid: str) -> pd.DataFrame:
    if f is not None:
        num, _, den, _ = f.parts(*basis(g))
    else:
        num = den = np.full(len(g), np.nan)
    return pd.DataFrame({
        "level": np.where(g["area_id"] == CITY_ID, "stadt", "stadtbezirk"), "area_id": g["area_id"],
        "indicator_id": iid, "period": g["period"], "value": g["value"], "numerator": num,
        "denominator": den, "coverage": 1.0, "flag": np.where(g["value"].isna(), "no_data", ""),
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


def _catalog_row(iid: str, ind: str, aus: str, topic: str, src: Source, inhalt: pd.DataFrame, f: Formula | None,
                 fit: float, aggregation: str, why: str, periods: list[str], glossary: dict[str, str]) -> dict:
    info = inhalt[(inhalt["Indikator"] == ind) & (inhalt["Ausprägung"] == aus)]
    first = info.iloc[0] if len(info) else pd.Series(dtype=object)
    definition = str(first.get("Beschreibung", "") or "")
    unit = _unit(f, ind, definition)
    levels = ["stadt", "stadtbezirk"] + (["handlungsraum"] if aggregation != "none" else [])
    return {
        "indicator_id": iid, "group": "munich", "topic": topic, "label_de": f"{ind} – {aus}",
        "label_en": f"{translate(ind, glossary)} – {translate(aus, glossary)}", "unit": unit,
        "unit_en": UNIT_EN.get(unit, unit), "definition_de": definition,
        "definition_en": f"(German original, Indikatorenatlas München) {definition}",
        "polarity": POLARITY_PAIRS.get((ind, aus), POLARITY.get(ind, "neutral")), "aggregation": aggregation,
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
