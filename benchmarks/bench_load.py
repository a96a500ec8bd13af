"""Load benchmark (issue 12): N concurrent sessions — server RSS, time until each has both maps, RSS after close.

For each N (default 10, 30, 60) N sessions are opened at once on the real app and held open until
all have both maps; then all are closed. Per N it prints: the server's peak RSS while the N
sessions ran (sampled every 0.2 s; target: 60 sessions <= 1.2 GB), the time until each session
had both maps (median, maximum), failures, the server's RSS ``--settle`` seconds after all were
closed (target: within 10 % of the warm baseline; ``--after-ttl 130`` reads it again once Streamlit's
``server.disconnectedSessionTTL`` of 120 s has let the closed sessions go, polled until three readings
agree; ``dashboard/memory.py`` lets a session with nothing but its URL go after 30 s), the load average,
and the client's CPU time next to the wall time: a client that is not the bottleneck uses far less than
wall x cores.

Clients (``--client``): ``ws`` (default) speaks Streamlit's websocket protocol with the message
classes of the ``streamlit`` package and fetches each map's geometry file (``benchmarks/st_client.py``);
``browser`` opens tabs of one headless Chromium (the visitor's real cost on the client).

``--views 1000`` instead opens 1,000 different view URLs one after another (4 at a time) and
prints the server RSS every 100 views: bounded caches (``max_entries`` in ``dashboard/loaders.py``)
keep it flat once they are full.

``--url``/``--pids`` measure a server that already runs (e.g. ``deploy/run_replicas.sh`` behind
nginx: sessions per replica are counted from the ``X-Raumatlas-Replica`` header).

    .venv/bin/python benchmarks/bench_load.py [--sessions 10,30,60] [--settle 60] [--client ws|browser]
    .venv/bin/python benchmarks/bench_load.py --views 1000
    .venv/bin/python benchmarks/bench_load.py --url http://127.0.0.1:8600 --pids 123,456 --sessions 20

Measures; asserts nothing. Timings depend on machine load: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from sessions import (  # noqa: E402
    RssSampler,
    SessionRun,
    browser_sessions,
    client_cpu,
    close_browser_sessions,
    close_protocol_sessions,
    protocol_sessions,
    rss_kib,
    settled_rss,
)


def load_text() -> str:
    """The load average (1 and 5 minutes): timings are read next to it."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def mib(kib: int) -> str:
    """KiB as whole MiB."""
    return f"{kib / 1024:.0f} MiB"


@contextlib.contextmanager
def app_server(url: str | None, pids: str, log: str = "bench-load-streamlit.log") -> Iterator[tuple[str, list[int]]]:
    """(base URL, server pids): the given server, or the app started here like a user starts it (``log``)."""
    if url:
        yield url.rstrip("/"), [int(p) for p in pids.split(",") if p.strip()]
        return
    from tests.e2e.harness import ARTIFACTS, running_app

    with running_app(ARTIFACTS / log) as server:
        yield server.url, [server.process.pid]


class Client:
    """Opens and closes N sessions with the chosen client; knows its own CPU time."""

    def __init__(self, kind: str, stack: contextlib.ExitStack) -> None:
        self.kind, self.profile, self.ctx = kind, None, None
        self.loop = asyncio.new_event_loop()
        stack.callback(self.loop.close)
        if kind == "browser":
            from playwright.sync_api import sync_playwright

            from tests.e2e.harness import NetworkGuard, launch_browser

            pw = stack.enter_context(sync_playwright())
            self.profile = stack.enter_context(tempfile.TemporaryDirectory())
            self.ctx = launch_browser(pw, Path(self.profile), NetworkGuard())
            stack.callback(self.ctx.close)

    def open(self, url: str, n: int, timeout_s: float, queries: list[str] | None = None) -> SessionRun:
        """``n`` sessions at once, each waited for until both maps are there (or the timeout)."""
        if self.kind == "browser":
            return browser_sessions(self.ctx, url + ("/?" + queries[0] if queries else ""), n,
                                    timeout_ms=int(timeout_s * 1000))
        return protocol_sessions(self.loop, url, n, timeout_s, queries)

    def close(self, run: SessionRun) -> None:
        """Close every session of ``run``."""
        if self.kind == "browser":
            close_browser_sessions(run)
        else:
            close_protocol_sessions(self.loop, run)

    def cpu(self) -> float:
        """CPU seconds the client has used so far (this process, plus Chromium for the browser client)."""
        return client_cpu(self.profile)


