"""Shared fixtures: the real bundled geodata folder (read-only in tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import config


@pytest.fixture(scope="session")
def geodata() -> Path:
    """The repository's geodata folder with the real bundled raw data."""
    return config.GEODATA_DIR


@pytest.fixture(scope="session")
def sources(geodata: Path):
    """Parsed sources.toml."""
    from pipelines.registry import load_sources

    return load_sources(geodata)


@pytest.fixture(scope="session")
def processed_build(geodata: Path) -> Path:
    """The real build in geodata/processed, built first when missing or stale (a fresh clone has none).

    App and browser tests need it; building here instead of skipping keeps them honest on CI.
    """
    from pipelines.builder.manifest import is_build_current
    from pipelines.builder.orchestrate import run_build

    out = config.resolve_paths(geodata).out
    if not is_build_current(geodata, out):
        run_build(geodata, out)
    return out


@pytest.fixture(scope="session", autouse=True)
def _whole_page_in_first_run() -> Iterator[None]:
    """AppTest has no browser whose map frames report "drawn": the app draws its whole page in the first run.

    Session-wide, so that module-scoped app fixtures see it too. The progressive first paint
    (``dashboard/views_first_paint.py``) is tested where it is on: ``tests/test_app_first_paint.py``
    switches it back on, and the browser tests run a real server that this fixture does not reach.
    """
    from dashboard import views_first_paint, views_maps

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(views_first_paint, "ENABLED", False)
        mp.setattr(views_maps, "MAPS_FIRST_S", 0.0)  # no browser paints there either (tests/test_app_maps_first.py)
        yield
