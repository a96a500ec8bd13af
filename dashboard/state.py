"""The shareable view state: what a URL's query string says about the dashboard.

Pure (no Streamlit): :func:`parse_query` turns ``st.query_params`` into a
:class:`ViewState` plus notices for every value that had to fall back, and
:func:`to_query` writes it back. ``parse_query(to_query(s)) == s`` for every
valid state, so a copied URL reproduces the view exactly (periods are written
explicitly, so a later build with newer data does not silently change a link).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

from dashboard.classify import MAX_K, METHODS, MIN_K, SCALES
from dashboard.i18n import LANGS
from dashboard.query_values import Notice, first_value, parse_int, parse_list, pick
from pipelines.config import CITIES, CITY_IDS, COVERAGE_LEVELS

DEFAULT_LEVELS: dict[str, str] = {"munich": "stadtbezirk", "berlin": "bezirksregion"}
LAYERS: tuple[str, ...] = ("kita", "youth_centre")
DEFAULT_INDICATOR = "unemployment_share"

# Query-string keys (short, stable: they appear in shared links).
Q_IND, Q_CLS, Q_K, Q_SCALE, Q_AREA, Q_FOCUS = "ind", "cls", "k", "scale", "area", "focus"
Q_LANG, Q_PRESENT, Q_STEP, Q_LAYERS, Q_BASEMAP = "lang", "present", "step", "loc", "bg"
# The comparison table (issue 8): pinned areas, its indicators (empty = the comparable ones), alignment.
Q_CMP, Q_CMP_IND, Q_CMP_ALIGN = "cmp", "cmp_ind", "cmp_align"
CMP_REST = "rest"  # "übriges München" (Munich without its Handlungsräume)
MAX_PINS = 24
# Online basemaps the user may switch on (they need internet; default: none, the app works offline).
BASEMAPS: tuple[str, ...] = ("osm",)


def q_period(city: str) -> str:
    """Query key of a city's period (``p_muc`` / ``p_ber``)."""
    return f"p_{CITY_IDS[city]}"


def q_level(city: str) -> str:
    """Query key of a city's map level (``lvl_muc`` / ``lvl_ber``)."""
    return f"lvl_{CITY_IDS[city]}"


@dataclass(frozen=True)
class Choices:
    """What the current build offers; everything a query value is checked against.

    Attributes:
        indicators: indicator ids in picker order (comparable first).
        periods: ``(indicator_id, city) -> periods`` (ISO dates, ascending).
        areas: ``city -> {area_id: level}`` for every area that can be selected.
        districts: Berlin Bezirk ids a district focus may name.
        stories: number of stories in ``stories.toml``.
    """

    indicators: tuple[str, ...]
    periods: Mapping[tuple[str, str], tuple[str, ...]]
    areas: Mapping[str, Mapping[str, str]]
    districts: tuple[str, ...] = ()
    stories: int = 0

    def default_indicator(self) -> str:
        """The headline indicator if the build has it, else the first one."""
        if DEFAULT_INDICATOR in self.indicators:
            return DEFAULT_INDICATOR
        return self.indicators[0] if self.indicators else ""

    def latest(self, indicator: str, city: str) -> str:
        """Latest period of an indicator in a city ("" when the city has none)."""
        periods = self.periods.get((indicator, city), ())
        return periods[-1] if periods else ""


