"""The project panel as a planner uses it in the browser: unfold it, choose a file (tests and benchmarks share this)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UPLOAD_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'


@cache
def panel_title(lang: str = "de") -> str:
    """The panel's label in ``lang`` (from geodata/translations.toml)."""
    with open(ROOT / "geodata" / "translations.toml", "rb") as fh:
        return tomllib.load(fh)["ui"]["proj_title"][lang]


def open_project_panel(page, lang: str = "de", timeout_ms: int = 30_000) -> None:  # noqa: ANN001 - playwright page
    """Unfold the project panel (a person opens it before choosing a file); nothing if it is open."""
    summary = page.locator('[data-testid="stExpander"] summary', has_text=panel_title(lang))
    summary.wait_for(timeout=timeout_ms)
    if not summary.evaluate("e => e.parentElement.open"):
        summary.click()
    page.locator('[data-testid="stFileUploaderDropzone"]').wait_for(timeout=timeout_ms)


def choose_file(page, path: Path, timeout_ms: int = 60_000) -> None:  # noqa: ANN001 - playwright page
    """Choose ``path`` in the uploader once the last run has finished, as a person would."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=timeout_ms)
    page.locator(UPLOAD_INPUT).set_input_files(str(path))
