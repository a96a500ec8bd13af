"""A view of the app (its URL) as data for a slide: per city the frame, classes, colours and legend.

Pure (no Streamlit, no drawing). The view is read by the app's own
:func:`dashboard.state.parse_query`; each city's map is derived as
:mod:`dashboard.views_maps` derives it (values joined to the web layer, ranks from
:func:`dashboard.ranking.ranking_table`, breaks from :mod:`dashboard.classify`, one
colour per class from :func:`dashboard.classify.colors_for`, labels from
:func:`dashboard.legend.class_labels`), so a slide shows the same classes, colours
and numbers as the app for the same URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import geopandas as gpd
import pandas as pd

from dashboard.classify import NO_DATA_COLOR, Classification, classify, classify_common, colors_for, relative_to_city
from dashboard.export_data import ExportData, ExportError, load_stories
from dashboard.i18n import catalog_text, format_period, t
from dashboard.legend import _reading_hint, class_labels, decimals_for, text
from dashboard.ranking import ranking_table
from dashboard.state import CITIES, LANGS, Q_IND, Q_LANG, Q_PRESENT, Q_STEP, ViewState, merge_story, parse_query

SCALE_TO_MODE: dict[str, str] = {"own": "city", "common": "common", "relative": "relative"}
"""The view's ``scale`` as :mod:`dashboard.classify` names it (as in :mod:`dashboard.views_maps`)."""


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: swatch colour, label (formatted as in the app), number of areas."""

    color: str
    label: str
    count: int


@dataclass(frozen=True)
class CityPanel:
    """One city's map of a view (``frame`` None: no values at this level/period, ``note`` says why)."""

    city: str
    level: str
    period: str
    frame: gpd.GeoDataFrame | None = None
    classification: Classification | None = None
    colors: tuple[str, ...] = ()
    fills: tuple[str, ...] = ()
    city_value: float | None = None
    legend: tuple[LegendEntry, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ViewModel:
    """Everything a slide shows of one view."""

    state: ViewState
    entry: dict[str, Any]
    panels: dict[str, CityPanel]
    mode: str
    focus_ids: tuple[str, ...] = ()


def query_params(view: str) -> dict[str, str]:
    """The parameters of an app URL or a bare query string (``ind=...&k=5``; a leading ``?`` is fine)."""
    raw = view.strip()
    if "://" in raw or raw.startswith("/"):
        raw = urlsplit(raw).query
    raw = raw.lstrip("?")
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def story_query(stories: list[dict[str, Any]], step: object) -> dict[str, str]:
    """The saved query of story ``step`` ({} when out of range), as :mod:`dashboard.views_state` reads it."""
    try:
        i = int(str(step))
    except ValueError:
        return {}
    return dict(parse_qsl(str(stories[i].get("query", "")))) if 0 <= i < len(stories) else {}


def parse_view(view: str | Mapping[str, object], data: ExportData, lang: str | None = None) -> ViewState:
    """The app's view state of a URL/query string; any value the app would replace is an ExportError.

    The app falls back to defaults with a notice; an export made unattended must not
    silently show something else, so the first notice becomes the error message.
    """
    params: dict[str, object] = dict(query_params(view) if isinstance(view, str) else view)
    if params.get(Q_PRESENT) in ("1", "true") and Q_IND not in params:  # a story's URL, as the app reads it
        params = merge_story(params, story_query(load_stories(), params.get(Q_STEP, "0")))
    if lang:
        params[Q_LANG] = lang
    msg_lang = str(params.get(Q_LANG)) if params.get(Q_LANG) in LANGS else "de"
    state, notices = parse_query(params, data.choices())
    if notices:
        raise ExportError("view: " + "; ".join(t(n.key, msg_lang, value=n.value) for n in notices))
    if state.indicator not in {c["indicator_id"] for c in data.catalog()}:
        raise ExportError(f"view: unknown indicator '{state.indicator}'")
    return state


def view_model(state: ViewState, data: ExportData) -> ViewModel:
    """Per city the frame, classification, colours and legend of ``state`` (as the app's maps)."""
    entry = {c["indicator_id"]: c for c in data.catalog()}.get(state.indicator, {})
    mode = SCALE_TO_MODE[state.scale]
    frames = {city: city_frame(state, data, city) for city in CITIES}
    city_values = {city: city_value(state, data, city) for city in CITIES}
    classes = classifications(state, frames, city_values)
    polarity = entry.get("polarity", "neutral")
    panels = {}
    for city in CITIES:
        panels[city] = _panel(state, city, frames[city], classes.get(city), city_values[city], mode, polarity)
    focus: tuple[str, ...] = ()
    if state.focus and frames["berlin"] is not None:
        focus = tuple(a for a in frames["berlin"]["area_id"].astype(str) if a[:2] == state.focus)
    return ViewModel(state=state, entry=entry, panels=panels, mode=mode, focus_ids=focus)


def city_frame(state: ViewState, data: ExportData, city: str) -> gpd.GeoDataFrame | None:
    """The web layer of the city's level joined with values, flags and ranks (None without data)."""
    level, period = state.level(city), state.period(city)
    if not period:
        return None
    rows = data.indicator_values(city, level, state.indicator, period)
    layer = data.web_layer(city, level)
    if rows.empty or layer is None:
        return None
    ranks = ranking_table(rows, data.areas(), city, level, state.indicator, period)
    joined = layer[["area_id", "name", "geometry"]].merge(
        ranks[["area_id", "value", "flag", "coverage", "rank"]], on="area_id", how="left")
    joined["flag"] = joined["flag"].fillna("no_data")
    joined["rank"] = pd.to_numeric(joined["rank"], errors="coerce")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=layer.crs)


