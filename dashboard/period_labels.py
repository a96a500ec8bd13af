"""What a stored period means, in words, and how far apart two periods are (pure).

The build stores every period as an ISO date; the catalog's ``period_kind`` (per city) says
whether it is a reference date (Stichtag) or a whole year (``annual_mean``/``annual_sum``, stored
as the middle of the year, ``YYYY-07-01``). So a Munich labour-market value reads "Jahresmittel
2024", never "01.07.2024" or "31.12.2024", and the gap to a Berlin value of 31.12.2020 is counted
from the middle of the year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from dashboard.i18n import format_period, t
from dashboard.table_export import number_text

STICHTAG, ANNUAL_MEAN, ANNUAL_SUM = "reference_date", "annual_mean", "annual_sum"
DAYS_PER_YEAR = 365.25


def period_kind(entry: Mapping[str, Any] | None, city: str) -> str:
    """The catalog's ``period_kind`` of ``city`` (a reference date when the catalog says nothing)."""
    kind = (entry or {}).get("period_kind")
    if isinstance(kind, Mapping):
        return str(kind.get(city) or STICHTAG)
    return str(kind or STICHTAG)


def period_label(period: str, kind: str, lang: str) -> str:
    """"31.12.2024", "Jahresmittel 2024" / "2024 annual mean", "Jahressumme 2024"; "–" when empty."""
    if not period:
        return "–"
    if kind == ANNUAL_MEAN:
        return t("period_annual_mean", lang, year=period[:4])
    if kind == ANNUAL_SUM:
        return t("period_annual_sum", lang, year=period[:4])
    return format_period(period, lang)


def entry_period_label(entry: Mapping[str, Any] | None, city: str, period: str, lang: str) -> str:
    """:func:`period_label` with the kind looked up in the catalog entry."""
    return period_label(period, period_kind(entry, city), lang)


def gap_years(a: str, b: str) -> float:
    """Years between two stored periods (absolute; whole-year values count from their middle)."""
    if not a or not b:
        return 0.0
    return abs((pd.Timestamp(a) - pd.Timestamp(b)).days) / DAYS_PER_YEAR


def format_gap(years: float, lang: str) -> str:
    """"3,5 Jahre" / "3.5 years" (one decimal; "1 Jahr" style wording left to the translation)."""
    return t("period_gap_years", lang, years=number_text(round(years, 1), lang, 1))


def nearest_period(periods: Iterable[str], target: str) -> str:
    """The period closest to ``target`` in whole weeks (ties: the earlier one); "" when there is none.

    Weeks, not days: an annual mean is stored at 1 July, a day off the exact middle of the year, so
    31.12.2020 is as near to the 2020 mean as to the 2021 mean and goes with the year it ends.
    """
    options = sorted(p for p in periods if p)
    if not options:
        return ""
    if not target:
        return options[-1]
    ref = pd.Timestamp(target)
    return min(options, key=lambda p: (abs((pd.Timestamp(p) - ref).days) // 7, p))
