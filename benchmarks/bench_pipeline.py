"""Pipeline benchmark: cold build, cached rebuild, no-op, peak memory — against the baseline code, same run.

Runs ``python -m pipelines build`` as a child process for two code trees, interleaved, on
fresh copies of the same geodata:

* **current**: this checkout;
* **baseline**: commit ``53860c8`` (main before the 5-second work; ``a6cd18f`` is the state
  before any build-speed work, issue 11), exported with ``git archive`` into a temp dir, so the
  old code path stays measurable on the same machine in the same run (``--baseline REV`` picks
  another commit, ``--no-baseline`` skips it).

``--serial`` also measures this checkout's cold build with ``RAUMATLAS_BUILD_PROCESSES=1`` (no
forked processes: the two cities' chains and the web layers one after the other).

Measured per tree: **cold** = ``--force`` with no ``processed/`` and an empty ``.cache``;
**cached** = ``--force`` again (the Indikatorenatlas stage cache is warm); **no-op** = a plain
``build`` with unchanged inputs. Each figure is wall seconds and CPU seconds (user + system of
that child and of the processes it forked and reaped — the build runs Berlin's chain and the
web layers in forked processes) and the peak RSS of the largest of those processes; the load
average is printed next to it, because on a shared machine wall time follows the load and CPU
time much less. No asserts: a measurement.

Figures recorded before the change (a6cd18f, 2 CPUs, load average ~5): cold 48.3 s wall /
17.9 s CPU, peak 495 MB; no-op 2.96 s wall / 0.62 s CPU, 133 MB (the issue's idle-machine
figure: cold 12.5 s).

Same run against main 552a5f8 (2026-11-29, ``--baseline 552a5f8 --repeat 3``, load average 7-13 from
other work, so wall figures are mostly waiting): cold 16.9 s CPU vs 23.1 s (0.73x), peak 504 vs 491 MB;
no-op 0.15 s CPU / 24 MB for both (0.13 s wall at load ~4). The Indikatorenatlas stage alone: 7.5 s ->
3.8 s wall at load ~2 (numpy blocks per indicator, ``rows.py``), of which ~1.7 s is reading the three
workbooks (``io_excel.read_excel_text``). Output identical (``compare_builds.py``: 15 files, 0 differences).

Same run against main 53860c8 (2026-11-29, branch build-5s, ``--baseline 53860c8 --serial --repeat 3``,
load average 2.7-4.6 from other work): cold 11.5 s CPU / 10.9 s wall vs 14.8 s CPU / 18.8 s wall (CPU 0.78x,
wall 0.58x), peak 470 vs 509 MB; serial (``cold-1p``) 11.7 s CPU / 13.0 s wall; cached 8.5 vs 11.3 s CPU;
no-op 0.14 s / 24 MB for both. CPU per stage (in-process, load ~4): Indikatorenatlas 2.9 s (reading the
workbooks 1.4 s), Berlin areas 1.4 s, Berlin population 1.1 s, MSS 0.4 s, locations 0.5 s, derived 0.5 s,
write 0.5 s, imports 0.6 s; the two cities' chains (~3 s each) run side by side, so on an idle machine the
cold build's wall time is about imports + the longer chain + the serial tail (~5.5-6 s). Forking costs
~0.5-1 s CPU (copy-on-write faults), so total CPU is a little higher than serial. The peak RSS printed
is the largest single process; summed over the build and its forked processes (sampled every 50 ms from
``/proc/*/smaps_rollup``) the peak is 591 MB PSS / 764 MB RSS, serial 501 MB PSS — close to the 600 MB target.
Output identical (``compare_builds.py``: 15 files, 0 differences, parallel and ``RAUMATLAS_BUILD_PROCESSES=1``).

Same run against main f300e26 (2026-11-29, branch fast-build2, ``--baseline f300e26 --repeat 3``, load
average 1.3 before, 1.9-3.5 during, from other work on the 2 CPUs): cold 8.60 s wall / 8.38 s CPU vs 9.11 s /
8.47 s (wall 0.94x, CPU 0.99x), peak 439 vs 470 MB; cached 5.86 s CPU for both; no-op 0.10 s / 24 MB for both.
Interleaved single builds at load ~3 (CPU = user + system of the build and its children): 7.9-8.2 s vs
8.2-8.3 s, wall 5.0-7.9 s vs 8.1-9.4 s. What changed: the CLI forks a reader of the three Indikatorenatlas
workbooks before importing pandas/geopandas (``builder/prefetch.py``; the reader imports only calamine, so
its ~1.1 s of reading fills the idle core of the ~0.5 s import and leaves Munich's chain ~1 s shorter);
Berlin population aggregates all editions of a kind in one ``aggregate_long`` per rule and scale (stage
0.8 -> 0.45 s CPU); the derived stage no longer re-reads the facility lists; ``indicators.parquet`` is
sorted and written in a forked process beside the other outputs. The extra forks cost ~0.2-0.3 s system
time, so total CPU fell only ~2 %; geometry (Berlin dissolve/golden check ~0.9 s, web-layer coverage
cleaning ~0.4 s) is left as it is because the output must stay byte-identical. No figures on an idle
machine in this run. Output identical (``compare_builds.py``: 15 files, 0 differences, parallel and
``RAUMATLAS_BUILD_PROCESSES=1``).

2026-11-29/30 night (a4c08fc, ``--repeat 3``, load 0.5 at the start): cold **4.80 s** wall / 8.54 s CPU vs 10.99 s /
11.09 s for 53860c8 (wall 0.44x), peak 447 MB; cached 4.43 s; no-op 0.11 s / 24 MB. Until this commit every
baseline build had failed: the old code refused a key added to ``geodata/projects/schema.toml`` later, so the
baseline figures printed were a failed build's; the baseline now builds with its own commit's data definitions.
Timeline of a cold build (stage starts and ends, ms): imports to 0.54 s; Munich's chain 0.54-3.2 s, of which the
Indikatorenatlas stage waited ~1 s for the forked workbook reader (the population workbook's sheet: ~1 s CPU in
calamine and the cells' conversion, while three processes share the two cores); Berlin's chain in its fork
0.55-3.0 s; then locations, projects, derived, validate and write ~1.5 s, with the web layers in a fork. Then
66b6bff (each distinct cell converted once, the reader without the garbage collector: that sheet 1.02 -> 0.87 s
CPU) against a4c08fc, ``--baseline HEAD --repeat 5`` at load 2-3: cold 4.84 vs 4.91 s wall, 8.54 vs 8.76 s CPU;
output identical (``compare_builds.py``). Tried and dropped: each Berlin level dissolved from the one below and
the city from the 12 Bezirke (Berlin areas 1.6 -> 1.0 s, geometrically equal but not byte-identical), because
Berlin's chain is not the one the build waits for: the total did not move.

    .venv/bin/python benchmarks/bench_pipeline.py [--geodata DIR] [--repeat N] [--baseline REV] [--serial]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines import config  # noqa: E402  (light: no pandas/geopandas, keeps this process small)

TARGETS = {"cold": 5.0, "noop": 0.3, "peak_mb": 600.0}
BASELINE_REV = "53860c8"


class Run(NamedTuple):
    """One child process: wall s, CPU s (user + system), peak RSS MB, exit code, stdout, load average at the end."""

    wall: float
    cpu: float
    peak_mb: float
    code: int
    out: str
    load: float


def _run(code_dir: Path, args: list[str], extra_env: dict[str, str] | None = None) -> Run:
    """``python -m pipelines ARGS`` with ``code_dir`` first on the path; rusage of it and its reaped children."""
    env = {**os.environ, "PYTHONPATH": str(code_dir), **(extra_env or {})}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "pipelines", *args], cwd=code_dir, env=env,
                                stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)  # ru_maxrss in KB on Linux
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            print(err.read(), file=sys.stderr)
        return Run(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, code, out.read(), os.getloadavg()[0])


def _export(rev: str, dest: Path) -> Path | None:
    """The pipeline code of commit ``rev`` in ``dest`` (``git archive``: no worktree, no change to the repo).

    With it come that commit's data definitions (``geodata`` without ``raw/``: sources, indicators, the
    project schema): the old code refuses keys that were added later (``projects/schema.toml`` got one
    after ``53860c8``), and every baseline build failed. The raw files are the current ones.
    """
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "pipelines", "geodata",
                                  ":(exclude)geodata/raw"], capture_output=True, check=True).stdout
        dest.mkdir(parents=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"baseline {rev} not available ({err}); see the figures in this file's docstring", file=sys.stderr)
        return None
    return dest


def _measure(code_dir: Path, geodata: Path, work: Path, tag: str, serial: bool = False) -> dict[str, Run]:
    """Cold, cached and no-op build of ``code_dir`` on a fresh copy of ``geodata`` (+ a serial cold build)."""
    g, out = work / f"geodata-{tag}", work / f"processed-{tag}"
    build = ["build", "--geodata", str(g), "--out", str(out), "--quiet"]
    own = code_dir / "geodata" if code_dir != ROOT else None  # a baseline's own definitions (see _export)
    runs: dict[str, Run] = {}
    if serial:
        _fresh(geodata, g, out, own)
        runs["cold-1p"] = _run(code_dir, [*build, "--force"], {"RAUMATLAS_BUILD_PROCESSES": "1"})
    _fresh(geodata, g, out, own)
    runs.update(cold=_run(code_dir, [*build, "--force"]), cached=_run(code_dir, [*build, "--force"]),
                noop=_run(code_dir, build))
    return runs


def _fresh(geodata: Path, g: Path, out: Path, definitions: Path | None = None) -> None:
    """A fresh copy of the geodata (no processed/, empty stage cache, ``definitions`` laid over it), no output."""
    shutil.rmtree(g, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(geodata, g, ignore=shutil.ignore_patterns("processed", ".cache", "staging"))
    if definitions is not None and definitions.is_dir():
        shutil.copytree(definitions, g, dirs_exist_ok=True)


def _median(runs: list[Run]) -> Run:
    pick = sorted(runs, key=lambda r: r.wall)[len(runs) // 2]
    return pick._replace(cpu=statistics.median(r.cpu for r in runs), peak_mb=max(r.peak_mb for r in runs))


def _row(name: str, new: Run, base: Run | None, target: float | None) -> str:
    s = f"  {name:<8} {new.wall:7.2f} s wall {new.cpu:6.2f} s CPU {new.peak_mb:6.0f} MB  (load {new.load:4.1f})"
    if target is not None:
        # the target is the wall time; the CPU time is the sum over the build's processes (2 cores)
        s += f"  target ≤ {target:g} s wall: {'ok' if new.wall <= target else 'OVER'}"
    if base is not None and base.code != 0:  # a failed build's time is no baseline
        s += f"\n  {'':<8} baseline build FAILED (exit code {base.code}): no ratio"
    elif base is not None:
        s += (f"\n  {'':<8} baseline {base.wall:6.2f} s wall {base.cpu:6.2f} s CPU {base.peak_mb:6.0f} MB"
              f"  (load {base.load:4.1f})  ->  wall {new.wall / base.wall:4.2f}×, CPU {new.cpu / base.cpu:4.2f}×,"
              f" memory {new.peak_mb / base.peak_mb:4.2f}×")
    return s


def main() -> None:
    """Measure and print (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geodata", type=Path, default=config.GEODATA_DIR)
    parser.add_argument("--repeat", type=int, default=1, help="measure N times (interleaved), print the medians")
    parser.add_argument("--baseline", default=BASELINE_REV, help="commit to compare with (default %(default)s)")
    parser.add_argument("--no-baseline", action="store_true", help="measure the current code only")
    parser.add_argument("--serial", action="store_true", help="also a cold build without forked processes")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="raumatlas-bench-") as tmp:
        work = Path(tmp)
        base_dir = None if args.no_baseline else _export(args.baseline, work / "baseline")
        new_runs: list[dict[str, Run]] = []
        base_runs: list[dict[str, Run]] = []
        for _ in range(args.repeat):
            if base_dir is not None:
                base_runs.append(_measure(base_dir, args.geodata, work, "baseline"))
            new_runs.append(_measure(ROOT, args.geodata, work, "current", serial=args.serial))
        web = sum(p.stat().st_size for p in (work / "processed-current" / config.WEB_DIR).glob("*.geojson"))
    print(f"Raumatlas pipeline benchmark ({os.cpu_count()} CPUs, {args.repeat} run(s), medians; "
          f"baseline = {args.baseline if base_dir else 'none'}); load average before "
          f"{' / '.join(f'{x:.1f}' for x in load_before)}, after {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    kinds = [("cold", TARGETS["cold"]), ("cached", None), ("noop", TARGETS["noop"])]
    if args.serial:
        kinds.insert(1, ("cold-1p", TARGETS["cold"]))
    for kind, target in kinds:
        new = _median([r[kind] for r in new_runs])
        base = _median([r["cold" if kind == "cold-1p" else kind] for r in base_runs]) if base_runs else None
        print(_row(kind, new, base, target))
    cold = _median([r["cold"] for r in new_runs])
    print(f"  peak memory, cold build {cold.peak_mb:.0f} MB (target ≤ {TARGETS['peak_mb']:g} MB: "
          f"{'ok' if cold.peak_mb <= TARGETS['peak_mb'] else 'OVER'})")
    noop_ok = all("nothing to do" in r["noop"].out for r in new_runs)
    codes = sorted({r[k].code for r in new_runs + base_runs for k in r})
    print(f"  exit codes {codes}; no-op {'confirmed' if noop_ok else 'NOT confirmed'}; "
          f"web layers {web / 1e6:.2f} MB (budget {config.WEB_TOTAL_MAX_BYTES / 1e6:.1f} MB)")
    print("  cold = --force, empty cache, no processed/; cold-1p = the same without forked processes;"
          " cached = --force with the stage cache warm; CPU = user + system of the build and its forked processes")


if __name__ == "__main__":
    main()
