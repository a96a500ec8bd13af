"""Profile ("Steckbrief") and ranking functions on tiny hand-made tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.profile import (
    action_area_info,
    comparable_vs_city,
    locations_inside,
    relatives,
    time_series,
)
from tests.area_tables import AREAS, CATALOG, IND


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
