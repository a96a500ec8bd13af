"""Handlungsräume: the registry against the city's own words, the dissolve, shares, and every registry rule."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from pipelines import config
from pipelines.config import resolve_paths
from pipelines.errors import InputError, RegistryError
from pipelines.registry import load_indicator_registry, load_sources
from pipelines.sources import action_areas, areas_munich
from pipelines.stage import BuildContext

FIXTURES = Path(__file__).parent / "fixtures" / "munich"


@pytest.fixture(scope="module")
def base(geodata: Path):
    ctx = BuildContext(resolve_paths(geodata), load_sources(geodata), load_indicator_registry(geodata))
    return ctx, areas_munich.stage(ctx), areas_munich.bezirksteil_population(ctx)


@pytest.fixture(scope="module")
def built(base):
    ctx, areas, pop = base
    return action_areas.stage(ctx, areas)


def test_five_handlungsraeume_with_contract_columns(built):
    assert list(built["area_id"]) == ["hr3", "hr6", "innenstadt", "nord", "suedwest"]
    assert list(built.columns[: len(config.AREA_COLUMNS)]) == list(config.AREA_COLUMNS)
    for col in ("members", "member_level", "status", "source_quote", "source_url", "note_de", "note_en"):
        assert built[col].astype(bool).all(), col
    assert built.crs.equals("EPSG:25832")
    assert (built["level"] == "handlungsraum").all() and (built["parent_id"] == "muc").all()


def test_only_whole_stadtbezirk_areas_are_exact(built):
    approx = dict(zip(built["area_id"], built["approximate"], strict=True))
    assert approx == {"hr3": True, "hr6": True, "innenstadt": True, "nord": False, "suedwest": False}
    members = dict(zip(built["area_id"], built["members"], strict=True))
    assert members["nord"] == "11,12,24" and members["suedwest"] == "07,19"
    assert members["hr6"] == "16.3,16.4,16.5"


def test_geometry_is_the_dissolve_of_members(base, built):
    _, areas, _ = base
    area = areas.set_index("area_id")["area_km2"]
    got = built.set_index("area_id")["area_km2"]
    assert got["nord"] == pytest.approx(area[["11", "12", "24"]].sum(), rel=1e-6)
    assert got["hr6"] == pytest.approx(area[["16.3", "16.4", "16.5"]].sum(), rel=1e-6)
    hr3 = built.set_index("area_id").loc["hr3", "members"].split(",")
    assert got["hr3"] == pytest.approx(area[hr3].sum(), rel=1e-6)
    assert set(hr3) >= {"14.1", "16.1", "17.1"} and not any(m.startswith(("05", "18")) for m in hr3)


def test_quotes_are_verbatim_from_the_sources_file(geodata: Path, built):
    text = (geodata / "raw/munich/handlungsraeume_quellen.md").read_text(encoding="utf-8").replace('\\"', '"')
    for row in built.itertuples():
        assert row.source_quote in text, row.area_id
        assert row.source_url in text, row.area_id
        # the quote appears in the block under its URL
        block = text[text.index(f"URL: {row.source_url}"):]
        block = block[: block.find("URL:", 5)] if "URL:" in block[5:] else block
        assert row.source_quote in block, row.area_id


def test_membership_shares_from_bezirksteil_population(base, built):
    _, _, pop = base
    m = action_areas.handlungsraum_membership(built, pop)
    assert list(m.columns) == ["child_id", "level", "area_id", "share"]
    share = {(r.area_id, r.child_id): r.share for r in m.itertuples()}
    assert share[("nord", "11")] == share[("nord", "24")] == share[("suedwest", "19")] == 1.0
    p = pop.set_index("area_id")["value"]
    sb16 = p[p.index.str.startswith("16.")].sum()
    assert share[("hr6", "16")] == pytest.approx(p[["16.3", "16.4", "16.5"]].sum() / sb16)
    assert share[("hr3", "14")] == pytest.approx(1.0)  # all of Berg am Laim
    assert share[("hr3", "16")] + share[("hr6", "16")] == pytest.approx(1.0)  # 16 is split between them
    assert ("hr3", "05") not in share  # Haidhausen is only "touched"
    assert ((m["share"] > 0) & (m["share"] <= 1)).all()


def test_membership_needs_handlungsraum_rows(base):
    _, areas, pop = base
    with pytest.raises(ValueError, match="no handlungsraum rows"):
        action_areas.handlungsraum_membership(areas, pop)


# ---------------------------------------------------------------- registry rules on a temp copy


def _registry_copy(tmp_path: Path, geodata: Path, edit) -> BuildContext:
    text = (geodata / config.ACTION_AREAS_FILE).read_text(encoding="utf-8")
    (tmp_path / config.ACTION_AREAS_FILE).write_text(edit(text), encoding="utf-8")
    return BuildContext(resolve_paths(tmp_path), [], {})


def _after_id(text: str, area_id: str, line: str) -> str:
    return text.replace(f'id = "{area_id}"\n', f'id = "{area_id}"\n{line}\n', 1)


def test_registered_perimeter_replaces_the_approximation(tmp_path, geodata, base):
    _, areas, pop = base
    (tmp_path / "projects").mkdir()
    shutil.copy(FIXTURES / "perimeter_hr6.geojson", tmp_path / "projects" / "hr6.geojson")
    ctx = _registry_copy(tmp_path, geodata, lambda t: _after_id(t, "hr6", 'perimeter = "projects/hr6.geojson"'))
    hr = action_areas.stage(ctx, areas).set_index("area_id")
    perimeter = gpd.read_file(FIXTURES / "perimeter_hr6.geojson").to_crs("EPSG:25832").geometry.iloc[0]
    assert not hr.loc["hr6", "approximate"]
    assert hr.loc["hr6", "geometry"].symmetric_difference(perimeter).area < 1.0  # m²
    assert hr.loc["hr6", "area_km2"] == pytest.approx(perimeter.area / 1e6)
    assert hr.loc["hr6", "members"] == "16.4"  # the Bezirksteil mostly inside the hand-made rectangle
    assert "projects/hr6.geojson" in hr.loc["hr6", "note_de"]
    assert hr.loc["hr3", "approximate"]  # the others are untouched
    m = action_areas.handlungsraum_membership(hr.reset_index(), pop)
    assert set(m.loc[m["area_id"] == "hr6", "child_id"]) == {"16"}


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace('members = ["16.3", "16.4", "16.5"]', 'members = ["16.3", "16.9"]'),
     r"action_areas\.toml: \[\[action_area\]\] #2 \(hr6\): unknown bezirksteil ids \['16\.9'\]"),
    (lambda t: t.replace('id = "suedwest"', 'id = "nord"'), r"#5 \(nord\): duplicate id 'nord'"),
    (lambda t: re.sub(r'source_quote = "Besonderer.*\n', "", t), r"#3 \(innenstadt\): missing \['source_quote'\]"),
    (lambda t: t.replace('source_url = "https://lhm', 'source_url = "lhm'), r"#2 \(hr6\).*not a web address"),
    (lambda t: t.replace('member_level = "stadtbezirk"\nmembers = ["11"', 'member_level = "bezirk"\nmembers = ["11"'),
     r"#4 \(nord\): member_level 'bezirk'"),
    (lambda t: t.replace('members = ["07", "19"]', 'members = ["07", "07"]'), r"listed twice"),
    (lambda t: _after_id(t, "hr3", 'perimeter = "projects/missing.geojson"'),
     r"#1 \(hr3\): perimeter file 'projects/missing\.geojson' not found"),
])
def test_registry_errors_name_the_file_and_entry(tmp_path, geodata, base, edit, message):
    _, areas, _ = base
    ctx = _registry_copy(tmp_path, geodata, edit)
    with pytest.raises(RegistryError, match=message):
        action_areas.stage(ctx, areas)


def test_perimeter_with_wrong_crs_is_an_input_error(tmp_path, geodata, base):
    _, areas, _ = base
    (tmp_path / "projects").mkdir()
    # metres of EPSG:25832 in a GeoJSON without CRS member (read as WGS84): the classic wrong-CRS file
    wrong = gpd.read_file(FIXTURES / "perimeter_hr6.geojson").to_crs("EPSG:25832").set_crs("EPSG:4326",
                                                                                            allow_override=True)
    wrong.to_file(tmp_path / "projects" / "hr6.geojson")
    ctx = _registry_copy(tmp_path, geodata, lambda t: _after_id(t, "hr6", 'perimeter = "projects/hr6.geojson"'))
    with pytest.raises(InputError, match=r"hr6\.geojson: action_areas\.toml: action_area hr6: .*(inside Munich|"
                                         r"cannot be reprojected)"):
        action_areas.stage(ctx, areas)


def test_registry_file_is_complete(geodata: Path):
    with open(geodata / config.ACTION_AREAS_FILE, "rb") as fh:
        entries = tomllib.load(fh)["action_area"]
    for e in entries:
        assert all(e.get(k) not in (None, "", []) for k in action_areas.REQUIRED), e["id"]
        assert e["exact"] == (e["member_level"] == "stadtbezirk"), e["id"]
    statuses = {e["id"]: (e["status"], e["status_en"]) for e in entries}
    assert statuses["hr3"] == ("aktiv", "active") and statuses["nord"] == ("geplant", "planned")
    assert pd.Series([e["id"] for e in entries]).is_unique


def test_perimeter_outside_munich_is_an_input_error(tmp_path, geodata, base):
    _, areas, _ = base
    (tmp_path / "projects").mkdir()
    berlin = gpd.GeoDataFrame(geometry=[box(13.40, 52.50, 13.42, 52.52)], crs="EPSG:4326")
    berlin.to_file(tmp_path / "projects" / "hr6.geojson")
    ctx = _registry_copy(tmp_path, geodata, lambda t: _after_id(t, "hr6", 'perimeter = "projects/hr6.geojson"'))
    with pytest.raises(InputError, match=r"action_area hr6: perimeter \(EPSG:4326\) lies 0% inside Munich"):
        action_areas.stage(ctx, areas)
