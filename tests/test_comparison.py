"""The comparison builder and period words (dashboard/comparison.py, period_labels.py) on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.comparison import (
    Pin,
    choose_periods,
    comparison_export,
    comparison_rows,
    is_estimate,
    parse_pin,
    period_gaps,
    screen_frame,
)
from dashboard.period_labels import gap_years, nearest_period, period_label
from dashboard.state import Choices, parse_query, to_query

AREAS = pd.DataFrame([
    {"city": "munich", "level": "stadt", "area_id": "muc", "name": "München", "parent_id": None,
     "approximate": False, "members": None, "member_level": None},
    {"city": "munich", "level": "stadtbezirk", "area_id": "01", "name": "Eins", "parent_id": "muc",
     "approximate": False, "members": None, "member_level": None},
    {"city": "munich", "level": "stadtbezirk", "area_id": "02", "name": "Zwei", "parent_id": "muc",
     "approximate": False, "members": None, "member_level": None},
    {"city": "munich", "level": "handlungsraum", "area_id": "hrx", "name": "HR X", "parent_id": "muc",
     "approximate": True, "members": "01", "member_level": "stadtbezirk"},
    {"city": "berlin", "level": "stadt", "area_id": "ber", "name": "Berlin", "parent_id": None,
     "approximate": False, "members": None, "member_level": None},
    {"city": "berlin", "level": "bezirk", "area_id": "08", "name": "Neukölln", "parent_id": "ber",
     "approximate": False, "members": None, "member_level": None},
])
CATALOG = {
    "share": {"indicator_id": "share", "group": "comparable", "label_de": "Anteil", "label_en": "Share",
              "unit": "%", "aggregation": "ratio", "scale": 100,
              "period_kind": {"munich": "annual_mean", "berlin": "reference_date"},
              "derived_from": {"berlin": ["ber_mss_s1"]}},
    "count": {"indicator_id": "count", "group": "comparable", "label_de": "Anzahl", "label_en": "Count",
              "unit": "Personen", "aggregation": "sum", "scale": 1},
}


def _r(city, level, area, ind, period, value, num=np.nan, den=np.nan, flag="", cov=1.0):  # noqa: ANN001, ANN202
    return {"city": city, "level": level, "area_id": area, "indicator_id": ind, "period": period, "value": value,
            "numerator": num, "denominator": den, "coverage": cov, "flag": flag}


ROWS = pd.DataFrame([
    _r("munich", "stadt", "muc", "share", "2024-07-01", 4.0, 40, 1000),
    _r("munich", "stadtbezirk", "01", "share", "2024-07-01", 6.0, 30, 500),
    _r("munich", "stadtbezirk", "02", "share", "2024-07-01", 2.0, 10, 500),
    _r("munich", "handlungsraum", "hrx", "share", "2024-07-01", 6.0, 30, 500),
    _r("munich", "stadt", "muc", "share", "2020-07-01", 5.0, 50, 1000),
    _r("berlin", "stadt", "ber", "share", "2020-12-31", 8.0, 80, 1000),
    _r("berlin", "bezirk", "08", "share", "2020-12-31", 10.0, 30, 300, cov=0.9),
    _r("munich", "stadt", "muc", "count", "2024-12-31", 1000.0),
    _r("munich", "stadtbezirk", "01", "count", "2024-12-31", np.nan, flag="no_data"),
    _r("berlin", "bezirk", "08", "count", "2024-12-31", 300.0),
    _r("berlin", "stadt", "ber", "count", "2024-12-31", 3000.0),
])
PERIODS = {("share", "munich"): ("2020-07-01", "2021-07-01", "2024-07-01"), ("share", "berlin"): ("2020-12-31",),
           ("count", "munich"): ("2024-12-31",), ("count", "berlin"): ("2024-12-31",)}
PINS = [Pin("munich", "hrx"), Pin("munich", "rest"), Pin("berlin", "08"), Pin("munich", "01")]


def _rows(align: bool = False) -> pd.DataFrame:
    return comparison_rows(PINS, ["share", "count"], ROWS, AREAS, CATALOG, choose_periods(["share", "count"],
                                                                                          PERIODS, align))


def test_rows_value_city_value_index_coverage_and_notes() -> None:
    t = _rows().set_index(["indicator_id", "pin"])
    hr = t.loc[("share", "munich:hrx")]
    assert (hr["value"], hr["city_value"], hr["index"]) == (6.0, 4.0, 150.0)
    assert "cmp_note_approx" in hr["notes"] and hr["period_kind"] == "annual_mean"
    rest = t.loc[("share", "munich:rest")]  # (40 - 30) / (1000 - 500) * 100
    assert rest["value"] == pytest.approx(2.0) and rest["level"] == "rest" and "cmp_note_rest" in rest["notes"]
    nk = t.loc[("share", "berlin:08")]
    assert (nk["value"], nk["index"], nk["coverage"], nk["period"]) == (10.0, 125.0, 0.9, "2020-12-31")
    assert "cmp_note_estimate" in nk["notes"]  # MSS above the Planungsraum
    cnt = t.loc[("count", "berlin:08")]
    assert cnt["value"] == 300 and np.isnan(cnt["index"])  # a count against the city total: no index
    assert t.loc[("count", "munich:01"), "flag"] == "no_data"


def test_rest_is_not_invented_when_it_cannot_be_computed() -> None:
    t = _rows().set_index(["indicator_id", "pin"])
    rest = t.loc[("count", "munich:rest")]  # the Handlungsraum's member has no value
    assert np.isnan(rest["value"]) and "cmp_rest_not_computable" in rest["notes"]


def test_align_picks_munichs_year_nearest_berlins_date_and_gaps_are_reported() -> None:
    assert choose_periods(["share"], PERIODS, False)[("share", "munich")] == "2024-07-01"
    assert choose_periods(["share"], PERIODS, True)[("share", "munich")] == "2020-07-01"  # not 2021 (a day nearer)
    gaps = period_gaps(_rows())
    assert gaps["share"][:2] == ("2024-07-01", "2020-12-31") and gaps["share"][2] == pytest.approx(3.5, abs=0.01)
    assert "count" not in gaps
    assert gap_years("2020-07-01", "2020-12-31") == pytest.approx(0.5, abs=0.01)
    assert nearest_period([], "2020-12-31") == "" and nearest_period(["2019-12-31", "2024-12-31"], "") == "2024-12-31"


def test_period_words() -> None:
    assert period_label("2024-07-01", "annual_mean", "de") == "Jahresmittel 2024"
    assert period_label("2024-07-01", "annual_mean", "en") == "2024 annual mean"
    assert period_label("2024-03-01", "reference_date", "de") == "01.03.2024"
    assert period_label("", "reference_date", "de") == "–"


def test_export_table_german_and_english() -> None:
    export = comparison_export(_rows(), CATALOG, AREAS, "de")
    shown = screen_frame(export, "de")
    assert list(shown.columns)[:6] == ["Indikator", "Gebiet", "Stadt", "Ebene", "Gebiets-ID", "Stand"]
    first = shown.iloc[0]
    assert (first["Gebiet"], first["Stand"], first["Wert"], first["Index (Stadt = 100)"]) == \
        ("HR X", "Jahresmittel 2024", "6", "150")
    assert shown.iloc[1]["Gebiet"] == "Übriges München" and shown.iloc[1]["Gebiets-ID"] == ""
    assert export.id_columns == ("Gebiets-ID",)
    en = screen_frame(comparison_export(_rows(), CATALOG, AREAS, "en"), "en")
    assert "Index (city = 100)" in en.columns and en.iloc[0]["Date"] == "2024 annual mean"


def test_estimate_follows_derived_from() -> None:
    assert is_estimate(CATALOG, "share", "berlin", "bezirk")
    assert not is_estimate(CATALOG, "share", "berlin", "planungsraum")
    assert not is_estimate(CATALOG, "count", "berlin", "bezirk") and not is_estimate(CATALOG, "share", "munich", "x")


def test_pins_in_the_url() -> None:
    assert parse_pin("munich:hr6") == Pin("munich", "hr6") and parse_pin("paris:1") is None and parse_pin("x") is None
    choices = Choices(indicators=("share", "count"), periods=PERIODS,
                      areas={"munich": {"hrx": "handlungsraum", "01": "stadtbezirk"}, "berlin": {"08": "bezirk"}})
    state, notes = parse_query({"ind": "share", "cmp": "munich:hrx,munich:rest,berlin:08,berlin:99,munich:hrx",
                                "cmp_ind": "count,nope", "cmp_align": "1"}, choices)
    assert state.compare == ("munich:hrx", "munich:rest", "berlin:08")
    assert state.compare_ind == ("count",) and state.compare_align
    assert sorted(n.value for n in notes) == ["berlin:99", "nope"]
    again, notes2 = parse_query(to_query(state), choices)
    assert again == state and notes2 == []
    old, notes3 = parse_query({"ind": "share"}, choices)  # an old link without comparison
    assert old.compare == () and not old.compare_align and notes3 == []
