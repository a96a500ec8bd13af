"""Benchmark: the real dashboard in headless Chromium, network blocked except 127.0.0.1 (prints; asserts nothing).

Starts ``streamlit run streamlit_app.py`` like a user (harness in ``tests/e2e/harness.py``),
warms it with one page, then measures (targets of issue 11):

Times are read on the page's own clock (``tests/e2e/page_clock.py``): from the navigation start, or
from the user's ``pointerdown``, to the map components' own render stamps and the legends' change —
what a user waits for. The driver's stopwatch around the Playwright calls (which adds Playwright's
click handling, ~0.1 s, and its polling) is printed beside it; the baseline below was measured with
that stopwatch, so its ratios are conservative.

1. page open -> both maps drawn, first visit (other hosts blocked at name resolution, the tab's HTTP
   cache disabled; median of ``--runs`` fresh tabs), target <= 1.5 s; the same with the network blocked
   by Playwright's request routing instead (every request makes a round trip to the driver, and routing
   turns the cache off: 0.15-0.25 s more per visit, the headline figure until 2026-11-29); repeat visit
   with the browser cache on (hosts blocked at name resolution), target <= 1.2 s. All visits are measured
   before the changes and the concurrent sessions (until 2026-11-29 the repeat visits came after those,
   on a server that had just served 30 sessions);
2. indicator change -> both maps recoloured (both legends show the new indicator and both map
   components applied the new values; median of ``--runs``), target <= 0.3 s;
3. bytes sent per indicator change at Berlin's Planungsraum level: the websocket messages carrying
   the map components' arguments (and all websocket bytes of the change), target <= 50 KB;
4. geometry on the wire: the static geometry file of Berlin's 542 Planungsräume, target <= 0.6 MB;
5. story step at the same level (presentation mode, Next), target <= 0.5 s; language switch;
6. server memory (VmRSS of the Streamlit process) with ``--sessions`` concurrent tabs that all
   drew both maps, target <= 1 GB.

Baseline: commit a6cd18f (folium + streamlit-folium 0.27, every change rebuilt and re-sent both
maps), measured with this benchmark's predecessor on the same 2-core machine and recorded in
issue 11: indicator change 0.93 s idle (median 3.2 s while another browser ran), 1.06 MB sent for
Berlin's Planungsraum map per change (the whole map: geometry, styles, tooltips), story step
~2.0 s, language switch 2.2 s (zoom reset), first visit 3.0 s, repeat visit 2.2 s. Ratios below
are new / baseline (:data:`BASELINE`); the load average is printed, medians are noisy under load.

Same-load comparison (2026-11-28, both on this 2-core machine at load average ~24/27 from other
work; a6cd18f's own benchmark vs. this one, medians of 5): first visit 12.2 s -> 7.3 s, repeat
visit 6.1 s -> 5.1 s, indicator change 5.35 s -> 1.91 s (0.36x), Berlin Planungsraum bytes per
change 1,062 KB -> 14 KB, server RSS 494 MiB (10 sessions) -> 527 MiB (30 sessions).

Same-load comparison 2026-11-29 (branch fast-build vs main 552a5f8, ``--runs 5 --sessions 10``, run one
after the other from two worktrees; load average 9-15 from other work, so the wall figures are mostly
waiting for a CPU): first visit 8.52 s -> 7.38 s, repeat visit 11.41 s -> 8.86 s, indicator change
3.65 s -> 2.34 s (0.64x), story step 0.71 s -> 1.37 s (2 runs each: noise), language switch 1.60 s ->
0.78 s. The server's own share, measured without a browser (AppTest, the script run of an indicator
change, median of 7, same session, load ~7): 1.83 -> 0.38 CPU s, 4.35 -> 0.83 s wall (main recomputed
the comparison's 896 pin labels on every run; now the comparison, the Handlungsraum labels, the
per-city ranking/frame and the Handlungsraum summary are memoised per build version in
``dashboard/page_memo.py``).

Quiet machine, 2026-11-29 (main after the page-clock change, load average 1.8 at the start, ``--runs 5
--sessions 30``): first visit 2.61 s, repeat visit 1.82 s, indicator change 0.28 s (driver 0.42 s), the
same at Planungsraum level 0.28 s, story step 0.25 s, language switch 0.21 s, 30 sessions 514 MiB. For
scale, the same two map components with the same data on a page that holds nothing else (one
``views_maps.render`` after ``build_page``, no sidebar, tables or comparison), same clock and machine:
first visit 1.77 s, repeat visit 0.95 s — Streamlit's own page takes ~0.75 s to its websocket with the
cache off, and it mounts each component frame twice.

Progressive first paint (branch progressive, 2026-11-29; ``dashboard/views_first_paint.py``): a session's first run
draws the title, search, notes and both maps with their headers, legends and view downloads, and an empty sidebar;
the sidebar's controls, the project panel, comparison, rankings and footer follow in the run that the maps'
one-time "drawn" report starts. Measured as :func:`bench_page_open` does (page clock, 7 fresh tabs per variant
after one warm-up page; repeat visits with the cache filled), the variants interleaved in two rounds on this 2-core
machine (load average 2.4-5.3 at their starts, the measurement's own browser and server included): first visit,
previous main (d608723, ``git archive``) 2.48 / 2.44 s -> progressive 1.79 / 1.79 s, maps-only floor (one
``views_maps.render`` after ``build_page``, nothing else) 1.66 / 1.70 s; repeat visit 1.68 / 1.68 s -> 1.03 / 1.02
s, floor 0.91 / 0.95 s. An earlier round with only the sections below the maps deferred (sidebar drawn first):
first 2.06 / 2.04 s, repeat 1.22 / 1.18 s. The first visit stays above its 1.5 s target because the floor is above
it: with the HTTP cache off Streamlit's page needs ~0.7 s to its websocket and then loads each widget type's code
on demand over six connections. Sections that arrive later do not move the maps (frame rectangles compared in the
first paint and the filled page at 1920x1080, 1366x768, 1280x720 and 768x1024). This benchmark itself, the same
morning, ``--runs 7``: d608723 first visit 2.55 s, repeat visit 1.72 s (``--sessions 2``, load average 4.9 at the
start, falling); this branch 1.80 s and 1.09 s, indicator change 0.20 s, story step 0.22 s, 30 sessions 518 MiB
(``--sessions 30``, load average 0.7 at the start). Not reproduced later that morning on merged main
(``--runs 5 --sessions 30``, load 0.1 at the start): first visit 2.55 s, repeat visit 1.77 s; back to back with
``--runs 3``: the branch's own code 2.11 / 1.33 s (load 0.4 at the start), main 2.28 / 1.57 s (load 3.4). The
deferral works (tests/test_app_first_paint.py, the browser test that fails with it off; the map frames are not
remounted when the rest arrives); the gain it shows here is ~0.3-0.4 s, not the ~0.7 s first reported.

Indicator change, 2026-11-29 evening (main 7ca465b vs 79f26ad; clean clone, ``--runs 5 --sessions 30``): 0.33 s
(after the first two commits below) -> **0.22 s**, Planungsraum level 0.35 -> **0.21 s** (last round 0.35-0.45 /
0.29-0.38 s); first visit 2.04 / 2.11 s, repeat visit 1.50 / 1.36 s (last round 2.11-2.20 / 1.29-1.54 s: within
the noise); story step 0.21 / 0.26 s; 30 sessions 459 / 463 MiB. Load average at the starts 1.4 and 6.6. What
changed, measured one at a time:

* the server's part of a change to an indicator it has not drawn yet (``build_page`` on an idle machine): 0.105 ->
  0.05 s. Taking a map's rows from the indicator table read in three Arrow chunks (one per parquet row group)
  cost ~5 ms, from one chunk 0.4 ms (``build_files.one_chunk_columns``); one indicator's rows per city by an index
  (4 -> <1 ms); the Handlungsräume's unions and overlap once per build (``ranking.action_area_layout``);
* the browser's part: stamped in the page (pointerdown, each websocket message, the frames' renders), the maps'
  new values arrived 0.11-0.22 s after the click and the frames recoloured 0.1-0.2 s after that, because the
  sidebar, comparison and ranking grids arrived 5-40 ms after the maps and the page rendered them together. With the
  rest of the page held back 0.08 s after a changed view's maps (``views_maps.let_maps_paint``) the frames recolour
  5-30 ms after their values arrive: 0.115-0.244 s per change in the same probe (0.275-0.45 s without);
* first screen: the page's CSS in one ``st.html`` element (no raw-HTML Markdown: ~190 KB of Streamlit's code less on
  the first screen), the search and the view downloads in the second run. Interleaved A/B, two servers, 5-7 visits
  each: first visit 2.08-2.17 -> 1.95-2.04 s, repeat 1.37-1.58 -> 1.30-1.41 s; this benchmark alone does not show
  it beyond its noise. Measured the same way, request routing (the benchmark's way of blocking the network, which
  turns the cache off) costs 0.15-0.25 s per first visit against a resolver block with the cache disabled over
  CDP; clearing the cache instead of disabling it gives the same figure (2.17 vs 2.13 s).
* then the level pickers as empty boxes of their size in the first paint (568b6df; A/B as above, 6 visits each:
  first visit 1.71 -> 1.56 s, repeat 1.14 -> 1.06 s). This benchmark, clean clone: 8ff1198 (before it, load 0.1 at
  the start) first 1.74 s, repeat 1.27 s, change 0.17 / 0.18 s; 568b6df (load 0.0 and 8.0 at the starts) first
  1.92 / 2.02 s, repeat 1.51 / 1.37 s, change 0.19 / 0.22 s, Planungsraum level 0.31 / 0.24 s. The visits move by
  ~0.2-0.3 s between runs of the same code here; the A/B above is the sharper comparison.

Page open, 2026-11-29 night (bf2f474 vs f3f6254), A/B as above (8-10 visits each, two servers, load 3-7 from the
measurement itself):

* the server watched the app's source files (Streamlit's default). py-spy on the server during page opens: half of
  the event loop's busy time went to the watcher (``update_watched_modules`` after every run, the inotify set-up for
  each new session), and static files waited behind it (time to first byte up to 250 ms). Served with
  ``fileWatcherType = "none"`` (``make dev`` watches): first visit 1.91 -> 1.67 s, repeat 1.20 -> 1.06 s;
* the search box as a stand-in of its size in the first paint: 1.66 -> 1.55 s, repeat 1.16 -> 1.11 s;
* the map frame as one file (``dashboard/map_frame.py``): 1.74 -> 1.65 s, repeat 1.23 -> 1.21 s (the other order:
  1.77 -> 1.70 s, 1.28 -> 1.25 s);
* tried and dropped: the frame announcing itself ready before Leaflet loads and fetching its geometry meanwhile
  (1.82 vs 1.84 s: the page answers only when its main thread is free); the first paint's Markdown elements as html
  (no difference beyond the noise).

This benchmark, bf2f474, three runs (load 0.3, 0.7, 0.6 at the starts): first visit 1.69 / 1.47 / 1.81 s (routed:
1.89 / 1.74 / 1.77 s), repeat visit 1.22 / 1.12 / 1.36 s, indicator change 0.28 / 0.26 / 0.27 s, Planungsraum level
0.26 / 0.21 / 0.23 s, 30 sessions 461-465 MiB. The machine was slower that night than the round before: the cold
pipeline build of f3f6254 took 6.90 s (4.82-4.93 s the round before, same code and libraries).

Three runs on the next night (2026-11-29/30; b0318aa, then 3100d60 with the tablet rows' CSS, clean clone, load
1.2, 0.1 and 0.6 at the starts): first visit 1.24 / 1.21 / 1.20 s (routed: 1.29 / 1.26 / 1.28 s), repeat visit
0.82 / 0.86 / 0.75 s, indicator change 0.14 / 0.17 / 0.14 s, Planungsraum level 0.15 / 0.14 / 0.13 s, story step
0.27 / 0.25 / 0.13 s, language switch 0.29 / 0.25 / 0.20 s, 30 sessions 463 / 464 / 464 MiB. Same code as the night
before; the machine was faster again (cold pipeline build 4.80-4.90 s against 7.40 s).

    .venv/bin/python benchmarks/bench_app.py [--runs 5] [--sessions 30]

Needs Debian's ``/usr/bin/chromium`` (``apt-get install -y chromium``) and the project's
virtualenv (Playwright).
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sessions import DEFAULT_POLYGONS, browser_sessions, close_browser_sessions  # noqa: E402

from tests.e2e.harness import ARTIFACTS, CHROMIUM, MAP_FRAME, AppServer, NetworkGuard, launch_browser, running_app
from tests.e2e.map_probe import (
    COMPONENT_MARK,
    WebsocketLog,
    legend_texts,
    map_renders,
    wait_legends_change,
    wait_maps_drawn,
    wait_renders,
)
from tests.e2e.page_clock import INIT_JS, change_seconds, open_seconds

PLANUNGSRAEUME = 542
INDICATORS = ("foreign_share", "under18_share", "age65plus_share", "unemployment_share")  # comparable: both maps
MB, KB = 1_000_000, 1_000
BASELINE = {  # commit a6cd18f, issue 11 (seconds / bytes)
    "first_visit": 3.0, "repeat_visit": 2.2, "indicator_change": 0.93, "bytes_per_change": 1_060_000,
    "story_step": 2.0, "language_switch": 2.2,
}


def _row(name: str, value: str, target: str = "", note: str = "") -> None:
    print(f"  {name:<58} {value:>14}   {target:<10} {note}")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in values)


def _ratio(key: str, value: float) -> str:
    return f"{value / BASELINE[key]:.2f}x baseline {BASELINE[key]:g}"


def bench_page_open(ctx, server: AppServer, runs: int, *, cache_off: bool = False,  # noqa: ANN001
                    ) -> tuple[list[float], list[float], list[float]]:
    """One fresh tab (= new session) per run: (page clock: navigation start -> both maps drawn; driver: ``goto`` ->
    both maps drawn; driver: ``goto`` -> both frames present). ``cache_off``: the tab's HTTP cache disabled over
    CDP (``Network.setCacheDisabled``), every file comes from the server as on a first visit."""
    clock, drawn, frames = [], [], []
    for _ in range(runs):
        page = ctx.new_page()
        if cache_off:
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        t0 = time.perf_counter()
        page.goto(server.url, wait_until="commit")
        page.locator(MAP_FRAME).nth(1).wait_for(state="attached")
        frames.append(time.perf_counter() - t0)
        wait_maps_drawn(page, DEFAULT_POLYGONS)
        drawn.append(time.perf_counter() - t0)
        clock.append(open_seconds(page))
        page.close()
    return clock, drawn, frames


def _catalog() -> dict[str, dict]:
    import json

    from pipelines import config

    return {e["indicator_id"]: e for e in json.loads(
        (config.resolve_paths().out / config.CATALOG_FILE).read_text(encoding="utf-8"))}


def _change_indicator(page, catalog: dict[str, dict], ind: str) -> tuple[float, float]:  # noqa: ANN001
    """Seconds from choosing ``ind`` to both legends showing it and both maps recoloured: (page clock, driver)."""
    import re

    before = legend_texts(page)
    renders = (map_renders(page, 0), map_renders(page, 1))
    page.get_by_role("combobox", name="Indikator", exact=True).click()
    option = page.get_by_role("option", name=re.compile(re.escape(catalog[ind]["label_de"]) + "$")).first
    option.wait_for(state="visible")
    t0 = time.perf_counter()
    option.click()
    after = wait_legends_change(page, before)
    wait_renders(page, renders)
    took = time.perf_counter() - t0
    if not all(catalog[ind]["label_de"] in a for a in after):
        raise RuntimeError(f"legends do not show {ind}: {after!r}")
    return change_seconds(page), took


def bench_indicator_change(ctx, server: AppServer, runs: int, query: str = "") -> list[tuple[float, float]]:  # noqa: ANN001
    """(page clock, driver) seconds per indicator change in one tab, ``runs`` changes."""
    catalog = _catalog()
    page = ctx.new_page()
    page.goto(server.url + query)
    wait_maps_drawn(page, DEFAULT_POLYGONS if not query else (25, PLANUNGSRAEUME))
    out = [_change_indicator(page, catalog, INDICATORS[k % len(INDICATORS)]) for k in range(runs)]
    page.close()
    return out


def bench_bytes_per_change(ctx, server: AppServer) -> tuple[int, int, int, int]:  # noqa: ANN001
    """Berlin at Planungsraum level: (Berlin map message, both map messages, all websocket bytes, geometry file)."""
    catalog = _catalog()
    page = ctx.new_page()
    log = WebsocketLog(page)
    geometry: list[int] = []
    page.on("requestfinished", lambda r: geometry.append(max(r.sizes().get("responseBodySize", 0), 0))
            if "/app/static/geo/" in r.url and "/berlin_planungsraum-" in r.url else None)
    page.goto(f"{server.url}/?lvl_ber=planungsraum")
    wait_maps_drawn(page, (25, PLANUNGSRAEUME))
    page.wait_for_timeout(500)
    t0 = time.perf_counter()
    _change_indicator(page, catalog, "foreign_share")
    page.wait_for_timeout(300)
    messages = log.since(t0)
    maps = [m for m in messages if COMPONENT_MARK in m]
    berlin = max((len(m) for m in maps if b"berlin|planungsraum" in m), default=0)
    page.close()
    return berlin, sum(len(m) for m in maps), sum(len(m) for m in messages), max(geometry, default=0)


def bench_story_and_language(ctx, server: AppServer, runs: int) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Presentation mode, page clock: seconds per Next (stories 1 -> 2 keep the levels) and per language switch."""
    steps, langs = [], []
    for _ in range(runs):
        page = ctx.new_page()
        page.goto(f"{server.url}/?present=1")
        wait_maps_drawn(page, DEFAULT_POLYGONS)
        before, renders = legend_texts(page), (map_renders(page, 0), map_renders(page, 1))
        page.get_by_role("button", name="Weiter").click()
        wait_legends_change(page, before)
        wait_renders(page, renders)
        steps.append(change_seconds(page))
        before, renders = legend_texts(page), (map_renders(page, 0), map_renders(page, 1))
        page.get_by_role("button", name="EN", exact=True).click()
        wait_legends_change(page, before)
        wait_renders(page, renders)
        langs.append(change_seconds(page))
        page.close()
    return steps, langs


