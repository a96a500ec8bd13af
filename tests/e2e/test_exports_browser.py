"""The export downloads as users see them: view as PNG/PDF next to the maps and in presentation mode,
"Steckbrief als PDF" in the profile (the real app in headless Chromium, network blocked)."""

from __future__ import annotations

import io
import subprocess

from PIL import Image

from tests.e2e.harness import ARTIFACTS, require_chromium
from tests.e2e.map_probe import wait_maps_drawn

require_chromium()

VIEW = "?ind=unemployment_share&lvl_muc=stadtbezirk&lvl_ber=bezirksregion&area=berlin:011001"


def _download(page, name: str, timeout_ms: float = 60_000) -> bytes:  # noqa: ANN001
    button = page.get_by_role("button", name=name)
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=timeout_ms) as info:
        button.click()
    return info.value.path().read_bytes()


def test_view_png_and_pdf_and_profile_pdf_download(browser_context, app_server, tmp_path) -> None:
    page = browser_context.new_page()
    try:
        page.goto(app_server.url + "/" + VIEW)
        wait_maps_drawn(page, (25, 143), timeout_ms=120_000)
        page.get_by_role("button", name="Steckbrief als PDF").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        png = _download(page, "Ansicht als PNG (Folie)")
        page.screenshot(path=str(ARTIFACTS / "exports-view-buttons.png"))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert Image.open(io.BytesIO(png)).size == (1920, 1080)
        pdf = _download(page, "Ansicht als PDF")
        assert pdf[:5] == b"%PDF-"
        profile = _download(page, "Steckbrief als PDF")
        page.screenshot(path=str(ARTIFACTS / "exports-profile-button.png"))
        assert profile[:5] == b"%PDF-"
        (tmp_path / "p.pdf").write_bytes(profile)
        text = subprocess.run(["pdftotext", str(tmp_path / "p.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Tiergarten Süd" in text and "Vergleichbare Indikatoren" in text
    finally:
        page.close()


def test_presentation_mode_offers_the_view_downloads(browser_context, app_server) -> None:
    page = browser_context.new_page()
    try:
        page.goto(app_server.url + "/?present=1&step=0&lang=en")
        wait_maps_drawn(page, (25, 143), timeout_ms=120_000)
        png = _download(page, "View as PNG (slide)")
        assert Image.open(io.BytesIO(png)).size == (1920, 1080)
        assert page.get_by_role("button", name="View as PDF").is_visible()
    finally:
        page.close()
