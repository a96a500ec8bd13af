"""Drive the real Raumatlas app in headless Chromium (shared by the e2e tests and ``benchmarks/bench_app.py``).

The app is started exactly as users start it (``python -m streamlit run
streamlit_app.py``) in its own process group, and the browser is Debian's
``/usr/bin/chromium`` driven by Playwright with every request outside
127.0.0.1/localhost aborted and recorded: an accidental CDN dependency (Leaflet,
d3, fonts) shows up as a blocked URL instead of a silently blank map.

No Streamlit import here: the app runs in a subprocess, this module only talks
HTTP and drives the browser.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost"})
MAP_FRAME = 'iframe[src*="/component/dashboard.views_map_component.raumatlas_map/"]'  # the Raumatlas map component
POLYGON = "path.leaflet-interactive"
LEGEND = ".ra-legend"
MAP_ORDER = ("munich", "berlin")  # left map first in the DOM


@dataclass
class AppServer:
    """A running ``streamlit run streamlit_app.py``: its URL, process and log file."""

    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def rss_kib(self) -> int:
        """Resident memory of the Streamlit process in KiB (``VmRSS`` from ``/proc/<pid>/status``)."""
        return _proc_status_kib(self.process.pid, "VmRSS")

    def peak_rss_kib(self) -> int:
        """Peak resident memory of the Streamlit process in KiB (``VmHWM``)."""
        return _proc_status_kib(self.process.pid, "VmHWM")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log (for error messages)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _proc_status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} not found in /proc/{pid}/status")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(log_path: Path, *, port: int | None = None, timeout_s: float = 90.0,
              python: str = sys.executable) -> AppServer:
    """Start the app like a user does and wait until ``/_stcore/health`` answers ``ok``.

    Args:
        log_path: file that receives the server's stdout and stderr.
        port: port on 127.0.0.1 (default: a free one).
        timeout_s: seconds to wait for the health endpoint.
        python: interpreter with streamlit installed (default: this one, i.e. the venv).

    Raises:
        RuntimeError: the process exited or did not become healthy in time (with the log tail).
    """
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [python, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = AppServer(url=f"http://127.0.0.1:{port}", port=port, process=proc, log_path=log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    stop_app(server)
    raise RuntimeError(f"streamlit not healthy after {timeout_s:.0f} s:\n{server.log_tail()}")


def stop_app(server: AppServer, timeout_s: float = 10.0) -> None:
    """Stop the app's whole process group (SIGTERM, then SIGKILL)."""
    proc = server.process
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout_s)


@contextlib.contextmanager
def running_app(log_path: Path, **kwargs: object) -> Iterator[AppServer]:
    """:func:`start_app` as a context manager that always stops the server."""
    server = start_app(log_path, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop_app(server)


@dataclass
class NetworkGuard:
    """A Playwright route handler: continue local requests, abort and record every other one."""

    blocked: list[str] = field(default_factory=list)
    allowed: int = 0

    def handle(self, route) -> None:  # noqa: ANN001 - playwright.sync_api.Route
        """Route callback for ``context.route("**/*", guard.handle)``."""
        url = route.request.url
        if urlparse(url).hostname in ALLOWED_HOSTS:
            self.allowed += 1
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def record_failed(self, request) -> None:  # noqa: ANN001 - playwright.sync_api.Request
        """``requestfailed`` callback: a failed request to another host is a blocked one."""
        if urlparse(request.url).hostname not in ALLOWED_HOSTS:
            self.blocked.append(request.url)


# Block every host but the loopback at name resolution: unlike request routing this keeps
# the browser's HTTP cache on, so a repeat visit is measured as a user would see it.
RESOLVER_BLOCK_ARG = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def launch_browser(playwright, profile_dir: Path, guard: NetworkGuard, *,  # noqa: ANN001
                   viewport: tuple[int, int] = (1600, 1200), block: str = "route"):
    """A fresh persistent Chromium context (own profile dir) with the network blocked.

    ``block="route"`` (tests): every request passes :class:`NetworkGuard`, which records
    what it aborts. ``block="resolver"`` (benchmarks of repeat visits): other hosts fail
    to resolve and the guard records the failed requests; the HTTP cache stays on.
    """
    args = CHROMIUM_ARGS + ([RESOLVER_BLOCK_ARG] if block == "resolver" else [])
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=str(CHROMIUM), headless=True, args=args,
        viewport={"width": viewport[0], "height": viewport[1]}, locale="de-DE",
    )
    context.set_default_timeout(30_000)
    if block == "resolver":
        context.on("requestfailed", guard.record_failed)
    else:
        context.route("**/*", guard.handle)
    return context


