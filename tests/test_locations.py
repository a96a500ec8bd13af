"""Locations stage: real Kita/JFE files joined to every level, plus hand-made edge cases."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from pipelines import config
from pipelines.config import resolve_paths
from pipelines.errors import InputError, RegistryError
from pipelines.registry import Source, SourceFile, load_indicator_registry, load_sources
from pipelines.sources.locations import CITY_TOLERANCE_M, assign_areas, count_per_area, stage
from pipelines.stage import BuildContext
from tests.fixtures.locations.canonical_areas import berlin_areas, munich_areas

FIXTURES = Path(__file__).parent / "fixtures" / "locations"


@pytest.fixture(scope="module")
def real_areas(geodata: Path) -> dict[str, gpd.GeoDataFrame]:
    return {"munich": munich_areas(geodata), "berlin": berlin_areas(geodata)}


@pytest.fixture(scope="module")
def real(geodata: Path, real_areas):
    ctx = BuildContext(resolve_paths(geodata), load_sources(geodata), load_indicator_registry(geodata))
    locations, indicators, catalog = stage(ctx, real_areas)
    return ctx, locations, indicators, catalog


def _source(kind: str, city: str, layer: str, path: str, sid: str = "test") -> Source:
    return Source(id=sid, kind=kind, city=city, title="t", publisher="p", licence="l", attribution="a", url="u",
                  reference_date="2024-12-31", files=(SourceFile(path, ""),), extra={"layer": layer})


def _run_fixture(sources: list[Source], areas) -> tuple[BuildContext, gpd.GeoDataFrame, pd.DataFrame, list]:
    ctx = BuildContext(resolve_paths(FIXTURES), sources, {"indicator": []})
    return (ctx, *stage(ctx, areas))


# ---------------------------------------------------------------- real data


def test_real_counts_and_missing_coordinates_reported(real):
    ctx, loc, _, _ = real
    sizes = loc.groupby(["city", "layer"]).size().to_dict()
    assert sizes == {("munich", "kita"): 1589 - 62, ("berlin", "kita"): 2880, ("berlin", "youth_centre"): 407}
    missing = [f for f in ctx.findings if f.stage == "locations" and "without coordinates" in f.message]
    assert len(missing) == 1 and missing[0].count == 62 and missing[0].source == "muc_kitas"
    assert "Zeile 17" in missing[0].where  # first row without coordinates is CSV line 17
    assert ctx.notes["locations"]["muc_kitas"] == {"rows": 1589, "kept": 1527,
                                                   "excluded": {"missing_coordinates": 62}}


def test_a_facility_list_is_read_once_per_build_and_handed_out_as_copies(real, real_areas, geodata: Path):
    """The derived stage's unlocated rows come from the rows the locations stage read (not a second read)."""
    from pipelines.sources.locations import unlocated_for

    ctx, _, _, _ = real
    assert {key[1] for key in ctx.reads} == {s.id for s in ctx.sources if s.kind in ("munich_kitas",
                                                                                     "berlin_locations")}
    kept = dict(ctx.reads)
    fresh = BuildContext(resolve_paths(geodata), load_sources(geodata), load_indicator_registry(geodata))
    for city, layer in (("munich", "kita"), ("berlin", "kita")):
        got = unlocated_for(ctx, city, layer, real_areas[city])
        pd.testing.assert_frame_equal(got, unlocated_for(fresh, city, layer, real_areas[city]), check_exact=True)
    assert ctx.reads == kept  # nothing read again; the stage's reason marks did not reach the kept rows
    assert all((df["_reason"] != "outside_city").all() for df in ctx.reads.values())


def test_real_locations_are_canonical_wgs84_with_text_ids(real):
    _, loc, _, _ = real
    assert loc.crs.equals(config.WEB_CRS)
    assert list(loc.columns[:7]) == [c for c in config.LOCATION_COLUMNS if c != "geometry"]
    assert not loc.duplicated(["city", "layer", "location_id"]).any()
    ber = loc[loc["city"] == "berlin"]
    assert ber["location_id"].str.fullmatch(r"\d{8}").all()  # e_nr keeps its leading zero
    assert ber["location_id"].str.startswith("0").any()
    b = loc.total_bounds
    assert 11.3 < b[0] and b[2] < 13.8 and 48.0 < b[1] and b[3] < 52.7


