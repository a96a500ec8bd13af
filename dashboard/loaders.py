"""The dashboard's only cached loaders: the pipeline build in ``geodata/processed/``.

Every loader takes the build version (``manifest.json`` ``build_version``) as
an argument, so a rebuild invalidates every cache at once. GeoDataFrames are
never hashed arguments. The whole-build tables (the indicator table, the areas,
the web layers, the locations, the build's projects) are held once per server
process (``cache_resource``, shared read-only): ``cache_data`` would unpickle a
fresh copy of each on every call, which cost a new session ~0.3 s of its first
run. Views never change them in place (pandas' copy-on-write keeps derived
frames apart; ``tests/test_shared_frames.py`` checks a tour of the app leaves
them equal to the files); the per-view selections stay ``cache_data`` copies. The files
themselves are read by :mod:`dashboard.build_files` (shared with the command-line
exports, which read a build without Streamlit).
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard import build_files
from dashboard.projects_view import ProjectDisplay, project_display
from dashboard.safe_text import visitor_text
from dashboard.state import LAYERS, Choices
from pipelines import config
from pipelines.errors import PipelineError
from pipelines.projects import ProjectSchema, load_project_schema
from pipelines.registry_schema import check_registry

VIEW_TTL_S = 3600
"""Per-view caches (one map's rows, one area's rows, a view's map arguments) also expire after an idle hour;
``max_entries`` bounds every cache of this module, so memory stays flat however many views are opened."""


def processed_dir() -> Path:
    """Where the build lives (``geodata/processed``)."""
    return config.resolve_paths().out


def _manifest_stamp() -> tuple[int, int]:
    """(mtime_ns, size) of manifest.json: a cheap change detector; (0, 0) if absent."""
    p = processed_dir() / config.MANIFEST_FILE
    if not p.exists():
        return 0, 0
    s = p.stat()
    return s.st_mtime_ns, s.st_size


@st.cache_data(show_spinner=False, max_entries=4)
def _read_manifest(stamp: tuple[int, int]) -> dict[str, Any]:
    return build_files.read_manifest(processed_dir()) if stamp[0] else {}


def load_manifest() -> dict[str, Any]:
    """The current build's manifest (empty dict before the first build)."""
    return _read_manifest(_manifest_stamp())


def build_version() -> str:
    """The key of every cache below; changes with each rebuild."""
    return str(load_manifest().get("build_version", "none"))


@st.cache_data(show_spinner=False, ttl=300, max_entries=4)
def _build_is_current(stamp: tuple[int, int]) -> bool:
    """Hashing the inputs takes a moment: checked once per manifest and at most every 5 minutes."""
    from pipelines.builder import is_build_current

    return bool(stamp[0]) and is_build_current()


def build_is_current() -> bool:
    """True when ``processed/`` exists and matches its inputs (cached per manifest, at most 5 minutes)."""
    return _build_is_current(_manifest_stamp())


def manifest_stamp() -> tuple[int, int]:
    """The manifest's (mtime_ns, size): identifies the build on disk; (0, 0) before the first build."""
    return _manifest_stamp()


def forget_build_state() -> None:
    """Drop the cached manifest and staleness verdict (after a build ran in this process)."""
    _build_is_current.clear()
    _read_manifest.clear()


@st.cache_data(show_spinner=False, max_entries=2)
def load_catalog(version: str) -> list[dict[str, Any]]:
    """``catalog.json``: one dict per indicator (labels, units, notes, levels, periods)."""
    return build_files.read_catalog(processed_dir())


def catalog_by_id(version: str) -> dict[str, dict[str, Any]]:
    """The catalog indexed by indicator id."""
    return {c["indicator_id"]: c for c in load_catalog(version)}


@st.cache_resource(show_spinner=False, max_entries=2)
def load_areas(version: str) -> pd.DataFrame:
    """The areas table without geometry (names, parents, population, Handlungsraum facts)."""
    return build_files.read_areas(processed_dir())


@st.cache_resource(show_spinner=False, max_entries=2)
def _indicator_table(version: str) -> pd.DataFrame:
    """The full long table, shared read-only by all sessions (never mutate it)."""
    return build_files.read_indicator_table(processed_dir())


@st.cache_data(show_spinner=False, max_entries=256, ttl=VIEW_TTL_S)
def indicator_values(version: str, city: str, level: str, indicator_id: str, period: str) -> pd.DataFrame:
    """Rows of one map: one city, level, indicator and period."""
    return build_files.select_values(_indicator_table(version), city, level, indicator_id, period,
                                     _value_index(version))


@st.cache_resource(show_spinner=False, max_entries=2)
def _value_index(version: str) -> dict[tuple[str, str, str, str], Any]:
    """Row positions of every map's rows in the shared indicator table (read-only)."""
    return build_files.value_row_index(_indicator_table(version))


@st.cache_data(show_spinner=False, max_entries=256, ttl=VIEW_TTL_S)
def indicator_rows(version: str, city: str, indicator_id: str) -> pd.DataFrame:
    """All levels and periods of one indicator in one city (time series, rankings, summaries)."""
    return build_files.select_rows(_indicator_table(version), city, indicator_id, _indicator_index(version))


@st.cache_resource(show_spinner=False, max_entries=2)
def _indicator_index(version: str) -> dict[tuple[str, str], Any]:
    """Row positions of each indicator's rows per city in the shared indicator table (read-only)."""
    return build_files.indicator_row_index(_indicator_table(version))


@st.cache_data(show_spinner=False, max_entries=256, ttl=VIEW_TTL_S)
def area_and_city_rows(version: str, city: str, level: str, area_id: str) -> pd.DataFrame:
    """Every indicator row of one area plus the city rows (the profile's comparison values)."""
    return build_files.select_area_and_city_rows(_indicator_table(version), city, level, area_id,
                                                 _area_index(version))


@st.cache_resource(show_spinner=False, max_entries=2)
def _area_index(version: str) -> dict[tuple[str, str, str], Any]:
    """Row positions of every area's rows in the shared indicator table (read-only), as the exports use it."""
    return build_files.area_row_index(_indicator_table(version))


@st.cache_resource(show_spinner=False, max_entries=16)
def load_web_layer(version: str, city: str, level: str) -> gpd.GeoDataFrame | None:
    """A simplified web layer ``web/<city>_<level>.geojson`` as the pipeline wrote it (EPSG:4326)."""
    return build_files.read_web_layer(processed_dir(), city, level)


@st.cache_resource(show_spinner=False, max_entries=2)
def load_locations(version: str) -> gpd.GeoDataFrame | None:
    """All locations (Kitas, youth centres) with the ``area_id_<level>`` of every level."""
    return build_files.read_locations(processed_dir())


@st.cache_data(show_spinner=False, max_entries=2)
def load_sources(version: str) -> list[dict[str, str]]:
    """Every registered source (title, publisher, licence, attribution, url, reference date)."""
    return build_files.read_source_rows(config.GEODATA_DIR)


@st.cache_data(show_spinner=False, max_entries=2)
def _read_stories(version: str) -> tuple[list[dict[str, Any]], str]:
    """(stories, why they could not be read): a broken file gives no stories, never an error (the maps work on)."""
    path = config.GEODATA_DIR / config.STORIES_FILE
    if not path.exists():
        return [], ""
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
        check_registry(path, raw, "stories.toml")
        stories = raw.get("story", [])
        if not isinstance(stories, list) or not all(isinstance(s, dict) for s in stories):
            raise ValueError("[[story]] entries expected")
    except (OSError, ValueError, PipelineError) as err:  # TOMLDecodeError is a ValueError
        logging.getLogger("raumatlas").error("%s: %s", path, err)
        return [], visitor_text(ValueError(f"{path}: {err}"))
    return list(stories), ""


def load_stories(version: str) -> list[dict[str, Any]]:
    """The ordered saved views of ``geodata/stories.toml`` (``[[story]]`` entries)."""
    return _read_stories(version)[0]


def stories_problem(version: str) -> str:
    """Why ``stories.toml`` could not be read for this build ("" when it is fine)."""
    return _read_stories(version)[1]


@st.cache_data(show_spinner=False, max_entries=2)
def load_choices(version: str) -> Choices:
    """What a URL may name in this build: indicators (picker order), periods, areas, districts."""
    return build_files.make_choices(load_catalog(version), _indicator_table(version), load_areas(version),
                                    len(load_stories(version)))


def available_layers(version: str) -> tuple[str, ...]:
    """Location layers present in the build, in the canonical order."""
    loc = load_locations(version)
    if loc is None or loc.empty:
        return ()
    present = set(loc["layer"].unique())
    return tuple(x for x in LAYERS if x in present)


@st.cache_resource(show_spinner=False, max_entries=2)
def load_area_shapes(version: str) -> gpd.GeoDataFrame:
    """The canonical areas with geometry (EPSG:4326), shared read-only: the example projects are checked on it."""
    return gpd.read_parquet(area_shapes_file())


def area_shapes_file() -> Path:
    """The file of :func:`load_area_shapes`: the upload check's child process reads it itself."""
    return processed_dir() / config.AREAS_FILE


@st.cache_data(show_spinner=False, max_entries=256, ttl=VIEW_TTL_S)
def map_args(version: str, view_key: tuple, _make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The map component's arguments of one view (``view_key``: city, level, indicator, period, classes, ...).

    ``_make`` computes them (not hashed): a second session opening the same view looks them up.
    """
    return _make()


@st.cache_resource(show_spinner=False, max_entries=2)
def load_projects(version: str) -> gpd.GeoDataFrame | None:
    """The build's projects (``projects.parquet`` from ``geodata/projects/``); None before such a build."""
    return build_files.read_projects(processed_dir())


@st.cache_data(show_spinner=False, max_entries=2)
def project_schema(version: str) -> ProjectSchema:
    """``geodata/projects/schema.toml`` of the app's geodata folder (limits, vocabularies, colours), read once."""
    return load_project_schema(config.GEODATA_DIR)


@dataclass(frozen=True)
class BuildReader:
    """The cached loaders of one build version as a :class:`dashboard.page.BuildData` for the page context."""

    version: str

    def catalog(self) -> dict[str, dict[str, Any]]:
        """Catalog entries by indicator id."""
        return catalog_by_id(self.version)

    def areas(self) -> pd.DataFrame:
        """The areas table without geometry."""
        return load_areas(self.version)

    def indicator_values(self, city: str, level: str, indicator: str, period: str) -> pd.DataFrame:
        """Rows of one map."""
        return indicator_values(self.version, city, level, indicator, period)

    def indicator_rows(self, city: str, indicator: str) -> pd.DataFrame:
        """All levels and periods of one indicator in one city."""
        return indicator_rows(self.version, city, indicator)

    def web_layer(self, city: str, level: str) -> gpd.GeoDataFrame | None:
        """One simplified web layer."""
        return load_web_layer(self.version, city, level)

    def locations(self) -> gpd.GeoDataFrame | None:
        """All locations."""
        return load_locations(self.version)

    def projects(self) -> gpd.GeoDataFrame | None:
        """The build's projects."""
        return load_projects(self.version)

    @property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json`` (build version, creation time) of the exports' source line."""
        return load_manifest()

    def sources(self) -> list[dict[str, Any]]:
        """Every registered source (the exports' attribution)."""
        return load_sources(self.version)

    def area_and_city_rows(self, city: str, level: str, area_id: str) -> pd.DataFrame:
        """Every indicator row of one area plus the city rows (the profile PDF's values)."""
        return area_and_city_rows(self.version, city, level, area_id)

    def project_display(self) -> ProjectDisplay:
        """Theme colours and English labels of the project lists (the app's ``projects/schema.toml``)."""
        return project_display(project_schema(self.version))
