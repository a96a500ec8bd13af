"""Reuse a slow stage's output when its own inputs are byte-identical (``geodata/.cache``).

The Indikatorenatlas stage parses three workbooks (~100k rows) and checks every
indicator against the published city value; when only Berlin inputs or other
code changed, its result is the same. The cache key hashes everything the stage
depends on: the sha256 of its registered files, the registries, the source of
the modules it runs, and the tables passed in. Findings and notes the stage
recorded are cached too, so a cached build reports exactly what a fresh one does.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import io
from pipelines.builder.manifest import PIPELINE_DIR, registry_hashes
from pipelines.errors import InputError
from pipelines.stage import BuildContext, Finding

# Paths relative to pipelines/ (glob patterns): the ground floor every stage stands on, and this cache.
SHARED_MODULES = ("aggregate.py", "config.py", "errors.py", "io.py", "registry.py", "stage.py", "builder/cache.py")


def stage_key(ctx: BuildContext, name: str, kinds: Iterable[str], modules: Iterable[str],
              frames: Iterable[pd.DataFrame]) -> str:
    """sha256 over the stage's registered files, the registries, its code and its input tables."""
    h = hashlib.sha256(name.encode())
    kinds = set(kinds)
    for s in sorted(ctx.sources, key=lambda s: s.id):
        if s.kind in kinds:
            h.update(json.dumps([s.id, s.extra, [f.sha256 for f in s.files]], sort_keys=True).encode())
    for entry in registry_hashes(ctx.paths.geodata):
        h.update(entry["sha256"].encode())
    for pattern in (*modules, *SHARED_MODULES):
        for p in sorted(PIPELINE_DIR.glob(pattern)):
            h.update(p.relative_to(PIPELINE_DIR).as_posix().encode() + io.read_bytes(p))
    for df in frames:
        plain = pd.DataFrame({c: df[c].astype(str) for c in df.columns if c != "geometry"})
        h.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
        h.update(",".join(plain.columns).encode())
    return h.hexdigest()[:32]


StageOutput = tuple[pd.DataFrame, list[dict[str, Any]]]


def cached_stage(ctx: BuildContext, cache_dir: Path, name: str, key: str,
                 fn: Callable[[], StageOutput]) -> StageOutput:
    """Return ``fn()``'s (indicators, catalog), from ``cache_dir`` when ``key`` was computed before."""
    table, meta = cache_dir / f"{name}-{key}.parquet", cache_dir / f"{name}-{key}.json"
    if table.exists() and meta.exists():
        try:
            return _load(ctx, table, meta)
        except (OSError, ValueError, KeyError, TypeError, InputError):
            pass  # a damaged cache entry is simply recomputed (io raises InputError for an unreadable file)
    n_findings, notes_before = len(ctx.findings), copy.deepcopy(ctx.notes)
    indicators, catalog = fn()
    findings = [f.to_dict() for f in ctx.findings[n_findings:]]
    notes = {k: v for k, v in ctx.notes.items() if k not in notes_before or notes_before[k] != v}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(f"{name}-*"):
            old.unlink(missing_ok=True)
        io.write_parquet(indicators, table)
        io.write_json(meta, {"catalog": catalog, "findings": findings, "notes": notes})
    except (OSError, ValueError, TypeError):
        pass  # the cache is an optimisation; a read-only geodata folder still builds
    return indicators, catalog


def _load(ctx: BuildContext, table: Path, meta: Path) -> StageOutput:
    data = io.read_json(meta)
    indicators = io.read_parquet(table)
    ctx.findings += [Finding(**f) for f in data["findings"]]
    ctx.notes.update(data["notes"])
    ctx.notes.setdefault("cache", []).append(f"{table.stem} reused from {table.parent.name}/")
    return indicators, data["catalog"]
