"""Projects as a planner uses them, in headless Debian Chromium: upload, report, markers, collaboration, no XSS.

The uploaded file is hand-made in the test (fictitious projects): two point projects whose titles
carry HTML/script, and one area-based project with two departments in every Munich Stadtbezirk
(IDs from the build), so whichever Stadtbezirk is clicked has a collaboration view. Any JavaScript
dialog (``alert``) would mean an injected script ran: none may open.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.harness import MAP_FRAME, ROOT, NetworkGuard, require_chromium
from tests.e2e.map_probe import clickable_polygon_centre, map_frame
from tests.e2e.project_panel import choose_file, open_project_panel

require_chromium()

from playwright.sync_api import expect  # noqa: E402 - only after the browser check

pytestmark = pytest.mark.e2e

PROCESSED = ROOT / "geodata" / "processed"
XSS_TITLE = "<img src=x onerror=alert(1)>"
SCRIPT_TITLE = "<script>alert('t')</script> TESTDATEN"
MARKER = "path.ra-project"


@cache
def _ui(key: str, lang: str = "de") -> str:
    with open(ROOT / "geodata" / "translations.toml", "rb") as fh:
        return tomllib.load(fh)["ui"][key][lang]


def _fixture(tmp_path: Path) -> tuple[Path, int]:
    areas = pd.read_parquet(PROCESSED / "areas.parquet", columns=["city", "level", "area_id"])
    sb = sorted(areas.loc[(areas["city"] == "munich") & (areas["level"] == "stadtbezirk"), "area_id"])
    lines = ["id;titel;stadt;lat;lon;area_id;thema;federfuehrung;beteiligte_referate;partner;status",
             f"E-1;{XSS_TITLE};München;48,1374;11,5755;;Kultur;Kulturreferat;Sozialreferat;<b>Verein</b>;Idee",
             f"E-2;\"{SCRIPT_TITLE}\";Berlin;52,5219;13,4132;;Soziales;Bezirksamt Mitte;;;Planung"]
    lines += [f"E-SB{a};TESTDATEN Stadtbezirk {a} (fiktiv);München;;;{a};Beteiligung;Sozialreferat;"
              f"Referat für Stadtplanung und Bauordnung;Testverein;Umsetzung" for a in sb]
    path = tmp_path / "testprojekte_fiktiv.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines) - 1


def test_upload_report_markers_collaboration_without_xss(page, tmp_path: Path, network_guard: NetworkGuard) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    path, n_rows = _fixture(tmp_path)
    open_project_panel(page)
    # first a file that is refused, then the good one in its place (the uploader replaces its file)
    refused = tmp_path / "falsche_spalten.csv"
    refused.write_text("name;ort\nA;B\n", encoding="utf-8")
    choose_file(page, refused)
    expect(page.get_by_text(re.compile(r"falsche_spalten\.csv.*abgelehnt"))).to_be_visible(timeout=60_000)
    choose_file(page, path)

    # the report shows at once, in the panel that stayed open
    verdict = _ui("proj_verdict_ok").split("**:")[1].split("{rows}")[0].strip()  # "alle"
    expect(page.get_by_text(re.compile(rf"{verdict} {n_rows} Zeilen gültig"))).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"falsche_spalten\.csv.*abgelehnt"))).to_have_count(0)  # replaced

    # the cleaned file, made when it is asked for: German Excel CSV, titles as text
    page.locator('[data-testid="stExpander"] summary', has_text=path.name).click()  # the report's details
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=_ui("proj_download")).click()
    cleaned = Path(info.value.path()).read_bytes()
    assert cleaned.startswith("\ufeff".encode()) and cleaned.count(b"\r\n") == n_rows + 1
    assert XSS_TITLE.encode() in cleaned and b"id;titel;stadt;lat;lon" in cleaned

    # the projects are on both maps, escaped in their tooltips
    muc, ber = map_frame(page, 0), map_frame(page, 1)
    muc.locator(MARKER).nth(n_rows - 2).wait_for(state="attached", timeout=60_000)  # 1 point + 25 areas
    ber.locator(MARKER).first.wait_for(state="attached", timeout=30_000)
    page.locator(MAP_FRAME).nth(1).scroll_into_view_if_needed()
    box = ber.locator(MARKER).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = ber.locator(".leaflet-tooltip", has_text="TESTDATEN")
    expect(tooltip).to_contain_text(SCRIPT_TITLE, timeout=10_000)  # the script is shown as text
    assert ber.locator(".leaflet-tooltip script").count() == 0

    # open a Munich area: its profile lists the projects and who works together there
    x, y = clickable_polygon_centre(page, 0)
    page.mouse.click(x, y)
    expect(page.get_by_text(_ui("proj_collab_title"))).to_be_visible(timeout=60_000)
    expect(page.get_by_text(_ui("proj_collab_matrix"))).to_be_visible()
    share = page.locator('[data-testid="stMetric"]', has_text=_ui("proj_collab_share"))
    expect(share).to_contain_text("100 %")

    # the uploaded HTML never became markup in the page or the map frames
    assert page.locator("img[src='x']").count() == 0
    assert muc.locator("img[src='x']").count() == 0 and ber.locator("img[src='x']").count() == 0
    assert dialogs == [], f"an injected script ran: {dialogs}"
    assert network_guard.blocked == [], network_guard.blocked


def test_many_markers_on_a_canvas_show_their_tooltip_when_pointed_at(page, tmp_path: Path) -> None:
    """Past the SVG limit the markers are drawn on a canvas and a tooltip is made when the pointer reaches one.

    2,600 Berlin projects: all but one in a heap in Spandau, one alone at the Alexanderplatz, whose escaped
    title must show when the pointer is on it (the component sends texts as tables and builds the tooltip then).
    """
    from dashboard.i18n import format_number
    from dashboard.project_markers import SVG_LIMIT
    from tests.e2e.map_probe import frame_eval

    n = SVG_LIMIT + 600
    lines = ["id;titel;stadt;lat;lon;area_id;thema;federfuehrung;beteiligte_referate;partner;status"]
    heap = "Berlin;52,535;13,20;;Soziales;Bezirksamt Spandau;;;Idee"
    lines += [f"H-{i};TESTDATEN Haufen {i};{heap}" for i in range(n - 1)]
    lines.append("ALONE;<b>TESTDATEN allein</b>;Berlin;52,5219;13,4132;;Kultur;Bezirksamt Mitte;;;Planung")
    path = tmp_path / "viele_projekte_fiktiv.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    open_project_panel(page)
    choose_file(page, path)
    # counts in the German format: "2.600 Zeilen gültig"
    expect(page.get_by_text(re.compile(rf"{re.escape(format_number(n, 'de', 0))} Zeilen gültig"))).to_be_visible(
        timeout=60_000)
    page.locator(MAP_FRAME).nth(1).scroll_into_view_if_needed()
    ber = map_frame(page, 1)
    ber.locator("body[data-ra-settled]").wait_for(state="attached", timeout=30_000)
    expect(ber.locator(MARKER)).to_have_count(0)  # no SVG path per marker
    point = None
    for _ in range(60):  # until the run that brought the projects has been drawn
        point = frame_eval(page, 1, "() => window.raumatlas.projectPoint && window.raumatlas.projectPoint('allein')")
        if point:
            break
        page.wait_for_timeout(500)
    assert point and point["canvas"], point
    frame_box = page.locator(MAP_FRAME).nth(1).bounding_box()
    page.mouse.move(frame_box["x"] + point["x"], frame_box["y"] + point["y"])
    tooltip = ber.locator(".leaflet-tooltip.ra-project-tt")
    expect(tooltip).to_contain_text("<b>TESTDATEN allein</b>", timeout=10_000)  # the title as text, not markup
    expect(tooltip).to_contain_text("Kultur")
    assert ber.locator(".leaflet-tooltip b", has_text="TESTDATEN allein").count() == 1  # only the app's own bold
    # the area below (the canvas lets the pointer through) does not open its tooltip over the project's
    for other in ber.locator(".leaflet-tooltip.ra-tt:not(.ra-project-tt)").all():
        expect(other).to_be_hidden()
    page.mouse.move(frame_box["x"] + 5, frame_box["y"] + frame_box["height"] - 5)  # away from the marker
    expect(tooltip).to_have_count(0)
