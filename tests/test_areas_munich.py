"""Munich areas: golden checks on the real files plus tiny hand-made inputs, one failing input per rule."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from pipelines import config
from pipelines.config import resolve_paths
from pipelines.errors import InputError
from pipelines.registry import Source, SourceFile, load_indicator_registry, load_sources
from pipelines.sources import areas_munich
from pipelines.stage import BuildContext

X0, Y0 = 690_000.0, 5_335_000.0  # somewhere in Munich, EPSG:25832 metres
POP_HEADER = "Räumliche Gliederung,Indikatorwert\n"


@pytest.fixture(scope="module")
def built(geodata: Path):
    ctx = BuildContext(resolve_paths(geodata), load_sources(geodata), load_indicator_registry(geodata))
    return ctx, areas_munich.stage(ctx)


def test_counts_per_level(built):
    _, areas = built
    assert areas.groupby("level").size().to_dict() == {"stadt": 1, "stadtbezirk": 25, "bezirksteil": 108}
    assert list(areas.columns) == list(config.AREA_COLUMNS)
    assert not areas["area_id"].duplicated().any()


def test_ids_parents_and_official_names(built):
    _, areas = built
    sb = areas[areas["level"] == "stadtbezirk"]
    assert set(sb["area_id"]) == {f"{i:02d}" for i in range(1, 26)}
    assert (sb["parent_id"] == "muc").all()
    bt = areas[areas["level"] == "bezirksteil"]
    assert bt["area_id"].str.fullmatch(r"\d{2}\.\d").all()
    assert (bt["parent_id"] == bt["area_id"].str[:2]).all()
    names = dict(zip(areas["area_id"], areas["name"], strict=True))
    assert names["muc"] == "München"
    assert names["01"] == "Altstadt-Lehel"
    assert names["01.1"] == "Graggenau"  # from the 2022 population table
    assert names["16.4"] == "Neuperlach"
    assert not bt["name"].str.startswith("Bezirksteil ").any()
    assert areas.loc[areas["level"] == "stadt", "parent_id"].isna().all()
    assert not areas["approximate"].any()


def test_multipart_areas_dissolve_to_one_row(built):
    _, areas = built
    one = areas.set_index("area_id")
    for aid in ("18", "19", "18.5", "19.3"):
        assert one.loc[aid, "geometry"].geom_type == "MultiPolygon", aid


def test_crs_and_area(built):
    _, areas = built
    assert areas.crs.equals("EPSG:25832")
    per_level = areas.groupby("level")["area_km2"].sum()
    assert per_level["stadt"] == pytest.approx(310.7, rel=0.005)  # the official 310.7 km²
    for level, total in per_level.items():
        assert total == pytest.approx(per_level["stadt"], rel=1e-6), level


def test_golden_bezirksteile_dissolve_to_stadtbezirke(built):
    ctx, areas = built
    bt = areas[areas["level"] == "bezirksteil"]
    sb = areas[areas["level"] == "stadtbezirk"]
    share = areas_munich.dissolve_overlap(bt, sb)
    assert len(share) == 25
    assert share.min() >= 0.999
    assert not [f for f in ctx.findings if f.severity != "info"]


def test_bezirksteil_population_golden(built, geodata):
    ctx, areas = built
    pop = areas_munich.bezirksteil_population(ctx)
    assert list(pop.columns) == list(config.INDICATOR_COLUMNS)
    assert len(pop) == 108
    assert pop["value"].sum() == 1_588_330
    assert set(pop["area_id"]) == set(areas.loc[areas["level"] == "bezirksteil", "area_id"])
    assert (pop["period"] == "2022-12-31").all() and (pop["indicator_id"] == "population").all()
    assert pop.set_index("area_id").loc["16.4", "value"] == 51_582
    assert (pop["coverage"] == 1.0).all() and (pop["flag"] == "").all()


# ---------------------------------------------------------------- tiny hand-made inputs


def _source(kind: str, path: str) -> Source:
    return Source(id=kind, kind=kind, city="munich", title="t", publisher="p", licence="l", attribution="a",
                  url="https://example.org", reference_date="2024-01-01", files=(SourceFile(path, ""),))


def _square(x: float, y: float, size: float) -> Polygon:
    return box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)


def _mini(tmp_path: Path, *, sb_crs: str = "EPSG:25832", bt_geoms=None, sb_ids=("01", "02", "02"),
          csv: str = POP_HEADER + "01.1 Nord,100\n01.2 Süd,200\n02.1 Ost,300\n") -> BuildContext:
    """Stadtbezirk 01 = a 1 km square, 02 = a square plus a detached 100 m piece; three Bezirksteile."""
    raw = tmp_path / "raw"
    raw.mkdir(parents=True)
    sb_geoms = [_square(0, 0, 1000), _square(1000, 0, 1000), _square(3000, 0, 100)]
    sb = gpd.GeoDataFrame({"sb_nummer": list(sb_ids), "name": ["Eins", "Zwei", "Zwei"]}, geometry=sb_geoms,
                          crs="EPSG:25832").to_crs(sb_crs)
    sb.to_file(raw / "sb.geojson")
    bt_geoms = bt_geoms or [box(X0, Y0, X0 + 500, Y0 + 1000), box(X0 + 500, Y0, X0 + 1000, Y0 + 1000),
                            _square(1000, 0, 1000), _square(3000, 0, 100)]
    bt_ids = ["01.1", "01.2", "02.1", "02.1"][: len(bt_geoms)]
    gpd.GeoDataFrame({"bt_nummer": bt_ids}, geometry=bt_geoms, crs="EPSG:25832").to_file(raw / "bt.geojson")
    (raw / "pop.csv").write_text(csv, encoding="utf-8")
    sources = [_source("munich_stadtbezirke", "raw/sb.geojson"), _source("munich_bezirksteile", "raw/bt.geojson"),
               _source("munich_bezirksteile_population", "raw/pop.csv")]
    return BuildContext(resolve_paths(tmp_path), sources, {})


def _population(tmp_path: Path, csv: str):
    """Bezirksteil population of the mini inputs with ``csv`` as the population table."""
    return areas_munich.bezirksteil_population(_mini(tmp_path, csv=csv))


def test_mini_dissolve_names_and_areas(tmp_path):
    ctx = _mini(tmp_path)
    areas = areas_munich.stage(ctx).set_index("area_id")
    assert sorted(areas.index) == ["01", "01.1", "01.2", "02", "02.1", "muc"]
    assert areas.loc["02", "area_km2"] == pytest.approx(1.01)
    assert areas.loc["02", "geometry"].geom_type == "MultiPolygon"
    assert areas.loc["02.1", "name"] == "Ost" and areas.loc["02", "name"] == "Zwei"
    assert areas.loc["muc", "area_km2"] == pytest.approx(2.01)
    warnings = [f.message for f in ctx.findings if f.severity == "warning"]
    assert any("instead of the official 25" in m for m in warnings)  # counts are validated


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    bowtie = Polygon([(X0 + 500, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0 + 500, Y0 + 1000)])
    assert not bowtie.is_valid
    geoms = [box(X0, Y0, X0 + 500, Y0 + 1000), bowtie, _square(1000, 0, 1000), _square(3000, 0, 100)]
    ctx = _mini(tmp_path, bt_geoms=geoms)
    areas = areas_munich.stage(ctx)
    assert areas.geometry.is_valid.all()
    assert any("make_valid" in f.message and f.where == "01.2" for f in ctx.findings)


def test_wrong_crs_is_an_input_error(tmp_path):
    ctx = _mini(tmp_path, sb_crs="EPSG:4326")
    with pytest.raises(InputError, match=r"sb\.geojson.*EPSG:25832"):
        areas_munich.stage(ctx)


def test_bad_stadtbezirk_id_is_an_input_error(tmp_path):
    ctx = _mini(tmp_path, sb_ids=("1", "02", "02"))
    with pytest.raises(InputError, match=r"sb\.geojson: feature 0: sb_nummer '1'"):
        areas_munich.stage(ctx)


def test_population_row_without_number_names_the_line(tmp_path):
    with pytest.raises(InputError, match=r"pop\.csv: Zeile 3: 'Räumliche Gliederung' 'Nord'"):
        _population(tmp_path, POP_HEADER + "01.1 Nord,100\nNord,200\n")


def test_population_value_not_a_count(tmp_path):
    with pytest.raises(InputError, match=r"pop\.csv: Zeile 2: 'Indikatorwert' '1.234' is not a resident count"):
        _population(tmp_path, POP_HEADER + "01.1 Nord,1.234\n")  # thousands separator
    with pytest.raises(InputError, match=r"Zeile 2: 'Indikatorwert' 'viele'"):
        _population(tmp_path / "b", POP_HEADER + "01.1 Nord,viele\n")


def test_population_missing_column(tmp_path):
    with pytest.raises(InputError, match=r"missing column"):
        _population(tmp_path, "Gebiet,Wert\n01.1 Nord,100\n")


def test_unrepairable_empty_geometry_is_an_input_error(tmp_path):
    geoms = [box(X0, Y0, X0 + 500, Y0 + 1000), shapely.Polygon(), _square(1000, 0, 1000), _square(3000, 0, 100)]
    ctx = _mini(tmp_path, bt_geoms=geoms)
    with pytest.raises(InputError, match="without geometry"):
        areas_munich.stage(ctx)
