"""The comparison table as a planner uses it, in headless Chromium against the real app.

Click Handlungsraum 6 on the map (one click opens its profile), add it to the comparison, add
"übriges München" and Neukölln in the picker, open the copied URL in a new tab, download the CSV
and read it as German Excel does: the values on screen are in the file.
"""

from __future__ import annotations

import csv
import io
import tomllib
from functools import cache
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.harness import ROOT, require_chromium
from tests.e2e.map_probe import map_frame, wait_maps_drawn

require_chromium()

from playwright.sync_api import expect  # noqa: E402 - only after the browser check

pytestmark = pytest.mark.e2e
DEFAULT_POLYGONS = (25, 143)
PINS = "munich:hr6,munich:rest,berlin:08"


@cache
def _ui(key: str) -> str:
    with open(ROOT / "geodata" / "translations.toml", "rb") as fh:
        return tomllib.load(fh)["ui"][key]["de"]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def _click_hr6(page) -> None:  # noqa: ANN001
    """Click the label "HR 6 Neuperlach" on the Munich map; its profile opens."""
    _settle(page)
    label = map_frame(page, 0).locator(".ra-label", has_text="HR 6")
    expect(label).to_have_count(1)
    label.click()
    heading = page.get_by_role("heading", name=_ui("profile_title").format(name="Neuperlach"))
    expect(heading).to_be_visible(timeout=30_000)


def _settle(page) -> None:  # noqa: ANN001
    """Wait until the app has finished its rerun (Streamlit shows a status widget while running)."""
    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=30_000)


def _pick_area(page, text: str) -> None:  # noqa: ANN001
    option = page.get_by_role("option", name=text, exact=True)
    for attempt in range(3):  # a late rerun (e.g. a map reporting its first view) may clear what was typed
        _settle(page)
        box = page.get_by_role("combobox", name=_ui("cmp_pick_areas"))
        box.click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(text)
        try:
            expect(option).to_have_count(1, timeout=10_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
            if attempt == 2:
                raise
    page.wait_for_timeout(500)  # the list re-renders while it filters
    option.click()
    page.keyboard.press("Escape")
    _settle(page)


def _comparison_cells(page) -> list[list[str]]:  # noqa: ANN001
    """The comparison grid's visible rows as text (Streamlit's grid exposes its cells to assistive tech)."""
    grid = page.locator('[data-testid="stDataFrame"]').filter(has_text=_ui("cmp_col_area_id"))
    expect(grid).to_have_count(1)
    grid.scroll_into_view_if_needed()
    expect(grid.locator("[role=gridcell]").first).to_be_attached()
    expect(grid.locator("[role=columnheader]").first).to_be_attached()
    headers = [h.strip() for h in grid.locator("[role=columnheader]").all_inner_texts()]
    cells = [c.strip() for c in grid.locator("[role=gridcell]").all_inner_texts()]
    width = len(headers)
    assert width == 12 and len(cells) >= width, (headers, cells[:20])
    return [headers] + [cells[i:i + width] for i in range(0, len(cells) - len(cells) % width, width)]


def _read_like_german_excel(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8, no cp1252 guessing needed
    text = data[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return [[c[2:-1] if c.startswith('="') and c.endswith('"') else c for c in r] for r in rows]


def _german_number(cell: str) -> float | None:
    """How German Excel reads a number ("5.432" and "5432" are the same; "16,9" is 16.9)."""
    if cell in ("", "–"):
        return None
    return float(cell.replace(".", "").replace(",", "."))


def test_handlungsraum_is_one_click(page):
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    _click_hr6(page)
    page.wait_for_url(lambda url: _query(url).get("area") == ["munich:hr6"])
    expect(map_frame(page, 0).locator(".leaflet-popup")).to_have_count(0)  # nothing covers the map


def test_comparison_from_the_ui_reloads_from_its_url_and_downloads_as_german_excel(page, browser_context,
                                                                                   app_server):
    wait_maps_drawn(page, DEFAULT_POLYGONS)
    _click_hr6(page)
    page.get_by_role("button", name=_ui("cmp_add")).click()
    page.wait_for_url(lambda url: _query(url).get("cmp") == ["munich:hr6"])
    _pick_area(page, "Übriges München")
    _pick_area(page, "Neukölln (Berlin, Bezirk)")
    page.wait_for_url(lambda url: _query(url).get("cmp") == [PINS])

    again = browser_context.new_page()  # a fresh session: only the URL carries the comparison
    again.goto(f"{app_server.url}/?{urlparse(page.url).query}")
    wait_maps_drawn(again, DEFAULT_POLYGONS)
    screen = _comparison_cells(again)
    assert screen[0][:6] == ["Indikator", "Gebiet", "Stadt", "Ebene", "Gebiets-ID", "Stand"]
    assert {r[1] for r in screen[1:]} == {"Neuperlach", "Übriges München", "Neukölln"}
    with again.expect_download() as info:
        # the comparison's own button (the open profile's tables have buttons of the same name)
        again.locator(".st-key-cmp_dl_csv").get_by_role("button", name=_ui("download_csv_excel")).click()
    download = info.value
    assert download.suggested_filename == "raumatlas_vergleich.csv"
    rows = _read_like_german_excel(open(download.path(), "rb").read())  # noqa: SIM115
    assert rows[0] == screen[0]
    by_key = {(r[0], r[1]): r for r in rows[1:]}
    for row in screen[1:]:
        got = by_key[(row[0], row[1])]
        assert got[4:6] + got[7:8] == row[4:6] + row[7:8], row  # id, date, unit as text
        for i in (6, 8, 9, 10):  # value, city value, index, coverage: the same number as on screen
            assert _german_number(got[i]) == _german_number(row[i]), (row, got)
            assert "." not in got[i]  # no thousands separator in the file
    neukoelln = next(r for r in rows[1:] if r[1] == "Neukölln")
    assert neukoelln[4] == "08"  # the id stays text, leading zero kept
    assert any("," in r[6] for r in rows[1:])  # decimal comma
    again.close()
