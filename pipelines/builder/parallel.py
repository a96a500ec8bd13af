"""Munich's and Berlin's stage chains side by side: Berlin's in a forked process, Munich's here.

The two chains share nothing until the locations stage, and each takes about a third of a
cold build, so on two cores running them at once cuts the wall time by that much. The child
is a ``fork`` of this process (no re-import, the context is inherited as it is); it runs
:func:`~pipelines.builder.stages.build_berlin` with its own :class:`Runner` (no progress bar)
and sends back, pickled, what a serial run would have left behind: the areas, the indicator
parts and catalog rows, the findings it added (with their stage tags), its notes and its stage
timings. They are merged in the serial order — Munich's first, then Berlin's — so the build's
output is the same as a serial build's.

Anything unusual falls back to the serial order: one CPU, no ``fork`` (or
``RAUMATLAS_BUILD_PROCESSES=1``), or a child that fails for any reason — then Berlin's chain
runs again here, so an input error surfaces exactly as in a serial build.
"""

from __future__ import annotations

import copy
import gc
import multiprocessing
import pickle
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

import geopandas as gpd
import pandas as pd

from pipelines.builder.forks import PROCESSES_ENV, debug_children, parallel_possible
from pipelines.builder.stages import Runner, build_berlin, build_munich
from pipelines.stage import BuildContext

__all__ = ["PROCESSES_ENV", "Forked", "build_both_cities", "parallel_possible"]


def build_both_cities(ctx: BuildContext, run: Runner, parts: list[pd.DataFrame],
                      catalog: list[dict[str, Any]]) -> dict[str, gpd.GeoDataFrame]:
    """Both cities' areas (``{"munich": …, "berlin": …}``); parts, catalog and findings as a serial build."""
    if not parallel_possible():
        return {"munich": build_munich(ctx, run, parts, catalog), "berlin": build_berlin(ctx, run, parts, catalog)}
    mp = multiprocessing.get_context("fork")
    receive, send = mp.Pipe(duplex=False)
    child = mp.Process(target=_berlin_child, args=(ctx, run.total, send), daemon=True)
    _start(child)
    send.close()
    try:
        munich = build_munich(ctx, run, parts, catalog)
    except BaseException:
        child.kill()
        child.join()
        raise
    result = _receive(receive)
    child.join()
    if result is None:  # the child failed: run Berlin's chain here, so any error is raised as in a serial build
        return {"munich": munich, "berlin": build_berlin(ctx, run, parts, catalog)}
    return {"munich": munich, "berlin": _merge(ctx, run, parts, catalog, result)}


def _start(child: Any) -> None:
    """Fork ``child`` with the garbage collector's objects frozen (Python's advice for ``fork``).

    The child's collections would otherwise walk, and so copy page by page, every object it
    inherited: the copy-on-write faults cost more CPU than some of the stages.
    """
    gc.freeze()
    try:
        child.start()
    finally:
        gc.unfreeze()


def _receive(conn: Connection) -> dict[str, Any] | None:
    try:
        payload = conn.recv_bytes()
    except (EOFError, OSError):
        return None
    finally:
        conn.close()
    result = pickle.loads(payload)
    return result if isinstance(result, dict) and result.get("ok") else None


def _berlin_child(ctx: BuildContext, total: int, conn: Connection) -> None:
    """In the forked process: Berlin's chain, then everything it produced sent back pickled."""
    n_findings, notes_before = len(ctx.findings), copy.deepcopy(ctx.notes)
    run = Runner(ctx, None, total)
    parts: list[pd.DataFrame] = []
    catalog: list[dict[str, Any]] = []
    def produce() -> dict[str, Any]:
        areas = build_berlin(ctx, run, parts, catalog)
        notes = {k: v for k, v in ctx.notes.items() if k not in notes_before or notes_before[k] != v}
        return {"areas": areas, "parts": parts, "catalog": catalog, "findings": ctx.findings[n_findings:],
                "finding_stage": run.finding_stage, "seconds": run.seconds, "notes": notes}

    _send_result(conn, produce)


def _send_result(conn: Connection, produce: Any) -> None:
    """In a child: ``produce()`` pickled as ``{"ok": True, ...}``, or ``{"ok": False}`` if it raised; then close.

    A failure is reported by the parent's serial re-run; ``RAUMATLAS_BUILD_PROCESSES=debug``
    prints the child's trace too.
    """
    try:
        payload = pickle.dumps({"ok": True, **produce()}, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        if debug_children():
            traceback.print_exc(file=sys.stderr)
        payload = pickle.dumps({"ok": False})
    try:
        conn.send_bytes(payload)
    finally:
        conn.close()


def _merge(ctx: BuildContext, run: Runner, parts: list[pd.DataFrame], catalog: list[dict[str, Any]],
           result: dict[str, Any]) -> gpd.GeoDataFrame:
    """Berlin's results appended after Munich's, as if its stages had run here."""
    for name, seconds in result["seconds"].items():
        if run.progress:
            run.progress(name, run.done, run.total)
        run.seconds[name] = seconds
        run.done += 1
    ctx.findings.extend(result["findings"])
    run.finding_stage += result["finding_stage"]
    ctx.notes.update(result["notes"])
    parts += result["parts"]
    catalog += result["catalog"]
    return result["areas"]


class Forked:
    """``fn(*args)`` computed in a forked process while this one goes on; :meth:`result` collects it.

    For a pure function of tables that adds no findings (the web layers): ``result()`` returns
    its value and the seconds it took, or None if the child failed — the caller then runs it
    itself, at the place a serial build would, so an error surfaces there exactly as before.
    Without two cores or ``fork``, nothing is started and ``result()`` is None.
    """

    def __init__(self, fn: Any, *args: Any) -> None:
        self._conn: Connection | None = None
        self._child: Any = None
        if not parallel_possible():
            return
        mp = multiprocessing.get_context("fork")
        self._conn, send = mp.Pipe(duplex=False)
        self._child = mp.Process(target=_forked_child, args=(fn, args, send), daemon=True)
        _start(self._child)
        send.close()

    def result(self) -> tuple[Any, float] | None:
        """``(value, seconds)`` from the child, or None (not started or failed)."""
        if self._conn is None:
            return None
        got = _receive(self._conn)
        self._child.join()
        self._conn = None
        return (got["value"], got["seconds"]) if got is not None else None

    def cancel(self) -> None:
        """Stop the child (the build failed before its result was needed)."""
        if self._child is not None and self._child.is_alive():
            self._child.kill()
            self._child.join()


def _forked_child(fn: Any, args: tuple[Any, ...], conn: Connection) -> None:
    import time

    t0 = time.perf_counter()

    def produce() -> dict[str, Any]:
        value = fn(*args)
        return {"value": value, "seconds": time.perf_counter() - t0}

    _send_result(conn, produce)
