"""What date an Indikatorenatlas "Jahr" stands for, read from the INHALT sheet's ``Zeitbezug``.

The export gives only a year; the sheet INHALT says per indicator what the year means:
"Stichtag zum 31.12. eines Jahres", "Stichtag zum 01.03. (bis 2009: 15.03.) eines Jahres"
(Kinderbetreuung), "Jahresmittelwert aus vier Quartalswerten" (Arbeitsmarkt) or "Summe eines
Kalenderjahres" (moves, births). The stored ``period`` is an ISO date, so:

* a reference date (Stichtag) is stored as that date (``2024-03-01``, up to 2009 ``2009-03-15``);
* a value over a whole year (annual mean or annual sum) is stored as the middle of that year,
  ``YYYY-07-01``, and the catalog's ``period_kind`` says ``annual_mean`` / ``annual_sum`` so that
  the app writes "Jahresmittel 2024" and never "01.07.2024" or "31.12.2024".
"""

from __future__ import annotations

import re

STICHTAG = "reference_date"
ANNUAL_MEAN = "annual_mean"
ANNUAL_SUM = "annual_sum"
YEAR_MIDDLE = "07-01"  # the stored day of a value that covers a whole calendar year
_DATE = re.compile(r"Stichtag zum (\d{2})\.(\d{2})\.")
_UNTIL = re.compile(r"bis (\d{4}): (\d{2})\.(\d{2})\.")


def period_kind(zeitbezug: str) -> str:
    """``reference_date``, ``annual_mean`` or ``annual_sum`` for a Zeitbezug text (default: reference date)."""
    text = zeitbezug or ""
    if text.startswith("Jahresmittel"):
        return ANNUAL_MEAN
    if text.startswith("Summe eines Kalenderjahres"):
        return ANNUAL_SUM
    return STICHTAG


def period_for_year(year: int, zeitbezug: str) -> str:
    """The stored ISO period of ``year`` for an indicator with this Zeitbezug (31 Dec when it names none)."""
    if period_kind(zeitbezug) != STICHTAG:
        return f"{year}-{YEAR_MIDDLE}"
    until = _UNTIL.search(zeitbezug or "")
    if until and year <= int(until.group(1)):
        return f"{year}-{until.group(3)}-{until.group(2)}"
    m = _DATE.search(zeitbezug or "")
    return f"{year}-{m.group(2)}-{m.group(1)}" if m else f"{year}-12-31"
