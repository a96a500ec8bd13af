"""Load benchmark (issue 12): N concurrent sessions — server RSS, time until each has both maps, RSS after close.

For each N (default 10, 30, 60) one headless Chromium opens N tabs on the real app (network
blocked except 127.0.0.1, as in the browser tests), all started before any is waited for, and
reports: the server's RSS with N sessions (target: 60 sessions <= 1.2 GB), the time until each
session had drawn both maps (median and maximum), failures (no maps within the timeout), and the
server's RSS ``--settle`` seconds after every tab was closed (target: within 10 % of the warm
baseline). The client's own CPU time is printed next to the wall time, so a browser that is the
bottleneck shows up as client CPU close to wall time x cores.

    .venv/bin/python benchmarks/bench_load.py [--sessions 10,30,60] [--settle 60]

Measures; asserts nothing. Timings depend on machine load: the load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import ARTIFACTS, CHROMIUM, NetworkGuard, launch_browser, running_app, wait_maps_drawn  # noqa: E402

DEFAULT_POLYGONS = (25, 143)  # Munich Stadtbezirke, Berlin Bezirksregionen


def _client_cpu(profile: str) -> float:
    """CPU seconds of this process plus every Chromium process using ``profile`` (the client's whole cost)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    total = ru.ru_utime + ru.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if profile.encode() not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except OSError:
            continue
    return total


def run_sessions(ctx, server, n: int, timeout_ms: int) -> tuple[list[float], int, int, list]:  # noqa: ANN001
    """Open ``n`` tabs at once; (seconds until each drew both maps, failures, server RSS KiB, the open pages)."""
    pages = [ctx.new_page() for _ in range(n)]
    t0 = time.perf_counter()
    for p in pages:
        p.goto(server.url, wait_until="commit")
    times, failures = [], 0
    for p in pages:
        try:
            wait_maps_drawn(p, DEFAULT_POLYGONS, timeout_ms=timeout_ms)
            times.append(time.perf_counter() - t0)
        except Exception:  # noqa: BLE001 - a session without maps is a failure to count, not a crash
            failures += 1
    return times, failures, server.rss_kib(), pages


def main(argv: list[str] | None = None) -> int:
    """Measure each N and print one row per N."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default="10,30,60", help="comma-separated numbers of concurrent sessions")
    ap.add_argument("--settle", type=float, default=60.0, help="seconds to wait after closing before measuring RSS")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds a session may take to draw both maps")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    guard = NetworkGuard()
    with running_app(ARTIFACTS / "bench-load-streamlit.log") as server, sync_playwright() as pw, \
            tempfile.TemporaryDirectory() as profile:
        ctx = launch_browser(pw, Path(profile), guard)
        warm = ctx.new_page()
        warm.goto(server.url)
        wait_maps_drawn(warm, DEFAULT_POLYGONS, timeout_ms=300_000)
        warm.close()
        time.sleep(min(args.settle, 10))
        baseline = server.rss_kib()
        print(f"load average {os.getloadavg()[0]:.1f}; warm baseline RSS {baseline / 1024:.0f} MiB")
        print(f"{'N':>4} {'RSS with N':>11} {'maps median':>12} {'maps max':>9} {'failed':>7} "
              f"{'RSS after close':>16} {'vs baseline':>12} {'client CPU / wall':>18}")
        for n in (int(x) for x in args.sessions.split(",") if x.strip()):
            cpu0, wall0 = _client_cpu(profile), time.perf_counter()
            times, failures, rss, pages = run_sessions(ctx, server, n, int(args.timeout * 1000))
            wall, client = time.perf_counter() - wall0, _client_cpu(profile) - cpu0
            for page in pages:
                page.close()
            time.sleep(args.settle)
            after = server.rss_kib()
            med = f"{statistics.median(times):.1f} s" if times else "-"
            worst = f"{max(times):.1f} s" if times else "-"
            print(f"{n:>4} {rss / 1024:>7.0f} MiB {med:>12} {worst:>9} {failures:>7} {after / 1024:>12.0f} MiB "
                  f"{(after - baseline) / max(baseline, 1) * 100:>+11.0f}% {client:>8.0f} s / "
                  f"{wall:.0f} s")
        ctx.close()
    print("targets: 60 sessions <= 1.2 GB; RSS after close within 10 % of the warm baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
