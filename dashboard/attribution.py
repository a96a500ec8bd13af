"""Source attributions for the footer, grouped so that a licence condition reads once.

Berlin publishes its population every half-year in two tables: listed one by one
that is 16 near-identical lines. Sources with the same publisher, licence,
attribution and address are one entry with the common part of their titles and
the range of their reference dates (pure; no Streamlit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from os.path import commonprefix
from typing import Any

GROUP_KEY: tuple[str, ...] = ("city", "publisher", "licence", "attribution", "url")


def group_sources(sources: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (city, publisher, licence, attribution, url), in first-seen order.

    Each entry has those keys plus ``title`` (the shared beginning of the titles, cut
    at a word and without a trailing dash or number; the full title for a single
    source), ``reference_dates`` (sorted, unique), ``reference_date_assumed`` (the file
    names no date, the registry assumes one) and ``count``.
    """
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for s in sources:
        groups.setdefault(tuple(str(s.get(k, "")) for k in GROUP_KEY), []).append(s)
    out = []
    for key, members in groups.items():
        titles = [str(m.get("title", "")) for m in members]
        out.append({**dict(zip(GROUP_KEY, key, strict=True)), "title": _shared_title(titles),
                    "reference_dates": sorted({str(m.get("reference_date", "")) for m in members} - {""}),
                    "reference_date_assumed": any(bool(m.get("reference_date_assumed")) for m in members),
                    "count": len(members)})
    return out


def _shared_title(titles: list[str]) -> str:
    if len(set(titles)) == 1:
        return titles[0]
    prefix = commonprefix(titles)
    if " " in prefix and not all(t[len(prefix):len(prefix) + 1] in ("", " ") for t in titles):
        prefix = prefix[: prefix.rfind(" ")]  # do not cut a word
    words = prefix.split()
    while words and (words[-1] in ("–", "-", ":") or _is_edition(words[-1])):
        words.pop()  # "... 2021-01 –" -> "..."; the edition is in the dates ("LOR 2021" keeps its year)
    return " ".join(words) or titles[0]


def _is_edition(word: str) -> bool:
    """``2021-01``-style edition tokens (a year is part of a name, "MSS 2021")."""
    parts = word.split("-")
    return len(parts) > 1 and all(p.isdigit() for p in parts)