@dataclass(frozen=True)
class ViewState:
    """Everything that defines one view of the dashboard (all shareable)."""

    indicator: str = DEFAULT_INDICATOR
    periods: tuple[tuple[str, str], ...] = (("munich", ""), ("berlin", ""))
    levels: tuple[tuple[str, str], ...] = (("munich", "stadtbezirk"), ("berlin", "bezirksregion"))
    method: str = "quantiles"
    k: int = 5
    scale: str = "own"
    area_city: str = ""
    area_id: str = ""
    focus: str = ""
    lang: str = "de"
    present: bool = False
    step: int = 0
    layers: tuple[str, ...] = field(default_factory=tuple)
    basemap: str = ""
    compare: tuple[str, ...] = field(default_factory=tuple)  # pins "city:area_id" in the order added
    compare_ind: tuple[str, ...] = field(default_factory=tuple)
    compare_align: bool = False

    def period(self, city: str) -> str:
        """The chosen period (ISO date) of ``city`` ("" = none available)."""
        return dict(self.periods).get(city, "")

    def level(self, city: str) -> str:
        """The chosen map level of ``city``."""
        return dict(self.levels).get(city, DEFAULT_LEVELS[city])

    def with_period(self, city: str, period: str) -> ViewState:
        """Copy with one city's period replaced."""
        d = dict(self.periods)
        d[city] = period
        return replace(self, periods=tuple((c, d.get(c, "")) for c in CITIES))

    def with_level(self, city: str, level: str) -> ViewState:
        """Copy with one city's level replaced."""
        d = dict(self.levels)
        d[city] = level
        return replace(self, levels=tuple((c, d.get(c, DEFAULT_LEVELS[c])) for c in CITIES))


def parse_query(params: Mapping[str, object], choices: Choices) -> tuple[ViewState, list[Notice]]:
    """Read a view from query parameters; unusable values fall back to defaults with a notice.

    Never raises on bad input: unknown indicator, period, level, area, district,
    method, scale, k, language or step each yield a :class:`Notice`.
    """
    notes: list[Notice] = []
    indicator = pick(first_value(params, Q_IND), choices.indicators, choices.default_indicator(),
                      "notice_bad_indicator", notes)
    state = ViewState(indicator=indicator)
    for city in CITIES:
        periods = choices.periods.get((indicator, city), ())
        latest = periods[-1] if periods else ""
        state = state.with_period(city, pick(_same_year(first_value(params, q_period(city)), periods), periods, latest,
                                              "notice_bad_period", notes))
        state = state.with_level(city, pick(first_value(params, q_level(city)), COVERAGE_LEVELS[city],
                                             DEFAULT_LEVELS[city], "notice_bad_level", notes))
    method = pick(first_value(params, Q_CLS), METHODS, METHODS[0], "notice_bad_method", notes)
    scale = pick(first_value(params, Q_SCALE), SCALES, SCALES[0], "notice_bad_scale", notes)
    lang = pick(first_value(params, Q_LANG), LANGS, LANGS[0], "notice_bad_lang", notes)
    k = parse_int(first_value(params, Q_K), (MIN_K, MAX_K), 5, "notice_bad_k", notes)
    step = parse_int(first_value(params, Q_STEP), (0, max(choices.stories - 1, 0)), 0, "notice_bad_step", notes)
    area_city, area_id = _parse_area(first_value(params, Q_AREA), choices, notes)
    focus = pick(first_value(params, Q_FOCUS), choices.districts, "", "notice_bad_focus", notes)
    present = first_value(params, Q_PRESENT) in ("1", "true")
    raw_layers = first_value(params, Q_LAYERS) or ""
    layers = []
    for name in (x for x in raw_layers.split(",") if x):
        if name in LAYERS:
            if name not in layers:
                layers.append(name)
        else:
            notes.append(Notice("notice_bad_layer", name))
    layers_t = tuple(x for x in LAYERS if x in layers)
    basemap = pick(first_value(params, Q_BASEMAP), BASEMAPS, "", "notice_bad_basemap", notes)
    compare = _parse_pins(first_value(params, Q_CMP) or "", choices, notes)
    compare_ind = parse_list(first_value(params, Q_CMP_IND) or "", choices.indicators, "notice_bad_compare_indicator",
                              notes)
    align = first_value(params, Q_CMP_ALIGN) in ("1", "true")
    return replace(state, method=method, k=k, scale=scale, area_city=area_city, area_id=area_id, focus=focus,
                   lang=lang, present=present, step=step, layers=layers_t, basemap=basemap, compare=compare,
                   compare_ind=compare_ind, compare_align=align), notes


