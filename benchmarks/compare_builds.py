"""Prove that two builds hold the same data: every table value, every web layer byte, every finding.

Used to check that a performance change leaves the build's output unchanged:

    .venv/bin/python benchmarks/compare_builds.py OLD_PROCESSED NEW_PROCESSED

Compares, for two ``geodata/processed`` folders:

* every ``*.parquet`` (areas, indicators, locations, projects): same columns, dtypes, row
  order and values — exactly (``check_exact``; NaN only where NaN; geometries as WKB bytes)
  — and the same parquet schema metadata (GeoParquet's ``geo`` entry, CRS);
* ``catalog.json`` and every ``web/*.geojson``: byte for byte;
* ``manifest.json``: the same outputs (path, sha256, bytes, rows), findings, notes, counts and
  web-layer report; only what names the run itself may differ (creation time, stage
  seconds, the code hash and the versions derived from it, the geodata folder's location).

Prints one line per difference and exits 1 if there is any, 0 if the builds are identical.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

# Manifest keys that describe the run, not the data: allowed to differ.
RUN_KEYS = ("created", "stage_seconds", "code_version", "input_version", "city_versions", "build_version",
            "libraries")


def compare_builds(old: Path, new: Path) -> list[str]:
    """Differences between two build folders (an empty list: identical data)."""
    problems: list[str] = []
    names_old = {p.relative_to(old).as_posix() for p in old.rglob("*") if p.is_file()}
    names_new = {p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file()}
    for name in sorted(names_old ^ names_new):
        problems.append(f"{name}: only in {'old' if name in names_old else 'new'} build")
    for name in sorted(names_old & names_new):
        a, b = old / name, new / name
        if name.endswith(".parquet"):
            problems += [f"{name}: {p}" for p in _compare_parquet(a, b)]
        elif name == "manifest.json":
            problems += [f"{name}: {p}" for p in _compare_manifest(a, b)]
        elif a.read_bytes() != b.read_bytes():
            problems.append(f"{name}: bytes differ")
    return problems


def _compare_parquet(a: Path, b: Path) -> list[str]:
    import pandas as pd
    import pyarrow.parquet as pq

    ta, tb = pq.read_table(a), pq.read_table(b)
    out = []
    if not ta.schema.equals(tb.schema, check_metadata=True):
        out.append(f"schema differs:\n{ta.schema}\n---\n{tb.schema}")
    da, db = ta.to_pandas(), tb.to_pandas()  # geometry stays WKB bytes: compared exactly
    try:
        pd.testing.assert_frame_equal(da, db, check_exact=True, check_dtype=True, check_like=False)
    except AssertionError as err:
        out.append(f"values differ: {err}")
    return out


def _compare_manifest(a: Path, b: Path) -> list[str]:
    ma, mb = json.loads(a.read_text()), json.loads(b.read_text())
    out = []
    for key in sorted(set(ma) | set(mb)):
        if key in RUN_KEYS:
            continue
        va, vb = _plain(ma.get(key)), _plain(mb.get(key))
        if va != vb:
            out.append(f"'{key}' differs: {_short(va)} != {_short(vb)}")
    stages_a, stages_b = set(ma.get("stage_seconds", {})), set(mb.get("stage_seconds", {}))
    if stages_a != stages_b:
        out.append(f"stages differ: {sorted(stages_a ^ stages_b)}")
    return out


def _plain(x: Any) -> str:
    """JSON text with the geodata folder's own location replaced (two builds may read two copies)."""
    return re.sub(r'"[^"]*?/(raw|projects)/', r'"<geodata>/\1/', json.dumps(x, sort_keys=True, ensure_ascii=False))


def _short(s: str, n: int = 300) -> str:
    return s if len(s) <= n else s[:n] + "…"


def main(argv: list[str] | None = None) -> int:
    """Compare the two folders named on the command line; exit 1 on any difference."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__)
        return 2
    old, new = Path(args[0]), Path(args[1])
    problems = compare_builds(old, new)
    for p in problems:
        print(p)
    n = sum(1 for p in new.rglob("*") if p.is_file())
    print(f"{'IDENTICAL' if not problems else 'DIFFERENT'}: {old} vs {new} ({n} files, {len(problems)} differences)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
