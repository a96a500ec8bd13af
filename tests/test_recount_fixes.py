"""The fixes from the independent recount (issue 8), on the real bundled data and its build.

Each figure here was recounted from the raw files: the Berlin Kita list (2,880 Kitas, Dec 2022)
and the population table of 31.12.2022; Munich's day-care list (1,428 facilities for under-6s,
59 of them without coordinates); the Handlungsraum geometries; the Indikatorenatlas INHALT sheet.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def build(processed_build: Path) -> dict:
    ind = pd.read_parquet(processed_build / "indicators.parquet")
    catalog = {c["indicator_id"]: c for c in json.loads((processed_build / "catalog.json").read_text("utf-8"))}
    return {"ind": ind, "catalog": catalog, "loc": gpd.read_parquet(processed_build / "locations.parquet"),
            "areas": pd.read_parquet(processed_build / "areas.parquet", columns=["city", "level", "area_id",
                                                                                   "population", "area_km2"])}


def _row(ind: pd.DataFrame, iid: str, city: str, level: str, area_id: str, period: str | None = None) -> pd.Series:
    sel = ind[(ind["indicator_id"] == iid) & (ind["city"] == city) & (ind["level"] == level)
              & (ind["area_id"] == area_id)]
    if period is not None:
        sel = sel[sel["period"] == period]
    assert len(sel) >= 1, (iid, city, level, area_id, period)
    return sel.sort_values("period").iloc[-1]


def test_berlin_kitas_are_counted_against_the_children_of_the_lists_own_date(build: dict) -> None:
    ind = build["ind"]
    kitas = ind[(ind["indicator_id"] == "kitas_per_1000_u6") & (ind["city"] == "berlin")]
    assert set(kitas["period"]) == {"2022-12-31"}
    u6 = ind[(ind["indicator_id"] == "ber_pop_under6") & (ind["period"] == "2022-12-31")]
    plr = kitas[kitas["level"] == "planungsraum"].merge(u6, on=["level", "area_id"], suffixes=("", "_u6"))
    assert len(plr) == 542 and (plr["denominator"] == plr["value_u6"]).all()
    assert _row(ind, "kitas_per_1000_u6", "berlin", "bezirk", "02")["value"] == pytest.approx(16.93, abs=0.005)
    city = _row(ind, "kitas_per_1000_u6", "berlin", "stadt", "ber")
    assert (city["numerator"], city["denominator"]) == (2880, 222646)
    assert city["value"] == pytest.approx(12.94, abs=0.005)


def test_munich_facilities_without_coordinates_count_by_their_stadtbezirk(build: dict) -> None:
    ind = build["ind"]
    city = _row(ind, "kitas_per_1000_u6", "munich", "stadt", "muc")
    assert city["numerator"] == 1428  # 1,369 with coordinates + 59 without
    assert city["value"] == pytest.approx(16.23, abs=0.005)
    sb = ind[(ind["indicator_id"] == "kitas_per_1000_u6") & (ind["level"] == "stadtbezirk")]
    assert sb["numerator"].sum() == 1428
    bt = ind[(ind["indicator_id"] == "kitas_per_1000_u6") & (ind["level"] == "bezirksteil")]
    assert bt.empty or bt["numerator"].sum() == 1369  # a Bezirksteil cannot place them
    note = build["catalog"]["kitas_per_1000_u6"]["comparability_note_de"]
    assert "59" in note and "1.428" in note


def test_approximated_handlungsraum_density_uses_its_own_area(build: dict) -> None:
    ind, areas = build["ind"], build["areas"].set_index("area_id")
    for iid in ("density", "muc_bevoelkerung__bevoelkerungsdichte__insgesamt"):
        for hr, km2 in {"hr3": 14.81, "hr6": 14.43, "innenstadt": 1.48}.items():
            row = _row(ind, iid, "munich", "handlungsraum", hr, "2024-12-31")
            assert row["denominator"] == pytest.approx(km2, abs=0.005)
            assert row["value"] == pytest.approx(row["numerator"] / areas.loc[hr, "area_km2"], rel=1e-9)
    # whole Stadtbezirke keep the official areas (Indikatorenatlas): Nord 11 + 12 + 24
    assert _row(ind, "density", "munich", "handlungsraum", "nord", "2024-12-31")["denominator"] == \
        pytest.approx(68.0)


def test_a_facility_in_the_tolerance_band_counts_for_its_handlungsraum_too(build: dict) -> None:
    loc = build["loc"]
    kita = loc[(loc["city"] == "munich") & (loc["location_id"] == "1672")].iloc[0]
    assert kita["area_id_stadtbezirk"] == "19" and kita["area_id_handlungsraum"] == "suedwest"
    muc = loc[loc["city"] == "munich"]
    in_sw = muc["area_id_handlungsraum"].fillna("").str.split(",").apply(lambda ids: "suedwest" in ids).sum()
    assert in_sw == muc["area_id_stadtbezirk"].isin(["07", "19"]).sum() == 138
    ind = build["ind"]
    counts = ind[ind["indicator_id"] == "muc_kita_count"].set_index("area_id")["value"]
    assert counts["suedwest"] == counts["07"] + counts["19"]


def test_periods_say_what_the_indikatorenatlas_year_means(build: dict) -> None:
    ind, cat = build["ind"], build["catalog"]
    care = ind.loc[ind["indicator_id"].str.startswith("muc_kinderbetreuung__"), "period"].unique()
    assert {p[5:] for p in care if p[:4] >= "2010"} == {"03-01"}
    assert {p[5:] for p in care if p[:4] <= "2009"} == {"03-15"}
    labour = ind.loc[ind["indicator_id"].str.startswith("muc_arbeitsmarkt__"), "period"].unique()
    assert {p[5:] for p in labour} == {"07-01"}
    assert cat["muc_arbeitsmarkt__arbeitslose_anteil__insgesamt"]["period_kind"] == {"munich": "annual_mean"}
    assert cat["muc_kinderbetreuung__betreuungsangebot__insgesamt"]["period_kind"] == {"munich": "reference_date"}
    assert cat["unemployment_share"]["period_kind"] == {"munich": "annual_mean", "berlin": "reference_date"}
    assert "2024-12-31" in ind.loc[ind["indicator_id"] == "muc_bevoelkerung__altersgruppen__insgesamt", "period"].values


def test_single_parent_households_have_one_polarity_in_both_cities(build: dict) -> None:
    cat = build["catalog"]
    assert cat["muc_bevoelkerung__haushalte_alleinerziehend__insgesamt"]["polarity"] == \
        cat["ber_mss_k02"]["polarity"] == "higher_is_worse"


def test_catalog_levels_and_city_values_match_the_rows(build: dict) -> None:
    ind, cat = build["ind"], build["catalog"]
    assert "bezirksteil" in cat["population"]["levels"]["munich"]
    assert (ind[(ind["indicator_id"] == "population") & (ind["level"] == "bezirksteil")]).shape[0] == 108
    assert not [i for i, c in cat.items() if c.get("city_value") == "aggregated"]


def test_shares_of_the_city_total_add_up_for_handlungsraeume(build: dict) -> None:
    ind, cat = build["ind"], build["catalog"]
    for iid, period in (("muc_bevoelkerung__bevoelkerungsanteil__insgesamt", "2024-12-31"),
                        ("muc_kinderbetreuung__betreuungsangebot__insgesamt", "2024-03-01")):
        assert cat[iid]["aggregation"] == "sum" and "handlungsraum" in cat[iid]["levels"]["munich"]
        sb = ind[(ind["indicator_id"] == iid) & (ind["level"] == "stadtbezirk") & (ind["period"] == period)]
        sb = sb.set_index("area_id")["value"]
        nord = _row(ind, iid, "munich", "handlungsraum", "nord", period)["value"]
        assert nord == pytest.approx(sb[["11", "12", "24"]].sum())
        assert 0 < _row(ind, iid, "munich", "handlungsraum", "hr6", period)["value"] < sb["16"]
        assert _row(ind, iid, "munich", "stadt", "muc", period)["value"] == 100