def bench_memory(ctx, server: AppServer, sessions: int) -> tuple[int, int, float, int]:  # noqa: ANN001
    """(VmRSS KiB with ``sessions`` tabs open, VmHWM KiB, seconds until all drew, sessions that drew both maps)."""
    run = browser_sessions(ctx, server.url, sessions, polygons=DEFAULT_POLYGONS)
    took = max(run.times, default=0.0)
    rss, hwm = server.rss_kib(), server.peak_rss_kib()
    close_browser_sessions(run)
    return rss, hwm, took, len(run.times)


def main(argv: list[str] | None = None) -> int:
    """Run all measurements and print them with their targets and ratios to the baseline."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="measured runs per timing (median printed)")
    ap.add_argument("--sessions", type=int, default=30, help="concurrent sessions for the memory measurement")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    guard = NetworkGuard()
    load_start = os.getloadavg()
    with running_app(ARTIFACTS / "bench-streamlit.log") as server, sync_playwright() as pw, \
            tempfile.TemporaryDirectory() as profile:
        rss_cold = server.rss_kib()
        ctx = launch_browser(pw, Path(profile), guard)
        ctx.add_init_script(INIT_JS)
        t0 = time.perf_counter()
        warm = ctx.new_page()
        warm.goto(server.url)
        wait_maps_drawn(warm, DEFAULT_POLYGONS, timeout_ms=300_000)
        first = time.perf_counter() - t0
        warm.close()
        time.sleep(2)  # let the closed session go
        rss_warm = server.rss_kib()
        opens, opens_driver, iframes = bench_page_open(ctx, server, args.runs)
        with tempfile.TemporaryDirectory() as profile2:  # hosts blocked at name resolution: first and repeat visits
            cached = launch_browser(pw, Path(profile2), guard, block="resolver")
            cached.add_init_script(INIT_JS)
            opens_rr, opens_rr_driver, iframes_rr = bench_page_open(cached, server, args.runs, cache_off=True)
            bench_page_open(cached, server, 1)  # fills the cache
            repeat, repeat_driver, _ = bench_page_open(cached, server, args.runs)
            cached.close()
        changes = bench_indicator_change(ctx, server, args.runs)
        changes_plr = bench_indicator_change(ctx, server, args.runs, "/?lvl_ber=planungsraum")
        berlin_b, maps_b, ws_b, geometry_b = bench_bytes_per_change(ctx, server)
        steps, langs = bench_story_and_language(ctx, server, max(1, args.runs // 2))
        rss_n, hwm, took, drawn = bench_memory(ctx, server, args.sessions)
        ctx.close()

    load = os.getloadavg()
    med = statistics.median
    print(f"Raumatlas app benchmark — Chromium headless, network blocked except 127.0.0.1; {os.cpu_count()} CPUs, "
          f"load average at start {load_start[0]:.1f}/{load_start[1]:.1f}, at end {load[0]:.1f}/{load[1]:.1f}")
    _row("metric", "value", "target", "details")
    _row("first page open, cold server (data loading)", f"{first:.2f} s", "", "not a target; for reference")
    _row(f"page open -> both maps, first visit (median of {len(opens_rr)})", f"{med(opens_rr):.2f} s", "<= 1.5 s",
         _ratio("first_visit", med(opens_rr)) + "; runs: " + _runs(opens_rr)
         + f"; driver goto->drawn {med(opens_rr_driver):.2f} s; both frames present after {med(iframes_rr):.2f} s")
    _row(f"  same, every request routed through the driver (median of {len(opens)})", f"{med(opens):.2f} s", "",
         "stricter than any user's network; runs: " + _runs(opens)
         + f"; driver goto->drawn {med(opens_driver):.2f} s; both frames present after {med(iframes):.2f} s")
    _row(f"page open, repeat visit with browser cache (median of {len(repeat)})", f"{med(repeat):.2f} s",
         "<= 1.2 s", _ratio("repeat_visit", med(repeat)) + "; runs: " + _runs(repeat)
         + f"; driver {med(repeat_driver):.2f} s")
    for name, runs in ((f"indicator change -> both maps recoloured (median of {len(changes)})", changes),
                       (f"  same, Berlin at Planungsraum level (median of {len(changes_plr)})", changes_plr)):
        clock, driver = [c for c, _ in runs], [d for _, d in runs]
        _row(name, f"{med(clock):.2f} s", "<= 0.3 s", _ratio("indicator_change", med(clock)) + "; runs: "
             + _runs(clock) + f"; driver click->waits done {med(driver):.2f} s (runs: {_runs(driver)})")
    _row("bytes per indicator change, Berlin Planungsraum map", f"{berlin_b / KB:.1f} KB", "<= 50 KB",
         _ratio("bytes_per_change", berlin_b) + f"; both maps {maps_b / KB:.1f} KB; "
         f"all websocket bytes of the change {ws_b / KB:.1f} KB (ranking tables, legends, widgets)")
    _row("geometry on the wire, Berlin Planungsräume (once)", f"{geometry_b / MB:.3f} MB", "<= 0.6 MB",
         "static file, cached by the browser; GeoJSON of the same layer: 0.96 MB")
    _row(f"story step, same level (median of {len(steps)})", f"{med(steps):.2f} s", "<= 0.5 s",
         _ratio("story_step", med(steps)) + "; runs: " + _runs(steps))
    _row(f"language switch (median of {len(langs)})", f"{med(langs):.2f} s", "",
         _ratio("language_switch", med(langs)) + "; zoom kept (tests/e2e)")
    _row("server RSS, 0 sessions (cold, before any page)", f"{rss_cold / 1024:.0f} MiB")
    _row("server RSS, 0 sessions (warm, after one page)", f"{rss_warm / 1024:.0f} MiB")
    _row(f"server RSS, {args.sessions} concurrent sessions", f"{rss_n / 1024:.0f} MiB", "<= 1 GB",
         f"{drawn}/{args.sessions} drew both maps; process peak {hwm / 1024:.0f} MiB; "
         f"+{(rss_n - rss_warm) / 1024 / max(args.sessions, 1):.1f} MiB/session; all drawn after {took:.1f} s")
    _row("requests blocked (outside 127.0.0.1)", str(len(guard.blocked)), "0", "; ".join(guard.blocked[:5]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