def _same_year(raw: str | None, periods: tuple[str, ...]) -> str | None:
    """An older link's period that a later build re-dated still means the same year: take that one.

    E.g. Munich labour-market annual means were once stored as 31.12. and now as the middle of the year.
    """
    if not raw or raw in periods:
        return raw
    same = [p for p in periods if p[:4] == raw[:4]]
    return same[0] if len(same) == 1 else raw


def pin_ok(pin: str, choices: Choices) -> bool:
    """Whether a comparison pin ``city:area_id`` names something this build has."""
    city, _, area_id = pin.partition(":")
    if city not in CITIES or not area_id:
        return False
    return area_id == CITY_IDS[city] or (city == "munich" and area_id == CMP_REST) \
        or area_id in choices.areas.get(city, {})


def _parse_pins(raw: str, choices: Choices, out: list[Notice]) -> tuple[str, ...]:
    pins: list[str] = []
    for pin in (x.strip() for x in raw.split(",") if x.strip()):
        if not pin_ok(pin, choices):
            out.append(Notice("notice_bad_compare", pin))
        elif pin not in pins and len(pins) < MAX_PINS:
            pins.append(pin)
    return tuple(pins)


def _parse_area(raw: str | None, choices: Choices, out: list[Notice]) -> tuple[str, str]:
    """``munich:01`` / ``berlin:08010101`` -> (city, area_id); anything unknown -> no selection."""
    if not raw:
        return "", ""
    city, _, area_id = raw.partition(":")
    if city in CITIES and area_id in choices.areas.get(city, {}):
        return city, area_id
    out.append(Notice("notice_bad_area", raw))
    return "", ""


def to_query(state: ViewState) -> dict[str, str]:
    """The query parameters of a view (inverse of :func:`parse_query`); empty values are left out."""
    q: dict[str, str] = {Q_IND: state.indicator}
    for city in CITIES:
        if state.period(city):
            q[q_period(city)] = state.period(city)
        q[q_level(city)] = state.level(city)
    q.update({Q_CLS: state.method, Q_K: str(state.k), Q_SCALE: state.scale, Q_LANG: state.lang})
    if state.area_city and state.area_id:
        q[Q_AREA] = f"{state.area_city}:{state.area_id}"
    if state.focus:
        q[Q_FOCUS] = state.focus
    if state.layers:
        q[Q_LAYERS] = ",".join(state.layers)
    if state.basemap:
        q[Q_BASEMAP] = state.basemap
    if state.present:
        q[Q_PRESENT] = "1"
        q[Q_STEP] = str(state.step)
    if state.compare:
        q[Q_CMP] = ",".join(state.compare)
    if state.compare_ind:
        q[Q_CMP_IND] = ",".join(state.compare_ind)
    if state.compare_align:
        q[Q_CMP_ALIGN] = "1"
    return q


def revalidate(state: ViewState, choices: Choices) -> ViewState:
    """Keep a state consistent after a widget change (e.g. a new indicator lacks the old period).

    Unlike :func:`parse_query` this is silent: the person just picked something else.
    """
    ind = state.indicator if state.indicator in choices.indicators else choices.default_indicator()
    s = replace(state, indicator=ind)
    for city in CITIES:
        periods = choices.periods.get((ind, city), ())
        if s.period(city) not in periods:
            s = s.with_period(city, periods[-1] if periods else "")
    if s.area_city and s.area_id not in choices.areas.get(s.area_city, {}):
        s = replace(s, area_city="", area_id="")
    return s


def merge_story(params: Mapping[str, object], story_query: Mapping[str, str]) -> dict[str, object]:
    """A story's saved view under the URL's own values (the URL wins, e.g. ``lang``, ``step``)."""
    merged: dict[str, object] = dict(story_query)
    merged.update(params)
    return merged


def story_query(stories: Sequence[Mapping[str, Any]], step: object) -> dict[str, str]:
    """The saved query of story ``step`` (parsed from its ``query`` string), {} if out of range."""
    try:
        i = int(str(step))
    except ValueError:
        return {}
    if not 0 <= i < len(stories):
        return {}
    return dict(parse_qsl(str(stories[i].get("query", "")), keep_blank_values=False))