def map_frame(page, i: int):  # noqa: ANN001, ANN201
    """FrameLocator of map ``i`` (0 = Munich, 1 = Berlin)."""
    return page.frame_locator(MAP_FRAME).nth(i)


def wait_maps_drawn(page, min_polygons: tuple[int, int], timeout_ms: float = 30_000) -> tuple[int, int]:  # noqa: ANN001
    """Wait until map ``i`` has at least ``min_polygons[i]`` drawn polygons; returns the counts."""
    counts = []
    for i, n in enumerate(min_polygons):
        polys = map_frame(page, i).locator(POLYGON)
        polys.nth(n - 1).wait_for(state="attached", timeout=timeout_ms)
        counts.append(polys.count())
    return counts[0], counts[1]


def mark_polygons(page) -> None:  # noqa: ANN001
    """Tag every polygon drawn now, so that :func:`wait_fresh_polygons` can tell a redrawn map from the old one."""
    for i in range(2):
        map_frame(page, i).locator("body").evaluate(
            "(b, sel) => document.querySelectorAll(sel).forEach(p => p.setAttribute('data-ra-old', '1'))", POLYGON)


def wait_fresh_polygons(page, min_polygons: tuple[int, int], timeout_ms: float = 30_000) -> None:  # noqa: ANN001
    """Wait until each map has drawn at least ``min_polygons[i]`` polygons created after :func:`mark_polygons`."""
    for i, n in enumerate(min_polygons):
        map_frame(page, i).locator(f"{POLYGON}:not([data-ra-old])").nth(n - 1).wait_for(
            state="attached", timeout=timeout_ms)


def legend_texts(page, timeout_ms: float = 30_000) -> tuple[str, str]:  # noqa: ANN001
    """The visible legend text of both maps (Munich, Berlin); waits until both are shown.

    The app draws each legend under its map (``st.html``, main document, Munich
    first); a legend drawn as a control inside the map iframe is found as well.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        texts = _legends_now(page)
        if all(texts):
            return texts
        if time.monotonic() > deadline:
            raise TimeoutError(f"both map legends not visible within {timeout_ms:.0f} ms (got {texts!r})")
        page.wait_for_timeout(50)


def wait_legends_change(page, before: tuple[str, str], timeout_ms: float = 30_000,  # noqa: ANN001
                        poll_ms: int = 25) -> tuple[str, str]:
    """Poll until both legends differ from ``before``; returns the new texts.

    Raises:
        TimeoutError: a legend still shows the old text after ``timeout_ms``.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    now: tuple[str, str] = before
    while time.monotonic() < deadline:
        now = _legends_now(page)
        if all(n and n != b for n, b in zip(now, before, strict=True)):
            return now
        page.wait_for_timeout(poll_ms)
    raise TimeoutError(f"legends did not change within {timeout_ms:.0f} ms: before={before!r} now={now!r}")


_VISIBLE_LEGENDS_JS = f"""() => Array.from(document.querySelectorAll({LEGEND!r}))
    .filter(e => e.getClientRects().length > 0).map(e => e.innerText)"""


def _legends_now(page) -> tuple[str, str]:  # noqa: ANN001
    """Both legend texts as rendered right now ("" where none); one JS call per document, no race with a redraw."""
    main = page.evaluate(_VISIBLE_LEGENDS_JS)
    if len(main) == 2:
        return main[0], main[1]
    if main:
        return "", ""  # one of two legends under the maps: mid-rerun
    out = []
    for i in range(2):
        try:
            frame = page.locator(MAP_FRAME).nth(i).element_handle(timeout=500).content_frame()
            texts = frame.evaluate(_VISIBLE_LEGENDS_JS) if frame is not None else []
        except Exception:  # noqa: BLE001 - the iframe is being replaced mid-read
            texts = []
        out.append(texts[0] if len(texts) == 1 else "")
    return out[0], out[1]


def choose_option(page, label: str, option_name: object, nth: int = 0) -> None:  # noqa: ANN001
    """Pick ``option_name`` (text or compiled regex) in the ``nth`` Streamlit selectbox labelled ``label``."""
    page.get_by_role("combobox", name=label, exact=True).nth(nth).click()
    page.get_by_role("option", name=option_name).first.click()