def test_real_every_point_in_exactly_one_area_per_tiling_level_and_hierarchy_consistent(real):
    _, loc, _, _ = real
    muc, ber = loc[loc["city"] == "munich"], loc[loc["city"] == "berlin"]
    for level in config.COVERAGE_LEVELS["munich"]:
        assert muc[f"area_id_{level}"].notna().all()
    for level in config.COVERAGE_LEVELS["berlin"]:
        assert ber[f"area_id_{level}"].notna().all()
    assert (muc["area_id_bezirksteil"].str[:2] == muc["area_id_stadtbezirk"]).all()
    plr = ber["area_id_planungsraum"]
    assert (plr.str[:6] == ber["area_id_bezirksregion"]).all()
    assert (plr.str[:4] == ber["area_id_prognoseraum"]).all()
    assert (plr.str[:2] == ber["area_id_bezirk"]).all()
    assert muc["area_id_bezirk"].isna().all() and ber["area_id_stadtbezirk"].isna().all()


def test_real_join_agrees_with_the_official_district_numbers(real, geodata):
    _, loc, _, _ = real
    raw = pd.read_csv(geodata / "raw/munich/standorte/kindertageseinrichtungen.csv", dtype=str, encoding="utf-8-sig")
    muc = loc[loc["city"] == "munich"].merge(raw, left_on="location_id", right_on="ID Einrichtung")
    agree = (muc["Stadtbezirknr."].str.zfill(2) == muc["area_id_stadtbezirk"]).mean()
    assert agree > 0.97  # a few sit on a district border or carry an outdated district number
    kitas = gpd.read_file(geodata / "raw/berlin/standorte/kindertagesstaetten.geojson")
    ber = loc[(loc["city"] == "berlin") & (loc["layer"] == "kita")].merge(kitas[["e_nr", "e_bez_nr"]],
                                                                          left_on="location_id", right_on="e_nr")
    assert (ber["e_bez_nr"] == ber["area_id_bezirk"]).mean() > 0.97


def test_real_count_indicators_add_up_at_every_level(real, real_areas):
    _, loc, ind, _ = real
    assert set(ind["indicator_id"]) == {"muc_kita_count", "ber_kita_count", "ber_youth_centre_count"}
    assert list(ind.columns) == list(config.INDICATOR_COLUMNS)
    # Munich: 1,527 facilities with coordinates; the 62 without are counted by their Stadtbezirk number
    # (1,589 rows in the list), which a Bezirksteil cannot do
    expected = {"muc_kita_count": {"bezirksteil": 1527, "stadtbezirk": 1589, "stadt": 1589},
                "ber_kita_count": 2880, "ber_youth_centre_count": 407}
    for iid, n in expected.items():
        rows = ind[ind["indicator_id"] == iid]
        city = rows["city"].iloc[0]
        for level in config.COVERAGE_LEVELS[city] + ("stadt",):
            at = rows[rows["level"] == level]
            areas = real_areas[city]
            assert set(at["area_id"]) == set(areas.loc[areas["level"] == level, "area_id"])  # zeros included
            assert at["value"].sum() == (n[level] if isinstance(n, dict) else n), (iid, level)
    periods = ind.groupby("indicator_id")["period"].unique().to_dict()
    assert list(periods["muc_kita_count"]) == ["2024-12-31"] and list(periods["ber_kita_count"]) == ["2022-12-31"]
    assert (ind["flag"] == "").all() and (ind["coverage"] == 1.0).all()


