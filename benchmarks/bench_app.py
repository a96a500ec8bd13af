"""Benchmark: the real dashboard in headless Chromium, network blocked except 127.0.0.1 (prints; asserts nothing).

Starts ``streamlit run streamlit_app.py`` like a user (harness in ``tests/e2e/harness.py``),
warms it with one page, then measures:

1. page open -> both maps drawn (warm server; median of ``--runs`` fresh tabs), target <= 2.5 s;
2. indicator change -> both maps redrawn (both legends show the new indicator and both maps drew
   new polygons; median), target <= 1.5 s;
3. bytes sent per map at the finest level: the websocket message that carries each st_folium
   map (its JSON args: script, html, links) for Berlin at Planungsraum level and Munich at
   Stadtbezirksteil level, target <= 1.2 MB per map; plus the HTTP bytes of the page's static files;
4. server memory (VmRSS of the Streamlit process) with 0 sessions (cold and warm) and with
   ``--sessions`` concurrent tabs that all drew both maps, target <= 1.5 GB.

    .venv/bin/python benchmarks/bench_app.py [--runs 3] [--sessions 10]

Needs Debian's ``/usr/bin/chromium`` (``apt-get install -y chromium``) and the project's
virtualenv (Playwright). Timings depend on machine load: the load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import (  # noqa: E402
    ARTIFACTS,
    CHROMIUM,
    MAP_FRAME,
    POLYGON,
    AppServer,
    NetworkGuard,
    launch_browser,
    legend_texts,
    map_frame,
    mark_polygons,
    running_app,
    wait_fresh_polygons,
    wait_legends_change,
    wait_maps_drawn,
)

DEFAULT_POLYGONS = (25, 143)  # Munich Stadtbezirke, Berlin Bezirksregionen
PLANUNGSRAEUME, BEZIRKSTEILE = 542, 108
INDICATORS = ("foreign_share", "under18_share", "age65plus_share", "unemployment_share")  # comparable: both maps
COMPONENT_MARK = b"streamlit_folium.st_folium"
CITY_MARKS = {"munich": b"[48.", "berlin": b"[52."}  # latitude of the map centre/bounds: [lat, lon] pairs
MB = 1_000_000


def _row(name: str, value: str, target: str = "", note: str = "") -> None:
    print(f"  {name:<58} {value:>14}   {target:<10} {note}")


def bench_page_open(ctx, server: AppServer, runs: int) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Seconds from ``goto`` to both maps drawn, one fresh tab (= new session) per run.

    Also returns the seconds until both map iframes exist (script run + frontend boot),
    which splits the total into "server and page" and "drawing the maps".
    """
    drawn, frames = [], []
    for _ in range(runs):
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(server.url, wait_until="commit")
        page.locator(MAP_FRAME).nth(1).wait_for(state="attached")
        frames.append(time.perf_counter() - t0)
        wait_maps_drawn(page, DEFAULT_POLYGONS)
        drawn.append(time.perf_counter() - t0)
        page.close()
    return drawn, frames


def bench_indicator_change(ctx, server: AppServer, runs: int) -> list[float]:  # noqa: ANN001
    """Seconds from clicking another indicator in the picker to both legends showing it."""
    import json
    import re

    from pipelines import config

    catalog = {e["indicator_id"]: e for e in json.loads(
        (config.resolve_paths().out / config.CATALOG_FILE).read_text(encoding="utf-8"))}
    page = ctx.new_page()
    page.goto(server.url)
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    out = []
    for k in range(runs):
        ind = INDICATORS[k % len(INDICATORS)]
        before = legend_texts(page)
        page.get_by_role("combobox", name="Indikator", exact=True).click()
        option = page.get_by_role("option", name=re.compile(re.escape(catalog[ind]["label_de"]) + "$")).first
        option.wait_for(state="visible")
        mark_polygons(page)
        t0 = time.perf_counter()
        option.click()
        after = wait_legends_change(page, before)
        wait_fresh_polygons(page, DEFAULT_POLYGONS)  # both maps drawn anew (legends sit outside the maps)
        out.append(time.perf_counter() - t0)
        if not all(catalog[ind]["label_de"] in a for a in after):
            raise RuntimeError(f"legends do not show {ind}: {after!r}")
    page.close()
    return out


def _load_and_capture(ctx, url: str, wait) -> tuple[list[bytes], int, int]:  # noqa: ANN001
    """Open ``url`` in a fresh tab; websocket messages received, their total bytes, HTTP body bytes."""
    frames: list[bytes] = []
    http: list[int] = []
    page = ctx.new_page()

    def on_ws(ws) -> None:  # noqa: ANN001
        ws.on("framereceived", lambda p: frames.append(p if isinstance(p, bytes) else p.encode()))

    def on_done(request) -> None:  # noqa: ANN001
        http.append(max(request.sizes().get("responseBodySize", 0), 0))

    page.on("websocket", on_ws)
    page.on("requestfinished", on_done)
    page.goto(url)
    wait(page)
    page.wait_for_timeout(300)  # trailing messages of the run (status, page info)
    page.close()
    return frames, sum(len(f) for f in frames), sum(http)


def _map_messages(frames: list[bytes]) -> dict[str, int]:
    """Size of the websocket message carrying each city's map (the largest one if a map was sent twice)."""
    sizes: dict[str, int] = {}
    for f in frames:
        if COMPONENT_MARK not in f:
            continue
        cities = [c for c, mark in CITY_MARKS.items() if mark in f]
        city = cities[0] if len(cities) == 1 else "unknown"
        sizes[city] = max(sizes.get(city, 0), len(f))
    return sizes


