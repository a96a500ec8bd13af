"""Joining projects to areas (both metric CRSs, parents, Handlungsräume), indicators, collaboration, export."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from pipelines import config
from pipelines.errors import InputError
from pipelines.projects import (
    collaboration,
    join_projects,
    load_project_folder,
    load_project_schema,
    parse_projects,
    to_safe_csv,
    validate_projects,
)

FIX = Path(__file__).parent / "fixtures" / "projects"
SCHEMA = load_project_schema()
HEADER = "id;titel;stadt;lat;lon;area_id;thema;federfuehrung;beteiligte_referate;partner;status\n"


def _areas() -> gpd.GeoDataFrame:
    """Hand-made hierarchy. Munich (EPSG:25832): city 8x8 km, two Stadtbezirke (west/east), four
    Bezirksteile, Handlungsraum hr1 = 01.2 + 02.1. Berlin (EPSG:25833): one of each level, PLR split in two."""
    x0, y0 = 686_000, 5_330_000
    m = [("stadt", "muc", "", box(x0, y0, x0 + 8000, y0 + 8000)),
         ("stadtbezirk", "01", "muc", box(x0, y0, x0 + 4000, y0 + 8000)),
         ("stadtbezirk", "02", "muc", box(x0 + 4000, y0, x0 + 8000, y0 + 8000)),
         ("bezirksteil", "01.1", "01", box(x0, y0, x0 + 4000, y0 + 4000)),
         ("bezirksteil", "01.2", "01", box(x0, y0 + 4000, x0 + 4000, y0 + 8000)),
         ("bezirksteil", "02.1", "02", box(x0 + 4000, y0, x0 + 8000, y0 + 4000)),
         ("bezirksteil", "02.2", "02", box(x0 + 4000, y0 + 4000, x0 + 8000, y0 + 8000)),
         ("handlungsraum", "hr1", "muc", box(x0, y0 + 4000, x0 + 4000, y0 + 8000).union(
             box(x0 + 4000, y0, x0 + 8000, y0 + 4000)))]
    bx, by = 388_000, 5_818_000
    b = [("stadt", "ber", "", box(bx, by, bx + 4000, by + 4000)),
         ("bezirk", "01", "ber", box(bx, by, bx + 4000, by + 4000)),
         ("prognoseraum", "0101", "01", box(bx, by, bx + 4000, by + 4000)),
         ("bezirksregion", "010101", "0101", box(bx, by, bx + 4000, by + 4000)),
         ("planungsraum", "01010101", "010101", box(bx, by, bx + 2000, by + 4000)),
         ("planungsraum", "01010102", "010101", box(bx + 2000, by, bx + 4000, by + 4000))]
    parts = []
    for city, rows, crs in (("munich", m, "EPSG:25832"), ("berlin", b, "EPSG:25833")):
        g = gpd.GeoDataFrame({"city": city, "level": [r[0] for r in rows], "area_id": [r[1] for r in rows],
                              "parent_id": [r[2] for r in rows]}, geometry=[r[3] for r in rows], crs=crs)
        parts.append(g.to_crs("EPSG:4326"))
    areas = pd.concat(parts, ignore_index=True)
    areas["members"] = np.where(areas["area_id"] == "hr1", "01.2,02.1", "")
    return gpd.GeoDataFrame(areas, geometry="geometry", crs="EPSG:4326")


def _latlon(x: float, y: float, crs: str) -> str:
    p = gpd.GeoSeries(gpd.points_from_xy([x], [y]), crs=crs).to_crs(4326).iloc[0]
    return f"{p.y:.7f};{p.x:.7f}".replace(".", ",")


@pytest.fixture(scope="module")
def areas():
    return _areas()


@pytest.fixture(scope="module")
def joined(areas):
    rows = [
        # point in Bezirksteil 01.2 (also in hr1)
        f"M-1;TESTDATEN (fiktiv);München;{_latlon(688_000, 5_336_000, 'EPSG:25832')};;Wohnen;Sozialreferat;"
        "Baureferat, RBS;Testverein A;Planung",
        # point in 02.2 (not in hr1), one department
        f"M-2;TESTDATEN (fiktiv);München;{_latlon(692_000, 5_336_000, 'EPSG:25832')};;Kultur;Kulturreferat;;;Idee",
        # area-based: Bezirksteil 01.2 -> 01, muc, hr1 (member)
        "M-3;TESTDATEN (fiktiv);München;;;01.2;Soziales;Sozialreferat;Baureferat;Testverein A;Umsetzung",
        # area-based: Stadtbezirk 01 -> muc only (hr1 holds only part of it)
        "M-4;TESTDATEN (fiktiv);München;;;01;Soziales;RBS;sozialreferat;Testverein B;abgeschlossen",
        # Berlin point in the eastern Planungsraum (spatial join in EPSG:25833)
        f"B-1;TESTDATEN (fiktiv);Berlin;{_latlon(391_000, 5_820_000, 'EPSG:25833')};;Bildung;Jugendamt;Schulamt;;Idee",
    ]
    data = (HEADER + "\n".join(rows) + "\n").encode()
    report = validate_projects(parse_projects(data, "t.csv", SCHEMA), _areas(), schema=SCHEMA)
    assert report.exit_code == 0, report.lines()
    return join_projects(report.projects, areas, period="2025-06-30", schema=SCHEMA)


def test_points_join_every_level_in_the_city_crs(joined):
    gdf, _ = joined
    p = gdf.set_index("id")
    assert gdf.crs.equals("EPSG:4326")
    assert (p.loc["M-1", "area_id_stadt"], p.loc["M-1", "area_id_stadtbezirk"],
            p.loc["M-1", "area_id_bezirksteil"], p.loc["M-1", "area_id_handlungsraum"]) == ("muc", "01", "01.2", "hr1")
    assert (p.loc["M-2", "area_id_bezirksteil"], p.loc["M-2", "area_id_handlungsraum"]) == ("02.2", "")
    assert (p.loc["B-1", "area_id_bezirk"], p.loc["B-1", "area_id_planungsraum"]) == ("01", "01010102")
    assert p.loc["B-1", "area_id_stadtbezirk"] == "" and p.loc["M-1", "location_kind"] == "punkt"


def test_area_projects_join_their_parents_and_member_handlungsraeume(joined, areas):
    gdf, _ = joined
    p = gdf.set_index("id")
    assert (p.loc["M-3", "area_id_bezirksteil"], p.loc["M-3", "area_id_stadtbezirk"], p.loc["M-3", "area_id_stadt"],
            p.loc["M-3", "area_id_handlungsraum"]) == ("01.2", "01", "muc", "hr1")
    assert (p.loc["M-4", "area_id_stadtbezirk"], p.loc["M-4", "area_id_bezirksteil"],
            p.loc["M-4", "area_id_handlungsraum"]) == ("01", "", "")
    assert p.loc["M-3", "location_kind"] == "gebiet"
    target = areas[areas["area_id"] == "01.2"].geometry.iloc[0]
    assert target.contains(p.loc["M-3", "geometry"])  # drawn inside its area


def test_indicators_long_format_counts_and_share(joined, areas):
    _, ind = joined
    assert list(ind.columns) == list(config.INDICATOR_COLUMNS)
    assert set(ind["period"]) == {"2025-06-30"} and set(ind["coverage"]) == {1.0}
    v = ind.set_index(["city", "level", "area_id", "indicator_id"])["value"]
    assert v[("munich", "stadt", "muc", "proj_count")] == 4
    assert v[("munich", "stadtbezirk", "01", "proj_count")] == 3
    assert v[("munich", "handlungsraum", "hr1", "proj_count")] == 2
    assert v[("munich", "bezirksteil", "01.1", "proj_count")] == 0  # zero rows are explicit
    assert v[("munich", "stadt", "muc", "proj_count_thema_soziales")] == 2
    assert v[("munich", "stadt", "muc", "proj_count_thema_gruen_und_klima")] == 0
    assert v[("munich", "stadt", "muc", "proj_count_status_abgeschlossen")] == 1
    assert v[("berlin", "planungsraum", "01010101", "proj_count")] == 0
    share = ind[(ind["indicator_id"] == "proj_multi_dept_share") & (ind["area_id"] == "muc")].iloc[0]
    # M-1 (3 depts), M-3 (2), M-4 (RBS + sozialreferat = 2), M-2 (1): 3 of 4
    assert (share["numerator"], share["denominator"], share["value"]) == (3, 4, 75.0)
    empty = ind[(ind["indicator_id"] == "proj_multi_dept_share") & (ind["area_id"] == "01.1")].iloc[0]
    assert np.isnan(empty["value"]) and empty["flag"] == "zero_denominator"
    counts = ind[ind["indicator_id"].str.startswith("proj_count_thema_") & (ind["level"] == "stadtbezirk")]
    assert counts.groupby("area_id")["value"].sum().to_dict() == {"01": 3, "02": 1}


def test_point_on_a_shared_border_goes_to_one_area_per_level(areas):
    on_border = _latlon(690_000, 5_332_000, "EPSG:25832")  # x = the 01/02 border
    data = (HEADER + f"R-1;TESTDATEN;München;{on_border};;Wohnen;X;;;Idee\n").encode()
    report = validate_projects(parse_projects(data, "t.csv", SCHEMA), areas, schema=SCHEMA)
    gdf, ind = join_projects(report.projects, areas, period="2025-01-01", schema=SCHEMA)
    assert "," not in gdf["area_id_stadtbezirk"].iloc[0]
    counts = ind[(ind["indicator_id"] == "proj_count") & (ind["level"] == "stadtbezirk")]
    assert counts["value"].sum() == 1


def test_collaboration_matrix_and_share(joined):
    gdf, _ = joined
    c = collaboration(gdf, ["01"], level="stadtbezirk", city="munich")
    assert c["n_projects"] == 3  # M-1, M-3, M-4
    names = c["labels"]
    assert set(names) == {"Sozialreferat", "Baureferat", "RBS"}
    m = np.array(c["matrix"])
    assert (m == m.T).all()
    i, j = names.index("Sozialreferat"), names.index("Baureferat")
    assert m[i, i] == 3 and m[i, j] == 2  # Sozialreferat in all three; with Baureferat in M-1 and M-3
    assert c["share_multi_department_pct"] == 100.0 and c["n_multi_department"] == 3
    assert c["partners"][0] == {"name": "Testverein A", "projects": 2}
    hr = collaboration(gdf, ["hr1"])
    assert hr["n_projects"] == 2
    none = collaboration(gdf, ["02.1"])
    assert none["n_projects"] == 0 and none["share_multi_department_pct"] is None and none["matrix"] == []


def test_areas_need_a_crs(joined, areas):
    gdf, _ = joined
    with pytest.raises(InputError, match="no CRS"):
        join_projects(gdf.drop(columns="geometry"), areas.set_crs(None, allow_override=True), schema=SCHEMA)


def test_empty_project_list_gives_empty_tables(areas):
    report = validate_projects(parse_projects(HEADER.encode(), "vorlage.csv", SCHEMA), areas, schema=SCHEMA)
    gdf, ind = join_projects(report.projects, areas, period="2025-01-01", schema=SCHEMA)
    assert len(gdf) == 0 and len(ind) == 0 and list(ind.columns) == list(config.INDICATOR_COLUMNS)


def test_safe_csv_keeps_numbers_and_neutralises_text():
    df = pd.DataFrame({"titel": ["=1+1", "-Rabatt", "@x", "ok", "-5"], "budget_eur": [-3.5, 1.0, 2.5, np.nan, 0.0],
                       "partner": [["=A", "B"], [], ["C"], [], []]})
    text = to_safe_csv(df)
    assert text.startswith(b"\xef\xbb\xbf")
    lines = text.decode("utf-8-sig").splitlines()
    assert lines[0] == "titel;budget_eur;partner"
    assert lines[1] == "'=1+1;-3,5;\"'=A; B\""
    assert lines[2].startswith("'-Rabatt;1,0") and lines[3].startswith("'@x;2,5") and lines[5].startswith("'-5;")


def test_safe_csv_round_trips_through_the_reader(joined):
    gdf, _ = joined
    back = validate_projects(parse_projects(to_safe_csv(gdf), "export.csv", SCHEMA), _areas(), schema=SCHEMA)
    assert back.exit_code == 0, back.lines()
    cols = ["id", "titel", "stadt", "thema", "status", "beteiligte_referate"]
    pd.testing.assert_frame_equal(back.projects[cols], gdf[cols].reset_index(drop=True))
    assert np.allclose(back.projects["lat"].fillna(0), gdf["lat"].fillna(0))


def _geodata_copy(tmp_path: Path, geodata: Path, files: dict[str, bytes]) -> Path:
    g = tmp_path / "geodata"
    (g / "projects").mkdir(parents=True)
    shutil.copy(geodata / "projects" / "schema.toml", g / "projects" / "schema.toml")
    for name in ("vorlage.csv", "vorlage.xlsx", "README.md"):
        shutil.copy(geodata / "projects" / name, g / "projects" / name)
    for name, data in files.items():
        (g / "projects" / name).write_bytes(data)
    return g


def test_folder_loader_skips_templates_and_drops_cross_file_duplicates(tmp_path, geodata, areas):
    one = (HEADER + "D-1;TESTDATEN;München;;;01;Wohnen;X;;;Idee\n").encode()
    two = (HEADER + "D-1;TESTDATEN doppelt;München;;;02;Wohnen;X;;;Idee\nD-2;TESTDATEN;München;;;02;Kultur;Y;;;Idee\n"
           ).encode()
    g = _geodata_copy(tmp_path, geodata, {"a.csv": one, "b.csv": two})
    gdf, ind, reports = load_project_folder(g, areas, load_project_schema(g), period="2025-01-01")
    status = {r.source: r.status for r in reports}
    assert status == {"a.csv": "ok", "b.csv": "partial", "vorlage.csv": "template", "vorlage.xlsx": "template"}
    assert sorted(gdf["id"]) == ["D-1", "D-2"] and gdf.set_index("id").loc["D-1", "area_id"] == "01"
    assert "a.csv" in "\n".join(next(r for r in reports if r.source == "b.csv").lines())


def test_folder_loader_strict_refuses_broken_file(tmp_path, geodata, areas):
    g = _geodata_copy(tmp_path, geodata, {"kaputt.csv": (FIX / "bild.csv").read_bytes()})
    with pytest.raises(InputError, match="PNG"):
        load_project_folder(g, areas, load_project_schema(g))
    _, _, reports = load_project_folder(g, areas, load_project_schema(g), strict=False)
    assert {r.source: r.status for r in reports}["kaputt.csv"] == "refused"


@pytest.mark.parametrize(("fixture", "code"), [
    ("win1252_semikolon.csv", 0), ("html_titel.csv", 0), ("koordinaten.csv", 1), ("probleme.csv", 1),
    ("bild.csv", 1), ("leer.csv", 1), ("nur_kopfzeile.csv", 1),  # 0 ok, 1 input problems, 2 usage only
])
def test_cli_exit_codes(tmp_path, geodata, fixture, code):
    g = _geodata_copy(tmp_path, geodata, {})
    res = subprocess.run([sys.executable, "-m", "pipelines", "validate-projects", str(FIX / fixture),
                          "--geodata", str(g)], capture_output=True, text=True, cwd=config.ROOT, timeout=60)
    assert res.returncode == code, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert fixture in res.stdout


def test_cli_uses_built_areas(tmp_path, geodata, areas):
    g = _geodata_copy(tmp_path, geodata, {})
    (g / "processed").mkdir()
    areas.to_parquet(g / "processed" / "areas.parquet")
    data = (HEADER + "A-1;TESTDATEN;München;;;01.2;Wohnen;X;;;Idee\nA-2;TESTDATEN;München;;;07;Wohnen;X;;;Idee\n")
    f = tmp_path / "gebiete.csv"
    f.write_text(data, encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "pipelines", "validate-projects", str(f),
                          "--geodata", str(g), "--lang", "en"], capture_output=True, text=True, cwd=config.ROOT,
                         timeout=60)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Row 3 [area_id] ERROR: area ID '07' does not exist in München" in res.stdout


def test_real_build_areas(processed_build):
    """On the real canonical areas: Marienplatz and an area-based project."""
    areas = gpd.read_parquet(processed_build / "areas.parquet")
    data = (HEADER + "R-1;TESTDATEN Marienplatz (fiktiv);München;48,1374;11,5755;;Kultur;X;;;Idee\n"
            "R-2;TESTDATEN Gebiet (fiktiv);München;;;1.1;Soziales;X;Y;;Idee\n").encode()
    report = validate_projects(parse_projects(data, "t.csv", SCHEMA), areas, schema=SCHEMA)
    assert report.exit_code == 0, report.lines()
    gdf, ind = join_projects(report.projects, areas, period="2025-01-01", schema=SCHEMA)
    p = gdf.set_index("id")
    assert p.loc["R-1", "area_id_stadtbezirk"] == "01" and p.loc["R-1", "area_id_bezirksteil"].startswith("01.")
    assert (p.loc["R-2", "area_id"], p.loc["R-2", "area_id_stadtbezirk"]) == ("01.1", "01")
    assert "innenstadt" in p.loc["R-2", "area_id_handlungsraum"].split(",")


def test_a_point_in_overlapping_handlungsraeume_lists_them_sorted_and_place_projects_matches_the_join(areas):
    """Two Handlungsräume over one point: both, sorted, comma-separated; the upload path places alike."""
    from pipelines.projects import place_projects

    extra = areas[areas["area_id"] == "hr1"].assign(area_id="hr0", members="01.2")
    both = gpd.GeoDataFrame(pd.concat([areas, extra], ignore_index=True), geometry="geometry", crs=areas.crs)
    rows = [f"M-{i};TESTDATEN (fiktiv);München;{_latlon(688_000 + i, 5_336_000, 'EPSG:25832')};;Wohnen;"
            f"Sozialreferat;{'Baureferat' if i % 2 else 'sozialreferat, RBS'};;Planung" for i in range(6)]
    rows.append(f"M-9;TESTDATEN (fiktiv);München;{_latlon(692_000, 5_336_000, 'EPSG:25832')};;Kultur;RBS;;;Idee")
    report = validate_projects(parse_projects((HEADER + "\n".join(rows) + "\n").encode(), "t.csv", SCHEMA), both,
                               schema=SCHEMA)
    gdf, _ = join_projects(report.projects, both, period="2025-06-30", schema=SCHEMA)
    p = gdf.set_index("id")
    assert set(p.loc[[f"M-{i}" for i in range(6)], "area_id_handlungsraum"]) == {"hr0,hr1"}
    assert p.loc["M-9", "area_id_handlungsraum"] == "" and p.loc["M-9", "area_id_bezirksteil"] == "02.2"
    assert p.loc["M-1", "alle_referate"] == ["Sozialreferat", "Baureferat"]
    assert p.loc["M-0", "alle_referate"] == ["Sozialreferat", "RBS"], "case-insensitive: the lead counts once"
    p.loc["M-1", "alle_referate"].append("x")
    assert p.loc["M-3", "alle_referate"] == ["Sozialreferat", "Baureferat"], "rows do not share one list"
    placed = place_projects(report.projects, both)
    pd.testing.assert_frame_equal(pd.DataFrame(placed.drop(columns="alle_referate")),
                                  pd.DataFrame(gdf.drop(columns="alle_referate")))
