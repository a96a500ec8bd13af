"""The one-export build folder: the same answers as the full reader, from filtered reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.build_files import BuildFolder
from dashboard.deck_data import read_build
from dashboard.export_build import OneExportFolder, read_one_export


@pytest.fixture(scope="module")
def full(processed_build: Path) -> BuildFolder:
    return read_build(processed_build)


def test_choices_equal_the_full_tables(full: BuildFolder, processed_build: Path) -> None:
    one = read_one_export(processed_build)
    assert isinstance(one, OneExportFolder)
    got, want = one.choices(3), full.choices(3)
    assert got == want
    assert list(got.periods) == list(want.periods)  # same order of appearance as the full group-by
    assert "indicators" not in one._memo  # the full table was never read


@pytest.mark.parametrize("indicator", ["unemployment_share", "kitas_per_1000_u6", "ber_mss_s1"])
def test_indicator_rows_and_values_equal_the_full_tables(full: BuildFolder, processed_build: Path,
                                                         indicator: str) -> None:
    one = read_one_export(processed_build)
    for city in ("munich", "berlin"):
        rows = full.indicator_rows(city, indicator)
        pd.testing.assert_frame_equal(one.indicator_rows(city, indicator), rows)
        for level, period in list(rows[["level", "period"]].drop_duplicates().itertuples(index=False))[:6]:
            pd.testing.assert_frame_equal(one.indicator_values(city, level, indicator, period),
                                          full.indicator_values(city, level, indicator, period))
    pd.testing.assert_frame_equal(one.indicator_values("berlin", "bezirk", indicator, "1900-12-31"),
                                  full.indicator_values("berlin", "bezirk", indicator, "1900-12-31"))
    assert "indicators" not in one._memo


@pytest.mark.parametrize(("city", "level", "area_id"), [
    ("berlin", "bezirksregion", "011001"), ("munich", "handlungsraum", "hr3"), ("munich", "stadtbezirk", "01"),
    ("berlin", "planungsraum", "no-such-area"),
])
def test_area_and_city_rows_equal_the_full_tables(full: BuildFolder, processed_build: Path, city: str, level: str,
                                                  area_id: str) -> None:
    one = read_one_export(processed_build)
    pd.testing.assert_frame_equal(one.area_and_city_rows(city, level, area_id),
                                  full.area_and_city_rows(city, level, area_id))


def test_after_a_full_read_answers_come_from_the_full_table(processed_build: Path) -> None:
    one = read_one_export(processed_build)
    table = one.indicator_table()
    assert one.indicator_rows("berlin", "unemployment_share").shape[0] == (
        (table["city"] == "berlin") & (table["indicator_id"] == "unemployment_share")).sum()
    assert not any(isinstance(k, tuple) and k[0] in ("indicator", "area") for k in one._memo)
    one.area_and_city_rows("berlin", "bezirksregion", "011001")
    assert "row_index" in one._memo
