"""The command line as a user runs it: exit codes 0/1/2, messages without tracebacks.

These tests never run the stages (a checksum or usage error stops the build
before any parsing); the full build is in test_build.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pipelines.builder import cli
from tests.cli_helpers import copy_geodata, run_cli, snapshot, truncate_registered

XLSX = "raw/munich/indikatorenatlas/export_kinderbetreuung.xlsx"
PLR_DBF = "raw/berlin/lor_2021/lor_planungsraeume_2021.dbf"


@pytest.fixture()
def previous_build(tmp_path: Path) -> Path:
    """A stand-in for the previous good build (its bytes must survive a failed build)."""
    out = tmp_path / "processed"
    (out / "web").mkdir(parents=True)
    (out / "manifest.json").write_text('{"schema": 1, "build_version": "previous"}')
    (out / "areas.parquet").write_bytes(b"previous areas")
    (out / "web" / "munich_stadtbezirk.geojson").write_text("{}")
    return out


@pytest.mark.parametrize("argv", [[], ["build", "--city", "paris"], ["frobnicate"], ["build", "--nope"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    res = run_cli(*argv)
    assert res.returncode == 2, res.stderr
    assert "usage:" in res.stderr and "Traceback" not in res.stderr


def test_help_lists_subcommands() -> None:
    res = run_cli("--help")
    assert res.returncode == 0
    for name in ("build", "check", "fetch"):
        assert name in res.stdout


def test_corrupted_raw_file_exits_1_names_it_and_keeps_previous_build(
        geodata: Path, tmp_path: Path, previous_build: Path) -> None:
    g = copy_geodata(geodata, tmp_path / "geodata", real=(XLSX,))
    data = bytearray((g / XLSX).read_bytes())
    data[5000] ^= 0xFF  # one changed byte
    (g / XLSX).write_bytes(bytes(data))
    before = snapshot(previous_build)
    res = run_cli("build", "--geodata", str(g), "--out", str(previous_build))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "export_kinderbetreuung.xlsx" in res.stderr and "does not match" in res.stderr
    assert "sources.toml" in res.stderr  # the fix says where to register a new edition
    assert "Traceback" not in res.stderr
    assert snapshot(previous_build) == before
    assert [p.name for p in previous_build.parent.iterdir() if p.name.startswith(".processed")] == []


def test_truncated_file_exits_1(geodata: Path, tmp_path: Path, previous_build: Path) -> None:
    g = copy_geodata(geodata, tmp_path / "geodata", real=(PLR_DBF,))
    data = (g / PLR_DBF).read_bytes()
    (g / PLR_DBF).write_bytes(data[: len(data) // 2])
    before = snapshot(previous_build)
    res = run_cli("build", "--geodata", str(g), "--out", str(previous_build))
    assert res.returncode == 1
    assert "lor_planungsraeume_2021.dbf" in res.stderr and "Traceback" not in res.stderr
    assert snapshot(previous_build) == before


def test_check_passes_on_the_bundled_data(geodata: Path, tmp_path: Path) -> None:
    g = copy_geodata(geodata, tmp_path / "geodata")
    before = snapshot(g)
    res = run_cli("check", "--geodata", str(g))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("OK:")
    assert snapshot(g) == before  # check writes nothing


def test_check_rejects_a_registered_but_truncated_workbook(geodata: Path, tmp_path: Path) -> None:
    """A broken file whose new sha256 *was* registered is still caught by the reader."""
    g = copy_geodata(geodata, tmp_path / "geodata", real=(XLSX,))
    truncate_registered(g, XLSX, 3)
    res = run_cli("check", "--geodata", str(g))
    assert res.returncode == 1
    assert "export_kinderbetreuung.xlsx" in res.stderr and "Excel" in res.stderr
    assert "Traceback" not in res.stderr


def test_incomplete_registry_exits_1(geodata: Path, tmp_path: Path, previous_build: Path) -> None:
    g = copy_geodata(geodata, tmp_path / "geodata")
    toml = g / "sources.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('licence = "dl-de/by-2-0"\n', "", 1), encoding="utf-8")
    res = run_cli("build", "--geodata", str(g), "--out", str(previous_build))
    assert res.returncode == 1
    assert "sources.toml" in res.stderr and "licence" in res.stderr and "muc_stadtbezirke" in res.stderr


def test_a_new_subcommand_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}

    def configure(p: argparse.ArgumentParser) -> None:
        p.add_argument("file")

    def run(args: argparse.Namespace) -> int:
        seen["file"] = args.file
        return 0

    monkeypatch.setitem(cli.COMMANDS, "demo-command", cli.Command("a demo", configure, run))
    assert cli.main(["demo-command", "projects.csv"]) == 0
    assert seen == {"file": "projects.csv"}


def test_pipeline_errors_become_exit_1_in_process(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from pipelines.errors import InputError

    def run(args: argparse.Namespace) -> int:
        raise InputError("raw/x.csv", "column 'EW' missing", where="Zeile 3", fix="use the official file")

    monkeypatch.setitem(cli.COMMANDS, "boom", cli.Command("fails", lambda p: None, run))
    assert cli.main(["boom"]) == 1
    err = capsys.readouterr().err
    assert "raw/x.csv: Zeile 3: column 'EW' missing -> use the official file" in err


def test_noop_decision_imports_neither_pandas_nor_geopandas(geodata: Path, tmp_path: Path) -> None:
    """Deciding "nothing to do" takes hashes only: the CLI and manifest.build_status stay free of pandas/numpy."""
    import json
    import subprocess
    import sys

    code = ("import json, sys; from pipelines.builder import cli; from pipelines.builder.manifest import build_status; "
            f"current = build_status({str(geodata)!r}, {str(tmp_path / 'none')!r})[3]; "
            "print(json.dumps([current, sorted(m for m in ('pandas', 'geopandas', 'numpy', 'shapely') "
            "if m in sys.modules)]))")
    root = Path(__file__).resolve().parents[1]
    res = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert json.loads(res.stdout.strip().splitlines()[-1]) == [False, []]