def test_real_handlungsraum_counts_match_membership(real):
    _, loc, ind, _ = real
    hr = ind[(ind["indicator_id"] == "muc_kita_count") & (ind["level"] == "handlungsraum")].set_index("area_id")
    muc = loc[loc["city"] == "munich"]
    nord = muc["area_id_stadtbezirk"].isin(["11", "12", "24"]).sum()
    assert (muc["area_id_handlungsraum"] == "hr_nord").sum() == nord
    # München Nord is whole Stadtbezirke: the 7 facilities there without coordinates count too
    sb = ind[(ind["indicator_id"] == "muc_kita_count") & (ind["level"] == "stadtbezirk")].set_index("area_id")
    assert hr.loc["hr_nord", "value"] == sb.loc[["11", "12", "24"], "value"].sum() == nord + 7


def test_real_catalog_rows(real):
    _, _, _, catalog = real
    by_id = {c["indicator_id"]: c for c in catalog}
    assert set(by_id) == {"muc_kita_count", "ber_kita_count", "ber_youth_centre_count"}
    c = by_id["ber_youth_centre_count"]
    assert (c["group"], c["unit"], c["unit_en"], c["aggregation"]) == ("berlin", "Einrichtungen", "facilities", "sum")
    assert c["label_de"] and c["label_en"] and c["source_ids"] == ["ber_jfe"]
    assert c["levels"]["berlin"][0] == "stadt" and c["periods"] == {"berlin": ["2022-12-31"]}
    assert by_id["muc_kita_count"]["group"] == "munich"


# ---------------------------------------------------------------- hand-made edge cases


def test_munich_csv_edge_rows_are_counted_by_reason_not_dropped_silently(real_areas):
    src = _source("munich_kitas", "munich", "kita", "muc_kitas_edge.csv")
    ctx, loc, ind, _ = _run_fixture([src], {"munich": real_areas["munich"]})
    assert sorted(loc["location_id"]) == ["01001", "1002"]  # leading zero kept; decimal comma accepted
    assert loc.set_index("location_id").loc["1002", "area_id_stadtbezirk"] == "01"
    assert loc.set_index("location_id").loc["1002", "address"] == "Marienplatz 8a, 80331 München"
    assert ctx.notes["locations"]["test"]["excluded"] == {
        "missing_coordinates": 1, "unparsable_coordinates": 1, "outside_city": 1, "duplicate_id": 1, "missing_id": 1}
    wheres = {f.message: f.where for f in ctx.findings}
    assert any("outside" in m and "Zeile 6" in w and "1005" in w for m, w in wheres.items())
    assert any("repeating an id" in m and "Zeile 7" in w for m, w in wheres.items())
    # rows 1003 (no coordinates) and 1004 (unparsable) name their Stadtbezirk (23, 1): counted there, not mapped
    assert ind.loc[ind["level"] == "stadt", "value"].tolist() == [4.0]


def test_berlin_geojson_edge_features(real_areas):
    src = _source("berlin_locations", "berlin", "kita", "ber_locations_edge.geojson")
    ctx, loc, _, _ = _run_fixture([src], {"berlin": real_areas["berlin"]})
    assert loc["location_id"].tolist() == ["01010010"]
    assert loc["name"].tolist() == ["Kita Gültig"]  # the first of the duplicate ids is kept
    assert loc["area_id_bezirk"].tolist() == ["01"]
    assert ctx.notes["locations"]["test"]["excluded"] == {"missing_coordinates": 1, "duplicate_id": 1,
                                                          "outside_city": 1}
    assert sum(f.count or 0 for f in ctx.findings) == 3


def test_berlin_file_in_another_crs_is_reprojected(real_areas):
    src = _source("berlin_locations", "berlin", "youth_centre", "ber_locations_wgs84.geojson")
    _, loc, ind, cat = _run_fixture([src], {"berlin": real_areas["berlin"]})
    assert loc["area_id_bezirk"].tolist() == ["01"] and loc["layer"].tolist() == ["youth_centre"]
    assert loc.geometry.x.round(4).tolist() == [13.3777]
    assert cat[0]["indicator_id"] == "ber_youth_centre_count"


