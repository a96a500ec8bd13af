"""What the comparison section and the reference-date note draw, computed once per run (pure).

:func:`dashboard.page.build_page` calls :func:`build_comparison` and :func:`period_gap`, so
the views (:mod:`dashboard.views_compare`, :mod:`dashboard.views_maps`) only draw: the pin
options and their labels, the comparison rows, the table as shown and downloaded (with its
notes), and for the chosen indicator both cities' dates, their gap and the period that aligns
Munich to Berlin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from dashboard.comparison import (
    Pin,
    choose_periods,
    comparison_export,
    comparison_rows,
    parse_pin,
    period_gaps,
    pin_label,
)
from dashboard.i18n import catalog_text, t
from dashboard.period_labels import entry_period_label, format_gap, gap_years, nearest_period
from dashboard.state import CMP_REST, Choices, ViewState
from dashboard.table_export import ExportTable
from pipelines.config import CITIES, CITY_IDS, COVERAGE_LEVELS

# Levels a planner may pin, per city (Munich's Handlungsräume first: they are what the app is about).
PICK_LEVELS: dict[str, tuple[str, ...]] = {"munich": ("handlungsraum", *COVERAGE_LEVELS["munich"]),
                                           "berlin": COVERAGE_LEVELS["berlin"]}


@dataclass(frozen=True)
class PeriodGap:
    """Both cities' periods of a comparable indicator when they differ (labels in the page's language).

    Attributes:
        note: the sentence for the comparability note (both dates and the gap in years).
        current, nearest, latest: Munich's chosen period, the one nearest Berlin's, its latest.
        nearest_label, latest_label: how ``nearest`` and ``latest`` read on the align buttons.
    """

    note: str
    current: str
    nearest: str
    latest: str
    nearest_label: str
    latest_label: str


@dataclass(frozen=True)
class ComparisonPage:
    """The comparison section of one run.

    Attributes:
        options: every pin a planner may choose -> its label, in picker order.
        pins: the valid pins of the state, in the order added.
        table: :func:`dashboard.comparison.comparison_rows` (None without pins).
        export: the table as shown and downloaded, notes included (None without pins).
        gap_lines: one sentence per indicator whose two cities' periods differ.
    """

    options: Mapping[str, str]
    pins: tuple[Pin, ...] = ()
    table: pd.DataFrame | None = None
    export: ExportTable | None = None
    gap_lines: tuple[str, ...] = ()


def pin_options(areas: pd.DataFrame) -> list[str]:
    """Every pin a planner may choose, in a useful order: city totals, rest of Munich, then by level."""
    out = [f"munich:{CITY_IDS['munich']}", f"munich:{CMP_REST}", f"berlin:{CITY_IDS['berlin']}"]
    for city, levels in PICK_LEVELS.items():
        mine = areas[areas["city"] == city]
        for level in levels:
            ids = mine.loc[mine["level"] == level, "area_id"].astype(str)
            out += [f"{city}:{a}" for a in sorted(ids)]
    return out


def comparable_indicators(choices: Choices, catalog: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The default columns of the comparison: every indicator both cities publish comparably."""
    return [i for i in choices.indicators if catalog.get(i, {}).get("group") == "comparable"]


def build_comparison(state: ViewState, choices: Choices, catalog: Mapping[str, Mapping[str, Any]],
                     areas: pd.DataFrame, read_rows: Callable[[str, str], pd.DataFrame]) -> ComparisonPage:
    """The comparison for ``state`` (``read_rows(city, indicator)``: all rows of one indicator in one city)."""
    lang = state.lang
    options = {p: pin_label(Pin(*p.split(":", 1)), areas, lang) for p in pin_options(areas)}
    pins = tuple(p for p in (parse_pin(x) for x in state.compare) if p is not None)
    if not pins:
        return ComparisonPage(options=options)
    indicators = list(state.compare_ind) or comparable_indicators(choices, catalog)
    periods = choose_periods(indicators, choices.periods, state.compare_align)
    frames = [read_rows(city, ind) for ind in indicators for city in CITIES]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["city", "level", "area_id", "indicator_id", "period", "value", "coverage", "flag"])
    table = comparison_rows(list(pins), indicators, rows, areas, catalog, periods)
    lines = tuple(t("cmp_gap", lang, indicator=catalog_text(dict(catalog[i]), "label", lang),
                    muc=entry_period_label(catalog[i], "munich", m, lang),
                    ber=entry_period_label(catalog[i], "berlin", b, lang), gap=format_gap(g, lang))
                  for i, (m, b, g) in period_gaps(table).items())
    notes = [f"{t('cmp_gaps_title', lang)}: " + " ".join(lines)] if lines else []
    export = comparison_export(table, catalog, areas, lang)
    export = replace(export, notes=(*notes, t("cmp_index_help", lang)))
    return ComparisonPage(options=options, pins=pins, table=table, export=export, gap_lines=lines)


def period_gap(state: ViewState, entry: Mapping[str, Any], choices: Choices) -> PeriodGap | None:
    """Both cities' periods of the chosen comparable indicator when they differ; None when they agree."""
    if not entry or entry.get("group") != "comparable":
        return None
    lang, muc, ber = state.lang, state.period("munich"), state.period("berlin")
    if not muc or not ber or muc == ber:
        return None
    periods = choices.periods.get((state.indicator, "munich"), ())
    nearest, latest = nearest_period(periods, ber), (periods[-1] if periods else "")
    aligned = muc == nearest and muc != latest
    note = t("period_note_aligned" if aligned else "period_note", lang,
             muc=entry_period_label(entry, "munich", muc, lang), ber=entry_period_label(entry, "berlin", ber, lang),
             gap=format_gap(gap_years(muc, ber), lang))
    return PeriodGap(note=note, current=muc, nearest=nearest, latest=latest,
                     nearest_label=entry_period_label(entry, "munich", nearest, lang),
                     latest_label=entry_period_label(entry, "munich", latest, lang))
