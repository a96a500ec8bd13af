"""The build output and the stories as plain data for the talk deck (no Streamlit, no caches).

:mod:`dashboard.loaders` reads the same files for the app behind ``st.cache_*``;
the deck is built once from the command line, so it reads them directly through
``pipelines.io`` (a missing or broken build file becomes an :class:`InputError`
naming the file and the fix, never a traceback).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from dashboard.state import MAP_LEVELS, Choices
from pipelines import config
from pipelines.errors import InputError
from pipelines.io import read_geoparquet, read_json, read_parquet

AREA_COLUMNS = ("city", "level", "area_id", "name", "parent_id", "population", "approximate")
_BUILD_FIX = "build the data first: 'raumatlas build' (or 'python -m pipelines build')"


@dataclass
class BuildData:
    """One build of ``geodata/processed/`` as the deck needs it.

    Attributes:
        processed: the build folder.
        catalog: indicator id -> catalog entry (labels, units, polarity, notes).
        areas: the areas table without geometry (ids as text).
        indicators: the long indicator table.
        manifest: ``manifest.json`` (build version, creation time).
        sources: every registered source (title, publisher, licence, attribution, url, dates).
        locations: Kitas and youth centres (EPSG:4326), None when the build has none.
        projects: the build's project lists (EPSG:4326), None when empty.
    """

    processed: Path
    catalog: dict[str, dict[str, Any]]
    areas: pd.DataFrame
    indicators: pd.DataFrame
    manifest: dict[str, Any]
    sources: list[dict[str, Any]]
    locations: gpd.GeoDataFrame | None = None
    projects: gpd.GeoDataFrame | None = None
    _web: dict[tuple[str, str], gpd.GeoDataFrame | None] = field(default_factory=dict, repr=False)

    def web_layer(self, city: str, level: str) -> gpd.GeoDataFrame | None:
        """The simplified web layer ``web/<city>_<level>.geojson`` (EPSG:4326), read once; None if absent."""
        key = (city, level)
        if key not in self._web:
            path = self.processed / config.WEB_DIR / f"{city}_{level}.geojson"
            self._web[key] = _read_web_layer(path) if path.exists() else None
        return self._web[key]


def read_build(processed: Path | None = None, geodata: Path | None = None) -> BuildData:
    """Read the build in ``processed`` (default ``geodata/processed``) and the source registry of ``geodata``."""
    paths = config.resolve_paths(geodata)
    out = Path(processed) if processed else paths.out
    manifest_path = out / config.MANIFEST_FILE
    if not manifest_path.exists():
        raise InputError(manifest_path, "no build found", fix=_BUILD_FIX)
    catalog = {c["indicator_id"]: c for c in read_json(out / config.CATALOG_FILE)}
    areas_full = read_geoparquet(out / config.AREAS_FILE)
    areas = pd.DataFrame(areas_full[[c for c in areas_full.columns if c != "geometry"]])
    for c in ("area_id", "parent_id"):
        areas[c] = areas[c].astype("string").astype(object)
    locations = read_geoparquet(out / config.LOCATIONS_FILE) if (out / config.LOCATIONS_FILE).exists() else None
    projects = read_geoparquet(out / config.PROJECTS_FILE) if (out / config.PROJECTS_FILE).exists() else None
    return BuildData(processed=out, catalog=catalog, areas=areas,
                     indicators=read_parquet(out / config.INDICATORS_FILE_OUT), manifest=read_json(manifest_path),
                     sources=_read_sources(paths.geodata), locations=_in_wgs84(locations),
                     projects=_in_wgs84(projects) if projects is not None and len(projects) else None)


def build_choices(build: BuildData, stories: int = 0) -> Choices:
    """What a story's query may name in this build (the same rules as the app's ``load_choices``)."""
    order = {"comparable": 0, "munich": 1, "berlin": 2}
    cat = sorted(build.catalog.values(),
                 key=lambda c: (order.get(c.get("group", ""), 3), c.get("topic", ""), c["label_de"]))
    periods: dict[tuple[str, str], tuple[str, ...]] = {}
    for (ind, city), grp in build.indicators.groupby(["indicator_id", "city"], sort=False)["period"]:
        periods[(str(ind), str(city))] = tuple(sorted(grp.unique()))
    areas = build.areas
    selectable = {city: {str(r.area_id): str(r.level) for r in areas[areas["city"] == city].itertuples()
                         if r.level in (*MAP_LEVELS[city], "handlungsraum")} for city in MAP_LEVELS}
    districts = tuple(sorted(areas.loc[(areas["city"] == "berlin") & (areas["level"] == "bezirk"), "area_id"]))
    return Choices(indicators=tuple(c["indicator_id"] for c in cat), periods=periods, areas=selectable,
                   districts=districts, stories=stories)


def read_stories(path: Path | None = None) -> list[dict[str, Any]]:
    """The ``[[story]]`` entries of a stories file (default ``geodata/stories.toml``), checked for shape.

    Raises:
        InputError: the file is missing, not TOML, has no ``[[story]]``, or a story lacks a
            title or its ``query`` string.
    """
    p = Path(path) if path else config.GEODATA_DIR / config.STORIES_FILE
    if not p.is_file():
        raise InputError(p, "story file not found", fix="check the path given to --stories")
    try:
        with open(p, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise InputError(p, f"not valid TOML ({err})", fix="fix the syntax at the line named") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(p, f"cannot be read ({err})", fix="pass a UTF-8 TOML file with [[story]] entries") from err
    stories = data.get("story")
    if not isinstance(stories, list) or not stories:
        raise InputError(p, "no [[story]] entries", fix="add at least one [[story]] with title_de and query")
    for i, s in enumerate(stories, start=1):
        if not isinstance(s, dict) or not isinstance(s.get("query"), str) or not s.get("title_de"):
            raise InputError(p, "a story needs title_de and a query string", where=f"story {i}",
                             fix='e.g. query = "ind=unemployment_share&lvl_muc=stadtbezirk"')
    return stories


def _read_web_layer(path: Path) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except Exception as err:  # any reader error means a broken build
        raise InputError(path, f"cannot be read as GeoJSON ({err})", fix=_BUILD_FIX + " --force") from err
    for c in ("area_id", "parent_id"):
        if c in gdf.columns:
            gdf[c] = gdf[c].astype("string").astype(object)
    return gdf


def _in_wgs84(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if gdf is None or gdf.crs is None or gdf.crs.to_epsg() == 4326:
        return gdf
    return gdf.to_crs("EPSG:4326")


def _read_sources(geodata: Path) -> list[dict[str, Any]]:
    from pipelines.registry import load_sources

    return [{"id": s.id, "city": s.city, "title": s.title, "publisher": s.publisher, "licence": s.licence,
             "attribution": s.attribution, "url": s.url, "reference_date": s.reference_date,
             "reference_date_assumed": s.reference_date_assumed} for s in load_sources(geodata)]
