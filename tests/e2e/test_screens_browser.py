"""Screens at both ends: map labels on a 390 px phone, the profile beside the maps on a 1920 px screen,
and the profile tables' own download buttons (CSV for German Excel, XLSX) in the UI language.

Every wait is for a condition (the map frame laid its labels out at its real width, the
profile stands where it belongs), never for a fixed time.
"""

from __future__ import annotations

import io
import itertools
import re

import pytest

from dashboard.i18n import t
from tests.e2e.harness import MAP_FRAME
from tests.e2e.map_probe import AREA_POLYGON, area_hit_point, map_frame, wait_maps_drawn

pytestmark = pytest.mark.e2e

PROFILE = ".st-key-profile"
MAPS = ".st-key-ra-maps"
N_HR_LABELS = 5  # the Munich Handlungsräume

_LABELS_PLACED_JS = """(n) => { const m = window.raumatlas && window.raumatlas.map;
    return !!m && document.querySelectorAll('.leaflet-tooltip.ra-label').length >= n
        && document.body.getAttribute('data-ra-label-width') === String(m.getSize().x)
        && m.getSize().x === document.getElementById('map').clientWidth; }"""

_LABEL_BOXES_JS = """() => [window.raumatlas.map.getSize().x, window.raumatlas.map.getSize().y,
    Array.from(document.querySelectorAll('.leaflet-tooltip.ra-label')).map(e => {
        const r = e.getBoundingClientRect(); return [e.textContent, r.left, r.top, r.right, r.bottom]; })]"""


def _open(browser_context, app_server, query: str, width: int, height: int):  # noqa: ANN001, ANN202
    p = browser_context.new_page()
    p.set_viewport_size({"width": width, "height": height})
    p.goto(app_server.url + "/" + query)
    wait_maps_drawn(p, (1, 1), timeout_ms=180_000)
    return p


def _apart(a: list, b: list) -> bool:
    return a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]


def test_phone_390_labels_are_placed_for_the_real_frame(browser_context, app_server):
    """At 390 px the Munich frame is narrower than the 450 px the server plans for: the frame places its labels."""
    page = _open(browser_context, app_server, "", 390, 844)
    try:
        frame = page.locator(MAP_FRAME).nth(0).element_handle().content_frame()
        frame.wait_for_function(_LABELS_PLACED_JS, arg=N_HR_LABELS, timeout=30_000)
        width, height, labels = frame.evaluate(_LABEL_BOXES_JS)
        assert width < 450, f"the test needs a frame narrower than the server's plan, got {width} px"
        assert len(labels) == N_HR_LABELS
        outside = [lab for lab in labels if lab[1] < -0.5 or lab[2] < -0.5 or lab[3] > width + 0.5
                   or lab[4] > height + 0.5]
        assert not outside, f"labels leave the {width}x{height} frame: {outside}"
        clashes = [(a[0], b[0]) for a, b in itertools.combinations(labels, 2) if not _apart(a, b)]
        assert not clashes, f"overlapping labels at {width} px: {clashes}"
    finally:
        page.close()


_PLACED_JS = """([profile, maps, frame, wide]) => {
    const p = document.querySelector(profile), m = document.querySelector(maps);
    if (!p || !m || p.getAttribute('tabindex') !== '-1') return false;  // the page script has brought it in
    const a = p.getBoundingClientRect(), b = m.getBoundingClientRect();
    const inView = a.top >= -1 && a.bottom <= innerHeight + 1 && a.left >= -1 && a.right <= innerWidth + 1;
    const frames = Array.from(document.querySelectorAll(frame)).map(f => f.getBoundingClientRect());
    const beside = frames.length === 2
        && frames.every(f => f.top < a.bottom && f.bottom > a.top && f.top < innerHeight);
    if (wide) return a.left >= b.right - 1 && inView && beside;
    return a.top >= b.bottom - 1 && a.top >= -1 && a.top < innerHeight;
}"""


@pytest.mark.parametrize("width, height, wide", [(1920, 1080, True), (1366, 768, False)])
def test_profile_opens_beside_the_maps_on_wide_screens(browser_context, app_server, width, height, wide):
    """1920x1080: after a click the profile stands right of the maps, wholly on screen; 1366: below, scrolled to."""
    page = _open(browser_context, app_server, "", width, height)
    try:
        map_frame(page, 0).locator(AREA_POLYGON).nth(24).wait_for(state="attached", timeout=30_000)
        hit = area_hit_point(page, 0, 0)
        assert hit is not None, "no clickable Munich area"
        page.mouse.click(*hit)
        page.locator(PROFILE).wait_for(timeout=30_000)
        page.wait_for_function(_PLACED_JS, arg=[PROFILE, MAPS, MAP_FRAME, wide], timeout=30_000)
        profile = page.locator(PROFILE).bounding_box()
        maps = page.locator(MAPS).bounding_box()
        if wide:
            assert profile["x"] >= maps["x"] + maps["width"] - 1, (profile, maps)
            assert profile["y"] >= 0 and profile["y"] + profile["height"] <= height + 1, profile
            frames = [page.locator(MAP_FRAME).nth(i).bounding_box() for i in range(2)]
            assert all(f["y"] < profile["y"] + profile["height"] and f["y"] + f["height"] > profile["y"]
                       for f in frames), f"beside: the profile {profile} and the maps {frames} share the height"
            assert all(f["y"] + f["height"] > 0 and f["y"] < height for f in frames), f"maps off screen: {frames}"
        else:
            assert profile["y"] >= maps["y"] + maps["height"] - 1, (profile, maps)
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["de", "en"])
def test_profile_tables_download_as_excel_csv_and_xlsx(browser_context, app_server, lang):
    """Each profile table has its own buttons in the UI language; the CSV is German-Excel, the XLSX opens."""
    page = _open(browser_context, app_server, f"?area=munich:16&lang={lang}", 1366, 768)
    try:
        profile = page.locator(PROFILE)
        profile.wait_for(timeout=30_000)
        csv_buttons = profile.get_by_role("button", name=t("download_csv_excel", lang), exact=True)
        xlsx_buttons = profile.get_by_role("button", name=t("download_xlsx", lang), exact=True)
        csv_buttons.nth(1).wait_for(timeout=30_000)  # the indicator table and the facility list
        assert csv_buttons.count() == 2 and xlsx_buttons.count() == 2
        csv = _download(page, csv_buttons.first)
        assert csv.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
        lines = csv.decode("utf-8-sig").split("\r\n")
        header = lines[0].split(";")
        assert header[:3] == [t("col_indicator", lang), t("col_period", lang), t("col_value", lang)], header
        assert any(re.search(r";\d+,\d+;", line) for line in lines[1:]), "numbers with a decimal comma"
        assert not any(re.search(r";\d+\.\d+;", line) for line in lines[1:]), "no decimal point in the CSV"
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(_download(page, xlsx_buttons.first))).active
        assert [c.value for c in sheet[1]][:3] == header[:3]
        listing = _download(page, csv_buttons.nth(1)).decode("utf-8-sig")
        assert listing.split("\r\n")[0].split(";")[0] == t("col_name", lang)
    finally:
        page.close()


def _download(page, button) -> bytes:  # noqa: ANN001
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    return info.value.path().read_bytes()
