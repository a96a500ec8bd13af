"""Benchmark: hostile project files (issue 12) — time and extra memory to a verdict, target <= 10 s and <= 500 MB.

Each file is generated in memory (tests/hostile_files.py) and parsed in a fresh child
process, so the memory figure is that child's peak RSS minus its RSS after the imports. The
child runs with an address-space cap (``--cap-mb``, default 3000) and a wall-clock timeout
(``--timeout``, default 60 s) so that measuring an old, unbounded reader cannot take the
machine down: such a run prints "killed" or "MemoryError" instead of a number.

    .venv/bin/python benchmarks/bench_upload_limits.py                 # this checkout, in-process parser
    .venv/bin/python benchmarks/bench_upload_limits.py --sandbox       # through the app's sandbox
    .venv/bin/python benchmarks/bench_upload_limits.py --code OLD_DIR  # another checkout's parser (before/after)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile_files as hf  # noqa: E402

CASES = {
    "xlsx dimension A1:XFD1048576, 20,000 rows": lambda: (hf.xlsx_dimension_bomb(20_000), "bombe.xlsx"),
    "geojson 24,000 features, one new key each": lambda: (hf.geojson_distinct_keys(24_000), "keys.geojson"),
    "csv header with 1,000,000 columns": lambda: (hf.csv_wide_header(1_000_000), "wide.csv"),
    "csv with one 1 MB cell": lambda: (hf.csv_long_cell(1_000_000), "long.csv"),
    "xlsx 50,000 ordinary rows (baseline)": lambda: (hf.xlsx_dimension_bomb(50_000).replace(
        b'<dimension ref="A1:XFD1048576"/>', b""), "normal.xlsx"),
}

CHILD = r"""
import resource, sys, time
sys.path.insert(0, sys.argv[1])
import pandas, openpyxl
from pipelines.projects.read import parse_projects
from pipelines.projects.schema import load_project_schema
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
schema = load_project_schema()
cap = int(sys.argv[4]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
data = open(sys.argv[2], "rb").read()
base = rss()
t = time.perf_counter()
sandbox = sys.argv[5] == "1"
try:
    if sandbox:
        from pipelines.projects.sandbox import parse_isolated
        table = parse_isolated(data, sys.argv[3], schema)
    else:
        table = parse_projects(data, sys.argv[3], schema)
    verdict = f"read {len(table.frame)} rows, {len(table.problems)} findings"
except MemoryError:
    verdict = "MemoryError"
except Exception as err:
    verdict = "refused: " + (getattr(err, "message_en", "") or type(err).__name__)[:70]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{time.perf_counter() - t:.2f}|{peak - base:.0f}|{verdict}")
"""


def main() -> int:
    """Run every case and print seconds, extra MB and the verdict next to the targets."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose pipelines/ parses (default: this one)")
    ap.add_argument("--cap-mb", type=int, default=3000, help="address-space cap of the measuring child")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before the measuring child is killed")
    ap.add_argument("--sandbox", action="store_true", help="parse through pipelines.projects.sandbox (the app path)")
    args = ap.parse_args()
    print(f"code: {args.code}  (targets: <= 10 s, <= 500 MB extra; cap {args.cap_mb} MB, timeout {args.timeout:.0f} s;"
          f" {'sandbox' if args.sandbox else 'in-process parser'})")
    with tempfile.TemporaryDirectory() as tmp:
        for label, make in CASES.items():
            data, name = make()
            path = Path(tmp) / name
            path.write_bytes(data)
            env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
            t0 = time.perf_counter()
            try:
                out = subprocess.run([sys.executable, "-c", CHILD, str(args.code), str(path), name, str(args.cap_mb),
                                      "1" if args.sandbox else "0"], capture_output=True, text=True,
                                     timeout=args.timeout, env=env, cwd=args.code)
                line = out.stdout.strip().splitlines()[-1:] or [f"-|-|crashed: {out.stderr.strip()[-80:]}"]
                secs, mb, verdict = line[0].split("|", 2)
            except subprocess.TimeoutExpired:
                secs, mb, verdict = f">{args.timeout:.0f}", "-", "killed at the timeout"
            ok = secs.replace(".", "").isdigit() and float(secs) <= 10 and mb.lstrip("-").isdigit() and float(mb) <= 500
            print(f"{label:46s} {len(data) / 1e3:8.0f} KB  {secs:>7s} s  {mb:>6s} MB  "
                  f"{'OK ' if ok else 'OVER'}  {verdict}  (wall {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
