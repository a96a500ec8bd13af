"""The dashboard's only cached loaders: the pipeline build in ``geodata/processed/``.

Every loader takes the build version (``manifest.json`` ``build_version``) as
an argument, so a rebuild invalidates every cache at once. GeoDataFrames are
never hashed arguments. The full indicator table is held once per server
process (``cache_resource``, read-only) because copying it on every call would
cost more than the filtering; the views get small filtered copies.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard.i18n import t
from dashboard.state import LAYERS, MAP_LEVELS, Choices
from pipelines import config

MANIFEST_FILE = "manifest.json"
AREA_INFO_COLUMNS = ["city", "level", "area_id", "name", "parent_id", "population", "area_km2", "approximate",
                     "short_name", "members", "member_level", "status", "status_en", "source_quote", "source_url",
                     "note_de", "note_en"]


def processed_dir() -> Path:
    """Where the build lives (``geodata/processed``)."""
    return config.resolve_paths().out


def _manifest_stamp() -> tuple[int, int]:
    """(mtime_ns, size) of manifest.json: a cheap change detector; (0, 0) if absent."""
    p = processed_dir() / MANIFEST_FILE
    if not p.exists():
        return 0, 0
    s = p.stat()
    return s.st_mtime_ns, s.st_size


@st.cache_data(show_spinner=False, max_entries=4)
def _read_manifest(stamp: tuple[int, int]) -> dict[str, Any]:
    p = processed_dir() / MANIFEST_FILE
    if not stamp[0] or not p.exists():
        return {}
    return json.loads(p.read_text(encoding="utf-8"))


def load_manifest() -> dict[str, Any]:
    """The current build's manifest (empty dict before the first build)."""
    return _read_manifest(_manifest_stamp())


def build_version() -> str:
    """The key of every cache below; changes with each rebuild."""
    return str(load_manifest().get("build_version", "none"))


@st.cache_data(show_spinner=False, ttl=300, max_entries=4)
def _build_is_current(stamp: tuple[int, int]) -> bool:
    """Hashing the inputs takes a moment: checked once per manifest and at most every 5 minutes."""
    from pipelines.build.manifest import is_build_current

    return bool(stamp[0]) and is_build_current()


def ensure_build(lang: str) -> None:
    """Run the pipeline first (with visible progress) if the build is missing or older than its inputs."""
    if _build_is_current(_manifest_stamp()):
        return
    from pipelines.build.orchestrate import run_build

    slot = st.empty()
    with slot.status(t("build_running", lang), expanded=True) as status:
        bar = st.progress(0.0)

        def progress(name: str, done: int, total: int) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=t("build_step", lang, step=name))

        try:
            run_build(progress=progress)
        except Exception as err:  # show the pipeline's actionable message instead of a traceback
            status.update(label=t("build_failed", lang), state="error")
            st.error(str(err))
            st.stop()
        status.update(label=t("build_done", lang), state="complete", expanded=False)
    slot.empty()
    _build_is_current.clear()
    _read_manifest.clear()


@st.cache_data(show_spinner=False, max_entries=2)
def load_catalog(version: str) -> list[dict[str, Any]]:
    """``catalog.json``: one dict per indicator (labels, units, notes, levels, periods)."""
    return json.loads((processed_dir() / "catalog.json").read_text(encoding="utf-8"))


def catalog_by_id(version: str) -> dict[str, dict[str, Any]]:
    """The catalog indexed by indicator id."""
    return {c["indicator_id"]: c for c in load_catalog(version)}


@st.cache_data(show_spinner=False, max_entries=2)
def load_areas(version: str) -> pd.DataFrame:
    """The areas table without geometry (names, parents, population, Handlungsraum facts)."""
    path = processed_dir() / "areas.parquet"
    import pyarrow.parquet as pq

    names = set(pq.read_schema(path).names)
    df = pd.read_parquet(path, columns=[c for c in AREA_INFO_COLUMNS if c in names])
    for c in ("area_id", "parent_id"):
        df[c] = df[c].astype("string").astype(object)
    return df


@st.cache_resource(show_spinner=False, max_entries=2)
def _indicator_table(version: str) -> pd.DataFrame:
    """The full long table, shared read-only by all sessions (never mutate it)."""
    return pd.read_parquet(processed_dir() / "indicators.parquet")


@st.cache_data(show_spinner=False, max_entries=256)
def indicator_values(version: str, city: str, level: str, indicator_id: str, period: str) -> pd.DataFrame:
    """Rows of one map: one city, level, indicator and period."""
    df = _indicator_table(version)
    return df[(df["city"] == city) & (df["level"] == level) & (df["indicator_id"] == indicator_id)
              & (df["period"] == period)].reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=256)
