"""The two cities' chains side by side (:mod:`pipelines.builder.parallel`): the same results as in serial order.

Toy chains stand in for the real stages (the real build's identity with a serial build is checked by
``benchmarks/compare_builds.py`` on the bundled data): findings, notes, tables and catalog rows of the
forked Berlin chain land after Munich's, exactly as a serial run leaves them; a failing child is re-run
here so its error surfaces as in a serial build.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from pipelines import config
from pipelines.builder import forks, parallel
from pipelines.builder.stages import Runner
from pipelines.errors import InputError
from pipelines.stage import BuildContext


def _ctx() -> BuildContext:
    return BuildContext(paths=config.resolve_paths(None, None), sources=[], indicator_registry={})


def _munich(ctx: BuildContext, run: Runner, parts: list, catalog: list) -> str:
    run("munich.areas", lambda: ctx.add("info", "munich", "m1"))
    ctx.notes["munich_note"] = 1
    parts.append(pd.DataFrame({"city": ["munich"]}))
    catalog.append({"indicator_id": "m"})
    return "munich-areas"


def _berlin(ctx: BuildContext, run: Runner, parts: list, catalog: list) -> str:
    run("berlin.areas", lambda: ctx.add("warning", "berlin", "b1"))
    run("berlin.population", lambda: ctx.add("info", "berlin", "b2"))
    ctx.notes.setdefault("berlin_total", {})["2021"] = 3.0
    parts.append(pd.DataFrame({"city": ["berlin"]}))
    catalog.append({"indicator_id": "b"})
    return "berlin-areas"


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test process may hold other threads (browser fixtures); the toy chains fork safely anyway."""
    monkeypatch.setattr(forks.threading, "active_count", lambda: 1)


def _run_both(monkeypatch: pytest.MonkeyPatch, processes: str) -> tuple[dict, BuildContext, Runner, list, list]:
    monkeypatch.setenv(parallel.PROCESSES_ENV, processes)
    monkeypatch.setattr(parallel, "build_munich", _munich)
    monkeypatch.setattr(parallel, "build_berlin", _berlin)
    ctx = _ctx()
    run = Runner(ctx, None, 3)
    parts: list = []
    catalog: list = []
    areas = parallel.build_both_cities(ctx, run, parts, catalog)
    return areas, ctx, run, parts, catalog


@pytest.mark.skipif(not parallel.parallel_possible(), reason="needs two cores and fork")
def test_forked_berlin_chain_merges_like_a_serial_run(monkeypatch: pytest.MonkeyPatch) -> None:
    forked = _run_both(monkeypatch, "2")
    serial = _run_both(monkeypatch, "1")
    for got, want in zip(forked, serial, strict=True):
        if isinstance(got, BuildContext):
            assert [f.to_dict() for f in got.findings] == [f.to_dict() for f in want.findings]
            assert got.notes == want.notes
        elif isinstance(got, Runner):
            assert got.finding_stage == want.finding_stage == ["munich.areas", "berlin.areas", "berlin.population"]
            assert list(got.seconds) == list(want.seconds) and got.done == want.done == 3
        elif isinstance(got, list) and got and isinstance(got[0], pd.DataFrame):
            assert [p["city"].tolist() for p in got] == [p["city"].tolist() for p in want] == [["munich"], ["berlin"]]
        else:
            assert got == want


@pytest.mark.skipif(not parallel.parallel_possible(), reason="needs two cores and fork")
def test_failing_berlin_child_is_rerun_here_and_raises_as_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: BuildContext, run: Runner, parts: list, catalog: list) -> str:
        raise InputError(Path("raw/berlin/x.csv"), "is broken", fix="download it again")

    monkeypatch.setenv(parallel.PROCESSES_ENV, "2")
    monkeypatch.setattr(parallel, "build_munich", _munich)
    monkeypatch.setattr(parallel, "build_berlin", broken)
    ctx = _ctx()
    with pytest.raises(InputError, match="is broken"):
        parallel.build_both_cities(ctx, Runner(ctx, None, 3), [], [])
    assert [f.message for f in ctx.findings] == ["m1"]  # Munich ran first, Berlin's error came after it


def test_forked_function_returns_its_value_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    job = parallel.Forked(sorted, [3, 1, 2])
    got = job.result()
    if parallel.parallel_possible():
        assert got is not None and got[0] == [1, 2, 3] and got[1] >= 0
    else:
        assert got is None
    assert parallel.Forked(int, "not a number").result() is None  # failed child: the caller runs it itself
    monkeypatch.setenv(parallel.PROCESSES_ENV, "1")
    assert parallel.Forked(sorted, [2, 1]).result() is None  # switched off: nothing started


def test_a_process_with_other_threads_builds_serially(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Streamlit server (many threads) never forks a build: a copied lock could hang the child."""
    monkeypatch.undo()  # the real thread count
    monkeypatch.delenv(parallel.PROCESSES_ENV, raising=False)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    worker.start()
    try:
        assert not parallel.parallel_possible()
        assert parallel.Forked(sorted, [2, 1]).result() is None  # nothing forked: the caller runs it itself
    finally:
        stop.set()
        worker.join()