def measure_sessions(client: Client, url: str, pids: list[int], counts: list[int], settle: float,
                     timeout_s: float, ttl_wait: float = 0.0) -> None:
    """One row per N: peak RSS, time to maps, failures, RSS after close, client CPU / wall."""
    after_col = f"RSS +{settle:.0f} s"
    print(f"{'N':>4} {'peak RSS':>10} {'maps median':>12} {'maps max':>9} {'failed':>7} {after_col:>10} {'vs warm':>8}"
          f" {'client CPU/wall':>16}  load    replicas")
    for n in counts:
        base = sum(rss_kib(p) for p in pids)
        cpu0, wall0 = client.cpu(), time.perf_counter()
        with RssSampler(pids) as sampler:
            run = client.open(url, n, timeout_s)
        wall, cpu = time.perf_counter() - wall0, client.cpu() - cpu0
        client.close(run)
        closed = time.perf_counter()
        time.sleep(settle)
        after = sum(rss_kib(p) for p in pids)
        gone = ""
        if ttl_wait > settle:  # Streamlit keeps a closed session for server.disconnectedSessionTTL (120 s)
            left, secs = settled_rss(pids, closed, at_least_s=ttl_wait, at_most_s=ttl_wait + 30)
            gone = f"  RSS +{secs:.0f} s {mib(left)} ({(left - base) / max(base, 1) * 100:+.0f}% vs warm)"
        med = f"{statistics.median(run.times):.1f} s" if run.times else "-"
        worst = f"{max(run.times):.1f} s" if run.times else "-"
        per = " ".join(f"{k}:{v}" for k, v in sorted(run.replicas.items())) or "-"
        print(f"{n:>4} {mib(sampler.peak):>10} {med:>12} {worst:>9} {run.failures:>7} {mib(after):>10} "
              f"{(after - base) / max(base, 1) * 100:>+7.0f}% {cpu:>7.1f} s/{wall:>5.1f} s  {load_text()}  {per}{gone}"
              + (f"  errors: {sorted(set(run.errors))[:3]}" if run.errors else ""), flush=True)
        if len(pids) > 1:
            print("      peak per server: " + ", ".join(f"pid {p} {mib(v)}" for p, v in sampler.peaks.items()))


def distinct_views(count: int, seed: int = 12) -> list[str]:
    """``count`` different view query strings from the build's indicators and the app's vocabulary."""
    from dashboard.classify import MAX_K, METHODS, MIN_K, SCALES
    from dashboard.i18n import LANGS
    from dashboard.state import Q_CLS, Q_IND, Q_K, Q_LANG, Q_SCALE, q_level
    from pipelines import config

    catalog = json.loads((config.resolve_paths().out / config.CATALOG_FILE).read_text(encoding="utf-8"))
    comparable = [c["indicator_id"] for c in catalog if c.get("group") == "comparable"] or \
        [c["indicator_id"] for c in catalog]
    axes = [comparable, config.COVERAGE_LEVELS["munich"], config.COVERAGE_LEVELS["berlin"], METHODS,
            list(range(MIN_K, MAX_K + 1)), SCALES, LANGS]
    rng, seen = random.Random(seed), set()
    while len(seen) < count:
        seen.add(tuple(rng.choice(list(a)) for a in axes))
    return [urlencode({Q_IND: i, q_level("munich"): lm, q_level("berlin"): lb, Q_CLS: m, Q_K: k, Q_SCALE: s,
                       Q_LANG: la})
            for i, lm, lb, m, k, s, la in sorted(seen)]


def measure_views(client: Client, url: str, pids: list[int], count: int, timeout_s: float, batch: int = 4) -> None:
    """Open ``count`` different views, ``batch`` at a time; RSS every 100 views."""
    views = distinct_views(count)
    print(f"{count} different views, {batch} at a time; RSS of the server every 100 views")
    failures, one_map, t0 = 0, 0, time.perf_counter()
    with RssSampler(pids, every=0.5) as sampler:
        for i in range(0, count, batch):
            run = client.open(url, len(views[i:i + batch]), timeout_s, queries=views[i:i + batch])
            # a view whose level has no data for the indicator shows a notice instead of that map: served
            failures += sum(1 for s in run.handles if getattr(s, "finished_at", 0) is None)
            one_map += sum(1 for s in run.handles if getattr(s, "finished_at", None) and len(s.maps) < 2)
            client.close(run)
            done = i + batch
            if done % 100 == 0 or done >= count:
                print(f"  {done:>5} views  RSS {mib(sum(rss_kib(p) for p in pids)):>9}  peak {mib(sampler.peak):>9}"
                      f"  failed {failures} (one map only: {one_map})  {time.perf_counter() - t0:6.0f} s"
                      f"  {load_text()}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Start (or reach) the server, warm it with one session, then measure."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default="10,30,60", help="comma-separated numbers of concurrent sessions")
    ap.add_argument("--settle", type=float, default=60.0, help="seconds after closing before RSS is read")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds a session may take to have both maps")
    ap.add_argument("--after-ttl", type=float, default=0.0,
                    help="also read RSS this many seconds after closing (e.g. 130: past Streamlit's 120 s session TTL)")
    ap.add_argument("--client", choices=("ws", "browser"), default="ws")
    ap.add_argument("--views", type=int, default=0, help="open this many different views instead (cache bound)")
    ap.add_argument("--url", help="a running server (e.g. nginx in front of deploy/run_replicas.sh)")
    ap.add_argument("--pids", default="", help="with --url: the server processes whose RSS is measured")
    args = ap.parse_args(argv)
    with contextlib.ExitStack() as stack:
        url, pids = stack.enter_context(app_server(args.url, args.pids))
        client = Client(args.client, stack)
        warm = client.open(url, 1, args.timeout)
        client.close(warm)
        time.sleep(min(args.settle, 10))
        print(f"{os.cpu_count()} CPUs, {load_text()}; client {args.client}; servers {pids}; warm RSS "
              f"{mib(sum(rss_kib(p) for p in pids))} (first session {'failed' if warm.failures else 'ok'})",
              flush=True)
        if args.views:
            measure_views(client, url, pids, args.views, args.timeout)
        else:
            measure_sessions(client, url, pids, [int(x) for x in args.sessions.split(",") if x.strip()],
                             args.settle, args.timeout, args.after_ttl)
    print("targets: 60 sessions <= 1.2 GB; RSS after close within 10 % of the warm baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
