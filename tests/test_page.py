"""The page context: computed once per run from a build, purely (an in-memory build, no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from dashboard.page import ProjectFilters, build_page, city_locations, classifications, focus_ids, joined_frame
from dashboard.state import Choices, ViewState

CATALOG = {"unemployment_share": {"indicator_id": "unemployment_share", "group": "comparable", "polarity":
                                  "higher_is_worse", "aggregation": "ratio", "label_de": "Arbeitslose",
                                  "unit": "%"}}
AREAS = pd.DataFrame(
    [("munich", "stadt", "muc", "", "München"), ("munich", "stadtbezirk", "01", "muc", "Altstadt"),
     ("munich", "stadtbezirk", "02", "muc", "Au"), ("munich", "stadtbezirk", "03", "muc", "Laim"),
     ("munich", "bezirksteil", "01.1", "01", "Kern"),
     ("berlin", "stadt", "ber", "", "Berlin"), ("berlin", "bezirk", "01", "ber", "Mitte"),
     ("berlin", "bezirk", "08", "ber", "Neukölln"), ("berlin", "bezirksregion", "010101", "01", "Tiergarten"),
     ("berlin", "bezirksregion", "080101", "08", "Britz"), ("berlin", "bezirksregion", "080102", "08", "Buckow")],
    columns=["city", "level", "area_id", "parent_id", "name"])
PERIOD = "2024-12-31"


def _row(city: str, level: str, area_id: str, value: float, flag: str = "") -> dict:
    return {"city": city, "level": level, "area_id": area_id, "indicator_id": "unemployment_share",
            "period": PERIOD, "value": value, "numerator": np.nan, "denominator": np.nan, "coverage": 1.0,
            "flag": flag}


INDICATORS = pd.DataFrame([
    _row("munich", "stadt", "muc", 5.0), _row("munich", "stadtbezirk", "01", 4.0),
    _row("munich", "stadtbezirk", "02", 6.0), _row("munich", "stadtbezirk", "03", np.nan, "under_300"),
    _row("berlin", "stadt", "ber", 10.0), _row("berlin", "bezirk", "01", 9.0), _row("berlin", "bezirk", "08", 12.0),
    _row("berlin", "bezirksregion", "010101", 8.0), _row("berlin", "bezirksregion", "080101", 14.0),
    _row("berlin", "bezirksregion", "080102", 11.0),
])


def _layer(city: str, level: str) -> gpd.GeoDataFrame | None:
    sel = AREAS[(AREAS["city"] == city) & (AREAS["level"] == level)].reset_index(drop=True)
    if sel.empty:
        return None
    x0 = 11.5 if city == "munich" else 13.4
    return gpd.GeoDataFrame(sel[["area_id", "name"]], crs="EPSG:4326",
                            geometry=[box(x0 + 0.01 * i, 48.0, x0 + 0.01 * (i + 1), 48.01) for i in range(len(sel))])


@dataclass
class FakeBuild:
    """An in-memory build that counts how often each table is asked for."""

    version: str = "test-1"
    indicators: pd.DataFrame = field(default_factory=lambda: INDICATORS)
    build_projects: gpd.GeoDataFrame | None = None
    calls: dict[str, int] = field(default_factory=dict)

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def catalog(self):
        self._count("catalog")
        return CATALOG

    def areas(self):
        return AREAS

    def indicator_values(self, city, level, indicator, period):
        self._count("indicator_values")
        df = self.indicators
        return df[(df["city"] == city) & (df["level"] == level) & (df["indicator_id"] == indicator)
                  & (df["period"] == period)].reset_index(drop=True)

    def indicator_rows(self, city, indicator):
        df = self.indicators
        return df[(df["city"] == city) & (df["indicator_id"] == indicator)].reset_index(drop=True)

    def web_layer(self, city, level):
        return _layer(city, level)

    def locations(self):
        return gpd.GeoDataFrame({"city": ["berlin", "munich"], "layer": ["kita", "kita"], "name": ["A", "B"]},
                                geometry=[Point(13.405, 48.005), Point(11.505, 48.005)], crs="EPSG:4326")

    def projects(self):
        self._count("projects")
        return self.build_projects


CHOICES = Choices(indicators=("unemployment_share",),
                  periods={("unemployment_share", "munich"): (PERIOD,), ("unemployment_share", "berlin"): (PERIOD,)},
                  areas={"munich": {}, "berlin": {}}, districts=("01", "08"))
STATE = ViewState(indicator="unemployment_share", periods=(("munich", PERIOD), ("berlin", PERIOD)), k=3)


def test_page_holds_entry_and_per_city_frame_classification_and_ranking() -> None:
    data = FakeBuild()
    page = build_page(STATE, CHOICES, data)
    assert page.version == "test-1" and page.entry["indicator_id"] == "unemployment_share"
    assert page.polarity == "higher_is_worse" and data.calls["catalog"] == 1
    muc, ber = page.cities["munich"], page.cities["berlin"]
    assert list(page.cities) == ["munich", "berlin"]
    assert muc.ranking["area_id"].tolist() == ["02", "01", "03"]  # rank 1 = highest; flagged last, unranked
    assert muc.frame.set_index("area_id").loc["03", "flag"] == "under_300"
    assert muc.city_value == 5.0 and ber.city_value == 10.0
    assert muc.classification.k == 2 and len(muc.colors) == 2  # two valid values: two classes
    assert ber.classification.k == 3 and ber.outlines is None and muc.outlines is None  # no HR layer here
    assert page.summary is not None  # Munich period exists and the page is not on a projector
    # Per run: one map and one city value per city, nothing computed twice.
    assert data.calls["indicator_values"] == 4


def test_common_scale_gives_both_cities_the_same_breaks() -> None:
    page = build_page(replace(STATE, scale="common"), CHOICES, FakeBuild())
    assert page.cities["munich"].classification == page.cities["berlin"].classification
    own = build_page(STATE, CHOICES, FakeBuild())
    assert own.cities["munich"].classification != own.cities["berlin"].classification


def test_relative_scale_classes_the_index_against_the_city_value() -> None:
    page = build_page(replace(STATE, scale="relative"), CHOICES, FakeBuild())
    ber = page.cities["berlin"].classification
    assert ber.lower == pytest.approx(80.0) and ber.breaks[-1] == pytest.approx(140.0)


def test_level_without_values_offers_the_levels_that_have_them() -> None:
    state = STATE.with_level("munich", "bezirksteil")
    muc = build_page(state, CHOICES, FakeBuild()).cities["munich"]
    assert muc.frame is None and muc.ranking is None and muc.classification is None
    assert muc.offered_levels == ("stadtbezirk",) and muc.fallback_period == ""


def test_indicator_missing_in_a_city_leaves_its_column_empty() -> None:
    state = STATE.with_period("berlin", "")
    page = build_page(state, CHOICES, FakeBuild())
    assert page.cities["berlin"].frame is None and page.cities["berlin"].ranking is None
    assert page.cities["munich"].frame is not None


def test_projects_are_combined_once_and_filtered_per_city() -> None:
    projects = gpd.GeoDataFrame({"id": ["P1", "P2"], "stadt": ["munich", "berlin"], "thema": ["Kultur", "Wohnen"],
                                 "status": ["Idee", "Idee"], "alle_referate": [["A"], ["B"]],
                                 "anzahl_referate": [1, 2], "area_id_stadtbezirk": ["01", ""],
                                 "area_id_bezirksregion": ["", "080101"]},
                                geometry=[Point(11.505, 48.005), Point(13.405, 48.005)], crs="EPSG:4326")
    data = FakeBuild(build_projects=projects)
    page = build_page(STATE, CHOICES, data, filters=ProjectFilters(themes=("Kultur",)))
    assert data.calls["projects"] == 1 and len(page.projects) == 2 and set(page.projects["origin"]) == {"build"}
    assert page.cities["munich"].projects["id"].tolist() == ["P1"]
    assert page.cities["berlin"].projects.empty  # Wohnen is filtered out
    counts = page.cities["munich"].project_counts.set_index("area_id")
    assert counts.loc["01", "projects"] == 1
    assert build_page(STATE, CHOICES, FakeBuild()).cities["munich"].project_counts is None  # no projects at all


def test_with_state_keeps_what_was_computed() -> None:
    page = build_page(STATE, CHOICES, FakeBuild())
    clicked = page.with_state(replace(STATE, area_city="munich", area_id="01"))
    assert clicked.state.area_id == "01" and clicked.cities is page.cities and clicked.projects is page.projects


def test_presentation_mode_skips_the_summary() -> None:
    assert build_page(replace(STATE, present=True), CHOICES, FakeBuild()).summary is None


def test_focus_ids_only_for_a_berlin_district() -> None:
    assert focus_ids(AREAS, "berlin", "bezirksregion", "08") == ("080101", "080102")
    assert focus_ids(AREAS, "berlin", "bezirksregion", "") is None
    assert focus_ids(AREAS, "munich", "stadtbezirk", "01") is None
    assert build_page(replace(STATE, focus="08"), CHOICES, FakeBuild()).cities["berlin"].focus_ids == (
        "080101", "080102")


def test_city_locations_select_layers_and_reproject() -> None:
    locs = FakeBuild().locations().to_crs("EPSG:25833")
    sel = city_locations(locs, "berlin", ("kita",))
    assert sel["name"].tolist() == ["A"] and sel.crs.equals("EPSG:4326")
    assert city_locations(locs, "berlin", ()) is None and city_locations(None, "berlin", ("kita",)) is None
    assert city_locations(locs, "berlin", ("youth_centre",)) is None


def test_joined_frame_marks_areas_without_a_row_as_no_data() -> None:
    ranking = pd.DataFrame({"area_id": ["01"], "value": [3.0], "flag": [""], "coverage": [1.0],
                            "rank": pd.array([1], dtype="Int64")})
    frame = joined_frame(_layer("munich", "stadtbezirk"), ranking)
    assert frame.crs.equals("EPSG:4326") and frame["flag"].tolist() == ["", "no_data", "no_data"]
    assert frame["rank"].iloc[0] == 1 and frame["rank"].isna().sum() == 2


def test_common_scale_with_one_city_falls_back_to_its_own_breaks() -> None:
    frame = joined_frame(_layer("munich", "stadtbezirk"), build_page(STATE, CHOICES, FakeBuild())
                         .cities["munich"].ranking)
    one = classifications("common", "quantiles", 3, {"munich": frame}, {"munich": 5.0})
    assert set(one) == {"munich"} and one["munich"].k == 2
