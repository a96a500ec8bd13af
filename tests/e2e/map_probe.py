"""Read the Raumatlas maps in the browser: frames, polygons, legends, the component's own state.

The helpers the e2e tests and ``benchmarks/bench_app.py`` use to wait for and inspect the two
map frames of a page driven by :mod:`tests.e2e.harness` (which starts the app and the browser).
"""

from __future__ import annotations

import time

from tests.e2e.harness import LEGEND, MAP_FRAME, POLYGON


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


RUNNING = '[data-testid="stStatusWidget"]'  # Streamlit's "Running..." while a script run is in progress


def wait_still(page, i: int, timeout_ms: float = 10_000, settle_ms: int = 120) -> None:  # noqa: ANN001
    """Wait until map ``i``'s frame stays put (no smooth scroll to a new profile, no layout change in flight).

    A point computed while the page still scrolls is stale by the time the mouse gets there: the
    hover shows one area and the click lands on another (or on none).
    """
    deadline = time.monotonic() + timeout_ms / 1000
    page.locator(RUNNING).wait_for(state="detached", timeout=timeout_ms)  # the run (and its scroll script) is done
    frame = page.locator(MAP_FRAME).nth(i)
    last, same = None, 0
    while time.monotonic() < deadline:
        now = (frame.bounding_box(), page.evaluate("() => [window.scrollX, window.scrollY]"))
        same = same + 1 if now == last else 0
        if same == 2:  # unchanged over two intervals
            return
        last = now
        page.wait_for_timeout(settle_ms)
    raise TimeoutError(f"map {i} still moving after {timeout_ms:.0f} ms: {last!r}")


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
