"""Benchmark: ``raumatlas deck`` for the bundled stories (targets: build <= 10 s, file <= 8 MB) and its peak memory.

Runs the real command in a subprocess (as a speaker would, imports included) on the current
build in ``geodata/processed`` (built first when missing), writes the deck to a temp dir and
deletes it afterwards. :func:`bench_deck` is meant to join ``bench_exports.py``.

    .venv/bin/python benchmarks/bench_deck.py [--lang de|en] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS, TARGET_BYTES = 10.0, 8_000_000


def bench_deck(lang: str = "de", runs: int = 2) -> dict[str, float]:
    """Best wall time of ``runs`` deck builds (s), the deck's size (bytes) and the peak RSS of a build (MiB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not (ROOT / "geodata" / "processed" / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "pipelines", "build", "--quiet"], cwd=ROOT, env=env, check=True)
    times, size = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "deck.html"
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "dashboard.cli", "deck", "--lang", lang, "--out", str(out)],
                           cwd=ROOT, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
            size = out.stat().st_size
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": min(times), "bytes": size, "peak_mib": peak_mib}


def main() -> int:
    """Print the numbers next to their targets; exit 1 when a target is missed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lang", choices=("de", "en"), default="de")
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    r = bench_deck(args.lang, args.runs)
    ok_t, ok_b = r["seconds"] <= TARGET_SECONDS, r["bytes"] <= TARGET_BYTES
    print(f"deck build (raumatlas deck, {args.lang}, best of {args.runs}): {r['seconds']:.1f} s "
          f"(target <= {TARGET_SECONDS:.0f} s) {'OK' if ok_t else 'MISSED'}")
    print(f"deck size: {r['bytes'] / 1e6:.2f} MB (target <= {TARGET_BYTES / 1e6:.0f} MB) {'OK' if ok_b else 'MISSED'}")
    print(f"deck build peak memory: {r['peak_mib']:.0f} MiB (max RSS of the build process)")
    return 0 if ok_t and ok_b else 1


if __name__ == "__main__":
    sys.exit(main())
