"""What people on other screens and with other means see: projector, laptop, tablet, keyboard, axe-core, language.

Each test opens its own tab with the viewport it is about; the app server and the
browser come from ``conftest.py``. axe-core is vendored (``tests/e2e/vendor/axe.min.js``,
MPL-2.0, from the npm package ``axe-core``) so the test runs offline.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from dashboard.i18n import t
from dashboard.page_style import PICKER_PENDING
from dashboard.views_state import w_level
from tests.e2e.harness import LEGEND, MAP_FRAME
from tests.e2e.map_probe import map_frame, wait_maps_drawn

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
HR_LABEL = ".leaflet-tooltip.ra-label"
STORY = ".st-key-ra-story"
N_STORIES = 5
SEARCH_DE = "Gebiet suchen (Name oder Nummer, beide Städte)"
RANKING = ".st-key-ra-ranking"
GRID_TABLE = '[data-testid="stDataFrame"] table'  # the grid's DOM table for screen readers: the text it draws


def _open(browser_context, app_server, query: str, width: int, height: int):  # noqa: ANN001, ANN202
    p = browser_context.new_page()
    p.set_viewport_size({"width": width, "height": height})
    p.goto(app_server.url + "/" + query)
    wait_maps_drawn(p, (1, 1), timeout_ms=180_000)  # generous: CI machines are shared
    return p


def _inside(box: dict | None, width: int, height: int) -> bool:
    return box is not None and box["x"] >= -1 and box["y"] >= -1 and \
        box["x"] + box["width"] <= width + 1 and box["y"] + box["height"] <= height + 1


def _intersect(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def _sidebar_collapsed(page) -> bool:  # noqa: ANN001
    """The sidebar is off screen (or has no width): it does not cover the page."""
    page.wait_for_timeout(500)  # its slide-out transition
    return page.evaluate("""() => { const s = document.querySelector('[data-testid="stSidebar"]');
        if (!s) return true; const r = s.getBoundingClientRect(); return r.right <= 2 || r.width <= 2; }""")


def _hr_label_boxes(page) -> list[dict]:  # noqa: ANN001
    labels = page.frame_locator(MAP_FRAME).nth(0).locator(HR_LABEL)
    labels.first.wait_for(timeout=30_000)
    page.wait_for_timeout(600)  # the frame's final size: Leaflet refits once
    return [labels.nth(i).bounding_box() for i in range(labels.count())]


@pytest.mark.parametrize("step", range(N_STORIES))
def test_projector_720p_fits_one_screen_and_labels_never_overlap(browser_context, app_server, step):
    page = _open(browser_context, app_server, f"?present=1&step={step}", 1280, 720)
    try:
        page.locator(LEGEND).nth(1).wait_for(timeout=30_000)
        parts = {"title": page.locator("h1").first, "map_munich": page.locator(MAP_FRAME).nth(0),
                 "map_berlin": page.locator(MAP_FRAME).nth(1), "legend_munich": page.locator(LEGEND).nth(0),
                 "legend_berlin": page.locator(LEGEND).nth(1), "story": page.locator(STORY)}
        outside = {name: loc.bounding_box() for name, loc in parts.items()
                   if not _inside(loc.bounding_box(), 1280, 720)}
        assert not outside, f"step {step}: not on the 1280x720 screen: {outside}"
        scroll = page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop")
        assert scroll == 0
        # The story's text stays inside its box, and the maps' headers start below it (they ran into each other).
        story = parts["story"].bounding_box()
        text = page.locator(f"{STORY} p").last.bounding_box()
        header = page.locator(".st-key-ra-maps [data-testid='stMarkdownContainer'] p").first.bounding_box()
        assert text["y"] + text["height"] <= story["y"] + story["height"] + 0.5 <= header["y"], (text, story, header)
        boxes = _hr_label_boxes(page)
        assert len(boxes) == 5
        clashes = [(a, b) for a, b in itertools.combinations(boxes, 2) if _intersect(a, b)]
        assert not clashes, f"step {step}: overlapping Handlungsraum labels {clashes}"
    finally:
        page.close()


def test_tablet_768_collapses_sidebar_and_stacks_maps(browser_context, app_server):
    page = _open(browser_context, app_server, "", 768, 1024)
    try:
        assert _sidebar_collapsed(page)
        main = page.locator('[data-testid="stMain"]').bounding_box()
        assert main["x"] < 5 and main["width"] > 740, "the main area must take the whole width"
        muc, ber = (page.locator(MAP_FRAME).nth(i).bounding_box() for i in range(2))
        assert muc["width"] >= 600 and ber["width"] >= 600 and muc["height"] >= 350
        assert ber["y"] >= muc["y"] + muc["height"], "maps stacked: Berlin below Munich"
        # Each city's heading stays one word on one line and sits above its own map.
        for name, frame in (("München", muc), ("Berlin", ber)):
            heading = page.locator("h4", has_text=re.compile(f"^{name}$")).first
            lines = heading.evaluate("""h => { const r = document.createRange();
                r.selectNodeContents(h.querySelector('span') || h);  // the text, not the hidden anchor link
                return new Set(Array.from(r.getClientRects()).map(b => Math.round(b.top))).size; }""")
            assert lines == 1, f"{name} heading broken over {lines} lines"
            assert heading.bounding_box()["y"] < frame["y"]
        assert page.locator("h4", has_text="Berlin").first.bounding_box()["y"] > muc["y"]
        # The search's label (two lines at this width) starts below Streamlit's header bar, not under it.
        label = page.locator('[data-testid="stTextInput"] [data-testid="stWidgetLabel"]').first
        label.wait_for(timeout=30_000)
        header = page.locator('[data-testid="stHeader"]').bounding_box()
        assert label.bounding_box()["y"] >= header["y"] + header["height"] - 1, (label.bounding_box(), header)
    finally:
        page.close()


_FRAME_TOPS_JS = f"""() => Array.from(document.querySelectorAll('{MAP_FRAME}'),
    f => Math.round(f.getBoundingClientRect().top + window.scrollY))"""
_PLACEHOLDERS = """document.querySelectorAll('.st-key-ra-maps [data-testid="stSkeleton"]').length"""


@pytest.mark.parametrize("width, height", [(768, 1024), (1366, 768)])
def test_the_maps_stay_put_while_the_widgets_code_loads(browser_context, app_server, width, height):
    """A first visit: the level pickers and view downloads come as placeholders until their code arrived.

    Deterministic: the maps' geometry is held until the first paint is in the page, then every script
    asked for after it is held, so the full page stands with Streamlit's placeholders (``stSkeleton``)
    where the selectboxes and download buttons go. The map frames must be where the first paint put them,
    and stay there when the scripts arrive (at 768 px they moved by 17 and 77 px for about a second).
    """
    page = browser_context.new_page()  # routing a page turns its HTTP cache off: every script is asked for
    page.set_viewport_size({"width": width, "height": height})
    geometry, scripts = [], []
    hold = {"geometry": True, "scripts": False}
    page.route("**/app/static/geo/**", lambda route: geometry.append(route) if hold["geometry"] else route.fallback())
    page.route("**/static/js/**", lambda route: scripts.append(route) if hold["scripts"] else route.fallback())
    try:
        page.goto(app_server.url)
        page.locator(f".{PICKER_PENDING}").first.wait_for(state="attached", timeout=180_000)
        for i in range(2):  # laid out (a frame is in the page a moment before it has its size and place)
            page.locator(MAP_FRAME).nth(i).wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(300)
        first_paint = page.evaluate(_FRAME_TOPS_JS)
        hold.update(scripts=True, geometry=False)  # from here on, no script reaches the page until released
        while geometry:
            geometry.pop().fallback()
        page.locator(f".st-key-{w_level('munich')}").wait_for(state="attached", timeout=60_000)  # the full page
        page.wait_for_function(f"() => {_PLACEHOLDERS} >= 3", timeout=30_000)
        page.wait_for_timeout(300)
        loading = page.evaluate(_FRAME_TOPS_JS)
        placeholders = page.evaluate(f"() => {_PLACEHOLDERS}")
        hold["scripts"] = False
        while scripts:
            scripts.pop().fallback()
        page.get_by_role("combobox").first.wait_for(timeout=60_000)
        page.wait_for_function(f"() => {_PLACEHOLDERS} === 0", timeout=60_000)
        wait_maps_drawn(page, (1, 1), timeout_ms=60_000)
        done = page.evaluate(_FRAME_TOPS_JS)
        assert placeholders >= 3, "the pickers and downloads were not placeholders: the scripts were not held"
        assert len(first_paint) == 2 and first_paint == loading == done, (first_paint, loading, done)
    finally:
        page.unroute_all(behavior="ignoreErrors")
        page.close()


def test_phone_390_is_usable(browser_context, app_server):
    page = _open(browser_context, app_server, "", 390, 844)
    try:
        assert _sidebar_collapsed(page)
        frame = page.locator(MAP_FRAME).nth(0).bounding_box()
        assert frame["width"] >= 300
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, "no sideways scrolling on a phone"
    finally:
        page.close()


def test_laptop_1366_shows_both_legends_without_scrolling(browser_context, app_server):
    page = _open(browser_context, app_server, "", 1366, 768)
    try:
        page.locator(LEGEND).nth(1).wait_for(timeout=30_000)
        for i in range(2):
            box = page.locator(LEGEND).nth(i).bounding_box()
            assert _inside(box, 1366, 768), f"legend {i} at {box} is below the fold"
        boxes = _hr_label_boxes(page)
        assert not [(a, b) for a, b in itertools.combinations(boxes, 2) if _intersect(a, b)]
    finally:
        page.close()


def test_keyboard_only_search_opens_neuperlach(browser_context, app_server):
    page = _open(browser_context, app_server, "", 1366, 768)
    try:
        page.get_by_label(SEARCH_DE).wait_for(timeout=30_000)  # the search follows the maps (views_first_paint)
        page.evaluate("document.activeElement && document.activeElement.blur()")  # start of the tab order
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label')") \
                    == SEARCH_DE:
                break
        else:
            pytest.fail("the search box is not reachable with Tab")
        page.keyboard.type("Neuperlach")
        page.keyboard.press("Enter")
        page.get_by_role("button", name=re.compile("^Neuperlach · Handlungsraum")).wait_for(timeout=30_000)
        for _ in range(5):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement ? document.activeElement.innerText : ''")
            if focused.startswith("Neuperlach · Handlungsraum"):
                break
        else:
            pytest.fail(f"the first result is not reached with Tab (focus on {focused!r})")
        page.keyboard.press("Enter")
        heading = page.get_by_text("Steckbrief: Neuperlach", exact=True)
        heading.wait_for(timeout=30_000)
        page.wait_for_function("new URLSearchParams(location.search).get('area') === 'munich:hr6'", timeout=10_000)
        page.wait_for_timeout(1500)  # the scroll into view
        assert _inside(heading.bounding_box(), 1366, 768), "the profile must come into view"
    finally:
        page.close()


_AXE_RUN = """async () => {
    const r = await axe.run(document, {iframes: false, resultTypes: ['violations']});
    return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => [v.id, v.impact, v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)]);
}"""


def _serious_axe_violations(page) -> dict[str, list]:  # noqa: ANN001
    """axe-core in the page and, separately, inside each map frame (same origin: served by Streamlit).

    Returns the serious/critical violations per document (``main``, ``map 0``, ``map 1``).
    """
    for i in range(2):  # each map has drawn its arguments (labels, tooltips, markers) before it is audited
        map_frame(page, i).locator("body[data-ra-renders]").wait_for(state="attached", timeout=30_000)
    frames = [page.locator(MAP_FRAME).nth(i).element_handle().content_frame() for i in range(2)]
    out = {}
    for name, doc in (("main", page.main_frame), ("map 0", frames[0]), ("map 1", frames[1])):
        doc.add_script_tag(path=str(AXE))
        out[name] = doc.evaluate(_AXE_RUN)
    return out


@pytest.mark.parametrize("query, wait_for", [
    ("", "h1"),
    ("?area=munich:hr6", ".st-key-profile"),
    ("?area=berlin:081005&lang=en", ".st-key-profile"),
    ("?present=1", STORY),
    ("?present=1&step=1&lang=en", STORY),
    ("?loc=kita,youth_centre&area=munich:16", ".st-key-profile"),  # facility markers and clusters in the frames
])
def test_axe_core_finds_no_serious_violations(browser_context, app_server, query, wait_for):
    """Main page (with the ranking below the maps), profiles, presentation mode — and inside both map frames."""
    page = _open(browser_context, app_server, query, 1366, 768)
    try:
        page.locator(wait_for).first.wait_for(timeout=30_000)
        if not query.startswith("?present"):
            page.locator(f"{RANKING} {GRID_TABLE}").nth(1).wait_for(state="attached", timeout=30_000)
        violations = _serious_axe_violations(page)
        assert not any(violations.values()), violations
        lang = "en" if "lang=en" in query else "de"
        assert page.evaluate("document.documentElement.lang") == lang
    finally:
        page.close()


ENGLISH_UI_WORDS = ("Drag and drop", "Browse files", "per file", "Download as CSV", "Search", "Fullscreen",
                    "January", "February", "March", "April", "June", "July", "August", "October", "December",
                    "Show data", "Upload")
GERMAN_UI_WORDS = ("Sprache", "Klassifizierung", "Anzahl Klassen", "Farbskala", "Gebiet suchen", "Datei auswählen",
                   "Datei hierher", "keine Daten", "Steckbrief", "Herunterladen", "Zurück", "Weiter", "dunkel =",
                   "Näherung", "Einwohner", "Stadtwert", "Juli", "Dezember")


def _visible_text(page, lang: str) -> str:  # noqa: ANN001
    """Text a person sees: rendered text, chart text (SVG) and what CSS puts in ::before/::after.

    The footer's source list is left out: official dataset titles ("Einwohner je Planungsraum")
    are names, quoted as published, not UI text.
    """
    parts = page.evaluate("""() => {
        const svg = Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join(' ');
        const pseudo = Array.from(document.querySelectorAll('*')).flatMap(e => ['::before', '::after']
            .map(p => getComputedStyle(e, p).content)).filter(c => c && c !== 'none' && c !== 'normal').join(' ');
        return [document.body.innerText, svg, pseudo];
    }""")
    body = parts[0].partition(t("footer_sources", lang))[0]
    return " ".join([body, *parts[1:]])


_GRID_ROWS_JS = f"""() => Array.from(document.querySelectorAll('{RANKING} {GRID_TABLE}'))
    .map(t => Array.from(t.querySelectorAll('tr')).map(r => Array.from(r.children).map(c => c.textContent)))"""
NUMBER = {"de": r"−?\d{1,3}(?:\.\d{3})*(?:,\d+)?", "en": r"−?\d{1,3}(?:,\d{3})*(?:\.\d+)?"}


def _ranking_tables(page) -> list[list[list[str]]]:  # noqa: ANN001
    """The rankings and the summary as read from the grid's DOM tables (the canvas has no text to read)."""
    page.locator(f"{RANKING} {GRID_TABLE}").nth(2).wait_for(state="attached", timeout=30_000)
    return page.evaluate(_GRID_ROWS_JS)


