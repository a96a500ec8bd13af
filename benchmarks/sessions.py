"""The session loop shared by ``bench_app.py`` and ``bench_load.py``: N sessions opened at once, then waited for.

Two clients open the same sessions: :func:`browser_sessions` (tabs of one headless Chromium,
as a visitor; heavy on the client) and :func:`protocol_sessions` (Streamlit's own websocket
protocol, :mod:`st_client`; light on the client). Both start every session before waiting for
any, and count a session that did not draw both maps in time as a failure, not a crash.
:class:`RssSampler` records a server's peak RSS while they run; :func:`client_cpu` what the
client itself spent.
"""

from __future__ import annotations

import asyncio
import os
import resource
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_POLYGONS = (25, 143)  # Munich Stadtbezirke, Berlin Bezirksregionen: the default view's maps


@dataclass
class SessionRun:
    """N sessions: seconds until each had both maps (successful ones), failures, and what to close."""

    times: list[float] = field(default_factory=list)
    failures: int = 0
    errors: list[str] = field(default_factory=list)
    replicas: dict[str, int] = field(default_factory=dict)  # replica name -> sessions (behind deploy/nginx)
    handles: list = field(default_factory=list)  # browser pages or st_client.Session objects


def browser_sessions(ctx, url: str, n: int, timeout_ms: int = 300_000,  # noqa: ANN001 - playwright context
                     polygons: tuple[int, int] = DEFAULT_POLYGONS) -> SessionRun:
    """``n`` tabs of one browser context opened at once; waits until each drew both maps."""
    from tests.e2e.map_probe import wait_maps_drawn

    run = SessionRun(handles=[ctx.new_page() for _ in range(n)])
    t0 = time.perf_counter()
    for p in run.handles:
        p.goto(url, wait_until="commit")  # all sessions start before any is waited for
    for p in run.handles:
        try:
            wait_maps_drawn(p, polygons, timeout_ms=timeout_ms)
            run.times.append(time.perf_counter() - t0)
        except Exception as err:  # noqa: BLE001 - counted, not fatal
            run.failures += 1
            run.errors.append(type(err).__name__)
    return run


def close_browser_sessions(run: SessionRun) -> None:
    """Close every tab of :func:`browser_sessions`."""
    for p in run.handles:
        p.close()


def protocol_sessions(loop: asyncio.AbstractEventLoop, url: str, n: int, timeout_s: float = 300.0,
                      queries: list[str] | None = None) -> SessionRun:
    """``n`` websocket sessions (:mod:`st_client`) opened at once on ``loop``; they stay open until closed."""
    import st_client

    sessions = loop.run_until_complete(st_client.open_sessions(url, n, queries=queries, timeout_s=timeout_s))
    run = SessionRun(handles=sessions)
    for s in sessions:
        if s.error or s.maps_at is None:
            run.failures += 1
            run.errors.append(s.error or "no maps")
        else:
            run.times.append(s.maps_at)
        if s.replica:
            run.replicas[s.replica] = run.replicas.get(s.replica, 0) + 1
    return run


def close_protocol_sessions(loop: asyncio.AbstractEventLoop, run: SessionRun) -> None:
    """Close the websockets of :func:`protocol_sessions`."""
    import st_client

    loop.run_until_complete(st_client.close_sessions(run.handles))


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` in KiB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples the summed RSS of ``pids`` every ``every`` seconds in a thread; ``peak`` is the largest sum."""

    def __init__(self, pids: list[int], every: float = 0.2) -> None:
        self.pids, self.every, self.peak = pids, every, 0
        self.peaks = {p: 0 for p in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            each = {p: rss_kib(p) for p in self.pids}
            self.peak = max(self.peak, sum(each.values()))
            for p, v in each.items():
                self.peaks[p] = max(self.peaks[p], v)
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def settled_rss(pids: list[int], since: float, *, at_least_s: float, at_most_s: float, every: float = 5.0,
                tolerance: float = 0.01, trace: list[tuple[float, int]] | None = None) -> tuple[int, float]:
    """(summed RSS in KiB, seconds after ``since``) once ``at_least_s`` passed and three readings agree.

    A closed Streamlit session lingers for ``server.disconnectedSessionTTL`` (120 s): reading once at
    a fixed moment could catch the server halfway through letting it go. Readings agree when they
    differ by less than ``tolerance`` of the last; after ``at_most_s`` the last reading is returned.
    ``trace`` receives every reading as (seconds, KiB).
    """
    readings: list[int] = []
    while True:
        now = time.perf_counter() - since
        readings = (readings + [sum(rss_kib(p) for p in pids)])[-3:]
        if trace is not None:
            trace.append((now, readings[-1]))
        if now >= at_most_s or (now >= at_least_s and len(readings) == 3
                                and max(readings) - min(readings) <= tolerance * readings[-1]):
            return readings[-1], now
        time.sleep(every)


def client_cpu(browser_profile: str | None = None) -> float:
    """CPU seconds of this process, plus every Chromium process of ``browser_profile`` (the client's whole cost)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    total = ru.ru_utime + ru.ru_stime
    if not browser_profile:
        return total
    tick = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if browser_profile.encode() not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except OSError:
            continue
    return total
