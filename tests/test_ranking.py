"""Ranking tables, their number format, and Handlungsräume vs. the rest of Munich, on tiny hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.i18n import format_number
from dashboard.ranking import action_area_summary, candidate_unions, ranking_formatters, ranking_table
from tests.area_tables import AREAS, CATALOG, IND, _row


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


def test_ranking_lists_areas_without_a_row_as_no_data_and_shares_ranks_on_ties() -> None:
    rows = pd.DataFrame([_row("stadtbezirk", "01", "x", "2024-12-31", 7.0),
                         _row("stadtbezirk", "02", "x", "2024-12-31", 7.0)])
    table = ranking_table(rows, AREAS, "munich", "stadtbezirk", "x", "2024-12-31", "higher_is_worse")
    assert list(table.columns) == ["rank", "area_id", "name", "value", "flag", "coverage", "numerator",
                                   "denominator"]
    assert table["rank"].tolist()[:2] == [1, 1] and pd.isna(table["rank"].iloc[2])
    assert table.loc[table["area_id"] == "03", "flag"].item() == "no_data"
    assert table.attrs["polarity"] == "higher_is_worse"


def test_ranking_of_another_city_or_period_is_empty_of_values() -> None:
    table = ranking_table(IND, AREAS, "munich", "stadtbezirk", "share", "1999-12-31")
    assert len(table) == 3 and table["value"].isna().all() and set(table["flag"]) == {"no_data"}


def test_ranking_formatters_print_like_the_tooltips() -> None:
    table = pd.DataFrame({"value": [1234.5, 8.25, np.nan], "coverage": [100.0, 87.0, np.nan]})
    fmt = ranking_formatters(table, "de", "Wert", "Abdeckung")
    assert fmt["Wert"](1234.5) == "1.234,5" == format_number(1234.5, "de", 1)
    assert fmt["Wert"](np.nan) == "–" and fmt["Abdeckung"](87.0) == "87"
    counts = pd.DataFrame({"value": [3.0, 12.0]})
    assert ranking_formatters(counts, "en", "v", "c")["v"](1234.0) == "1,234"  # whole numbers: no decimals


def test_summary_without_a_city_row_names_why() -> None:
    no_city = IND[IND["level"] != "stadt"]
    summary = action_area_summary(no_city, AREAS, CATALOG[0], "2024-12-31")
    assert "summary_note_no_rest" in summary.notes and not summary.rest_computed
    assert summary.rows.loc[summary.rows["kind"] == "city", "flag"].item() == "no_data"


def test_summary_uses_the_given_layout_of_the_areas() -> None:
    from dashboard.ranking import action_area_layout

    layout = action_area_layout(AREAS)
    assert [a for a, _, _ in layout.areas] == sorted(AREAS.loc[AREAS["level"] == "handlungsraum", "area_id"])
    assert layout.unions == {"bezirksteil": frozenset({"01.1", "02.1"})}
    entry = next(c for c in CATALOG if c["indicator_id"] == "pop")
    without_hr = AREAS[AREAS["level"] != "handlungsraum"]  # the layout alone names the Handlungsräume
    given = action_area_summary(IND, without_hr, entry, "2024-12-31", layout)
    computed = action_area_summary(IND, AREAS, entry, "2024-12-31")
    pd.testing.assert_frame_equal(given.rows, computed.rows)
    assert given.notes == computed.notes and given.rest_computed == computed.rest_computed
