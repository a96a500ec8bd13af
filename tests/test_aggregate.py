"""Aggregation rules (:mod:`pipelines.aggregate`) on hand-made tables: sum, ratio, flags, shares.

A property test checks that aggregating counts then summing never loses population.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.aggregate import aggregate_long, membership_from_parents


def _values(rows: list[tuple[str, float | None, float | None, float | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_id", "value", "numerator", "denominator", "flag"]).assign(
        indicator_id="x", period="2024-12-31")


MEMBERS = pd.DataFrame({"child_id": ["a", "b", "c"], "level": "parent", "area_id": "P"})


def test_sum_rule() -> None:
    v = _values([("a", 10, None, None, ""), ("b", 20, None, None, ""), ("c", 5, None, None, "")])
    out = aggregate_long(v, MEMBERS, rule="sum")
    assert out.loc[0, "value"] == 35 and out.loc[0, "coverage"] == 1.0 and out.loc[0, "flag"] == ""


def test_ratio_is_never_a_mean_of_percentages() -> None:
    # 50 % of 10 people and 10 % of 1000 people: the share is 60/1010, not (50+10)/2
    v = _values([("a", 50.0, 5, 10, ""), ("b", 10.0, 100, 1000, "")])
    out = aggregate_long(v, MEMBERS, rule="ratio", scale=100)
    assert out.loc[0, "value"] == pytest.approx(100 * 105 / 1010)
    assert out.loc[0, "value"] != pytest.approx(30.0)
    assert (out.loc[0, "numerator"], out.loc[0, "denominator"]) == (105, 1010)


def test_flagged_child_is_left_out_and_coverage_says_so() -> None:
    v = _values([("a", 10.0, 10, 100, ""), ("b", np.nan, np.nan, np.nan, "under_300"), ("c", 20.0, 60, 300, "")])
    weights = pd.Series({"a": 100.0, "b": 200.0, "c": 300.0})
    out = aggregate_long(v, MEMBERS, rule="ratio", scale=100, weights=weights)
    assert out.loc[0, "value"] == pytest.approx(100 * 70 / 400)
    assert out.loc[0, "coverage"] == pytest.approx(400 / 600)


def test_all_children_flagged_propagates_the_flag() -> None:
    v = _values([("a", np.nan, np.nan, np.nan, "not_rated"), ("b", np.nan, np.nan, np.nan, "")])
    out = aggregate_long(v, MEMBERS, rule="ratio")
    assert math.isnan(out.loc[0, "value"]) and out.loc[0, "flag"] == "not_rated" and out.loc[0, "coverage"] == 0


def test_zero_denominator_is_flagged() -> None:
    v = _values([("a", 0.0, 0, 0, "")])
    out = aggregate_long(v, MEMBERS, rule="ratio")
    assert out.loc[0, "flag"] == "zero_denominator" and math.isnan(out.loc[0, "value"])


def test_share_apportions_a_partial_child() -> None:
    members = pd.DataFrame({"child_id": ["a", "b"], "level": "hr", "area_id": "H", "share": [1.0, 0.25]})
    v = _values([("a", 100, 100, None, ""), ("b", 400, 400, None, "")])
    assert aggregate_long(v, members, rule="sum").loc[0, "value"] == pytest.approx(200)
    r = _values([("a", 10.0, 10, 100, ""), ("b", 50.0, 200, 400, "")])
    out = aggregate_long(r, members, rule="ratio", scale=100)
    assert out.loc[0, "value"] == pytest.approx(100 * (10 + 50) / (100 + 100))


def test_membership_from_parents() -> None:
    units = pd.DataFrame({"area_id": ["01100101", "01100102"], "bzr": ["011001", "011001"], "city": "ber"})
    m = membership_from_parents(units, {"bezirksregion": "bzr", "stadt": "city"})
    assert len(m) == 4 and set(m["level"]) == {"bezirksregion", "stadt"}


@settings(max_examples=60, deadline=None)
@given(
    populations=st.lists(st.integers(min_value=0, max_value=50_000), min_size=1, max_size=40),
    data=st.data(),
)
def test_aggregating_counts_then_summing_never_loses_population(populations: list[int], data) -> None:
    n = len(populations)
    parents = data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    ids = [f"{i:03d}" for i in range(n)]
    v = pd.DataFrame({"area_id": ids, "value": [float(p) for p in populations], "flag": "",
                      "indicator_id": "population", "period": "2024-12-31"})
    members = pd.concat([
        pd.DataFrame({"child_id": ids, "level": "mid", "area_id": [f"P{p}" for p in parents]}),
        pd.DataFrame({"child_id": ids, "level": "stadt", "area_id": "city"}),
    ], ignore_index=True)
    out = aggregate_long(v, members, rule="sum")
    assert out.loc[out["level"] == "mid", "value"].sum() == sum(populations)
    assert out.loc[out["level"] == "stadt", "value"].item() == sum(populations)
    # two-step aggregation (children -> mid -> city) equals the direct one
    mid = out[out["level"] == "mid"].assign(flag="")
    up = aggregate_long(mid, pd.DataFrame({"child_id": mid["area_id"], "level": "stadt", "area_id": "city"}),
                        rule="sum")
    assert up["value"].item() == sum(populations)