def test_unknown_layer_is_a_registry_error(real_areas):
    src = _source("munich_kitas", "munich", "spielplatz", "muc_kitas_edge.csv")
    with pytest.raises(RegistryError, match="sources.toml.*spielplatz"):
        _run_fixture([src], {"munich": real_areas["munich"]})


def test_missing_column_is_an_input_error(tmp_path, real_areas):
    (tmp_path / "k.csv").write_text("Name Einrichtung,PLZ\nA,80331\n", encoding="utf-8")
    src = _source("munich_kitas", "munich", "kita", "k.csv")
    ctx = BuildContext(resolve_paths(tmp_path), [src], {"indicator": []})
    with pytest.raises(InputError, match="k.csv.*Geokoordinaten"):
        stage(ctx, {"munich": real_areas["munich"]})


def _toy_areas() -> gpd.GeoDataFrame:
    """A 2 km × 1 km toy city: two districts, an overlapping pair of Handlungsräume."""
    box = shapely.box
    rows = [("stadt", "muc", "", box(0, 0, 2000, 1000)),
            ("stadtbezirk", "01", "muc", box(0, 0, 1000, 1000)),
            ("stadtbezirk", "02", "muc", box(1000, 0, 2000, 1000)),
            ("bezirksteil", "01.1", "01", box(0, 0, 1000, 1000)),
            ("bezirksteil", "02.1", "02", box(1000, 0, 2000, 1000)),
            ("handlungsraum", "hr_a", "muc", box(500, 0, 1500, 1000)),
            ("handlungsraum", "hr_b", "muc", box(1200, 0, 2000, 500))]
    return gpd.GeoDataFrame({"city": "munich", "level": [r[0] for r in rows], "area_id": [r[1] for r in rows],
                             "parent_id": [r[2] for r in rows]}, geometry=[r[3] for r in rows], crs="EPSG:25832")


def test_assign_areas_border_tolerance_and_overlapping_handlungsraeume():
    areas = _toy_areas()
    pts = gpd.GeoDataFrame({"location_id": ["border", "outside", "both", "none"]},
                           geometry=shapely.points([(1000, 500), (2030, 200), (1300, 200), (100, 900)]),
                           crs="EPSG:25832")
    out = assign_areas(pts, areas).set_index("location_id")
    assert out.loc["border", "area_id_stadtbezirk"] == "01"  # on the shared border: exactly one, the lower id
    assert out.loc["outside", "area_id_stadtbezirk"] == "02"  # 30 m outside: nearest area within tolerance
    assert CITY_TOLERANCE_M > 30
    assert out.loc["both", "area_id_handlungsraum"] == "hr_a,hr_b"
    assert pd.isna(out.loc["none", "area_id_handlungsraum"])
    counts = count_per_area(out.reset_index(), areas, "x", "2024-12-31").set_index(["level", "area_id"])["value"]
    # no tolerance band for Handlungsräume: "outside" is not in hr_b
    assert counts[("handlungsraum", "hr_a")] == 2 and counts[("handlungsraum", "hr_b")] == 1
    assert counts[("stadt", "muc")] == 4 and counts[("stadtbezirk", "01")] == 2


def test_assign_areas_refuses_mixed_crs():
    pts = gpd.GeoDataFrame(geometry=shapely.points([(11.5, 48.1)]), crs="EPSG:4326")
    with pytest.raises(ValueError, match="CRS"):
        assign_areas(pts, _toy_areas())


def test_areas_in_wgs84_combined_frame_give_the_same_join(real_areas):
    combined = pd.concat([real_areas["munich"].to_crs(config.WEB_CRS)], ignore_index=True)
    src = _source("munich_kitas", "munich", "kita", "muc_kitas_edge.csv")
    _, loc, _, _ = _run_fixture([src], gpd.GeoDataFrame(combined, crs=config.WEB_CRS))
    assert loc.set_index("location_id").loc["1002", "area_id_bezirksteil"].startswith("01.")
