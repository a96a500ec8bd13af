"""Project lists in the build: projects.parquet, per-area indicators, catalog, findings, refusal, no-op.

A temp copy of the real geodata gets one hand-made (fictitious) project file; one cold build
through the CLI is shared by the tests (slow, ~20 s). The bundled geodata/projects/ holds only
templates, so the real build has an empty projects.parquet (checked on a tiny stage run).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from pipelines import config
from pipelines.builder.manifest import is_build_current
from pipelines.projects import load_project_schema, project_catalog, project_table_columns, shape_projects
from tests.cli_helpers import copy_geodata, run_cli, snapshot

pytestmark = pytest.mark.slow

# Munich Marienplatz (Stadtbezirk 01, Bezirksteil 01.1), Stadtbezirk 09 as area, Berlin Alexanderplatz.
PROJECTS_CSV = """id;titel;stadt;lat;lon;area_id;thema;federfuehrung;beteiligte_referate;partner;status
B-1;TESTDATEN Platz;München;48,1374;11,5755;;Grün und Klima;Baureferat;"Sozialreferat; Kulturreferat";Verein;Planung
B-2;TESTDATEN Beratung (fiktiv);München;;;09;Soziales;Sozialreferat;;;Umsetzung
B-3;<img src=x onerror=alert(1)>;Berlin;52,5219;13,4132;;Kultur;Bezirksamt Mitte;Bezirksamt Mitte;;Idee
B-4;TESTDATEN kaputt (fiktiv);München;;;;Wohnen;Baureferat;;;Idee
"""


@pytest.fixture(scope="module")
def built(geodata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("projbuild")
    g = copy_geodata(geodata, root / "geodata")
    (g / "projects" / "testprojekte.csv").write_text(PROJECTS_CSV, encoding="utf-8")
    out = root / "processed"
    res = run_cli("build", "--geodata", str(g), "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stdout + res.stderr
    return g, out


def test_projects_parquet_joins_every_level(built: tuple[Path, Path]) -> None:
    _, out = built
    p = gpd.read_parquet(out / "projects.parquet")
    assert p.crs.equals(config.WEB_CRS)
    assert list(p.columns) == [*project_table_columns(), "geometry"]
    assert sorted(p["id"]) == ["B-1", "B-2", "B-3"]  # B-4 has no location: dropped
    rows = p.set_index("id")
    assert rows.loc["B-1", "area_id_stadtbezirk"] == "01" and rows.loc["B-1", "area_id_bezirksteil"] == "01.1"
    assert rows.loc["B-1", "area_id_stadt"] == "muc" and rows.loc["B-1", "anzahl_referate"] == 3
    assert rows.loc["B-2", "location_kind"] == "gebiet" and rows.loc["B-2", "area_id_stadtbezirk"] == "09"
    assert rows.loc["B-2", "area_id_bezirksteil"] == ""  # an area project does not go down the hierarchy
    assert rows.loc["B-3", "titel"] == "<img src=x onerror=alert(1)>"  # kept as text; escaping is the app's job
    assert rows.loc["B-3", "area_id_bezirk"] == "01" and len(rows.loc["B-3", "area_id_planungsraum"]) == 8
    assert rows.loc["B-3", "anzahl_referate"] == 1  # the same department twice counts once


def test_indicators_and_catalog(built: tuple[Path, Path]) -> None:
    _, out = built
    ind = pd.read_parquet(out / "indicators.parquet")
    proj = ind[ind["indicator_id"].str.startswith("proj_")].set_index(["city", "level", "area_id", "indicator_id"])
    assert proj.loc[("munich", "stadt", "muc", "proj_count"), "value"] == 2
    assert proj.loc[("munich", "stadtbezirk", "01", "proj_count"), "value"] == 1
    assert proj.loc[("munich", "stadtbezirk", "02", "proj_count"), "value"] == 0  # zeros for every area
    assert proj.loc[("munich", "stadtbezirk", "09", "proj_count_thema_soziales"), "value"] == 1
    assert proj.loc[("munich", "stadt", "muc", "proj_count_status_planung"), "value"] == 1
    share = proj.loc[("munich", "stadt", "muc", "proj_multi_dept_share")]
    assert share["value"] == 50 and share["numerator"] == 1 and share["denominator"] == 2
    empty = proj.loc[("munich", "stadtbezirk", "02", "proj_multi_dept_share")]
    assert pd.isna(empty["value"]) and empty["flag"] == "zero_denominator"
    assert proj.loc[("berlin", "stadt", "ber", "proj_count"), "value"] == 1
    catalog = {e["indicator_id"]: e for e in json.loads((out / "catalog.json").read_text(encoding="utf-8"))}
    for iid in ("proj_count", "proj_count_thema_gruen_und_klima", "proj_count_status_abgeschlossen",
                "proj_multi_dept_count", "proj_multi_dept_share"):
        assert catalog[iid]["label_de"] and catalog[iid]["label_en"] and catalog[iid]["unit"], iid
        assert catalog[iid]["group"] == "comparable"  # both cities have projects
    assert catalog["proj_count_thema_gruen_und_klima"]["label_en"] == "Projects: Green and climate"
    assert catalog["proj_multi_dept_share"]["unit"] == "%"


def test_manifest_has_file_reports_and_project_inputs(built: tuple[Path, Path]) -> None:
    g, out = built
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    proj = [f for f in man["findings"] if f.get("stage") == "projects"]
    assert any(f.get("source") == "testprojekte.csv" and "4 Zeilen, 3 gültig" in f["message"] for f in proj)
    assert any(f.get("where") == "Zeile 5" and f.get("source") == "testprojekte.csv" for f in proj)
    assert any("vorlage.csv" in f.get("source", "") for f in proj)  # the template is named, not refused
    assert "projects/testprojekte.csv" in {p["path"] for p in man["project_files"]}
    assert is_build_current(g, out)
    with open(g / "projects" / "testprojekte.csv", "a", encoding="utf-8") as fh:
        fh.write("B-5;TESTDATEN neu (fiktiv);München;48,15;11,58;;Kultur;Kulturreferat;;;Idee\n")
    assert not is_build_current(g, out)  # a project list is a build input


def test_refused_file_fails_and_keeps_previous_build(built: tuple[Path, Path], geodata: Path,
                                                     tmp_path: Path) -> None:
    g, out = built
    out2 = tmp_path / "processed"
    shutil.copytree(out, out2)
    g2 = copy_geodata(g, tmp_path / "geodata")
    shutil.copytree(g / ".cache", g2 / ".cache")  # reuse the parsed Indikatorenatlas: only projects change
    (g2 / "projects" / "kaputt.csv").write_text(
        "id;titel;stadt;lat;lon;thema;federfuehrung;status\nX-1;TESTDATEN (fiktiv);Hamburg;1;2;Wohnen;A;Idee\n",
        encoding="utf-8")
    before = snapshot(out2)
    res = run_cli("build", "--geodata", str(g2), "--out", str(out2), "--quiet")
    assert res.returncode == 1, res.stdout
    assert "kaputt.csv" in res.stderr and "keine gültige Zeile" in res.stderr and "Traceback" not in res.stderr
    assert snapshot(out2) == before


def test_empty_projects_table_has_the_columns() -> None:
    empty = shape_projects(gpd.GeoDataFrame({"stadt": []}, geometry=[], crs=config.WEB_CRS))
    assert list(empty.columns) == [*project_table_columns(), "geometry"] and empty.crs.equals(config.WEB_CRS)
    assert project_catalog(pd.DataFrame(columns=list(config.INDICATOR_COLUMNS)), load_project_schema()) == []


def test_bundled_project_folder_has_only_templates(geodata: Path) -> None:
    files = sorted(p.name for p in (geodata / "projects").iterdir())
    assert files == ["README.md", "schema.toml", "vorlage.csv", "vorlage.xlsx"]  # no invented projects


def test_list_cells_become_lists_and_equal_lists_are_one_object():
    import numpy as np

    from pipelines.projects.stage import shared_lists

    cells = [["Sozialreferat"], ("Sozialreferat",), np.array(["Sozialreferat"], dtype=object), None, "x", [],
             ["Baureferat", "Sozialreferat"]]
    out = shared_lists(cells)
    assert out == [["Sozialreferat"]] * 3 + [[], [], [], ["Baureferat", "Sozialreferat"]]
    assert all(type(v) is list for v in out)
    assert out[0] is out[1] is out[2] and out[3] is out[4] is out[5] and out[6] is not out[0]


def test_a_report_without_its_rows_keeps_their_count_and_verdict():
    from pipelines.projects.report import ValidationReport

    report = ValidationReport("a.csv", pd.DataFrame({"id": ["A", "B"]}), [], n_rows=3)
    light = report.without_rows()
    assert light.projects.empty and list(light.projects.columns) == ["id"]
    assert (light.n_valid, light.status, light.summary()) == (2, "partial", report.summary())
    assert report.n_valid == 2 and len(report.projects) == 2  # the original is not changed
