"""Build faults (issue 12): disk full, read-only target, mount point, two builds at once, interrupted builds.

Each fault must end in one line naming the path and the fix (exit code 1), leave the previous
build untouched and leave no staging folder behind. Disk full is simulated by making the writer
raise ``OSError(ENOSPC)``; two builds race as two real processes.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import config
from pipelines import io as pio
from pipelines.builder import lock
from pipelines.builder.cli import NOOP_MESSAGE, main
from pipelines.builder.lock import BuildFaultError, as_build_fault, guard_build, preflight, recover_interrupted
from tests.cli_helpers import copy_geodata

ROOT = Path(__file__).resolve().parents[1]


def _previous_build(out: Path) -> None:
    out.mkdir(parents=True)
    (out / "manifest.json").write_text('{"build_version": "good"}', encoding="utf-8")


@guard_build
def _fake_build(geodata: Path | None = None, out: Path | None = None, *, fail: OSError | None = None) -> str:
    """What run_build does at the end: stage into a temp folder, then swap it in; ``fail`` makes the writer raise."""
    target = Path(out)
    preflight(target, min_free=1)
    with pio.staging_dir(target) as tmp:
        (tmp / "manifest.json").write_text('{"build_version": "new"}', encoding="utf-8")
        if fail is not None:
            raise fail
    return "built"


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def test_disk_full_while_writing_is_one_line_and_keeps_the_previous_build(tmp_path):
    out = tmp_path / "processed"
    _previous_build(out)
    with pytest.raises(BuildFaultError) as err:
        _fake_build(None, out, fail=OSError(errno.ENOSPC, "No space left on device", str(out / "areas.parquet")))
    assert "no space left" in str(err.value) and "areas.parquet" in str(err.value) and "--out" in str(err.value)
    assert "\n" not in str(err.value)
    assert (out / "manifest.json").read_text(encoding="utf-8") == '{"build_version": "good"}'
    assert _leftovers(tmp_path) == []


def test_pyarrow_style_disk_full_message_is_recognised(tmp_path):
    fault = as_build_fault(OSError("Error writing bytes to file. Detail: [errno 28] No space left on device"),
                           tmp_path)
    assert fault is not None and "ENOSPC" in str(fault) and str(tmp_path) in str(fault)
    assert as_build_fault(ValueError("something else"), tmp_path) is None


def test_read_only_target_is_refused_before_computing(tmp_path, monkeypatch, capsys):
    geodata = copy_geodata(config.GEODATA_DIR, tmp_path / "geodata")
    computed: list[str] = []
    monkeypatch.setattr("pipelines.builder.orchestrate.build_munich", lambda *a, **k: computed.append("munich"))

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "ro"))

    monkeypatch.setattr(lock.tempfile, "mkstemp", read_only)
    code = main(["build", "--geodata", str(geodata), "--out", str(tmp_path / "ro" / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and computed == []
    assert len(err) == 1 and "read-only" in err[0] and "--out" in err[0] and "Traceback" not in err[0]


def test_mount_point_as_out_is_refused_with_the_fix(tmp_path, monkeypatch):
    out = tmp_path / "mnt"
    _previous_build(out)
    monkeypatch.setattr(lock.os.path, "ismount", lambda p: Path(p) == out)
    with pytest.raises(BuildFaultError, match="mount point.*subfolder"):
        preflight(out)


def test_too_little_free_space_is_refused_before_computing(tmp_path, monkeypatch):
    class Usage:
        free = 3_000_000

    monkeypatch.setattr(lock.shutil, "disk_usage", lambda p: Usage)
    with pytest.raises(BuildFaultError, match="only 3 MB free"):
        preflight(tmp_path / "out")


def test_stale_staging_removed_and_stranded_build_restored(tmp_path):
    out = tmp_path / "processed"
    stranded = tmp_path / ".processed.old-4242"
    _previous_build(stranded)
    (tmp_path / ".processed.tmp-abc123").mkdir()
    (tmp_path / ".processed.tmp-abc123" / "half.parquet").write_bytes(b"x")
    done = recover_interrupted(out)
    assert (out / "manifest.json").read_text(encoding="utf-8") == '{"build_version": "good"}'
    assert _leftovers(tmp_path) == [] and len(done) == 2


def test_guard_recovers_before_the_build_runs(tmp_path):
    out = tmp_path / "processed"
    _previous_build(tmp_path / ".processed.old-1")
    for i in range(7):  # killed builds pile up staging folders
        (tmp_path / f".processed.tmp-{i}").mkdir()
    assert _fake_build(None, out) == "built"
    assert (out / "manifest.json").read_text(encoding="utf-8") == '{"build_version": "new"}'
    assert _leftovers(tmp_path) == []


RACER = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pipelines import io as pio
from pipelines.builder.lock import guard_build

@guard_build
def build(geodata=None, out=None):
    start = time.time()
    with pio.staging_dir(Path(out)) as tmp:
        for i in range(20):
            (tmp / f"part{i}").write_text(sys.argv[3])
            time.sleep(0.05)
    print(f"{start:.3f} {time.time():.3f}")

build(None, sys.argv[2])
"""


def test_two_processes_building_one_folder_take_turns(tmp_path):
    out = tmp_path / "processed"
    _previous_build(out)
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(ROOT), str(out), name], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1] for r in results]
    spans = sorted(tuple(map(float, r[0].split())) for r in results)
    assert spans[0][1] <= spans[1][0] + 0.01  # the second started building after the first had swapped
    parts = {p.read_text() for p in out.glob("part*")}
    assert len(list(out.glob("part*"))) == 20 and len(parts) == 1  # one complete build, not a mix
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
def test_two_real_builds_of_one_out_folder(tmp_path):
    """``python -m pipelines build`` twice at once on the same --out: one builds, the other waits, finds it current."""
    geodata = copy_geodata(config.GEODATA_DIR, tmp_path / "geodata")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pipelines", "build", "--geodata", str(geodata), "--out", str(out), "--quiet"]
    procs = []
    for _ in range(2):
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
        time.sleep(0.5)
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1][-2000:] for r in results]
    assert sum(NOOP_MESSAGE in r[0] for r in results) == 1, [r[0] for r in results]  # the waiter found it built
    assert (out / "manifest.json").exists() and _leftovers(tmp_path) == []


def test_sessions_of_one_server_building_at_once_take_turns(tmp_path):
    """App sessions are threads of one process: they serialise on the same lock as processes do."""
    import threading

    out = tmp_path / "processed"
    spans: list[tuple[float, float]] = []

    @guard_build
    def build(geodata=None, out=None):
        start = time.monotonic()
        time.sleep(0.2)
        spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=build, args=(None, out)) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    spans.sort()
    assert len(spans) == 3 and all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
