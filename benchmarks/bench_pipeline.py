"""Pipeline benchmark: cold build, cached rebuild, no-op, peak memory, web-layer bytes.

Prints measured numbers next to the targets and ratios against baselines measured
in the same run on the same machine (a plain byte read of every raw file, and a
parse of every raw file with the pipeline's own readers), so numbers from a busy
or slow machine can still be compared. No asserts: this is a measurement.

    .venv/bin/python benchmarks/bench_pipeline.py [--geodata DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines import config  # noqa: E402  (light: no geopandas, keeps this process small)

TARGETS = {"cold_s": 20.0, "noop_s": 1.5, "peak_mb": 1536.0}


def _run(args: list[str]) -> tuple[float, float, int, str]:
    """Run ``python -m pipelines ARGS``; return (wall s, peak RSS MB, exit code, stdout) of that process alone."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "pipelines", *args], cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, rusage = os.wait4(proc.pid, 0)  # this child's own rusage (ru_maxrss in KB on Linux)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            print(err.read(), file=sys.stderr)
        return wall, rusage.ru_maxrss / 1024, proc.returncode, out.read()


def _baselines(geodata: Path) -> tuple[float, float, int]:
    """(byte-read s, parse-all s, bytes): every registered file read plainly, then parsed by the io readers.

    Runs in a child process: a parent that had loaded the data would inflate the
    children's peak-RSS figures (ru_maxrss counts the forked copy before exec).
    """
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from pipelines.builder.fetch import check_inputs
from pipelines.registry import load_sources
g = Path({str(geodata)!r})
files = [g / f.path for s in load_sources(g) for f in s.files]
t0 = time.perf_counter(); total = sum(len(p.read_bytes()) for p in files); read_s = time.perf_counter() - t0
t0 = time.perf_counter(); check_inputs(g); parse_s = time.perf_counter() - t0
print(json.dumps([read_s, parse_s, total]))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    read_s, parse_s, total = json.loads(res.stdout.strip().splitlines()[-1])
    return read_s, parse_s, total


def _web_bytes(out: Path) -> tuple[int, int]:
    """(simplified web layers, the same layers unsimplified at the same coordinate precision) in bytes."""
    import geopandas as gpd

    from pipelines.builder.web_layers import layer_to_geojson

    simplified = sum(p.stat().st_size for p in (out / config.WEB_DIR).glob("*.geojson"))
    areas = gpd.read_parquet(out / config.AREAS_FILE)
    full = 0
    for (_city, _level), frame in areas.groupby(["city", "level"]):
        full += len(layer_to_geojson(frame.to_crs(config.WEB_CRS)))
    return simplified, full


def _line(name: str, value: float, unit: str, target: float | None = None, base: float | None = None) -> str:
    s = f"  {name:<34} {value:9.2f} {unit:<3}"
    if target is not None:
        s += f"   target ≤ {target:g} {unit} ({'ok' if value <= target else 'OVER'})"
    if base:
        s += f"   = {value / base:5.1f}× baseline"
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geodata", type=Path, default=config.GEODATA_DIR)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="raumatlas-bench-") as tmp:
        g = Path(tmp) / "geodata"
        shutil.copytree(args.geodata, g, ignore=shutil.ignore_patterns("processed", ".cache", "staging"))
        out = Path(tmp) / "processed"
        read_s, parse_s, nbytes = _baselines(g)
        build = ["build", "--geodata", str(g), "--out", str(out), "--quiet"]
        cold = _run([*build, "--force"])
        cached = _run([*build, "--force"])
        noop = _run(build)
        simplified, full = _web_bytes(out)
    print(f"Raumatlas pipeline benchmark ({nbytes / 1e6:.1f} MB of raw inputs, {os.cpu_count()} CPUs)")
    print("baselines (same run):")
    print(_line("plain byte read of all raw files", read_s, "s"))
    print(_line("parse every raw file (io readers)", parse_s, "s"))
    print("build:")
    print(_line("cold build (no cache)", cold[0], "s", TARGETS["cold_s"], parse_s))
    print(_line("rebuild --force (parse cache warm)", cached[0], "s", None, parse_s))
    print(_line("no-op rebuild", noop[0], "s", TARGETS["noop_s"], read_s if read_s > 0.01 else None))
    print(_line("peak memory, cold build", cold[1], "MB", TARGETS["peak_mb"]))
    print(_line("peak memory, no-op", noop[1], "MB"))
    print(f"  exit codes: cold {cold[2]}, cached {cached[2]}, no-op {noop[2]} "
          f"({'no-op confirmed' if 'nothing to do' in noop[3] else 'NOT a no-op'})")
    print("web layers:")
    print(f"  simplified {simplified / 1e6:.2f} MB vs unsimplified {full / 1e6:.2f} MB at the same precision "
          f"({simplified / full:.1%}; budget {config.WEB_TOTAL_MAX_BYTES / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
