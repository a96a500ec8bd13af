"""Find an area of either city, at any level, by name or id (pure, no Streamlit).

Matching is case-, accent- and umlaut-insensitive both ways: "Koellnische" and
"Kollnische" find "Köllnische Heide", "strasse" finds "Straße". A query may also be an
area id ("01.1", "08010101") or its start. Results are ranked: exact name, name
prefix, word prefix, anywhere in the name, then id matches; within a rank by city
(Munich first) and from the coarsest level to the finest, so "Neuperlach" lists the
Handlungsraum before the Bezirksteile.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from pipelines.config import CITIES, LEVELS

_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"}
_NOT_WORD = re.compile(r"[^0-9a-z.]+")
MAX_HITS = 10
"""How many hits a search shows at most (a list a person can tab through)."""
_LEVEL_ORDER = {lv: i for levels in LEVELS.values() for i, lv in enumerate(levels)}


@dataclass(frozen=True)
class AreaEntry:
    """One searchable area: its identity and the folded spellings it is found by."""

    city: str
    level: str
    area_id: str
    name: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class AreaHit:
    """One search result; ``rank`` 0 is the best match."""

    city: str
    level: str
    area_id: str
    name: str
    rank: int


def fold(text: str, *, expand_umlauts: bool = True) -> str:
    """Lower case, umlauts as ``ae/oe/ue`` (or plain vowels), no accents, words separated by one space."""
    s = str(text).casefold().replace("ẞ", "ss")
    if expand_umlauts:
        s = "".join(_UMLAUTS.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).replace("ß", "ss")
    return " ".join(_NOT_WORD.sub(" ", s).split())


def _spellings(text: str) -> tuple[str, ...]:
    """Both foldings (``koellnische`` and ``kollnische``), without duplicates."""
    return tuple(dict.fromkeys((fold(text), fold(text, expand_umlauts=False))))


def build_index(areas: pd.DataFrame, selectable: Mapping[str, Mapping[str, str]] | None = None
                ) -> tuple[AreaEntry, ...]:
    """Searchable entries from the areas table (``city, level, area_id, name``).

    Args:
        areas: the build's areas (any extra columns are ignored).
        selectable: ``city -> {area_id: level}`` (``Choices.areas``); when given, only
            these areas are indexed, so every hit can be opened.
    """
    entries = []
    for city, level, area_id, name in areas[["city", "level", "area_id", "name"]].itertuples(index=False):
        city, level, area_id, name = str(city), str(level), str(area_id), str(name)
        if selectable is not None and selectable.get(city, {}).get(area_id) != level:
            continue
        entries.append(AreaEntry(city, level, area_id, name, _spellings(name)))
    return tuple(entries)


def _name_rank(query: str, keys: Iterable[str]) -> int | None:
    best = None
    for key in keys:
        if key == query:
            r = 0
        elif key.startswith(query):
            r = 1
        elif f" {query}" in f" {key}":
            r = 2
        elif query in key:
            r = 3
        else:
            continue
        best = r if best is None else min(best, r)
    return best


def search_areas(index: Iterable[AreaEntry], query: str, limit: int = MAX_HITS) -> list[AreaHit]:
    """The areas whose name or id matches ``query``, best first; [] for an empty query."""
    queries = [q for q in _spellings(query) if q]
    if not queries:
        return []
    raw_id = str(query).strip().casefold()
    hits = []
    for e in index:
        ranks = [r for q in queries if (r := _name_rank(q, e.keys)) is not None]
        if e.area_id.casefold() == raw_id:
            ranks.append(0)
        elif len(raw_id) >= 2 and e.area_id.casefold().startswith(raw_id):
            ranks.append(4)
        if ranks:
            hits.append(AreaHit(e.city, e.level, e.area_id, e.name, min(ranks)))
    city_order = {c: i for i, c in enumerate(CITIES)}
    hits.sort(key=lambda h: (h.rank, city_order.get(h.city, 9), _LEVEL_ORDER.get(h.level, 99), h.name, h.area_id))
    return hits[:limit]
