"""Stage cache (:mod:`pipelines.builder.cache`): reuse on the same key, recompute on any changed input.

The stage function is a counter, so each test sees whether it ran; the code a key depends on is
a tiny fake ``pipelines/`` folder, so "changed code" needs no edit of the real package.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines import config
from pipelines.builder import cache
from pipelines.builder.cache import cached_stage, stage_key
from pipelines.registry import Source, SourceFile
from pipelines.stage import BuildContext

TABLE = pd.DataFrame({"city": ["munich"], "level": ["stadt"], "area_id": ["muc"], "indicator_id": ["x"],
                      "period": ["2024-12-31"], "value": [1.5]})
CATALOG = [{"indicator_id": "x", "label_de": "X"}]


def _source(sha: str, kind: str = "munich_indikatorenatlas") -> Source:
    return Source(id="s1", kind=kind, city="munich", title="t", publisher="p", licence="l", attribution="a",
                  url="u", reference_date="2024-12-31", files=(SourceFile("raw/a.xlsx", sha),))


@pytest.fixture
def code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake package folder: the stage's module and the shared modules the key hashes."""
    pkg = tmp_path / "pipelines"
    (pkg / "builder").mkdir(parents=True)
    for name in cache.SHARED_MODULES:
        (pkg / name).write_text(f"# {name}\n")
    (pkg / "stage_mod.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(cache, "PIPELINE_DIR", pkg)
    return pkg


def _ctx(tmp_path: Path, sha: str = "a" * 64) -> BuildContext:
    geodata = tmp_path / "geodata"
    geodata.mkdir(exist_ok=True)
    return BuildContext(config.resolve_paths(geodata), [_source(sha)], {})


class Counter:
    """A stage that records a finding and a note, and counts its calls."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx, self.calls = ctx, 0

    def __call__(self) -> tuple[pd.DataFrame, list[dict[str, str]]]:
        self.calls += 1
        self.ctx.add("warning", "fake", "a finding the cached run must repeat")
        self.ctx.notes["fake"] = "note"
        return TABLE.copy(), CATALOG


def _key(ctx: BuildContext, frames: list[pd.DataFrame] | None = None) -> str:
    return stage_key(ctx, "fake", ["munich_indikatorenatlas"], ["stage_mod.py"], frames or [TABLE])


def test_same_key_reuses_without_calling_the_stage(tmp_path: Path, code: Path) -> None:
    ctx = _ctx(tmp_path)
    stage = Counter(ctx)
    first = cached_stage(ctx, ctx.paths.cache, "fake", _key(ctx), stage)
    fresh = _ctx(tmp_path)
    again = cached_stage(fresh, fresh.paths.cache, "fake", _key(fresh), Counter(fresh))
    assert stage.calls == 1
    pd.testing.assert_frame_equal(again[0], first[0])
    assert again[1] == CATALOG
    assert [f.message for f in fresh.findings] == ["a finding the cached run must repeat"]
    assert fresh.notes["fake"] == "note" and fresh.notes["cache"]


def _recomputes(ctx: BuildContext, key: str) -> bool:
    stage = Counter(ctx)
    cached_stage(ctx, ctx.paths.cache, "fake", key, stage)
    return stage.calls == 1


def test_changed_input_file_hash_recomputes(tmp_path: Path, code: Path) -> None:
    ctx = _ctx(tmp_path)
    cached_stage(ctx, ctx.paths.cache, "fake", _key(ctx), Counter(ctx))
    changed = _ctx(tmp_path, sha="b" * 64)
    assert _key(changed) != _key(ctx)
    assert _recomputes(changed, _key(changed))


def test_a_source_of_another_kind_does_not_change_the_key(tmp_path: Path, code: Path) -> None:
    ctx = _ctx(tmp_path)
    other = BuildContext(ctx.paths, [*ctx.sources, _source("c" * 64, kind="berlin_mss_indizes")], {})
    assert _key(other) == _key(ctx)


def test_changed_code_recomputes(tmp_path: Path, code: Path) -> None:
    ctx = _ctx(tmp_path)
    before = _key(ctx)
    cached_stage(ctx, ctx.paths.cache, "fake", before, Counter(ctx))
    (code / "stage_mod.py").write_text("VALUE = 2\n")
    assert _key(ctx) != before
    (code / "stage_mod.py").write_text("VALUE = 1\n")
    (code / "aggregate.py").write_text("# changed ground floor\n")
    assert _key(ctx) != before
    assert _recomputes(ctx, _key(ctx))


def test_changed_registry_or_input_table_changes_the_key(tmp_path: Path, code: Path) -> None:
    ctx = _ctx(tmp_path)
    before = _key(ctx)
    ctx.paths.indicators_registry.write_text("[[indicator]]\n")
    assert _key(ctx) != before
    assert _key(ctx, [TABLE.assign(value=2.5)]) != _key(ctx)


@pytest.mark.parametrize("damage", ["table", "meta"])
def test_damaged_cache_entry_is_recomputed(tmp_path: Path, code: Path, damage: str) -> None:
    ctx = _ctx(tmp_path)
    key = _key(ctx)
    cached_stage(ctx, ctx.paths.cache, "fake", key, Counter(ctx))
    suffix = ".parquet" if damage == "table" else ".json"
    (ctx.paths.cache / f"fake-{key}{suffix}").write_bytes(b"\x00 not what was written")
    fresh = _ctx(tmp_path)
    stage = Counter(fresh)
    out, catalog = cached_stage(fresh, fresh.paths.cache, "fake", key, stage)
    assert stage.calls == 1
    pd.testing.assert_frame_equal(out, TABLE)
    assert catalog == CATALOG and "cache" not in fresh.notes
    # the recomputed entry replaced the damaged one
    again = _ctx(tmp_path)
    assert not _recomputes(again, key)


def test_new_key_replaces_the_old_entry(tmp_path: Path, code: Path) -> None:
    ctx = _ctx(tmp_path)
    cached_stage(ctx, ctx.paths.cache, "fake", "k1", Counter(ctx))
    cached_stage(ctx, ctx.paths.cache, "fake", "k2", Counter(ctx))
    assert sorted(p.name for p in ctx.paths.cache.iterdir()) == ["fake-k2.json", "fake-k2.parquet"]
