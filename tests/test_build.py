"""The full build on the real bundled data, run once as a user runs it (slow: ~15 s).

One cold build (module-scoped) is shared by all tests: contract of the outputs,
manifest, no-op rebuild, ``--city`` merge, and failed builds that must leave the
previous good build untouched.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from pipelines import config
from pipelines.builder.manifest import code_version, is_build_current
from pipelines.io import sha256_file
from tests.cli_helpers import copy_geodata, run_cli, snapshot, truncate_registered

pytestmark = pytest.mark.slow
XLSX = "raw/munich/indikatorenatlas/export_arbeitsmarkt.xlsx"


@pytest.fixture(scope="module")
def built(geodata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(geodata copy, output folder, stdout) of one cold build through the CLI."""
    root = tmp_path_factory.mktemp("build")
    g = copy_geodata(geodata, root / "geodata")
    out = root / "processed"
    res = run_cli("build", "--geodata", str(g), "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stdout + res.stderr
    return g, out, res.stdout


def _copy_out(out: Path, dst: Path) -> Path:
    shutil.copytree(out, dst)
    return dst


def test_summary_names_counts_and_output(built: tuple[Path, Path, str]) -> None:
    _, out, stdout = built
    assert str(out) in stdout
    assert "areas munich: stadt 1, handlungsraum" in stdout and "stadtbezirk 25, bezirksteil 108" in stdout
    assert "bezirk 12, prognoseraum 58, bezirksregion 143, planungsraum 542" in stdout
    assert "findings:" in stdout and "locations berlin: kita" in stdout


def test_areas_contract(built: tuple[Path, Path, str]) -> None:
    _, out, _ = built
    areas = gpd.read_parquet(out / "areas.parquet")
    assert areas.crs.equals(config.WEB_CRS)
    assert set(config.AREA_COLUMNS) <= set(areas.columns)
    assert not areas.duplicated(["city", "level", "area_id"]).any()
    counts = areas.groupby(["city", "level"]).size()
    for key, expected in config.EXPECTED_COUNTS.items():
        assert counts[key] == expected, key
    muc = areas[areas["city"] == "munich"].set_index(["level", "area_id"])
    assert "01" in muc.loc["stadtbezirk"].index and "01.1" in muc.loc["bezirksteil"].index
    assert muc.loc["bezirksteil", "population"].sum() == 1_588_330  # official 31.12.2022 total
    assert areas["population"].notna().all(), areas.loc[areas["population"].isna(), ["city", "level", "area_id"]]
    assert (areas["approximate"] == (areas["level"] == "handlungsraum") & areas["approximate"]).all()
    ber = areas[(areas["city"] == "berlin") & (areas["level"] == "planungsraum")]
    assert ber["area_id"].str.fullmatch(r"\d{8}").all()


def test_indicators_locations_catalog_contract(built: tuple[Path, Path, str]) -> None:
    _, out, _ = built
    ind = pd.read_parquet(out / "indicators.parquet")
    assert list(ind.columns) == list(config.INDICATOR_COLUMNS)
    assert set(ind["flag"]) <= set(config.FLAGS)
    assert not ind.duplicated(["city", "level", "area_id", "indicator_id", "period"]).any()
    assert ind["period"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert set(ind["indicator_id"]) <= {e["indicator_id"] for e in catalog}
    pop = ind[(ind["indicator_id"] == "population") & (ind["level"] == "stadt")]
    assert set(pop["city"]) == {"munich", "berlin"}
    loc = gpd.read_parquet(out / "locations.parquet")
    assert loc.crs.equals(config.WEB_CRS) and set(config.LOCATION_COLUMNS) <= set(loc.columns)
    assert set(loc["city"]) == {"munich", "berlin"}


def test_manifest_records_inputs_outputs_and_findings(built: tuple[Path, Path, str], sources) -> None:
    _, out, _ = built
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(man["inputs"]) == sum(len(s.files) for s in sources)
    for o in man["outputs"]:
        assert sha256_file(out / o["path"]) == o["sha256"], o["path"]
    names = {o["path"] for o in man["outputs"]}
    assert {"areas.parquet", "indicators.parquet", "locations.parquet", "catalog.json"} <= names
    for city, levels in config.COVERAGE_LEVELS.items():
        for level in levels:
            assert f"web/{city}_{level}.geojson" in names
    assert {"munich.indikatorenatlas", "berlin.mss", "web_layers", "write"} <= set(man["stage_seconds"])
    assert set(man["libraries"]) >= {"python", "geopandas", "shapely", "pandas", "pyarrow", "pyogrio", "folium",
                                     "streamlit"}
    assert man["counts"]["areas"]["berlin"]["planungsraum"] == 542
    assert all(f["severity"] in ("info", "warning", "error") for f in man["findings"])
    assert man["city_versions"]["munich"] == man["city_versions"]["berlin"] == man["input_version"]


def test_unchanged_inputs_are_a_noop(built: tuple[Path, Path, str]) -> None:
    g, out, _ = built
    for _attempt in range(4):
        previous = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        before = snapshot(out)
        res = run_cli("build", "--geodata", str(g), "--out", str(out), "--quiet")
        assert res.returncode == 0, res.stderr
        if "nothing to do" in res.stdout:
            break
        # only legitimate while someone edits pipelines/*.py during the test run (the code is an input)
        assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["code_version"] != \
            previous["code_version"], res.stdout
    assert "nothing to do" in res.stdout and "Nichts zu tun" in res.stdout
    assert snapshot(out) == before
    assert is_build_current(g, out)


def test_changed_registry_makes_the_build_stale(built: tuple[Path, Path, str], geodata: Path, tmp_path: Path) -> None:
    _, out, _ = built
    g2 = copy_geodata(geodata, tmp_path / "geodata")
    if json.loads((out / "manifest.json").read_text(encoding="utf-8"))["code_version"] == code_version():
        assert is_build_current(g2, out)  # (skipped only while someone edits pipelines/ during the run)
    with open(g2 / "indicators.toml", "a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    assert not is_build_current(g2, out)
    assert not is_build_current(g2, tmp_path / "no-build")


def test_city_build_keeps_the_other_city(built: tuple[Path, Path, str], tmp_path: Path) -> None:
    g, out, _ = built
    out2 = _copy_out(out, tmp_path / "processed")
    res = run_cli("build", "--geodata", str(g), "--out", str(out2), "--city", "berlin", "--force", "--quiet")
    assert res.returncode == 0, res.stderr
    for name in ("areas.parquet", "locations.parquet"):
        a, b = gpd.read_parquet(out / name), gpd.read_parquet(out2 / name)
        pd.testing.assert_frame_equal(a[a["city"] == "munich"].reset_index(drop=True),
                                      b[b["city"] == "munich"].reset_index(drop=True))
        assert len(b[b["city"] == "berlin"]) == len(a[a["city"] == "berlin"])
    a, b = pd.read_parquet(out / "indicators.parquet"), pd.read_parquet(out2 / "indicators.parquet")
    pd.testing.assert_frame_equal(a[a["city"] == "munich"].reset_index(drop=True),
                                  b[b["city"] == "munich"].reset_index(drop=True))
    for p in (out / "web").glob("munich_*.geojson"):
        assert (out2 / "web" / p.name).read_bytes() == p.read_bytes()
    cat = {e["indicator_id"] for e in json.loads((out2 / "catalog.json").read_text(encoding="utf-8"))}
    assert cat == {e["indicator_id"] for e in json.loads((out / "catalog.json").read_text(encoding="utf-8"))}
    man = json.loads((out2 / "manifest.json").read_text(encoding="utf-8"))
    assert man["city_built"] == "berlin" and set(man["city_versions"]) == {"munich", "berlin"}
    assert any(f.get("build_stage", "").startswith("munich.") for f in man["findings"])  # carried over


def test_corrupted_input_keeps_the_previous_build(built: tuple[Path, Path, str], geodata: Path,
                                                  tmp_path: Path) -> None:
    _, out, _ = built
    out2 = _copy_out(out, tmp_path / "processed")
    g = copy_geodata(geodata, tmp_path / "geodata", real=(XLSX,))
    (g / XLSX).write_bytes((g / XLSX).read_bytes().replace(b"PK", b"QK", 1))
    before = snapshot(out2)
    res = run_cli("build", "--geodata", str(g), "--out", str(out2))
    assert res.returncode == 1 and "export_arbeitsmarkt.xlsx" in res.stderr
    assert snapshot(out2) == before


def test_failing_stage_keeps_the_previous_build(built: tuple[Path, Path, str], geodata: Path,
                                                tmp_path: Path) -> None:
    """A truncated workbook registered as a new edition fails inside the stage: nothing is replaced."""
    _, out, _ = built
    out2 = _copy_out(out, tmp_path / "processed")
    g = copy_geodata(geodata, tmp_path / "geodata", real=(XLSX,))
    truncate_registered(g, XLSX, 2)
    before = snapshot(out2)
    res = run_cli("build", "--geodata", str(g), "--out", str(out2), "--city", "munich", "--quiet")
    assert res.returncode == 1, res.stdout
    assert "export_arbeitsmarkt.xlsx" in res.stderr and "Traceback" not in res.stderr
    assert snapshot(out2) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".processed")] == []