def indicator_rows(version: str, city: str, indicator_id: str) -> pd.DataFrame:
    """All levels and periods of one indicator in one city (time series, rankings, summaries)."""
    df = _indicator_table(version)
    return df[(df["city"] == city) & (df["indicator_id"] == indicator_id)].reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=256)
def area_and_city_rows(version: str, city: str, level: str, area_id: str) -> pd.DataFrame:
    """Every indicator row of one area plus the city rows (the profile's comparison values)."""
    df = _indicator_table(version)
    sel = (df["city"] == city) & (((df["level"] == level) & (df["area_id"] == area_id)) | (df["level"] == "stadt"))
    return df[sel].reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=16)
def load_web_layer(version: str, city: str, level: str) -> gpd.GeoDataFrame | None:
    """A simplified web layer ``web/<city>_<level>.geojson`` as the pipeline wrote it (EPSG:4326)."""
    path = processed_dir() / "web" / f"{city}_{level}.geojson"
    if not path.exists():
        return None
    gdf = gpd.read_file(path)
    for c in ("area_id", "parent_id"):
        if c in gdf.columns:
            gdf[c] = gdf[c].astype("string").astype(object)
    return gdf


@st.cache_data(show_spinner=False, max_entries=2)
def load_locations(version: str) -> gpd.GeoDataFrame | None:
    """All locations (Kitas, youth centres) with the ``area_id_<level>`` of every level."""
    path = processed_dir() / "locations.parquet"
    return gpd.read_parquet(path) if path.exists() else None


@st.cache_data(show_spinner=False, max_entries=2)
def load_sources(version: str) -> list[dict[str, str]]:
    """Every registered source (title, publisher, licence, attribution, url, reference date)."""
    from pipelines.registry import load_sources as _load

    return [{"id": s.id, "city": s.city, "title": s.title, "publisher": s.publisher, "licence": s.licence,
             "attribution": s.attribution, "url": s.url, "reference_date": s.reference_date, "kind": s.kind,
             "reference_date_assumed": s.reference_date_assumed}
            for s in _load(config.GEODATA_DIR)]


@st.cache_data(show_spinner=False, max_entries=2)
def load_stories(version: str) -> list[dict[str, Any]]:
    """The ordered saved views of ``geodata/stories.toml`` (``[[story]]`` entries)."""
    path = config.GEODATA_DIR / config.STORIES_FILE
    if not path.exists():
        return []
    with open(path, "rb") as fh:
        return list(tomllib.load(fh).get("story", []))


@st.cache_data(show_spinner=False, max_entries=2)
def load_choices(version: str) -> Choices:
    """What a URL may name in this build: indicators (picker order), periods, areas, districts."""
    catalog = load_catalog(version)
    order = {"comparable": 0, "munich": 1, "berlin": 2}
    cat = sorted(catalog, key=lambda c: (order.get(c.get("group", ""), 3), c.get("topic", ""), c["label_de"]))
    df = _indicator_table(version)
    periods: dict[tuple[str, str], tuple[str, ...]] = {}
    for (ind, city), grp in df.groupby(["indicator_id", "city"], sort=False)["period"]:
        periods[(str(ind), str(city))] = tuple(sorted(grp.unique()))
    areas = load_areas(version)
    selectable = {city: {str(r.area_id): str(r.level) for r in areas[areas["city"] == city].itertuples()
                         if r.level in (*MAP_LEVELS[city], "handlungsraum")} for city in ("munich", "berlin")}
    districts = tuple(sorted(areas.loc[(areas["city"] == "berlin") & (areas["level"] == "bezirk"), "area_id"]))
    return Choices(indicators=tuple(c["indicator_id"] for c in cat), periods=periods, areas=selectable,
                   districts=districts, stories=len(load_stories(version)))


def available_layers(version: str) -> tuple[str, ...]:
    """Location layers present in the build, in the canonical order."""
    loc = load_locations(version)
    if loc is None or loc.empty:
        return ()
    present = set(loc["layer"].unique())
    return tuple(x for x in LAYERS if x in present)


@st.cache_resource(show_spinner=False, max_entries=2)
def load_area_shapes(version: str) -> gpd.GeoDataFrame:
    """The canonical areas with geometry (EPSG:4326), shared read-only: uploads are validated and joined on it."""
    return gpd.read_parquet(processed_dir() / "areas.parquet")


@st.cache_data(show_spinner=False, max_entries=2)
def load_projects(version: str) -> gpd.GeoDataFrame | None:
    """The build's projects (``projects.parquet`` from ``geodata/projects/``); None before such a build."""
    path = processed_dir() / "projects.parquet"
    return gpd.read_parquet(path) if path.exists() else None