def bench_bytes(ctx, server: AppServer) -> dict[str, tuple[int, int, int]]:  # noqa: ANN001
    """Per map at its finest level: (map message bytes, all websocket bytes, HTTP body bytes) of one page load."""
    out = {}
    frames, ws_total, http_total = _load_and_capture(
        ctx, f"{server.url}/?lvl_ber=planungsraum",
        lambda p: wait_maps_drawn(p, (DEFAULT_POLYGONS[0], PLANUNGSRAEUME)))
    out["berlin planungsraum"] = (_map_messages(frames).get("berlin", 0), ws_total, http_total)
    frames, ws_total, http_total = _load_and_capture(
        ctx, f"{server.url}/?ind=muc_kita_count&lvl_muc=bezirksteil",
        lambda p: map_frame(p, 0).locator(POLYGON).nth(BEZIRKSTEILE - 1).wait_for(state="attached"))
    out["munich bezirksteil (kita count)"] = (_map_messages(frames).get("munich", 0), ws_total, http_total)
    return out


def bench_memory(ctx, server: AppServer, sessions: int) -> tuple[int, int, float]:  # noqa: ANN001
    """(VmRSS KiB with ``sessions`` tabs that all drew both maps, VmHWM KiB, seconds until all drew)."""
    pages = [ctx.new_page() for _ in range(sessions)]
    t0 = time.perf_counter()
    for p in pages:
        p.goto(server.url, wait_until="commit")  # all sessions start before any is waited for
    for p in pages:
        wait_maps_drawn(p, DEFAULT_POLYGONS, timeout_ms=300_000)
    took = time.perf_counter() - t0
    rss, hwm = server.rss_kib(), server.peak_rss_kib()
    for p in pages:
        p.close()
    return rss, hwm, took


def main(argv: list[str] | None = None) -> int:
    """Run all measurements and print them with their targets."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="measured runs per timing (median printed)")
    ap.add_argument("--sessions", type=int, default=10, help="concurrent sessions for the memory measurement")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    guard = NetworkGuard()
    with running_app(ARTIFACTS / "bench-streamlit.log") as server, sync_playwright() as pw, \
            tempfile.TemporaryDirectory() as profile:
        rss_cold = server.rss_kib()
        ctx = launch_browser(pw, Path(profile), guard)
        t0 = time.perf_counter()
        warm = ctx.new_page()
        warm.goto(server.url)
        wait_maps_drawn(warm, DEFAULT_POLYGONS, timeout_ms=300_000)
        first = time.perf_counter() - t0
        warm.close()
        time.sleep(2)  # let the closed session go
        rss_warm = server.rss_kib()
        opens, iframes = bench_page_open(ctx, server, args.runs)
        changes = bench_indicator_change(ctx, server, args.runs)
        sizes = bench_bytes(ctx, server)
        rss_n, hwm, took = bench_memory(ctx, server, args.sessions)
        ctx.close()
        with tempfile.TemporaryDirectory() as profile2:  # repeat visits with the browser cache on
            cached = launch_browser(pw, Path(profile2), guard, block="resolver")
            bench_page_open(cached, server, 1)  # fills the cache
            repeat, _ = bench_page_open(cached, server, args.runs)
            cached.close()

    load = os.getloadavg()
    print(f"Raumatlas app benchmark — Chromium headless, network blocked except 127.0.0.1; "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f}/{load[1]:.1f}")
    _row("metric", "value", "target", "details")
    _row("first page open, cold server (data loading)", f"{first:.2f} s", "", "not a target; for reference")
    _row(f"page open -> both maps drawn (median of {len(opens)})", f"{statistics.median(opens):.2f} s",
         "<= 2.5 s", "runs: " + ", ".join(f"{x:.2f}" for x in opens)
         + f"; both map iframes present after {statistics.median(iframes):.2f} s (median)")
    _row(f"page open, repeat visit with browser cache (median of {len(repeat)})",
         f"{statistics.median(repeat):.2f} s", "<= 2.5 s",
         "runs: " + ", ".join(f"{x:.2f}" for x in repeat) + "; network blocked by DNS rules, cache on")
    _row(f"indicator change -> both maps redrawn (median of {len(changes)})", f"{statistics.median(changes):.2f} s",
         "<= 1.5 s", "runs: " + ", ".join(f"{x:.2f}" for x in changes))
    for name, (map_b, ws_b, http_b) in sizes.items():
        _row(f"bytes sent for one map: {name}", f"{map_b / MB:.3f} MB" if map_b else "NOT FOUND", "<= 1.2 MB",
             f"{map_b:,} B; whole page load: websocket {ws_b / MB:.2f} MB, "
             f"HTTP (static, cacheable) {http_b / MB:.2f} MB")
    _row("server RSS, 0 sessions (cold, before any page)", f"{rss_cold / 1024:.0f} MiB")
    _row("server RSS, 0 sessions (warm, after one page)", f"{rss_warm / 1024:.0f} MiB")
    _row(f"server RSS, {args.sessions} concurrent sessions", f"{rss_n / 1024:.0f} MiB", "<= 1.5 GB",
         f"process peak {hwm / 1024:.0f} MiB; {rss_n / max(rss_warm, 1):.2f}x warm baseline; "
         f"+{(rss_n - rss_warm) / 1024 / max(args.sessions, 1):.0f} MiB/session; all drawn after {took:.1f} s")
    _row("requests blocked (outside 127.0.0.1)", str(len(guard.blocked)), "0",
         "; ".join(guard.blocked[:5]))
    print("  note: Playwright's request routing (the network block) turns the browser's HTTP cache off, so every\n"
          "  routed page open downloads the Streamlit frontend again (the HTTP MB above): a first visit. The repeat\n"
          "  visit blocks other hosts at name resolution instead, so the cache works as in a user's browser.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
