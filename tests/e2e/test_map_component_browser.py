"""The map component in a real browser: values on change, kept zoom, reliable clicks, taps, tab order.

The app runs as users start it and the network is blocked (see ``conftest.py``). Each
test can fail: a reloaded frame loses the marker set on its ``window``, a redraw from
scratch fetches the geometry again, a lost click leaves the profile heading absent.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.harness import MAP_FRAME, NetworkGuard, require_chromium
from tests.e2e.map_probe import (
    AREA_POLYGON,
    COMPONENT_MARK,
    WebsocketLog,
    area_hit_point,
    choose_option,
    frame_eval,
    legend_texts,
    map_frame,
    map_renders,
    map_view,
    wait_legends_change,
    wait_maps_drawn,
    wait_renders,
    wait_still,
)

require_chromium()

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.test_app_browser import _features, _pick_indicator, _ui  # noqa: E402

pytestmark = pytest.mark.e2e

DEFAULT_POLYGONS = (25, 143)
MAX_BYTES_PER_CHANGE = 50_000


def _mark_frames(page) -> None:  # noqa: ANN001
    for i in range(2):
        frame_eval(page, i, "() => { window.__raMark = 'kept'; }")


def _marks(page) -> list[str | None]:  # noqa: ANN001
    return [frame_eval(page, i, "() => window.__raMark || null") for i in range(2)]


def _geometry_loads(page) -> list[int]:  # noqa: ANN001
    return [int(frame_eval(page, i, "() => window.raumatlas.geometryLoads")) for i in range(2)]


def _legend_classes(page) -> list[dict[str, int]]:  # noqa: ANN001
    """Per legend (Munich, Berlin): swatch colour -> count of areas, including the grey no-data entry."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.ra-legend')).filter(e => e.getClientRects().length)
            .map(legend => {
                const out = {};
                legend.querySelectorAll('.ra-legend-class, .ra-legend-nodata').forEach(entry => {
                    const sw = entry.querySelector('span[style*="background"]');
                    const colour = (sw.getAttribute('style').match(/background:\\s*(#[0-9a-fA-F]{6})/) || [])[1];
                    const n = (entry.innerText.match(/\\((\\d+)\\)\\s*$/) || [])[1];
                    if (colour && n !== undefined) out[colour.toLowerCase()] = Number(n);
                });
                return out;
            })""")


def _polygon_fills(page, i: int) -> dict[str, int]:  # noqa: ANN001
    return frame_eval(page, i, """sel => {
        const out = {};
        document.querySelectorAll(sel).forEach(p => {
            const f = (p.getAttribute('fill') || '').toLowerCase();
            out[f] = (out[f] || 0) + 1;
        });
        return out;
    }""", AREA_POLYGON)


def _assert_fills_match_legends(page) -> None:  # noqa: ANN001
    legends = _legend_classes(page)
    assert len(legends) == 2, legends
    for i, legend in enumerate(legends):
        fills = _polygon_fills(page, i)
        assert fills == {c: n for c, n in legend.items() if n}, (i, fills, legend)


def test_indicator_change_keeps_the_frame_and_recolours_to_the_legend(page):
    """A new indicator reaches the same Leaflet map: no reload, no new geometry, fills = legend classes."""
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    _assert_fills_match_legends(page)
    before_fills = [_polygon_fills(page, i) for i in range(2)]
    loads = _geometry_loads(page)
    before = legend_texts(page)
    renders = (map_renders(page, 0), map_renders(page, 1))
    _mark_frames(page)
    _pick_indicator(page, "foreign_share")
    wait_legends_change(page, before)
    wait_renders(page, renders)
    assert _marks(page) == ["kept", "kept"]  # the frames were not reloaded
    assert _geometry_loads(page) == loads  # and the geometry was not fetched again
    _assert_fills_match_legends(page)
    assert [_polygon_fills(page, i) for i in range(2)] != before_fills


def test_bytes_per_indicator_change_at_planungsraum_level(browser_context, app_server):
    """Only values travel: the map messages of one indicator change stay under 50 KB with 542 Planungsräume."""
    page = browser_context.new_page()
    try:
        log = WebsocketLog(page)
        page.goto(f"{app_server.url}/?lvl_ber=planungsraum")
        wait_maps_drawn(page, (25, _features("berlin", "planungsraum")))
        before = legend_texts(page)
        renders = (map_renders(page, 0), map_renders(page, 1))
        page.wait_for_timeout(500)
        t0 = time.perf_counter()
        _pick_indicator(page, "foreign_share")
        wait_legends_change(page, before)
        wait_renders(page, renders)
        page.wait_for_timeout(300)
        messages = [m for m in log.since(t0) if COMPONENT_MARK in m]
        assert messages, "no map message seen: is the component mark right?"
        berlin = [m for m in messages if b"berlin|planungsraum" in m]
        assert berlin and max(len(m) for m in berlin) <= MAX_BYTES_PER_CHANGE, [len(m) for m in berlin]
        assert sum(len(m) for m in messages) <= 2 * MAX_BYTES_PER_CHANGE, [len(m) for m in messages]
    finally:
        page.close()


def test_language_switch_keeps_zoom_and_pan(page):
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    frame_eval(page, 1, "() => window.raumatlas.map.setView([52.50, 13.40], 12, {animate: false})")
    frame_eval(page, 0, "() => window.raumatlas.map.setView([48.14, 11.57], 12.5, {animate: false})")
    views = [map_view(page, i) for i in range(2)]
    renders = (map_renders(page, 0), map_renders(page, 1))
    before = legend_texts(page)
    page.get_by_role("radiogroup", name=_ui("language", "de")).get_by_role("radio", name="EN", exact=True).click()
    wait_legends_change(page, before)
    wait_renders(page, renders)
    assert [v for i in range(2) for v in map_view(page, i)] == pytest.approx([v for view in views for v in view])
    assert frame_eval(page, 1, "() => document.documentElement.lang") == "en"


def test_level_change_fits_the_new_level(page):
    """The kept view is only for the same level: another level is drawn whole."""
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    frame_eval(page, 1, "() => window.raumatlas.map.setView([52.50, 13.40], 13, {animate: false})")
    choose_option(page, _ui("level", "de"), _ui("level_bezirk", "de"), nth=1)
    expect(map_frame(page, 1).locator(AREA_POLYGON)).to_have_count(_features("berlin", "bezirk"))
    page.wait_for_timeout(300)
    assert map_view(page, 1)[0] < 13


def test_story_step_at_the_same_level_keeps_zoom(browser_context, app_server):
    present = browser_context.new_page()
    try:
        present.goto(f"{app_server.url}/?present=1")
        wait_maps_drawn(present, DEFAULT_POLYGONS)
        frame_eval(present, 1, "() => window.raumatlas.map.setView([52.52, 13.41], 12, {animate: false})")
        view = map_view(present, 1)
        renders = (map_renders(present, 0), map_renders(present, 1))
        _mark_frames(present)
        present.get_by_role("button", name=_ui("story_next", "de")).click()  # story 2: same levels
        wait_renders(present, renders)
        assert _marks(present) == ["kept", "kept"]
        assert map_view(present, 1) == pytest.approx(view)
    finally:
        present.close()


def _profile_heading(page, name: str):  # noqa: ANN001, ANN202
    return page.get_by_role("heading", name=_ui("profile_title", "de").format(name=name))


def _click_area(page, i: int, nth: int) -> str | None:  # noqa: ANN001
    """Hover and click the ``nth`` largest area of map ``i``; returns its name from the tooltip."""
    wait_still(page, i)  # the page scrolls to the last profile opened: aim once it has stopped
    point = area_hit_point(page, i, nth)
    if point is None:
        return None
    page.mouse.move(*point)
    tooltip = map_frame(page, i).locator(".ra-tt")
    expect(tooltip).to_have_count(1)  # one hover tooltip at a time, not a stale one of the last click
    expect(tooltip).to_be_visible()
    name = tooltip.locator("b").first.inner_text().strip()
    page.mouse.click(*point)
    return name


def test_ten_clicks_on_ten_areas_open_ten_profiles(page, browser_context, app_server):
    """Every click on another area opens that area, first time (alternating maps and within one map)."""
    page.goto(f"{app_server.url}/?lvl_ber=bezirk")
    wait_maps_drawn(page, (25, 12))
    seen: list[str] = []
    plan = [(1, 0), (1, 1), (0, 0), (1, 2), (1, 3), (0, 1), (0, 2), (1, 4), (0, 3), (1, 5)]
    for i, nth in plan:
        wait_still(page, i)
        page.locator(MAP_FRAME).nth(i).scroll_into_view_if_needed()
        name = _click_area(page, i, nth)
        assert name, (i, nth)
        expect(_profile_heading(page, name)).to_be_visible(timeout=15_000)
        seen.append(name)
    assert len(set(seen)) == 10, seen


def test_a_tap_on_a_tablet_opens_the_profile(browser_context, app_server):
    """768 px wide, touch: a tap on an area opens its profile."""
    page = browser_context.new_page()
    try:
        page.set_viewport_size({"width": 768, "height": 1024})
        page.goto(f"{app_server.url}/?lvl_ber=bezirk")
        wait_maps_drawn(page, (25, 12))
        page.locator(MAP_FRAME).nth(1).scroll_into_view_if_needed()
        point = area_hit_point(page, 1, 0)
        assert point is not None
        # A touch tap as a tablet sends it: touch events only, no mouse hover first.
        cdp = browser_context.new_cdp_session(page)
        for kind in ("touchStart", "touchEnd"):
            cdp.send("Input.dispatchTouchEvent", {
                "type": kind, "touchPoints": [] if kind == "touchEnd" else [{"x": point[0], "y": point[1]}]})
        page.wait_for_url(lambda url: (parse_qs(urlparse(url).query).get("area") or [""])[0].startswith("berlin:"),
                          timeout=15_000)
        area = parse_qs(urlparse(page.url).query)["area"][0]
        assert re.fullmatch(r"berlin:\d{2}", area), area
    finally:
        page.close()


def test_map_frames_have_titles_and_few_tab_stops(page):
    """Each frame is named; inside it, the map is one stop and no polygon is a tab stop."""
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    titles = [page.locator(MAP_FRAME).nth(i).get_attribute("title") for i in range(2)]
    assert titles[0].startswith("Karte München") and titles[1].startswith("Karte Berlin"), titles
    for i in range(2):
        stops = frame_eval(page, i, """() => Array.from(document.querySelectorAll(
            'a[href], button, input, select, textarea, [tabindex], path, svg'))
            .filter(e => e.tabIndex >= 0 && !e.closest('[aria-hidden=true]') || e.tagName === 'path' && e.tabIndex >= 0)
            .map(e => e.tagName + '.' + (e.getAttribute('class') || ''))""")
        assert not [s for s in stops if s.lower().startswith("path")], stops
        assert len(stops) <= 5, stops


def test_facility_points_cluster_and_load_their_code_only_when_shown(page, browser_context, app_server):
    """Leaflet.markercluster reaches a frame with the facility layer (``?loc=``), not with every map."""
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    assert [frame_eval(page, i, "() => typeof L.markerClusterGroup") for i in range(2)] == ["undefined"] * 2
    shown = browser_context.new_page()
    try:
        shown.goto(f"{app_server.url}/?loc=kita")
        wait_maps_drawn(shown, DEFAULT_POLYGONS)
        for i in range(2):  # Munich 1,527 and Berlin 2,880 day-care centres, in clusters with counts
            clusters = map_frame(shown, i).locator(".marker-cluster")
            clusters.first.wait_for(timeout=30_000)
            counts = [int(t) for t in clusters.all_inner_texts() if t.strip().isdigit()]
            assert counts and max(counts) > 1, counts
            style = frame_eval(shown, i, """() => [typeof L.markerClusterGroup,
                getComputedStyle(document.querySelector('.marker-cluster-small, .marker-cluster-medium,'
                                                        + ' .marker-cluster-large')).backgroundColor]""")
            assert style[0] == "function" and style[1] not in ("", "rgba(0, 0, 0, 0)"), style  # its style sheet too
    finally:
        shown.close()


def test_no_external_requests_from_the_map_component(browser_context, network_guard: NetworkGuard):
    """Runs after the tests above in this module: the component loaded nothing from outside 127.0.0.1."""
    assert network_guard.allowed > 0
    assert network_guard.blocked == []
    assert json.dumps(network_guard.blocked) == "[]"


_BORDER_SIDES_JS = """(sel) => {
    // Hover-highlight one area in the middle of the city, then look 1.2 px to each side of its outline:
    // hit-tested by the fill, one side is this area and the other its neighbour (or nothing at the city edge).
    const paths = Array.from(document.querySelectorAll(sel));
    const box = document.querySelector(".leaflet-container").getBoundingClientRect();
    const mid = [box.left + box.width / 2, box.top + box.height / 2];
    const inner = paths.map(p => [p, p.getBoundingClientRect()])
        .filter(([p, r]) => r.width > 30 && r.height > 30)
        .sort((a, b) => Math.hypot(a[1].x + a[1].width / 2 - mid[0], a[1].y + a[1].height / 2 - mid[1])
                      - Math.hypot(b[1].x + b[1].width / 2 - mid[0], b[1].y + b[1].height / 2 - mid[1]))[0][0];
    inner.setAttribute("stroke-width", "3");  // as on mouseover
    const svg = inner.ownerSVGElement, m = inner.getScreenCTM(), len = inner.getTotalLength();
    let sampled = 0, split = 0;
    for (let k = 0; k < 60; k++) {
        const a = inner.getPointAtLength(len * k / 60), b = inner.getPointAtLength(len * k / 60 + 0.5);
        const dx = b.x - a.x, dy = b.y - a.y, n = Math.hypot(dx, dy) || 1;
        const p = new DOMPoint(a.x, a.y).matrixTransform(m);
        const side = s => document.elementFromPoint(p.x - s * 1.2 * dy / n, p.y + s * 1.2 * dx / n);
        const one = side(1), other = side(-1);
        if (!one || !other || !svg.contains(one) && !svg.contains(other)) continue;
        sampled++;
        if (one !== other && (one === inner || other === inner)) split++;
    }
    return [sampled, split];
}"""


def test_a_hovered_outline_does_not_catch_the_mouse_over_the_neighbour(page):
    """Areas answer the mouse by their fill: 1.2 px across a highlighted (3 px) border is the neighbour."""
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    for i in range(2):
        assert frame_eval(page, i, f"() => getComputedStyle(document.querySelector('{AREA_POLYGON}')).pointerEvents"
                          ).lower() == "visiblefill"
        sampled, split = frame_eval(page, i, _BORDER_SIDES_JS, AREA_POLYGON)
        assert sampled >= 40 and split >= 0.9 * sampled, (i, sampled, split)  # the stroke catches both sides


# Stamps (on the page's clock) the first moment each deferred section is in the page.
_SECTION_STAMPS_JS = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__raSections = {};
  const look = () => {
    for (const [name, sel] of [["ranking", ".st-key-ra-ranking"], ["comparison", "#vergleich"]]) {
      if (!(name in window.__raSections) && document.querySelector(sel)) window.__raSections[name] = now();
    }
  };
  const watch = () => new MutationObserver(look).observe(document.body, {subtree: true, childList: true});
  if (document.body) watch(); else document.addEventListener("DOMContentLoaded", watch);
})()"""


def _first_renders(page) -> list[float]:  # noqa: ANN001
    return [frame_eval(page, i, "() => window.raumatlas.renderTimes[0]") for i in range(2)]


def test_first_paint_draws_both_maps_before_the_sections_below_them(browser_context, app_server):
    """A new session gets the maps first; the ranking and the comparison arrive only after both maps were drawn.

    Deterministic: the first run sends no ranking or comparison at all, and the run that sends them
    starts when the last map frame reports that it is drawn. A reload is a new session: it reports again.
    """
    page = browser_context.new_page()
    page.add_init_script(_SECTION_STAMPS_JS)
    try:
        for _ in range(2):  # first open, then a reload in the same tab (a new session, a new token)
            page.goto(app_server.url) if not page.url.startswith("http") else page.reload()
            wait_maps_drawn(page, DEFAULT_POLYGONS)
            page.locator(".st-key-ra-ranking").wait_for(state="attached", timeout=30_000)
            page.locator("#vergleich").wait_for(state="attached", timeout=30_000)
            stamps = page.evaluate("() => window.__raSections")
            drawn = max(_first_renders(page))
            assert stamps["ranking"] > drawn and stamps["comparison"] > drawn, (stamps, drawn)
            expect(page.get_by_text("Datenquellen", exact=False).first).to_be_attached()  # the footer too
    finally:
        page.close()


def test_a_map_that_never_draws_does_not_keep_the_rest_of_the_page_away(browser_context, app_server):
    """Berlin's geometry request hangs: Munich draws, and its frame reports after the fallback delay all the same."""
    page = browser_context.new_page()
    held = []
    page.route("**/app/static/geo/**/berlin_*", lambda route: held.append(route))  # never answered
    try:
        page.goto(app_server.url)
        map_frame(page, 0).locator(AREA_POLYGON).nth(DEFAULT_POLYGONS[0] - 1).wait_for(state="attached")
        page.locator(".st-key-ra-ranking").wait_for(state="attached", timeout=30_000)  # the fallback: 8 s
        expect(page.get_by_role("combobox", name="Indikator", exact=True)).to_be_visible()  # the controls too
        assert held and frame_eval(page, 1, "() => window.raumatlas.renders") == 0
    finally:
        page.close()
