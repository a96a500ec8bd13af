"""Fixtures for the browser tests: one app server and one Chromium per session, a fresh page per test.

A failing test leaves a screenshot in ``test-artifacts/`` (gitignored) and the
server log stays in ``test-artifacts/e2e-streamlit.log`` (``e2e-streamlit-gw0.log`` … when pytest-xdist runs
the suite in several workers: each worker has its own server and browser).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import ARTIFACTS, AppServer, NetworkGuard, launch_browser, running_app
from tests.e2e.map_probe import wait_maps_drawn

WARM_POLYGONS = (25, 143)  # Munich Stadtbezirke, Berlin Bezirksregionen (default levels)


@pytest.fixture(scope="session")
def app_server(processed_build: Path) -> Iterator[AppServer]:
    """``streamlit run streamlit_app.py`` on a free port of 127.0.0.1 for the whole session."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    with running_app(ARTIFACTS / f"e2e-streamlit{'-' + worker if worker else ''}.log") as server:
        yield server


@pytest.fixture(scope="session")
def network_guard() -> NetworkGuard:
    """Records every request outside 127.0.0.1/localhost made by any page of the session."""
    return NetworkGuard()


@pytest.fixture(scope="session")
def sync_pw():
    """One Playwright driver for the whole session (a second ``sync_playwright()`` in the same thread fails)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser_context(app_server: AppServer, network_guard: NetworkGuard, tmp_path_factory: pytest.TempPathFactory,
                    sync_pw):
    """Debian Chromium with a fresh profile; the app is opened once here so that its caches are warm."""
    context = launch_browser(sync_pw, tmp_path_factory.mktemp("chromium-profile"), network_guard)
    try:
        page = context.new_page()
        page.goto(app_server.url)
        wait_maps_drawn(page, WARM_POLYGONS, timeout_ms=180_000)  # first run loads the build
        page.close()
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context, app_server: AppServer):
    """A new tab (a new Streamlit session) on the app's start page."""
    p = browser_context.new_page()
    p.goto(app_server.url)
    yield p
    p.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Save a screenshot of every open page of the test (its own tabs) when the test body fails."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    context = getattr(item, "funcargs", {}).get("browser_context")
    page = getattr(item, "funcargs", {}).get("page")
    pages = list(context.pages) if context is not None else [page] if page is not None else []
    pages = [p for p in pages if p.url != "about:blank"]  # the persistent context's initial tab
    for i, p in enumerate(pages):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid) + (f"_{i}" if i else "") + ".png"
        path = Path(ARTIFACTS) / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            p.screenshot(path=str(path))
            report.sections.append(("e2e screenshot", str(path)))
        except Exception as exc:  # noqa: BLE001 - a closed page must not hide the real failure
            report.sections.append(("e2e screenshot", f"failed: {exc}"))
