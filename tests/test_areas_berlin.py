"""Berlin LOR areas: golden checks on the real LOR 2021 files plus one failing input per rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from pipelines.config import resolve_paths
from pipelines.errors import InputError
from pipelines.registry import load_indicator_registry, load_sources
from pipelines.sources import areas_berlin
from pipelines.stage import BuildContext

PLR_REL = "raw/berlin/lor_2021/lor_planungsraeume_2021.shp"


@pytest.fixture(scope="module")
def built(geodata: Path):
    ctx = BuildContext(resolve_paths(geodata), load_sources(geodata), load_indicator_registry(geodata))
    areas = areas_berlin.stage(ctx)
    return ctx, areas


def test_counts_per_level(built):
    _, areas = built
    counts = areas.groupby("level").size().to_dict()
    assert counts == {"planungsraum": 542, "bezirksregion": 143, "prognoseraum": 58, "bezirk": 12, "stadt": 1}


def test_ids_text_with_leading_zeros_and_parents_from_digits(built):
    _, areas = built
    plr = areas[areas["level"] == "planungsraum"]
    assert plr["area_id"].str.fullmatch(r"\d{8}").all()
    assert "01100101" in set(plr["area_id"])
    assert (plr["parent_id"] == plr["area_id"].str[:6]).all()
    bzr = areas[areas["level"] == "bezirksregion"]
    assert (bzr["parent_id"] == bzr["area_id"].str[:4]).all()
    assert set(areas.loc[areas["level"] == "bezirk", "area_id"]) == {f"{i:02d}" for i in range(1, 13)}
    assert areas.loc[areas["level"] == "stadt", "parent_id"].isna().all()


def test_names_from_official_files(built):
    _, areas = built
    names = dict(zip(areas["area_id"], areas["name"], strict=True))
    assert names["01"] == "Mitte"
    assert names["12"] == "Reinickendorf"
    assert names["0110"] == "Zentrum"
    assert not areas["name"].str.startswith(("Bezirksregion ", "Prognoseraum ", "Bezirk ")).any()


def test_crs_and_area(built):
    _, areas = built
    assert areas.crs.equals("EPSG:25833")
    per_level = areas.groupby("level")["area_km2"].sum()
    assert per_level["stadt"] == pytest.approx(891.1, rel=0.01)  # Berlin: about 891 km²
    for level, total in per_level.items():
        assert total == pytest.approx(per_level["stadt"], rel=1e-6), level
    assert areas.is_valid.all()
    assert list(areas.columns) == ["city", "level", "area_id", "name", "parent_id", "population", "area_km2",
                                   "approximate", "geometry"]


def test_every_plr_in_exactly_one_bezirksregion(built):
    _, areas = built
    plr = areas[areas["level"] == "planungsraum"]
    bzr = areas[areas["level"] == "bezirksregion"]
    points = gpd.GeoDataFrame(plr[["area_id", "parent_id"]], geometry=plr.representative_point(), crs=plr.crs)
    hits = gpd.sjoin(points, bzr[["area_id", "geometry"]], predicate="within", rsuffix="bzr")
    assert hits.groupby("area_id_left").size().eq(1).all()
    assert len(hits) == 542
    assert (hits["parent_id"] == hits["area_id_bzr"]).all()


def test_membership(built):
    _, areas = built
    m = areas_berlin.berlin_membership(areas)
    assert set(m["level"]) == {"bezirksregion", "prognoseraum", "bezirk", "stadt"}
    assert m.groupby("level")["child_id"].nunique().eq(542).all()
    assert not m.duplicated(["child_id", "level"]).any()
    row = m[(m["child_id"] == "11501341")].set_index("level")["area_id"].to_dict()
    assert row == {"bezirksregion": "115013", "prognoseraum": "1150", "bezirk": "11", "stadt": "ber"}


def test_dissolved_match_official_geometry(built, geodata: Path):
    ctx, areas = built
    for level, path, col in (("bezirksregion", "lor_bezirksregionen_2021.shp", "BZR_ID"),
                             ("prognoseraum", "lor_prognoseraeume_2021.shp", "PGR_ID")):
        official = gpd.read_file(geodata / "raw/berlin/lor_2021" / path).rename(columns={col: "area_id"})
        share = areas_berlin.overlap_share(areas[areas["level"] == level], official[["area_id", "geometry"]])
        assert share.min() >= 0.99, level
        assert ctx.notes["berlin_golden_overlap_min"][level] >= 0.99
    assert any("golden check bezirksregion" in f.message for f in ctx.findings)


# ---------------------------------------------------------------- failing inputs (tiny copies)

def _copy_geodata(geodata: Path, tmp: Path) -> Path:
    for sub in ("raw/berlin/lor_2021", "raw/berlin/bezirke"):
        shutil.copytree(geodata / sub, tmp / sub)
    return tmp


def _ctx(geodata: Path, tmp: Path) -> BuildContext:
    return BuildContext(resolve_paths(tmp), load_sources(geodata), {"indicator": []})


def _rewrite_plr(tmp: Path, edit) -> None:
    path = tmp / PLR_REL
    plr = gpd.read_file(path)
    plr = plr[plr["PLR_ID"].str.startswith("01")].copy()  # Mitte only: small and fast
    plr = edit(plr)
    for f in path.parent.glob("lor_planungsraeume_2021.*"):
        f.unlink()
    plr.to_file(path)


def _edited_ctx(geodata: Path, tmp: Path, edit) -> BuildContext:
    """A context on a copy of the LOR files whose PLR layer (Mitte only) went through ``edit``."""
    _rewrite_plr(_copy_geodata(geodata, tmp), edit)
    return _ctx(geodata, tmp)


def _set_plr_id(row: int, value: str):
    """An edit for :func:`_edited_ctx` that overwrites the PLR_ID of one feature."""
    def edit(plr):
        plr.iloc[row, plr.columns.get_loc("PLR_ID")] = value
        return plr
    return edit


def test_duplicate_plr_id_names_file_and_id(geodata: Path, tmp_path: Path):
    def dup(plr):
        plr.iloc[1, plr.columns.get_loc("PLR_ID")] = plr.iloc[0]["PLR_ID"]
        return plr

    ctx = _edited_ctx(geodata, tmp_path, dup)
    with pytest.raises(InputError, match=r"lor_planungsraeume_2021\.shp.*duplicate PLR_ID '01\d{6}'"):
        areas_berlin.stage(ctx)


def test_plr_id_not_8_digits(geodata: Path, tmp_path: Path):
    ctx = _edited_ctx(geodata, tmp_path, _set_plr_id(2, "1100101"))
    with pytest.raises(InputError, match="'1100101' is not 8 digits"):
        areas_berlin.stage(ctx)


def test_wrong_crs(geodata: Path, tmp_path: Path):
    ctx = _edited_ctx(geodata, tmp_path, lambda plr: plr.to_crs("EPSG:4326"))
    with pytest.raises(InputError, match="expected EPSG:25833"):
        areas_berlin.stage(ctx)


def test_invalid_geometry_repaired_with_finding(geodata: Path, tmp_path: Path):
    def bowtie(plr):
        x0, y0, x1, y1 = plr.geometry.iloc[0].bounds
        plr.iloc[0, plr.columns.get_loc("geometry")] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
        return plr

    ctx = _edited_ctx(geodata, tmp_path, bowtie)
    areas = areas_berlin.stage(ctx)
    assert areas.is_valid.all()
    assert any("make_valid" in f.message for f in ctx.findings)


def test_bzr_without_official_name_is_a_finding(geodata: Path, tmp_path: Path):
    ctx = _edited_ctx(geodata, tmp_path, _set_plr_id(0, "01109901"))
    areas = areas_berlin.stage(ctx)
    assert "011099" in set(areas.loc[areas["level"] == "bezirksregion", "area_id"])
    assert any("without an official name" in f.message and "011099" in f.where for f in ctx.findings)
