"""Benchmark: hostile project files (issue 12) — time and extra memory to a verdict, target <= 10 s and <= 500 MB.

Each file is generated in memory (tests/hostile_files.py) and parsed in a fresh child
process, so the memory figure is that child's peak RSS minus its RSS after the imports; the
time figures are wall time and CPU time of the parse (with ``--sandbox``: the sandbox child's
CPU time and peak RSS). The 10 s target is CPU time, as the sandbox's limit is; the wall time
on a loaded machine is longer. The worst cases under the 10 MB cap: max_cells of shared
strings, 9.9 MB of unique strings, openpyxl's inline strings, irregular XML just under and
over the tag budget, empty cells and rows, huge styles parts, junk before the data. The
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile_files as hf  # noqa: E402

MB = 1_000_000
CASES = {
    "xlsx dimension A1:XFD1048576, 20,000 rows": lambda: (hf.xlsx_dimension_bomb(20_000), "bombe.xlsx"),
    "geojson 24,000 features, one new key each": lambda: (hf.geojson_distinct_keys(24_000), "keys.geojson"),
    "csv header with 1,000,000 columns": lambda: (hf.csv_wide_header(1_000_000), "wide.csv"),
    "csv with one 1 MB cell": lambda: (hf.csv_long_cell(1_000_000), "long.csv"),
    "xlsx 50,000 ordinary rows (baseline)": lambda: (hf.xlsx_dimension_bomb(50_000).replace(
        b'<dimension ref="A1:XFD1048576"/>', b""), "normal.xlsx"),
    # worst cases under the 10 MB cap (issue 12: any file under the cap judged in <= 10 s and <= 500 MB)
    "xlsx 99,999 rows x 8, inline strings (openpyxl)": lambda: (hf.xlsx_dimension_bomb(99_999).replace(
        b'<dimension ref="A1:XFD1048576"/>', b""), "inline.xlsx"),
    "xlsx 99,999 rows x 20 = max_cells, shared strings": lambda: (hf.xlsx_shared_strings(99_999), "cells.xlsx"),
    "xlsx 90,000 x 20 unique shared strings (9.9 MB)": lambda: (hf.xlsx_shared_strings(90_000, unique=True),
                                                                "unique.xlsx"),
    "xlsx irregular XML just under the tag budget": lambda: (hf.xlsx_irregular(34_000), "irregular.xlsx"),
    "xlsx irregular XML, 100,000 rows (over budget)": lambda: (hf.xlsx_irregular(100_000), "irregular2.xlsx"),
    "xlsx 4,100,000 empty styled cells": lambda: (hf.xlsx_empty_cells(4_100_000), "empty.xlsx"),
    "xlsx 1,000,000 rows without cells": lambda: (hf.xlsx_empty_rows(1_000_000), "rows.xlsx"),
    "xlsx styles part of 190,000 tags (under count)": lambda: (hf.xlsx_big_styles(190_000), "styles.xlsx"),
    "xlsx styles part of 4,000,000 tags": lambda: (hf.xlsx_big_styles(4_000_000), "styles2.xlsx"),
    "xlsx 40,000,000 tags before <sheetData>": lambda: (hf.xlsx_junk_before_data(40_000_000), "junk.xlsx"),
}

CHILD = r"""
import os, resource, sys, time
sys.path.insert(0, sys.argv[1])
import pandas, openpyxl
from pipelines.projects.read import parse_projects
from pipelines.projects.schema import load_project_schema
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
def rss():
    return status("VmRSS")
schema = load_project_schema()
cap = int(sys.argv[4]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
data = open(sys.argv[2], "rb").read()
open("/proc/self/clear_refs", "w").write("5")  # peak RSS from here (ru_maxrss would include the parent's, from fork)
base = rss()
u0 = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = u0.ru_utime + u0.ru_stime
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
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = status("VmHWM")
if sandbox:  # the parse ran in the sandbox's own child: its CPU time (imports included) and peak RSS
    child = resource.getrusage(resource.RUSAGE_CHILDREN)  # (Linux: a peak counted from the fork of this process)
    cpu, peak = child.ru_utime + child.ru_stime, child.ru_maxrss / 1024
else:
    cpu = usage.ru_utime + usage.ru_stime - cpu0
print(f"{time.perf_counter() - t:.2f}|{peak - base:.0f}|{cpu:.2f}|{verdict}")
"""


def main() -> int:
    """Run every case and print seconds, extra MB and the verdict next to the targets."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose pipelines/ parses (default: this one)")
    ap.add_argument("--cap-mb", type=int, default=3000, help="address-space cap of the measuring child")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before the measuring child is killed")
    ap.add_argument("--sandbox", action="store_true", help="parse through pipelines.projects.sandbox (the app path)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}/{os.getloadavg()[1]:.1f} on {os.cpu_count()} CPUs; "
          f"code: {args.code}  (targets: <= 10 s, <= 500 MB extra; cap {args.cap_mb} MB, timeout {args.timeout:.0f} s;"
          f" {'sandbox' if args.sandbox else 'in-process parser'})")
    with tempfile.TemporaryDirectory() as tmp:
        for label, make in CASES.items():
            data, name = make()
            if len(data) > 10 * MB:
                print(f"{label:50s} {len(data) / 1e3:8.0f} KB  over the 10 MB cap: not a case")
                continue
            path = Path(tmp) / name
            path.write_bytes(data)
            env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
            try:
                out = subprocess.run([sys.executable, "-c", CHILD, str(args.code), str(path), name, str(args.cap_mb),
                                      "1" if args.sandbox else "0"], capture_output=True, text=True,
                                     timeout=args.timeout, env=env, cwd=args.code)
                line = out.stdout.strip().splitlines()[-1:] or [f"-|-|-|crashed: {out.stderr.strip()[-80:]}"]
                secs, mb, cpu, verdict = line[0].split("|", 3)
            except subprocess.TimeoutExpired:
                secs, mb, cpu, verdict = f">{args.timeout:.0f}", "-", "-", "killed at the timeout"
            ok = cpu.replace(".", "").isdigit() and float(cpu) <= 10 and mb.lstrip("-").isdigit() and float(mb) <= 500
            print(f"{label:50s} {len(data) / 1e3:8.0f} KB  {secs:>6s} s wall {cpu:>6s} s CPU {mb:>5s} MB  "
                  f"{'OK ' if ok else 'OVER'}  {verdict[:90]}  (load {os.getloadavg()[0]:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
