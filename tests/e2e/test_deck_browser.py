"""The talk deck as a speaker sees it: the HTML file opened from ``file://`` in headless Debian Chromium.

Every request that is not ``file:``, ``data:`` or ``blob:`` is aborted and recorded; the deck
must make none. Colours are checked against the app's own loaders and classification
(:mod:`tests.deck_helpers`), not against the deck's data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.deck import build_deck
from dashboard.deck_data import read_build, read_stories
from tests.deck_helpers import app_view, with_area_name
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, require_chromium

require_chromium()

pytestmark = pytest.mark.e2e

LOCAL = ("file:", "data:", "blob:")
AREAS = "path.leaflet-interactive[data-area-id]"
EVIL = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def stories():
    return read_stories()


@pytest.fixture(scope="module")
def deck_files(processed_build: Path, stories, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundled stories' deck, and one whose first area name and story title carry HTML."""
    folder = tmp_path_factory.mktemp("deck")
    build = read_build(processed_build)
    plain = folder / "deck.html"
    plain.write_text(build_deck(stories, build, "de").html, encoding="utf-8")
    evil_build = with_area_name(build, "munich", "stadtbezirk", "01", EVIL + "Altstadt")
    evil = folder / "evil.html"
    evil.write_text(build_deck([{**stories[0], "title_de": EVIL}], evil_build, "de").html, encoding="utf-8")
    return {"plain": plain, "evil": evil}


@pytest.fixture(scope="module")
def browser(sync_pw, tmp_path_factory: pytest.TempPathFactory):
    """Chromium at 1280x720 that lets only file:/data:/blob: through and records every URL asked for."""
    context = sync_pw.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 720})
    context.requests = []

    def guard(route) -> None:  # noqa: ANN001
        context.requests.append(route.request.url)
        route.continue_() if route.request.url.startswith(LOCAL) else route.abort("blockedbyclient")

    context.route("**/*", guard)
    try:
        yield context
    finally:
        context.close()


def _open(browser, path: Path):  # noqa: ANN001, ANN202
    page = browser.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector(f"#map-berlin {AREAS}")
    return page


@pytest.fixture
def page(browser, deck_files):
    p = _open(browser, deck_files["plain"])
    yield p
    p.close()


def _step(page) -> int:  # noqa: ANN001
    return int(page.locator("body").get_attribute("data-step"))


def _fills(page, city: str) -> dict[str, str]:  # noqa: ANN001
    js = "ps => Object.fromEntries(ps.map(p => [p.dataset.areaId, p.getAttribute('fill')]))"
    return page.eval_on_selector_all(f"#map-{city} {AREAS}", js)


def test_every_story_shows_both_maps_in_the_apps_colours_with_no_request_outside_the_file(
        page, browser, stories) -> None:
    for i, story in enumerate(stories):
        assert _step(page) == i
        state, app = app_view(story["query"])
        for city in ("munich", "berlin"):
            colours, expected = app[city]
            fills = _fills(page, city)
            assert fills == expected, (i, city)  # every area of the level, each in its class colour
            swatches = page.eval_on_selector_all(
                f"#legend-{city} .ra-legend-class span[style*=background]",
                "ss => ss.map(s => s.style.background)")
            assert len(swatches) == len(colours) and all(swatches), (i, city, swatches)
            rgb = [tuple(int(c[k:k + 2], 16) for k in (1, 3, 5)) for c in colours]
            assert swatches == [f"rgb({r}, {g}, {b})" for r, g, b in rgb], (i, city)
        assert page.locator("#map-munich .ra-label").count() >= 5  # Handlungsraum labels
        assert "Näherung" in page.locator("#map-munich").inner_text()
        assert page.locator("#note").inner_text().strip()
        if i < len(stories) - 1:
            page.keyboard.press("ArrowRight") if i % 2 == 0 else page.get_by_role("button", name="Weiter →").click()
    assert not page.errors
    outside = [u for u in browser.requests if not u.startswith(LOCAL)]
    assert not outside, outside
    assert browser.requests, "the guard saw no request: is the route installed?"


def test_arrow_keys_and_buttons_step_through_the_stories(page, stories) -> None:
    title0 = page.locator("#title").inner_text()
    page.keyboard.press("ArrowRight")
    assert _step(page) == 1 and page.locator("#title").inner_text() != title0
    assert page.locator("#title").inner_text() == stories[1]["title_de"]
    page.get_by_role("button", name="Weiter →").click()
    assert _step(page) == 2
    page.keyboard.press("ArrowLeft")
    page.get_by_role("button", name="← Zurück").click()
    assert _step(page) == 0 and page.get_by_role("button", name="← Zurück").is_disabled()
    page.keyboard.press("End")
    assert _step(page) == len(stories) - 1 and page.get_by_role("button", name="Weiter →").is_disabled()
    page.keyboard.press("ArrowRight")
    assert _step(page) == len(stories) - 1
    assert page.locator("#pos").inner_text() == f"Station {len(stories)} von {len(stories)}"


def test_focus_story_draws_every_planning_area(page, stories) -> None:
    i = next(i for i, s in enumerate(stories) if "lvl_ber=planungsraum" in s["query"])
    page.evaluate(f"window.raumatlasDeck.show({i})")
    assert page.locator(f"#map-berlin {AREAS}").count() == 542


def _hover(page, city: str, area_id: str) -> str:  # noqa: ANN001
    """Move the mouse onto an area (a point that hits its own path) and return the tooltip text."""
    xy = page.eval_on_selector(f'#map-{city} path[data-area-id="{area_id}"]', """p => {
        const r = p.getBoundingClientRect();
        for (let fy = 0.5; fy < 1; fy += 0.05) for (const fx of [0.5, 0.4, 0.6, 0.3, 0.7]) {
            const x = r.left + r.width * fx, y = r.top + r.height * fy;
            if (document.elementFromPoint(x, y) === p) return [x, y];
        }
        return null;
    }""")
    assert xy, f"{city} {area_id} not hit anywhere"
    page.mouse.move(xy[0] - 3, xy[1] - 3)
    page.mouse.move(xy[0], xy[1])
    tip = page.locator(".leaflet-tooltip.ra-tt").last
    tip.wait_for(state="visible")
    return tip.inner_text()


def test_tooltips_show_formatted_values(page) -> None:
    text = _hover(page, "berlin", "011001")  # a Bezirksregion in Mitte
    assert re.search(r"Arbeitslosenanteil \(15–64 J\.\): \d+,\d %", text), text
    assert re.search(r"Rang \d+ von 143", text) and "Berlin gesamt: " in text, text


def test_html_in_data_shows_as_text(browser, deck_files) -> None:
    page = _open(browser, deck_files["evil"])
    try:
        assert page.locator("#title").inner_text() == EVIL
        assert page.locator("#title img, #title script").count() == 0
        _hover(page, "munich", "01")
        # the hovered area's tooltip (a neighbour's may still be on its way out): the markup is text
        tip = page.locator(".leaflet-tooltip.ra-tt", has_text="Altstadt").last
        tip.wait_for(state="visible")
        assert tip.inner_text().startswith(EVIL + "Altstadt"), tip.inner_text()
        assert tip.locator("img, script").count() == 0
        page.wait_for_timeout(200)
        assert page.evaluate("window.__xss") is None
        assert not page.errors
    finally:
        page.close()
