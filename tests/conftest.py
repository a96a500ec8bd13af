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
