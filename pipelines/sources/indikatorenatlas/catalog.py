"""The catalog side of the Indikatorenatlas stage: one catalog row per indicator, units, English labels.

Everything here describes an indicator (labels DE/EN, unit, definition, polarity, how it is
aggregated, which years it has); the numbers themselves are made in ``stage``.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from pipelines.registry import Source
from pipelines.sources.indikatorenatlas.formula import Formula
from pipelines.stage import BuildContext

CITY = "munich"
POLARITY: dict[str, str] = {  # Indikator -> polarity where the direction is obvious; else "neutral"
    "Arbeitslose - Anteil": "higher_is_worse",
    "(Regel-)Leistungsberechtigte - erwerbsfähig - Anteil": "higher_is_worse",
    "(Regel-)Leistungsberechtigte - nicht erwerbsfähig - Anteil": "higher_is_worse",
    "Sozialversicherungspflichtig Beschäftigte - Anteil": "higher_is_better",
}
# (Indikator, Ausprägung) -> polarity where only one Ausprägung has an obvious direction. Single-parent
# households: higher is worse, as Berlin's MSS context indicator K02 (the breakdown by sex is neutral).
POLARITY_PAIRS: dict[tuple[str, str], str] = {("Haushalte Alleinerziehend", "insgesamt"): "higher_is_worse"}
UNIT_EN = {"%": "%", "je 1.000": "per 1,000", "Personen": "persons", "Jahre": "years",
           "Einw./km²": "residents/km²", "Kinder je Frau": "children per woman", "": ""}


def inhalt_rows(inhalt: pd.DataFrame) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The INHALT rows of every (Indikator, Ausprägung), in sheet order, as dicts of their cells."""
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in inhalt.to_dict("records"):
        rows.setdefault((row["Indikator"], row["Ausprägung"]), []).append(row)
    return rows


def zeitbezug(info: list[dict[str, Any]]) -> str:
    """The first Zeitbezug the INHALT rows of one indicator give ("" when the sheet names none)."""
    given = [r.get("Zeitbezug") for r in info if not _missing(r.get("Zeitbezug"))]
    return str(given[0]) if given else ""


def catalog_row(iid: str, ind: str, aus: str, topic: str, src: Source, info: list[dict[str, Any]],
                f: Formula | None, fit: float, aggregation: str, why: str, periods: list[str],
                glossary: dict[str, str]) -> dict[str, Any]:
    """One catalog entry (``info``: the indicator's INHALT rows, the first one describes it)."""
    first = info[0] if info else {}
    definition = _text(first.get("Beschreibung"))
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
        "data_source": _text(first.get("Datenquelle")), "time_reference": _text(first.get("Zeitbezug")),
        "formula": f.name if f else "", "formula_fit": round(fit, 4), "aggregation_note": why,
        "city_value": "published" if aggregation == "none" else "aggregated",
    }


def _text(value: Any) -> str:
    """A cell as text ("" for an empty or missing one)."""
    return "" if _missing(value) else str(value or "")


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


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
    return _glossary_pattern(tuple(glossary)).sub(lambda m: glossary[m.group(1)], text)


_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _glossary_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled alternation of the glossary's terms, longest first (compiled once per glossary)."""
    if terms not in _PATTERNS:
        alternatives = "|".join(re.escape(k) for k in sorted(terms, key=len, reverse=True))
        _PATTERNS.clear()
        _PATTERNS[terms] = re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")
    return _PATTERNS[terms]


def report_untranslated(ctx: BuildContext, stage: str, catalog: list[dict[str, Any]]) -> None:
    """An info finding naming the English labels that still hold German words."""
    german = re.compile(r"[äöüß]|\b(und|bis|nicht|mit|ohne|Jahre)\b")
    left = [c["indicator_id"] for c in catalog if german.search(c["label_en"])]
    if left:
        ctx.add("info", stage, "English labels with untranslated German words (add them to translations.toml "
                "[glossary])", where=", ".join(left[:20]), count=len(left))
