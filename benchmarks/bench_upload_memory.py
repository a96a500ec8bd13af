"""Benchmark: the server's memory around one session that uploads hostile and worst-case project files (issue 12).

Target: "the server is back within 10 % of its baseline when the session ends". The app is
started like a user starts it; a warm-up session draws both maps and uploads a small valid
file, a small file with findings and a refused one, and is closed (so the first upload's one-time
costs — the area shapes, the first report table, imports — are in the baseline, as on a server
that has seen uploads before; ``--warmup small``: the valid file only, as until 2026-11-29). Then one
headless Chromium page uploads every file of ``bench_upload_limits.CASES`` through the app's
real file uploader (``set_input_files``), one after the other, waiting for each file's report,
and is closed. Each file's line gives two times from choosing it (once the previous file's run has
ended): until its report shows, and until its run has ended (the maps with its projects prepared and
sent). Printed too: the server's RSS at the warm
baseline, the peak during the uploads,
right after the close, and once Streamlit's ``server.disconnectedSessionTTL`` (120 s) has let
the closed sessions go (polled until three readings agree, up to ``--ttl-max`` s), each with
its ratio to the baseline.

    .venv/bin/python benchmarks/bench_upload_memory.py [--cases xlsx,csv] [--ttl-max 180]

Measures; asserts nothing. Memory figures hold under load; timings depend on it (load average printed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_load import app_server, load_text, mib  # noqa: E402
from bench_upload_limits import CASES, MB  # noqa: E402
from sessions import DEFAULT_POLYGONS, RssSampler, rss_kib, settled_rss  # noqa: E402

from tests import hostile_files as hf  # noqa: E402

ALERT = '[data-testid="stAlert"]'
TARGET = 0.10


def _warmup_files(folder: Path, full: bool) -> list[Path]:
    """The warm-up uploads: twenty ordinary (fictitious) project rows; with ``full`` also a small file with
    findings (a report table) and a refused one, so every kind of report has been drawn once before the baseline."""
    files = {"warmup.csv": [";".join(hf.HEAD)] + [";".join([f"W{i}", *hf.ROW[1:]]) for i in range(20)]}
    if full:
        bad = ";".join(["W9", "", "Atlantis", "x", "y", *hf.ROW[5:]])  # no title, unknown city, no position
        files["warmup_findings.csv"] = [*files["warmup.csv"][:6], bad]
        files["warmup_refused.csv"] = ["name;ort", "A;B"]
    paths = []
    for name, rows in files.items():
        (path := folder / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _upload(page, path: Path, timeout_ms: int) -> str:  # noqa: ANN001 - playwright page
    """Upload ``path`` through the app's file uploader and wait for its report; the report's first line.

    The file is chosen once the last run has finished, as a person would: a file set while the run
    that showed the previous report is still drawing the panel went to an uploader about to be redrawn.
    """
    from tests.e2e.project_panel import choose_file, open_project_panel

    open_project_panel(page, timeout_ms=timeout_ms)
    choose_file(page, path, timeout_ms)
    alert = page.locator(ALERT, has_text=re.compile(re.escape(path.name) + r"\b"))
    try:
        alert.first.wait_for(state="visible", timeout=timeout_ms)
    except Exception as err:  # noqa: BLE001 - a missing report is a finding, not a crash
        from tests.e2e.harness import ARTIFACTS

        shot = ARTIFACTS / f"upload-memory-no-report-{path.stem}.png"
        page.screenshot(path=str(shot), full_page=True)
        return f"no report ({type(err).__name__}; {shot.name})"
    return alert.first.inner_text().splitlines()[0][:90]


def _idle(page, timeout_ms: int) -> None:  # noqa: ANN001 - playwright page
    """Wait until the page's run has finished (Streamlit's running indicator is gone)."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=timeout_ms)


def _open_page(ctx, url: str, timeout_ms: int):  # noqa: ANN001, ANN202 - playwright objects
    from tests.e2e.map_probe import wait_maps_drawn

    page = ctx.new_page()
    page.goto(url)
    wait_maps_drawn(page, DEFAULT_POLYGONS, timeout_ms=timeout_ms)
    return page


def _ratio(kib: int, base: int) -> str:
    share = (kib - base) / max(base, 1)
    return f"{share * 100:+6.1f} %  {'OK' if share <= TARGET else 'OVER'}"