def city_value(state: ViewState, data: ExportData, city: str) -> float | None:
    """The whole city's value of the view's indicator and period (None when missing)."""
    period = state.period(city)
    if not period:
        return None
    rows = data.indicator_values(city, "stadt", state.indicator, period)
    return float(rows["value"].iloc[0]) if len(rows) and pd.notna(rows["value"].iloc[0]) else None


def classifications(state: ViewState, frames: Mapping[str, gpd.GeoDataFrame | None],
                    city_values: Mapping[str, float | None]) -> dict[str, Classification]:
    """Breaks per city: own, one common scale for both, or each relative to its city value."""
    mode = SCALE_TO_MODE[state.scale]
    present = {c: f for c, f in frames.items() if f is not None}
    if mode == "common" and len(present) == 2:
        common = classify_common([f["value"] for f in present.values()], state.method, state.k)
        return dict.fromkeys(present, common)
    out = {}
    for city, frame in present.items():
        values = frame["value"]
        if mode == "relative":
            values = relative_to_city(values, city_values[city])
        out[city] = classify(values, state.method, state.k)
    return out


def _panel(state: ViewState, city: str, frame: gpd.GeoDataFrame | None, cls: Classification | None,
           value: float | None, mode: str, polarity: str) -> CityPanel:
    level, period = state.level(city), state.period(city)
    if frame is None or cls is None:
        key = "not_available_city" if not period else "no_data_level"
        return CityPanel(city, level, period, note=t(key, state.lang, level=t(f"level_{level}", state.lang)))
    colors = tuple(colors_for(cls, polarity, mode))
    numeric = pd.to_numeric(frame["value"], errors="coerce")
    classed = relative_to_city(numeric, value) if mode == "relative" else numeric
    assigned = list(cls.assign(classed))
    fills = tuple(colors[i] if i >= 0 else NO_DATA_COLOR for i in assigned)
    labels = class_labels(cls, state.lang, decimals_for(cls))
    legend = [LegendEntry(c, lab, assigned.count(i)) for i, (c, lab) in enumerate(zip(colors, labels, strict=True))]
    legend.append(LegendEntry(NO_DATA_COLOR, text("no_data", state.lang), assigned.count(-1)))
    return CityPanel(city, level, period, frame, cls, colors, fills, value, tuple(legend))


def legend_title(model: ViewModel) -> str:
    """Indicator label with its unit, or "Index (Stadt = 100)" in relative mode (as the app's legend)."""
    lang = model.state.lang
    label = catalog_text(model.entry, "label", lang)
    unit = catalog_text(model.entry, "unit", lang)
    if model.mode == "relative":
        unit = f"{text('index', lang)} ({'Stadt' if lang == 'de' else 'city'} = 100)"
    return f"{label} ({unit})" if unit else label


def legend_note(model: ViewModel) -> str:
    """The reading hint and scale · method line under the legend (as the app's legend)."""
    lang = model.state.lang
    polarity = model.entry.get("polarity", "neutral")
    return f"{_reading_hint(model.mode, polarity, lang)} · {text(model.mode, lang)} · {text(model.state.method, lang)}"


def panel_heading(model: ViewModel, city: str) -> str:
    """``München · Stadtbezirke · 31.12.2024`` (city, level, reference date)."""
    lang, panel = model.state.lang, model.panels[city]
    return (f"{t(f'city_{city}', lang)} · {t(f'level_short_{panel.level}', lang)} · "
            f"{format_period(panel.period, lang)}")


def comparability_text(model: ViewModel) -> str:
    """The comparability note of a comparable indicator, else which city alone has it."""
    lang, entry = model.state.lang, model.entry
    if entry.get("group") == "comparable":
        note = catalog_text(entry, "comparability_note", lang)
        return f"{t('comparability', lang)}: {note}" if note else ""
    return t("only_one_city", lang, city=t(f"city_{entry.get('group')}", lang))