def _check_ranking_language(tables: list[list[list[str]]], lang: str, forbidden: tuple[str, ...]) -> None:
    """Headers in ``lang``; every value written with the language's decimal mark (German: decimal comma)."""
    assert len(tables) == 3, f"two rankings and the summary expected, got {len(tables)}"
    decimals = 0
    for rows in tables:
        header, body = rows[0], rows[1:]
        assert t("col_area", lang) in header, header
        values = [i for i, h in enumerate(header) if h.startswith(t("col_value", lang))]
        assert len(values) == 1, header
        assert not [w for w in forbidden if any(w in h for h in header)], header
        for row in body:
            cell = row[values[0]].strip()
            if cell in ("", "–") or cell[0].isalpha():  # no value: a dash or the flag's text ("keine Daten")
                continue
            number = re.match(NUMBER[lang], cell)  # then nothing but a unit: "5,2", "4,60 %", "4.60%", "6.070 Einw."
            assert number and re.fullmatch(rf"{NUMBER[lang]}(?:\s\S.*|%)?", cell), f"{lang}: value {cell!r} in {row}"
            decimals += ("," if lang == "de" else ".") in number.group(0)
    assert decimals, "no value with decimals: the check would not see a wrong decimal mark"


@pytest.mark.parametrize("lang, forbidden", [("de", ENGLISH_UI_WORDS), ("en", GERMAN_UI_WORDS)])
def test_one_language_at_a_time(browser_context, app_server, lang, forbidden):
    """The page, the profile beside the maps, the upload panel and the ranking tables (headers and numbers)."""
    page = _open(browser_context, app_server, f"?lang={lang}&area=munich:16", 1920, 1080)
    try:
        page.locator(".st-key-profile").wait_for(timeout=30_000)
        page.locator('[data-testid="stExpander"] summary').first.click()  # the project upload panel
        page.locator('[data-testid="stFileUploaderDropzone"]').wait_for(timeout=30_000)
        page.locator(".st-key-profile svg text").first.wait_for(timeout=30_000)  # the time-series chart
        tables = _ranking_tables(page)
        page.wait_for_timeout(800)
        text = " ".join([_visible_text(page, lang), *(" ".join(c for r in rows for c in r) for rows in tables)])
        found = [w for w in forbidden if re.search(rf"(?<![\\wäöüß]){re.escape(w)}(?![\\wäöüß])", text)]
        assert not found, f"{lang} page shows {found}"
        _check_ranking_language(tables, lang, forbidden)
    finally:
        page.close()