def run(url: str, pids: list[int], cases: dict, timeout_s: float, ttl_min: float, ttl_max: float,
        full_warmup: bool = True) -> None:
    """Warm-up session, baseline, the upload session, close, and the readings after it."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import NetworkGuard, launch_browser

    def rss() -> int:
        return sum(rss_kib(p) for p in pids)

    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pw = stack.enter_context(sync_playwright())
        ctx = launch_browser(pw, folder / "profile", NetworkGuard())
        stack.callback(ctx.close)
        timeout_ms = int(timeout_s * 1000)
        warm = _open_page(ctx, url, timeout_ms)
        for path in _warmup_files(folder, full_warmup):
            print(f"warm-up upload: {_upload(warm, path, timeout_ms)}", flush=True)
            _idle(warm, timeout_ms)
        warm.close()
        time.sleep(10)
        base = rss()
        print(f"{os.cpu_count()} CPUs, {load_text()}; server {pids} (RAUMATLAS_MEMORY_HOOK="
              f"{os.environ.get('RAUMATLAS_MEMORY_HOOK', 'on')}); warm baseline {mib(base)}", flush=True)
        page = _open_page(ctx, url, timeout_ms)
        with RssSampler(pids) as sampler:
            for label, make in cases.items():
                data, name = make()
                if len(data) > 10 * MB:
                    print(f"  {label:50s} over the 10 MB cap: not a case")
                    continue
                path = folder / name
                path.write_bytes(data)
                _idle(page, timeout_ms)  # what the previous file's run still draws is not this file's time
                t0 = time.perf_counter()
                verdict = _upload(page, path, timeout_ms)
                reported = time.perf_counter() - t0
                _idle(page, timeout_ms)
                print(f"  {label:50s} {len(data) / 1e3:6.0f} KB {reported:5.1f} s {time.perf_counter() - t0:5.1f} s  "
                      f"RSS {mib(rss()):>9}  peak {mib(sampler.peak):>9}  {verdict}  ({load_text()})", flush=True)
        page.close()
        closed, after = time.perf_counter(), rss()
        trace: list[tuple[float, int]] = []
        left, secs = settled_rss(pids, closed, at_least_s=ttl_min, at_most_s=ttl_max, trace=trace)
    print("after the close: " + ", ".join(f"+{t:.0f} s {k / 1024:.0f}" for t, k in trace[::3]) + " MiB")
    print(f"\n{'server RSS':28s} {'MiB':>9}  vs baseline (target: within {TARGET * 100:.0f} %)")
    print(f"{'warm baseline':28s} {mib(base):>9}")
    print(f"{'peak during the uploads':28s} {mib(sampler.peak):>9}  {_ratio(sampler.peak, base)[:9]}")
    print(f"{'right after the close':28s} {mib(after):>9}  {_ratio(after, base)}")
    print(f"{f'after the session TTL (+{secs:.0f} s)':28s} {mib(left):>9}  {_ratio(left, base)}   {load_text()}")


def main(argv: list[str] | None = None) -> int:
    """Start (or reach) the server and measure one hostile upload session."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="", help="comma-separated words: only cases whose label contains one")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the maps or one report")
    ap.add_argument("--ttl-min", type=float, default=150.0, help="read the settled RSS no earlier than this")
    ap.add_argument("--ttl-max", type=float, default=210.0, help="... and no later than this (seconds after close)")
    ap.add_argument("--url", help="a running server")
    ap.add_argument("--pids", default="", help="with --url: the server processes whose RSS is measured")
    ap.add_argument("--warmup", choices=("full", "small"), default="full",
                    help="full: a valid file, one with findings and a refused one before the baseline; small: "
                         "the valid one only (this benchmark's warm-up until 2026-11-29)")
    args = ap.parse_args(argv)
    words = [w.strip() for w in args.cases.split(",") if w.strip()]
    cases = {k: v for k, v in CASES.items() if not words or any(w in k for w in words)}
    log = f"bench-upload-memory-{os.getpid()}.log"
    with app_server(args.url, args.pids, log) as (url, pids):
        run(url, pids, cases, args.timeout, args.ttl_min, args.ttl_max, args.warmup == "full")
    return 0


if __name__ == "__main__":
    sys.exit(main())
