"""The dashboard as users see it: the real app (``streamlit run``) in headless Debian Chromium.

Every request outside 127.0.0.1 is aborted and recorded (see ``harness.NetworkGuard``);
the last test asserts that none was made. Expected labels come from the build's
``catalog.json`` and ``geodata/translations.toml``, expected polygon counts from the
build's web layers, so the tests follow the data instead of hard-coding it.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.harness import POLYGON, ROOT, NetworkGuard, require_chromium
from tests.e2e.map_probe import (
    choose_option,
    clickable_polygon_centre,
    legend_texts,
    map_frame,
    map_renders,
    wait_legends_change,
    wait_maps_drawn,
    wait_renders,
)

require_chromium()  # CI installs chromium: there a missing browser fails instead of skipping

from playwright.sync_api import expect  # noqa: E402 - only after the browser check

pytestmark = pytest.mark.e2e

PROCESSED = ROOT / "geodata" / "processed"
DEFAULT_POLYGONS = (25, 143)  # Munich Stadtbezirke, Berlin Bezirksregionen (at least; Munich adds HR outlines)
OTHER_INDICATOR = "foreign_share"  # comparable: drawn in both cities at the default levels
SIDEBAR = '[data-testid="stSidebar"]'


@cache
def _catalog() -> dict[str, dict]:
    return {e["indicator_id"]: e for e in json.loads((PROCESSED / "catalog.json").read_text(encoding="utf-8"))}


@cache
def _ui(key: str, lang: str) -> str:
    with open(ROOT / "geodata" / "translations.toml", "rb") as fh:
        return tomllib.load(fh)["ui"][key][lang]


@cache
def _features(city: str, level: str) -> int:
    path = PROCESSED / "web" / f"{city}_{level}.geojson"
    return len(json.loads(path.read_text(encoding="utf-8"))["features"])


def _label(indicator: str, lang: str = "de") -> str:
    return _catalog()[indicator][f"label_{lang}"]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def _pick_indicator(page, indicator: str, lang: str = "de") -> None:
    # Picker entries may carry a group prefix/mark; the indicator's label ends them.
    choose_option(page, _ui("indicator", lang), re.compile(re.escape(_label(indicator, lang)) + r"$"))


def test_both_maps_draw_their_polygons(page):
    """Vendored Leaflet runs in both component iframes and draws every area of the default levels."""
    munich, berlin = wait_maps_drawn(page, DEFAULT_POLYGONS)
    assert munich >= _features("munich", "stadtbezirk") == 25
    assert berlin >= _features("berlin", "bezirksregion") == 143
    assert all(_label("unemployment_share") in text for text in legend_texts(page))


def test_indicator_change_changes_both_legends(page):
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    before = legend_texts(page)
    renders = (map_renders(page, 0), map_renders(page, 1))
    _pick_indicator(page, OTHER_INDICATOR)
    after = wait_legends_change(page, before)
    wait_renders(page, renders)  # both maps applied the new values, not only their legends
    label = _label(OTHER_INDICATOR)
    assert label in after[0] and label in after[1], after
    assert _label("unemployment_share") not in after[0] + after[1]
    page.wait_for_url(lambda url: _query(url).get("ind") == [OTHER_INDICATOR])


@pytest.mark.parametrize(("i", "city"), [(1, "berlin"), (0, "munich")])
def test_clicking_an_area_opens_its_profile(page, i, city):
    """Hover shows the area's name in the tooltip; a click on the same spot opens that area's Steckbrief."""
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    x, y = clickable_polygon_centre(page, i)
    page.mouse.move(x, y)
    tooltip = map_frame(page, i).locator(".ra-tt")
    expect(tooltip).to_be_visible()
    name = tooltip.locator("b").first.inner_text().strip()
    assert name
    page.mouse.click(x, y)
    heading = page.get_by_role("heading", name=_ui("profile_title", "de").format(name=name))
    expect(heading).to_be_visible()
    page.wait_for_url(lambda url: (_query(url).get("area") or [""])[0].startswith(f"{city}:"))


def test_permalink_reproduces_the_view(page, browser_context, app_server):
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    default_legends = legend_texts(page)
    _pick_indicator(page, OTHER_INDICATOR)
    wait_legends_change(page, default_legends)
    choose_option(page, _ui("level", "de"), _ui("level_prognoseraum", "de"), nth=1)  # Berlin's level picker
    n_prognoseraum = _features("berlin", "prognoseraum")
    expect(map_frame(page, 1).locator(POLYGON)).to_have_count(n_prognoseraum)
    page.wait_for_url(lambda url: _query(url).get("lvl_ber") == ["prognoseraum"]
                      and _query(url).get("ind") == [OTHER_INDICATOR])
    view_legends = legend_texts(page)
    assert view_legends != default_legends
    picked = page.get_by_role("combobox", name=_ui("indicator", "de")).input_value()

    shared = urlparse(page.url).query
    other = browser_context.new_page()  # a fresh session: nothing but the URL carries the view
    other.goto(f"{app_server.url}/?{shared}")
    expect(map_frame(other, 1).locator(POLYGON)).to_have_count(n_prognoseraum)
    wait_maps_drawn(other, (25, n_prognoseraum))
    assert other.get_by_role("combobox", name=_ui("indicator", "de")).input_value() == picked
    assert legend_texts(other) == view_legends
    assert _query(other.url) == _query(page.url)


def test_presentation_mode_hides_the_sidebar(page, browser_context, app_server):
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    expect(page.locator(SIDEBAR)).to_be_visible()  # the normal view has it: the check below can fail
    present = browser_context.new_page()
    present.goto(f"{app_server.url}/?present=1")
    wait_maps_drawn(present, DEFAULT_POLYGONS)  # story 0 = the default levels
    expect(present.locator(SIDEBAR)).to_be_hidden()
    expect(present.get_by_role("combobox", name=_ui("indicator", "de"))).to_have_count(0)
    expect(present.locator('[data-testid="stToolbar"]')).to_be_hidden()


def test_language_switch_to_english(page):
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    before = legend_texts(page)
    expect(page.get_by_role("heading", name=_ui("app_title", "de"))).to_be_visible()
    page.get_by_role("radiogroup", name=_ui("language", "de")).get_by_role("radio", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name=_ui("app_title", "en"))).to_be_visible()
    expect(page.get_by_role("combobox", name=_ui("indicator", "en"))).to_be_visible()
    after = wait_legends_change(page, before)
    assert all(_label("unemployment_share", "en") in text for text in after), after
    page.wait_for_url(lambda url: _query(url).get("lang") == ["en"])


def test_network_guard_blocks_and_records_external_requests(browser_context, app_server):
    """The guard itself works (a page-level route takes precedence over the session's guard)."""
    probe = NetworkGuard()
    p = browser_context.new_page()
    try:
        p.route("**/*", probe.handle)
        p.goto(f"{app_server.url}/_stcore/health")
        url = "https://unpkg.com/leaflet@1.9.3/dist/leaflet.js"
        result = p.evaluate("u => fetch(u).then(() => 'loaded', () => 'failed')", url)
    finally:
        p.close()
    assert result == "failed"
    assert probe.blocked == [url]
    assert probe.allowed >= 1


def test_no_external_requests_were_made(browser_context, network_guard):
    """Runs last: nothing in this session (pages, maps, fonts) tried to reach beyond 127.0.0.1."""
    assert network_guard.allowed > 0, "the guard saw no request at all: is the route installed?"
    assert network_guard.blocked == []
