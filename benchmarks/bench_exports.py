"""Benchmark: the exports for reports and talks (timing only; needs a build in geodata/processed).

    .venv/bin/python benchmarks/bench_exports.py [--skip-all] [--jobs N]

Each part prints wall-clock and CPU seconds next to its target (issue 9): one slide as
PNG (<= 2 s), one area profile PDF (<= 1.5 s), all 143 Berlin Bezirksregion profiles
(<= 60 s), and peak memory. "cold" is the console script in a new process (imports and
reading the build included, as a user runs it); "warm" reuses the tables already read
(as the app's download buttons and ``--all`` do). Wall-clock times depend on the load
of the machine: the CPU seconds say what the work itself costs.

A part is a function returning ``Result`` rows; add one (e.g. ``bench_deck``) to ``PARTS``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VIEW = "ind=unemployment_share&lvl_muc=stadtbezirk&lvl_ber=bezirksregion&cls=quantiles&k=5&scale=own"
PROFILE = ("berlin", "bezirksregion", "011001")


@dataclass
class Result:
    """One measured number: what, wall seconds, CPU seconds, target seconds (None = no target)."""

    name: str
    wall: float
    cpu: float | None = None
    target: float | None = None
    note: str = ""

    def line(self) -> str:
        """``name  wall s (cpu s)  target  OK/SLOW  note``."""
        cpu = f" (CPU {self.cpu:5.2f} s)" if self.cpu is not None else ""
        verdict = "" if self.target is None else (f"  target <= {self.target:g} s: "
                                                  + ("OK" if self.wall <= self.target else "SLOW"))
        return f"{self.name:<44} {self.wall:7.2f} s{cpu}{verdict}{('  ' + self.note) if self.note else ''}"


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def _cli(*args: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``python -m dashboard.cli ARGS`` in a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dashboard.cli", *args], cwd=ROOT, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - w0, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_png(tmp: Path) -> list[Result]:
    """One 1920x1080 slide as PNG: cold (console script) and warm (tables read)."""
    from dashboard.deck_data import read_build
    from dashboard.export_slide import export_view

    out = tmp / "view.png"
    cold = _cli("export-view", VIEW, "--out", str(out))
    data = read_build()
    export_view(VIEW, out, data=data)  # first call reads the tables
    warm = _timed(lambda: export_view(VIEW, out, data=data))
    fine = _timed(lambda: export_view(VIEW + "&lvl_ber=planungsraum", out, data=data))
    return [Result("export-view PNG 1920x1080, cold (new process)", *cold, 2.0),
            Result("export-view PNG 1920x1080, warm", *warm, 2.0),
            Result("export-view PNG, 542 Planungsräume, warm", *fine, 2.0),
            Result("  PNG size", 0.0, note=f"{out.stat().st_size / 1e3:.0f} kB")]


def bench_profile(tmp: Path) -> list[Result]:
    """One area profile PDF: cold (console script) and warm."""
    from dashboard.deck_data import read_build
    from dashboard.export_profile import export_profile

    city, level, area = PROFILE
    out = tmp / "profile.pdf"
    cold = _cli("profile", "--city", city, "--level", level, "--area", area, "--out", str(out))
    data = read_build()
    export_profile(out, city, level, "011002", data=data)
    warm = _timed(lambda: export_profile(out, city, level, area, data=data))
    return [Result("profile PDF (Bezirksregion), cold (new process)", *cold, 1.5),
            Result("profile PDF (Bezirksregion), warm", *warm, 1.5),
            Result("  profile PDF size", 0.0, note=f"{out.stat().st_size / 1e3:.0f} kB")]


def bench_all_profiles(tmp: Path, jobs: int | None = None) -> list[Result]:
    """``raumatlas profile --city berlin --level bezirksregion --all`` (143 PDFs) in a new process."""
    out = tmp / "all"
    args = ["profile", "--city", "berlin", "--level", "bezirksregion", "--all", "--out", str(out)]
    wall, cpu = _cli(*args, *(["--jobs", str(jobs)] if jobs else []))
    n = len(list(out.glob("*.pdf")))
    size = sum(p.stat().st_size for p in out.glob("*.pdf"))
    return [Result(f"profile --all: {n} Bezirksregion PDFs", wall, cpu, 60.0,
                   note=f"{size / 1e6:.1f} MB, {wall / max(n, 1):.2f} s per profile")]


PARTS: list[Callable[..., list[Result]]] = [bench_png, bench_profile, bench_all_profiles]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-all", action="store_true", help="leave out the 143 profiles")
    parser.add_argument("--jobs", type=int, default=None, help="processes for --all (default: CPUs, at most 4)")
    args = parser.parse_args()
    from pipelines import config

    if not (config.resolve_paths().out / "manifest.json").exists():
        sys.exit("no build in geodata/processed: run `raumatlas build` first")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        for part in PARTS:
            if part is bench_all_profiles:
                if args.skip_all:
                    continue
                rows = part(Path(tmp), args.jobs)
            else:
                rows = part(Path(tmp))
            for r in rows:
                print(r.line(), flush=True)
            results += rows
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory (max RSS): this process {own:.0f} MB, largest command process {child:.0f} MB")


if __name__ == "__main__":
    main()
