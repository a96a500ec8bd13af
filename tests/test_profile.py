"""Profile ("Steckbrief") and ranking functions on tiny hand-made tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.profile import (
    action_area_info,
    comparable_vs_city,
    locations_inside,
    relatives,
    time_series,
)
from dashboard.ranking import action_area_summary, candidate_unions, ranking_table

AREAS = pd.DataFrame([
    # city, level, area_id, name, parent_id, population, members, member_level, approximate
    ("munich", "stadt", "muc", "München", None, 300.0, None, None, False),
    ("munich", "stadtbezirk", "01", "Altstadt", "muc", 100.0, None, None, False),
    ("munich", "stadtbezirk", "02", "Ludwigsvorstadt", "muc", 120.0, None, None, False),
    ("munich", "stadtbezirk", "03", "Maxvorstadt", "muc", 80.0, None, None, False),
    ("munich", "bezirksteil", "01.1", "Graggenau", "01", 40.0, None, None, False),
    ("munich", "bezirksteil", "01.2", "Angerviertel", "01", 60.0, None, None, False),
    ("munich", "bezirksteil", "02.1", "Glockenbach", "02", 120.0, None, None, False),
    ("munich", "bezirksteil", "03.1", "Maxvorstadt-Uni", "03", 80.0, None, None, False),
    ("munich", "handlungsraum", "hrA", "HR A", "muc", 40.0, "01.1", "bezirksteil", True),
    ("munich", "handlungsraum", "hrB", "HR B", "muc", 120.0, "02", "stadtbezirk", False),
    ("berlin", "stadt", "ber", "Berlin", None, 1000.0, None, None, False),
    ("berlin", "bezirk", "08", "Neukölln", "ber", 1000.0, None, None, False),
], columns=["city", "level", "area_id", "name", "parent_id", "population", "members", "member_level", "approximate"])
AREAS["source_quote"] = ""
AREAS["source_url"] = ""
AREAS["note_de"] = ""
AREAS["note_en"] = ""
AREAS["status"] = ""
AREAS["area_km2"] = 1.0

CATALOG = [
    {"indicator_id": "share", "group": "comparable", "aggregation": "ratio", "scale": 100},
    {"indicator_id": "pop", "group": "comparable", "aggregation": "sum"},
    {"indicator_id": "muc_x", "group": "munich", "aggregation": "none"},
]


def _row(level: str, area_id: str, ind: str, period: str, value: float, num: float = np.nan, den: float = np.nan,
         flag: str = "", city: str = "munich", coverage: float = 1.0) -> dict:
    return {"city": city, "level": level, "area_id": area_id, "indicator_id": ind, "period": period, "value": value,
            "numerator": num, "denominator": den, "coverage": coverage, "flag": flag}


IND = pd.DataFrame([
    _row("stadt", "muc", "share", "2024-12-31", 10.0, 30, 300),
    _row("stadt", "muc", "share", "2023-12-31", 12.0, 36, 300),
    _row("stadtbezirk", "01", "share", "2024-12-31", 20.0, 20, 100),
    _row("stadtbezirk", "01", "share", "2023-12-31", 25.0, 25, 100),
    _row("stadtbezirk", "02", "share", "2024-12-31", 5.0, 6, 120),
    _row("stadtbezirk", "03", "share", "2024-12-31", np.nan, flag="under_300"),
    _row("handlungsraum", "hrA", "share", "2024-12-31", 20.0, coverage=0.4),
    _row("handlungsraum", "hrB", "share", "2024-12-31", 5.0, 6, 120),
    _row("stadt", "muc", "pop", "2024-12-31", 300.0),
    _row("stadtbezirk", "01", "pop", "2024-12-31", 100.0),
    _row("bezirksteil", "01.1", "pop", "2024-12-31", 40.0),
    _row("bezirksteil", "01.2", "pop", "2024-12-31", 60.0),
    _row("bezirksteil", "02.1", "pop", "2024-12-31", 120.0),
    _row("bezirksteil", "03.1", "pop", "2024-12-31", 80.0),
    _row("handlungsraum", "hrA", "pop", "2024-12-31", 40.0),
    _row("handlungsraum", "hrB", "pop", "2024-12-31", 120.0),
])


def test_comparable_vs_city_uses_latest_period_and_index() -> None:
    table = comparable_vs_city(IND, CATALOG, "munich", "stadtbezirk", "01").set_index("indicator_id")
    assert table.loc["share", "period"] == "2024-12-31"
    assert table.loc["share", "city_value"] == 10.0
    assert table.loc["share", "index"] == pytest.approx(200.0)
    assert math.isnan(table.loc["pop", "index"])  # a count: no index against the city total
    assert "muc_x" not in table.index  # only comparable indicators


def test_comparable_vs_city_keeps_flag_and_nan_index() -> None:
    table = comparable_vs_city(IND, CATALOG, "munich", "stadtbezirk", "03").set_index("indicator_id")
    assert table.loc["share", "flag"] == "under_300" and math.isnan(table.loc["share", "index"])


def test_time_series_needs_two_periods() -> None:
    series = time_series(IND, "munich", "stadtbezirk", "01", "share")
    assert list(series.index) == ["2023-12-31", "2024-12-31"]
    assert list(series["area"]) == [25.0, 20.0] and list(series["city"]) == [12.0, 10.0]
    assert time_series(IND, "munich", "stadtbezirk", "02", "share").empty


def test_locations_inside_counts_and_lists_handlungsraum_members() -> None:
    loc = pd.DataFrame({"city": ["munich"] * 3 + ["berlin"], "layer": ["kita", "kita", "youth_centre", "kita"],
                        "name": ["B", "A", "C", "D"], "address": ["", "", "", ""], "provider": ["", "", "", ""],
                        "area_id_handlungsraum": ["hrA,hrB", "hrA", None, "hrA"]})
    counts, listing = locations_inside(loc, "munich", "handlungsraum", "hrA")
    assert counts.to_dict() == {"kita": 2}
    assert list(listing["name"]) == ["A", "B"]
    counts, _ = locations_inside(loc, "munich", "stadtbezirk", "01")  # no such column: nothing, no error
    assert counts.empty


def test_relatives_parent_children_and_handlungsraeume() -> None:
    parent, children, in_hr = relatives(AREAS, "munich", "01")
    assert parent is not None and parent.area_id == "muc"
    assert [c.area_id for c in children] == ["01.1", "01.2"]
    assert [h.area_id for h in in_hr] == ["hrA"]  # hrA holds part of 01 (its Bezirksteil 01.1)
    _, _, in_hr = relatives(AREAS, "munich", "02.1")
    assert [h.area_id for h in in_hr] == ["hrB"]  # its whole Stadtbezirk is a member of hrB


def test_action_area_info_names_members() -> None:
    info = action_area_info(AREAS, "hrA")
    assert info["members"] == [("01.1", "Graggenau")] and info["approximate"] is True
    assert action_area_info(AREAS, "01") == {}


def test_ranking_ranks_by_value_and_leaves_flagged_unranked() -> None:
    table = ranking_table(IND, AREAS, "munich", "stadtbezirk", "share", "2024-12-31")
    assert list(table["area_id"]) == ["01", "02", "03"]
    assert list(table["rank"].astype("float").fillna(-1)) == [1, 2, -1]
    assert table.loc[2, "flag"] == "under_300"


def test_candidate_unions_expand_stadtbezirke_into_bezirksteile() -> None:
    hr = AREAS[AREAS["level"] == "handlungsraum"]
    unions = candidate_unions(hr, AREAS)
    assert unions == {"bezirksteil": {"01.1", "02.1"}}  # mixed member levels: no Stadtbezirk union


def test_summary_sum_indicator_gets_rest_from_differences() -> None:
    entry = next(c for c in CATALOG if c["indicator_id"] == "pop")
    summary = action_area_summary(IND, AREAS, entry, "2024-12-31")
    rows = summary.rows.set_index("kind")
    assert summary.rest_computed
    assert rows.loc["union", "value"] == 160.0 and rows.loc["rest", "value"] == 140.0
    assert rows.loc["city", "value"] == 300.0
    assert "summary_note_approx" in summary.notes


def test_summary_ratio_without_member_level_data_shows_no_rest() -> None:
    entry = next(c for c in CATALOG if c["indicator_id"] == "share")
    summary = action_area_summary(IND, AREAS, entry, "2024-12-31")
    assert not summary.rest_computed
    assert set(summary.rows["kind"]) == {"handlungsraum", "city"}
    assert "summary_note_no_rest" in summary.notes


def test_summary_ratio_rest_from_numerators_and_denominators() -> None:
    areas = AREAS[AREAS["area_id"] != "hrA"]  # only hrB = whole Stadtbezirk 02
    entry = next(c for c in CATALOG if c["indicator_id"] == "share")
    summary = action_area_summary(IND, areas, entry, "2024-12-31")
    rows = summary.rows.set_index("kind")
    assert summary.rest_computed
    assert rows.loc["union", "value"] == pytest.approx(5.0)
    assert rows.loc["rest", "value"] == pytest.approx(100 * (30 - 6) / (300 - 120))


def test_summary_refuses_when_scale_does_not_reproduce_city_value() -> None:
    areas = AREAS[AREAS["area_id"] != "hrA"]
    ind = IND.copy()
    ind.loc[(ind["level"] == "stadt") & (ind["indicator_id"] == "share") & (ind["period"] == "2024-12-31"),
            "value"] = 42.0  # published value inconsistent with 30/300
    entry = next(c for c in CATALOG if c["indicator_id"] == "share")
    summary = action_area_summary(ind, areas, entry, "2024-12-31")
    assert not summary.rest_computed and "summary_note_no_rest" in summary.notes


def test_summary_notes_overlap() -> None:
    extra = pd.DataFrame([{**AREAS.iloc[8].to_dict(), "area_id": "hrC", "members": "01.1,01.2"}])
    summary = action_area_summary(IND, pd.concat([AREAS, extra]), CATALOG[1], "2024-12-31")
    assert "summary_note_overlap" in summary.notes
    rows = summary.rows.set_index("kind")
    assert rows.loc["union", "value"] == 220.0  # 01.1 counted once


def test_summary_ratio_rest_from_apportioned_action_area_values() -> None:
    # Stadtbezirk-only data: hrA (part of 01) carries the numerator/denominator apportioned by the pipeline.
    ind = IND.copy()
    hr_a = (ind["level"] == "handlungsraum") & (ind["area_id"] == "hrA") & (ind["indicator_id"] == "share")
    ind.loc[hr_a, ["numerator", "denominator"]] = [8.0, 40.0]
    entry = next(c for c in CATALOG if c["indicator_id"] == "share")
    summary = action_area_summary(ind, AREAS, entry, "2024-12-31")
    rows = summary.rows.set_index("kind")
    assert summary.rest_computed and "summary_note_apportioned" in summary.notes
    assert rows.loc["union", "value"] == pytest.approx(100 * (8 + 6) / (40 + 120))
    assert rows.loc["rest", "value"] == pytest.approx(100 * (30 - 14) / (300 - 160))


def test_summary_no_apportioned_rest_when_action_areas_overlap() -> None:
    ind = IND.copy()
    ind.loc[(ind["level"] == "handlungsraum") & (ind["area_id"] == "hrA"), ["numerator", "denominator"]] = [8.0, 40.0]
    extra = pd.DataFrame([{**AREAS.iloc[8].to_dict(), "area_id": "hrC", "members": "01.1,01.2"}])
    extra_row = pd.DataFrame([_row("handlungsraum", "hrC", "share", "2024-12-31", 20.0, 20, 100)])
    entry = next(c for c in CATALOG if c["indicator_id"] == "share")
    summary = action_area_summary(pd.concat([ind, extra_row]), pd.concat([AREAS, extra]), entry, "2024-12-31")
    assert not summary.rest_computed and "summary_note_no_rest" in summary.notes
