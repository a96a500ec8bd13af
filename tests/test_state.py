"""The view state: URL parsing with fallbacks and notices, exact round trips."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from dashboard.classify import METHODS, SCALES
from dashboard.state import (
    LAYERS,
    Choices,
    ViewState,
    merge_story,
    parse_query,
    revalidate,
    to_query,
)
from pipelines.config import COVERAGE_LEVELS

CHOICES = Choices(
    indicators=("unemployment_share", "population", "muc_only"),
    periods={
        ("unemployment_share", "munich"): ("2023-12-31", "2024-12-31"),
        ("unemployment_share", "berlin"): ("2020-12-31",),
        ("population", "munich"): ("2024-12-31",),
        ("population", "berlin"): ("2021-06-30", "2022-12-31"),
        ("muc_only", "munich"): ("2024-12-31",),
    },
    areas={"munich": {"01": "stadtbezirk", "01.1": "bezirksteil", "hr3": "handlungsraum"},
           "berlin": {"08": "bezirk", "080101": "bezirksregion", "08010101": "planungsraum"}},
    districts=("01", "08"),
    stories=5,
)


def test_empty_query_gives_defaults_with_latest_periods() -> None:
    state, notes = parse_query({}, CHOICES)
    assert notes == []
    assert state.indicator == "unemployment_share"
    assert state.period("munich") == "2024-12-31"
    assert state.period("berlin") == "2020-12-31"
    assert state.level("munich") == "stadtbezirk" and state.level("berlin") == "bezirksregion"
    assert (state.method, state.k, state.scale, state.lang, state.present) == ("quantiles", 5, "own", "de", False)


def test_full_query_is_read() -> None:
    q = {"ind": "population", "p_muc": "2024-12-31", "p_ber": "2021-06-30", "lvl_muc": "bezirksteil",
         "lvl_ber": "planungsraum", "cls": "natural_breaks", "k": "7", "scale": "relative",
         "area": "berlin:08010101", "focus": "08", "lang": "en", "present": "1", "step": "3",
         "loc": "youth_centre,kita"}
    state, notes = parse_query(q, CHOICES)
    assert notes == []
    assert state.indicator == "population" and state.period("berlin") == "2021-06-30"
    assert state.level("munich") == "bezirksteil" and state.level("berlin") == "planungsraum"
    assert (state.area_city, state.area_id, state.focus) == ("berlin", "08010101", "08")
    assert state.layers == ("kita", "youth_centre")  # canonical order
    assert state.present and state.step == 3 and state.k == 7 and state.lang == "en"


def test_query_round_trips_exactly() -> None:
    q = {"ind": "population", "p_muc": "2024-12-31", "p_ber": "2021-06-30", "lvl_muc": "bezirksteil",
         "lvl_ber": "planungsraum", "cls": "equal_interval", "k": "3", "scale": "common", "lang": "en",
         "area": "munich:hr3", "focus": "01", "loc": "kita", "bg": "osm", "present": "1", "step": "2"}
    state, notes = parse_query(q, CHOICES)
    assert notes == []
    assert state.basemap == "osm"
    assert to_query(state) == q


def test_bad_values_fall_back_with_one_notice_each() -> None:
    q = {"ind": "nonsense", "lvl_muc": "planet", "lvl_ber": "stadtbezirk", "cls": "magic", "k": "12",
         "scale": "weird", "area": "berlin:99999999", "focus": "77", "lang": "fr", "step": "x", "loc": "zoo",
         "bg": "googlemaps"}
    state, notes = parse_query(q, CHOICES)
    assert state.indicator == "unemployment_share"
    assert state.level("munich") == "stadtbezirk" and state.level("berlin") == "bezirksregion"
    assert (state.method, state.k, state.scale, state.lang, state.step) == ("quantiles", 5, "own", "de", 0)
    assert state.area_id == "" and state.focus == "" and state.layers == () and state.basemap == ""
    keys = sorted(n.key for n in notes)
    assert keys == sorted(["notice_bad_indicator", "notice_bad_level", "notice_bad_level", "notice_bad_method",
                           "notice_bad_k", "notice_bad_scale", "notice_bad_area", "notice_bad_focus",
                           "notice_bad_lang", "notice_bad_step", "notice_bad_layer",
                           "notice_bad_basemap"])
    assert {n.value for n in notes} >= {"nonsense", "planet", "berlin:99999999"}


def test_period_of_other_indicator_falls_back_to_latest_with_notice() -> None:
    state, notes = parse_query({"ind": "unemployment_share", "p_ber": "2022-12-31"}, CHOICES)
    assert state.period("berlin") == "2020-12-31"
    assert [n.key for n in notes] == ["notice_bad_period"]


def test_city_without_indicator_has_empty_period_and_no_notice() -> None:
    state, notes = parse_query({"ind": "muc_only"}, CHOICES)
    assert state.period("berlin") == "" and notes == []
    assert "p_ber" not in to_query(state)


def test_area_without_city_prefix_is_rejected() -> None:
    state, notes = parse_query({"area": "08010101"}, CHOICES)
    assert state.area_id == "" and notes[0].key == "notice_bad_area"


def test_list_values_use_the_last_one() -> None:
    state, _ = parse_query({"k": ["4", "6"]}, CHOICES)
    assert state.k == 6


def test_revalidate_moves_period_to_latest_of_new_indicator() -> None:
    state, _ = parse_query({"ind": "unemployment_share"}, CHOICES)
    changed = revalidate(replace(state, indicator="population"), CHOICES)
    assert changed.period("munich") == "2024-12-31" and changed.period("berlin") == "2022-12-31"


def test_story_merge_lets_the_url_win() -> None:
    merged = merge_story({"lang": "en", "step": "1"}, {"ind": "population", "lang": "de"})
    assert merged == {"ind": "population", "lang": "en", "step": "1"}


@st.composite
def states(draw: st.DrawFn) -> ViewState:
    ind = draw(st.sampled_from(CHOICES.indicators))
    s = ViewState(indicator=ind)
    for city in ("munich", "berlin"):
        periods = CHOICES.periods.get((ind, city), ())
        s = s.with_period(city, draw(st.sampled_from(periods)) if periods else "")
        s = s.with_level(city, draw(st.sampled_from(COVERAGE_LEVELS[city])))
    area = draw(st.sampled_from([("", "")] + [(c, a) for c, ids in CHOICES.areas.items() for a in ids]))
    present = draw(st.booleans())
    return replace(s, method=draw(st.sampled_from(METHODS)), k=draw(st.integers(3, 7)),
                   scale=draw(st.sampled_from(SCALES)), area_city=area[0], area_id=area[1],
                   focus=draw(st.sampled_from(("", *CHOICES.districts))), lang=draw(st.sampled_from(("de", "en"))),
                   present=present, step=draw(st.integers(0, 4)) if present else 0,
                   layers=tuple(x for x in LAYERS if draw(st.booleans())),
                   basemap=draw(st.sampled_from(("", "osm"))))


@given(states())
def test_every_valid_state_round_trips(state: ViewState) -> None:
    parsed, notes = parse_query(to_query(state), CHOICES)
    assert notes == []
    assert parsed == state
