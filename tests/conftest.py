"""Shared fixtures: the real bundled geodata folder (read-only in tests)."""

from __future__ import annotations

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