def clickable_polygon_centre(page, i: int) -> tuple[float, float]:  # noqa: ANN001
    """Page coordinates of the centre of a polygon of map ``i`` that is really hit there.

    The bounding-box centre of a concave area may lie in a neighbour or under the
    legend, so the first path (largest first) whose centre ``elementFromPoint``
    resolves to the path itself is used.
    """
    frame = page.locator(MAP_FRAME).nth(i)
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    if box is None:
        raise RuntimeError(f"map {i} has no bounding box")
    hit = map_frame(page, i).locator("body").evaluate(
        """(body, sel) => {
            const paths = Array.from(document.querySelectorAll(sel))
                .filter(p => p.getAttribute('fill') && p.getAttribute('fill') !== 'none')
                .map(p => [p, p.getBoundingClientRect()])
                .sort((a, b) => b[1].width * b[1].height - a[1].width * a[1].height);
            for (const [p, r] of paths) {
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                if (document.elementFromPoint(x, y) === p) return [x, y];
            }
            return null;
        }""",
        POLYGON,
    )
    if hit is None:
        raise RuntimeError(f"no polygon of map {i} is hit at its own centre")
    return box["x"] + hit[0], box["y"] + hit[1]


# ---- The Raumatlas map component (dashboard/map_component/): its own state, read in its frame ----

COMPONENT_MARK = b"dashboard.views_map_component.raumatlas_map"
"""In every websocket message that carries a map's arguments (the component's name)."""
AREA_POLYGON = ".leaflet-overlay-pane path.leaflet-interactive"
"""The filled area polygons (Handlungsraum outlines live in their own pane above them)."""


def frame_eval(page, i: int, js: str, arg: object = None):  # noqa: ANN001, ANN201
    """Evaluate ``js`` (a function of ``arg``) in map frame ``i``'s window."""
    return map_frame(page, i).locator("body").evaluate(f"(body, arg) => ({js})(arg)", arg)


def map_renders(page, i: int) -> int:  # noqa: ANN001
    """How often map ``i`` applied new arguments since its frame was loaded."""
    return int(frame_eval(page, i, "() => (window.raumatlas && window.raumatlas.renders) || 0"))


def wait_renders(page, before: tuple[int, ...], timeout_ms: float = 30_000) -> None:  # noqa: ANN001
    """Wait until every map ``i`` rendered more often than ``before[i]``."""
    for i, n in enumerate(before):
        map_frame(page, i).locator(f"body[data-ra-renders]:not([data-ra-renders='{n}'])").wait_for(
            state="attached", timeout=timeout_ms)


def map_view(page, i: int) -> tuple[float, float, float]:  # noqa: ANN001
    """(zoom, centre lat, centre lon) of map ``i``."""
    z, lat, lon = frame_eval(page, i, "() => { const m = window.raumatlas.map, c = m.getCenter(); "
                                      "return [m.getZoom(), c.lat, c.lng]; }")
    return float(z), float(lat), float(lon)


class WebsocketLog:
    """Every websocket message the page receives, with its arrival time (attach before ``goto``)."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.frames: list[tuple[float, int, bytes]] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:  # noqa: ANN001
        data = payload if isinstance(payload, bytes) else payload.encode()
        self.frames.append((time.perf_counter(), len(data), data))

    def since(self, t0: float) -> list[bytes]:
        """The messages received after ``t0`` (``time.perf_counter()``)."""
        return [d for t, _, d in self.frames if t >= t0]


def area_hit_point(page, i: int, nth: int) -> tuple[float, float] | None:  # noqa: ANN001
    """Page coordinates of a point where the ``nth`` largest area polygon of map ``i`` is really hit, or None."""
    frame = page.locator(MAP_FRAME).nth(i)
    box = frame.bounding_box()
    if box is None:
        raise RuntimeError(f"map {i} has no bounding box")
    hit = map_frame(page, i).locator("body").evaluate(
        """(body, [sel, nth]) => {
            const paths = Array.from(document.querySelectorAll(sel))
                .map(p => [p, p.getBoundingClientRect()])
                .sort((a, b) => b[1].width * b[1].height - a[1].width * a[1].height);
            if (nth >= paths.length) return null;
            const [p, r] = paths[nth];
            for (const fy of [0.5, 0.4, 0.6, 0.3, 0.7]) for (const fx of [0.5, 0.4, 0.6, 0.3, 0.7]) {
                const x = r.left + r.width * fx, y = r.top + r.height * fy;
                if (x < 50 && y < 80) continue;  // the zoom buttons
                if (document.elementFromPoint(x, y) === p) return [x, y];
            }
            return null;
        }""",
        [AREA_POLYGON, nth],
    )
    return None if hit is None else (box["x"] + hit[0], box["y"] + hit[1])
