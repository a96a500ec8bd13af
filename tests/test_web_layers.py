"""Web layers: a valid nested coverage under the byte budgets, on the real areas and toy shapes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from pipelines import config
from pipelines.builder.web_layers import build_web_layers, coverage_report, layer_from_geojson
from pipelines.errors import InputError, PipelineError
from tests.fixtures.locations.canonical_areas import berlin_areas, munich_areas

EXPECTED = {f"munich_{lv}.geojson" for lv in config.LEVELS["munich"]} | {
    f"berlin_{lv}.geojson" for lv in config.LEVELS["berlin"]}


@pytest.fixture(scope="module")
def areas(geodata: Path) -> dict[str, gpd.GeoDataFrame]:
    return {"munich": munich_areas(geodata), "berlin": berlin_areas(geodata)}


@pytest.fixture(scope="module")
def layers(areas) -> dict[str, bytes]:
    return build_web_layers(areas)


@pytest.fixture(scope="module")
def frames(layers) -> dict[str, gpd.GeoDataFrame]:
    return {name: layer_from_geojson(data) for name, data in layers.items()}


def _split(name: str) -> tuple[str, str]:
    city, level = name.removesuffix(".geojson").split("_", 1)
    return city, level


def test_one_layer_per_city_and_level(layers):
    assert set(layers) == EXPECTED


def test_size_budgets_and_compact_json(layers):
    assert sum(len(v) for v in layers.values()) <= config.WEB_TOTAL_MAX_BYTES
    assert len(layers["berlin_planungsraum.geojson"]) <= config.WEB_PLR_MAX_BYTES
    for data in layers.values():
        doc = json.loads(data)
        assert data == json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_every_area_present_with_text_ids_and_properties(frames, areas):
    for name, layer in frames.items():
        city, level = _split(name)
        src = areas[city][areas[city]["level"] == level]
        assert sorted(layer["area_id"]) == sorted(src["area_id"]), name
        assert set(layer["level"]) == {level} and set(layer["city"]) == {city}
        for col in ("area_id", "name", "level", "city", "parent_id", "approximate"):
            assert col in layer.columns, (name, col)
    assert frames["berlin_bezirk.geojson"]["area_id"].str.fullmatch(r"\d{2}").all()
    assert "01" in set(frames["berlin_bezirk.geojson"]["area_id"])
    assert frames["berlin_planungsraum.geojson"]["area_id"].str.fullmatch(r"0\d{7}|1[012]\d{6}").all()
    assert "01.1" in set(frames["munich_bezirksteil.geojson"]["area_id"])
    hr = frames["munich_handlungsraum.geojson"].set_index("area_id")
    assert hr.loc["hr_nord", "members"] == "11,12,24" and bool(hr.loc["hr_nord", "approximate"])


def test_coordinates_have_at_most_five_decimals(layers):
    for name, data in layers.items():
        text = data.decode("utf-8")
        coords = text[text.index('"coordinates"'):]
        decimals = re.findall(r"-?\d+\.(\d+)", coords)
        assert decimals and max(len(d) for d in decimals) <= config.WEB_COORD_DECIMALS, name


@pytest.mark.parametrize("name", sorted(EXPECTED - {"munich_handlungsraum.geojson"}))
def test_tiling_layers_are_valid_coverages_without_gaps_or_overlaps(name, frames, areas):
    city, level = _split(name)
    reference = areas[city][areas[city]["level"] == level]
    report = coverage_report(frames[name], reference)
    assert report["is_valid_coverage"] and report["invalid_edges"] == 0, report
    assert report["overlap_m2"] < 1.0 and report["gap_m2"] < 1.0, report
    assert report["boundary_diff_share"] < 0.001, report  # the simplified outline stays within 0.1 % of the city
    assert shapely.is_valid(frames[name].geometry.values).all()


def test_levels_nest_and_share_borders(frames):
    """A coarser unit is exactly the union of its web children (borders were simplified once)."""
    for fine, coarse, key in (("berlin_planungsraum", "berlin_bezirk", lambda s: s.str[:2]),
                              ("berlin_bezirksregion", "berlin_prognoseraum", lambda s: s.str[:4]),
                              ("munich_bezirksteil", "munich_stadtbezirk", lambda s: s.str[:2])):
        f = frames[f"{fine}.geojson"].to_crs(config.CITY_CRS[fine.split("_")[0]])
        c = frames[f"{coarse}.geojson"].to_crs(f.crs).set_index("area_id")
        dissolved = f.dissolve(by=key(f["area_id"])).geometry
        diff = dissolved.symmetric_difference(c.geometry.reindex(dissolved.index)).area
        assert diff.max() < 1.0, (fine, coarse, diff.idxmax(), diff.max())
    stadt = frames["berlin_stadt.geojson"].to_crs(config.CITY_CRS["berlin"]).geometry.iloc[0]
    bez = frames["berlin_bezirk.geojson"].to_crs(config.CITY_CRS["berlin"]).union_all()
    assert stadt.symmetric_difference(bez).area < 1.0


def test_web_shapes_stay_close_to_the_originals(frames, areas):
    for name in ("berlin_planungsraum.geojson", "munich_bezirksteil.geojson"):
        city, level = _split(name)
        web = frames[name].to_crs(config.CITY_CRS[city]).set_index("area_id").geometry
        orig = areas[city][areas[city]["level"] == level].set_index("area_id").geometry
        rel = (web.area / orig.reindex(web.index).area - 1).abs()
        assert rel.max() < 0.05, (name, rel.idxmax(), rel.max())


def test_handlungsraum_is_the_union_of_its_simplified_members(frames):
    hr = frames["munich_handlungsraum.geojson"].to_crs(config.CITY_CRS["munich"]).set_index("area_id").geometry
    sb = frames["munich_stadtbezirk.geojson"].to_crs(config.CITY_CRS["munich"]).set_index("area_id").geometry
    bt = frames["munich_bezirksteil.geojson"].to_crs(config.CITY_CRS["munich"]).set_index("area_id").geometry
    assert hr["hr_nord"].symmetric_difference(sb[["11", "12", "24"]].union_all()).area < 1.0
    assert hr["hr_ost"].symmetric_difference(bt[["14.1", "14.2", "16.1", "17.1"]].union_all()).area < 1.0


# ---------------------------------------------------------------- toy shapes


def _toy_city() -> gpd.GeoDataFrame:
    """Four 1 km squares whose shared borders zig-zag (so simplification has work to do)."""
    zig = [(500 + (4 if i % 2 else -4), i * 50) for i in range(21)]
    left = shapely.Polygon([(0, 0), *zig, (0, 1000)])
    right = shapely.Polygon([(1000, 0), *zig, (1000, 1000)])
    units = []
    for i, (geom, parent) in enumerate(((left, "A"), (right, "A"))):
        units.append(("bezirksteil", f"A.{i + 1}", parent, geom))
    shifted = [shapely.affinity.translate(g, xoff=1000) for g in (left, right)]
    units += [("bezirksteil", f"B.{i + 1}", "B", g) for i, g in enumerate(shifted)]
    rows = units + [("stadtbezirk", "A", "muc", shapely.box(0, 0, 1000, 1000)),
                    ("stadtbezirk", "B", "muc", shapely.box(1000, 0, 2000, 1000)),
                    ("stadt", "muc", "", shapely.box(0, 0, 2000, 1000))]
    df = pd.DataFrame(rows, columns=["level", "area_id", "parent_id", "geometry"])
    gdf = gpd.GeoDataFrame(df.assign(city="munich", name=df["area_id"], approximate=False), crs="EPSG:25832")
    return gdf.set_geometry(gdf.geometry.translate(690000, 5330000))


def test_toy_coverage_stays_shared_after_simplification():
    layers = build_web_layers({"munich": _toy_city()})
    assert set(layers) == {"munich_stadt.geojson", "munich_stadtbezirk.geojson", "munich_bezirksteil.geojson"}
    bt = layer_from_geojson(layers["munich_bezirksteil.geojson"])
    report = coverage_report(bt, _toy_city().query("level == 'bezirksteil'"))
    assert report["is_valid_coverage"] and report["overlap_m2"] < 0.01 and report["gap_m2"] < 0.01


def test_coverage_report_detects_overlaps_and_gaps():
    box = shapely.box
    overlapping = gpd.GeoDataFrame({"city": ["munich"] * 2}, geometry=[box(0, 0, 10, 10), box(9, 0, 20, 10)],
                                   crs="EPSG:25832")
    rep = coverage_report(overlapping)
    assert not rep["is_valid_coverage"] and rep["overlap_m2"] == pytest.approx(10.0)
    ring = shapely.Polygon(box(0, 0, 30, 30).exterior.coords, [box(10, 10, 20, 20).exterior.coords[::-1]])
    holed = gpd.GeoDataFrame({"city": ["munich"] * 2},
                             geometry=[ring.intersection(box(0, 0, 15, 30)), ring.intersection(box(15, 0, 30, 30))],
                             crs="EPSG:25832")
    solid = gpd.GeoDataFrame({"city": ["munich"]}, geometry=[box(0, 0, 30, 30)], crs="EPSG:25832")
    assert coverage_report(holed, solid)["gap_m2"] == pytest.approx(100.0)
    assert coverage_report(holed, holed)["gap_m2"] == 0.0  # a hole the reference has too is no gap


def test_budget_forces_coarser_tolerance_or_fails(monkeypatch):
    toy = {"munich": _toy_city()}
    fine = sum(len(v) for v in build_web_layers(toy).values())
    monkeypatch.setattr(config, "WEB_TOTAL_MAX_BYTES", fine - 1)
    coarser = sum(len(v) for v in build_web_layers(toy).values())
    assert coarser <= fine - 1
    monkeypatch.setattr(config, "WEB_TOTAL_MAX_BYTES", 100)
    with pytest.raises(PipelineError, match="size budget"):
        build_web_layers(toy)


def test_missing_parent_is_an_input_error():
    toy = _toy_city()
    toy.loc[toy["area_id"] == "B.2", "parent_id"] = "Z"
    with pytest.raises(InputError, match="contain no finer unit|without parent"):
        build_web_layers({"munich": toy})


def test_combined_wgs84_areas_table_is_accepted():
    toy = _toy_city().to_crs(config.WEB_CRS)
    layers = build_web_layers(toy)
    bt = layer_from_geojson(layers["munich_bezirksteil.geojson"])
    assert sorted(bt["area_id"]) == ["A.1", "A.2", "B.1", "B.2"] and coverage_report(bt)["is_valid_coverage"]


def test_real_area_stages_give_valid_layers_under_budget(geodata):
    """The same guarantees on the outputs of the real area stages (incl. the registered Handlungsräume)."""
    from pipelines.config import resolve_paths
    from pipelines.registry import load_indicator_registry, load_sources
    from pipelines.sources import action_areas, areas_berlin, areas_munich
    from pipelines.stage import BuildContext

    ctx = BuildContext(resolve_paths(geodata), load_sources(geodata), load_indicator_registry(geodata))
    base = areas_munich.stage(ctx)
    muc = gpd.GeoDataFrame(pd.concat([base, action_areas.stage(ctx, base)], ignore_index=True), crs=base.crs)
    areas = {"munich": muc, "berlin": areas_berlin.stage(ctx)}
    layers = build_web_layers(areas)
    assert sum(len(v) for v in layers.values()) <= config.WEB_TOTAL_MAX_BYTES
    assert len(layers["berlin_planungsraum.geojson"]) <= config.WEB_PLR_MAX_BYTES
    for name, data in layers.items():
        city, level = _split(name)
        layer = layer_from_geojson(data)
        assert sorted(layer["area_id"]) == sorted(areas[city].loc[areas[city]["level"] == level, "area_id"]), name
        if level != "handlungsraum":
            report = coverage_report(layer)
            assert report["is_valid_coverage"] and report["overlap_m2"] < 1 and report["gap_m2"] < 1, (name, report)


def test_report_on_the_frames_equals_the_report_on_the_written_geojson(areas) -> None:
    """The build reports on the in-memory layer frames: exactly what re-reading the GeoJSON gives."""
    from pipelines.builder.web_layers import build_web_layer_frames

    frames, layers = build_web_layer_frames(areas)
    assert layers == build_web_layers(areas)
    for name, data in layers.items():
        assert coverage_report(frames[name]) == coverage_report(data), name
