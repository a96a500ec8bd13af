"""The words around a city's map: why there is none, what it shows, and the comparability note (pure).

Apart from :mod:`dashboard.city_map` because the slide and profile exports need these texts
without the folium map machinery (importing folium costs a cold export process ~0.4 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboard.i18n import catalog_text, t
from dashboard.page import CityPage, PageContext
from dashboard.period_labels import entry_period_label

_WARNING_STARTS = ("NICHT", "NOT", "NUR", "ONLY", "EINGESCHR", "LIMITED")


@dataclass(frozen=True)
class Note:
    """The comparability note under the maps: ``kind`` ``warning``/``info``; ``lead`` may be ""."""

    kind: str
    lead: str
    text: str


def map_message(page: PageContext, city: CityPage) -> str:
    """Why ``city`` has no map ("" when it has one): the indicator is missing there, or the level has no values."""
    lang = page.state.lang
    if not page.entry or not city.period:
        return t("not_available_city", lang)
    if city.frame is None or city.classification is None:
        return t("no_data_level", lang, level=t(f"level_{city.level}", lang))
    return ""


def map_caption(entry: dict[str, Any], city: CityPage, lang: str) -> str:
    """What the map shows, e.g. "Arbeitslosenanteil (15–64 J.) · Jahresmittel 2024" ("" without indicator or period)."""
    if not entry or not city.period:
        return ""
    return f"{catalog_text(entry, 'label', lang)} · {entry_period_label(entry, city.city, city.period, lang)}"


def comparability_note(entry: dict[str, Any], lang: str, periods: str = "") -> Note | None:
    """The note under the maps: the comparability note of a comparable indicator, or "only in one city".

    ``periods``: both cities' reference dates and their gap in years when they differ
    (:attr:`dashboard.page.PageContext.period_gap`); it makes the note a warning.
    """
    if not entry:
        return None
    if entry.get("group") != "comparable":
        return Note("info", "", t("only_one_city", lang, city=t(f"city_{entry.get('group')}", lang)))
    note = catalog_text(entry, "comparability_note", lang)
    if not note and not periods:
        return None
    kind = "warning" if periods or note.upper().startswith(_WARNING_STARTS) else "info"
    text = note + (f"\n\n**{t('period', lang)}:** {periods}" if periods else "")
    return Note(kind, t("comparability", lang), text)
