"""The build's tables for the exports, read without Streamlit.

The app reads ``geodata/processed/`` through :mod:`dashboard.loaders` (Streamlit caches);
the command line (``raumatlas export-view``, ``raumatlas profile``) has no Streamlit
runtime, so :class:`BuildReader` reads the same files with plain functions and keeps
them for the lifetime of one command (all 143 profiles of a level read the tables once).
Both offer the :class:`ExportData` interface, so the drawing code does not know which
one it got (the app's adapter lives in :mod:`dashboard.views_exports`).
"""

from __future__ import annotations

import json
import tomllib
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard.profile import CITY_AREA_ID
from dashboard.state import MAP_LEVELS, Choices
from pipelines import config
from pipelines.errors import PipelineError

AREA_INFO_COLUMNS = ["city", "level", "area_id", "name", "parent_id", "population", "area_km2", "approximate",
                     "short_name", "members", "member_level", "status", "status_en", "source_quote", "source_url",
                     "note_de", "note_en"]


class ExportError(PipelineError):
    """Bad input for an export (unknown indicator, area, extension, unwritable path): exit code 1."""


class ExportData(Protocol):
    """What the exports read from a build (implemented by :class:`BuildReader` and the app's loaders)."""

    def manifest(self) -> dict[str, Any]: ...  # noqa: D102
    def catalog(self) -> list[dict[str, Any]]: ...  # noqa: D102
    def areas(self) -> pd.DataFrame: ...  # noqa: D102
    def indicator_values(self, city: str, level: str, indicator_id: str, period: str) -> pd.DataFrame: ...  # noqa: D102
    def indicator_rows(self, city: str, indicator_id: str) -> pd.DataFrame: ...  # noqa: D102
    def area_and_city_rows(self, city: str, level: str, area_id: str) -> pd.DataFrame: ...  # noqa: D102
    def web_layer(self, city: str, level: str) -> gpd.GeoDataFrame | None: ...  # noqa: D102
    def locations(self) -> gpd.GeoDataFrame | None: ...  # noqa: D102
    def projects(self) -> gpd.GeoDataFrame | None: ...  # noqa: D102
    def sources(self) -> list[dict[str, Any]]: ...  # noqa: D102
    def choices(self) -> Choices: ...  # noqa: D102


class BuildReader:
    """Plain reader of one build folder (default ``geodata/processed``); every table read once."""

    def __init__(self, out: Path | None = None, geodata: Path | None = None) -> None:
        paths = config.resolve_paths(geodata)
        self.geodata = paths.geodata
        self.out = Path(out) if out else paths.out
        if not (self.out / config.MANIFEST_FILE).exists():
            raise ExportError(f"{self.out}: no build found (manifest.json missing) — run `raumatlas build` first")
        self._layers: dict[tuple[str, str], gpd.GeoDataFrame | None] = {}

    def manifest(self) -> dict[str, Any]:
        """``manifest.json`` (build version, creation time)."""
        return self._manifest

    @cached_property
    def _manifest(self) -> dict[str, Any]:
        return json.loads((self.out / config.MANIFEST_FILE).read_text(encoding="utf-8"))

    def catalog(self) -> list[dict[str, Any]]:
        """``catalog.json``: one dict per indicator."""
        return self._catalog

    @cached_property
    def _catalog(self) -> list[dict[str, Any]]:
        return json.loads((self.out / config.CATALOG_FILE).read_text(encoding="utf-8"))

    def areas(self) -> pd.DataFrame:
        """The areas table without geometry, ids as text (as :func:`dashboard.loaders.load_areas`)."""
        return self._areas

    @cached_property
    def _areas(self) -> pd.DataFrame:
        import pyarrow.parquet as pq

        path = self.out / config.AREAS_FILE
        names = set(pq.read_schema(path).names)
        df = pd.read_parquet(path, columns=[c for c in AREA_INFO_COLUMNS if c in names])
        for c in ("area_id", "parent_id"):
            df[c] = df[c].astype("string").astype(object)
        return df

    @cached_property
    def _indicators(self) -> pd.DataFrame:
        return pd.read_parquet(self.out / config.INDICATORS_FILE_OUT)

    def indicator_values(self, city: str, level: str, indicator_id: str, period: str) -> pd.DataFrame:
        """Rows of one map: one city, level, indicator and period."""
        df = self._indicators
        return df[(df["city"] == city) & (df["level"] == level) & (df["indicator_id"] == indicator_id)
                  & (df["period"] == period)].reset_index(drop=True)

    def indicator_rows(self, city: str, indicator_id: str) -> pd.DataFrame:
        """All levels and periods of one indicator in one city."""
        df = self._by_city_indicator
        key = (city, indicator_id)
        return df.get_group(key).reset_index(drop=True) if key in df.groups else self._indicators.iloc[0:0]

    @cached_property
    def _by_city_indicator(self) -> Any:
        return self._indicators.groupby(["city", "indicator_id"], sort=False)

    def area_and_city_rows(self, city: str, level: str, area_id: str) -> pd.DataFrame:
        """Every indicator row of one area plus the city rows (the profile's comparison values)."""
        empty = np.empty(0, dtype=np.int64)
        rows = np.concatenate([self._row_index.get((city, level, area_id), empty),
                               self._row_index.get((city, "stadt", CITY_AREA_ID.get(city, "")), empty)])
        return self._indicators.take(np.sort(rows)).reset_index(drop=True)

    @cached_property
    def _row_index(self) -> dict[tuple[str, str, str], np.ndarray]:
        """Row positions per (city, level, area_id): 143 profiles do not scan the table 143 times."""
        return dict(self._indicators.groupby(["city", "level", "area_id"], sort=False, observed=True).indices)

    def web_layer(self, city: str, level: str) -> gpd.GeoDataFrame | None:
        """The simplified web layer the app draws (EPSG:4326), None when the build has none."""
        key = (city, level)
        if key not in self._layers:
            path = self.out / config.WEB_DIR / config.web_layer_name(city, level)
            gdf = gpd.read_file(path) if path.exists() else None
            if gdf is not None:
                for c in ("area_id", "parent_id"):
                    if c in gdf.columns:
                        gdf[c] = gdf[c].astype("string").astype(object)
            self._layers[key] = gdf
        return self._layers[key]

    def locations(self) -> gpd.GeoDataFrame | None:
        """Kitas and youth centres with their areas at every level."""
        return self._locations

    @cached_property
    def _locations(self) -> gpd.GeoDataFrame | None:
        path = self.out / config.LOCATIONS_FILE
        return gpd.read_parquet(path) if path.exists() else None

    def projects(self) -> gpd.GeoDataFrame | None:
        """The build's project lists (``geodata/projects/``), None when there are none."""
        return self._projects

    @cached_property
    def _projects(self) -> gpd.GeoDataFrame | None:
        path = self.out / config.PROJECTS_FILE
        return gpd.read_parquet(path) if path.exists() else None

    def sources(self) -> list[dict[str, Any]]:
        """Every registered source (as :func:`dashboard.loaders.load_sources`)."""
        return _sources(str(self.geodata))

    def choices(self) -> Choices:
        """What a view may name in this build (as :func:`dashboard.loaders.load_choices`)."""
        return self._choices

    @cached_property
    def _choices(self) -> Choices:
        return choices_from(self.catalog(), self._indicators, self.areas(), len(load_stories(self.geodata)))


@lru_cache(maxsize=2)
def _sources(geodata: str) -> list[dict[str, Any]]:
    from pipelines.registry import load_sources

    return [{"id": s.id, "city": s.city, "title": s.title, "publisher": s.publisher, "licence": s.licence,
             "attribution": s.attribution, "url": s.url, "reference_date": s.reference_date, "kind": s.kind,
             "reference_date_assumed": s.reference_date_assumed}
            for s in load_sources(Path(geodata))]


def load_stories(geodata: Path | None = None) -> list[dict[str, Any]]:
    """The ``[[story]]`` entries of ``stories.toml`` (empty when the file is absent)."""
    path = (geodata or config.GEODATA_DIR) / config.STORIES_FILE
    if not path.exists():
        return []
    with open(path, "rb") as fh:
        return list(tomllib.load(fh).get("story", []))


def choices_from(catalog: list[dict[str, Any]], indicators: pd.DataFrame, areas: pd.DataFrame,
                 n_stories: int = 0) -> Choices:
    """Indicators in picker order, periods per (indicator, city), selectable areas and districts."""
    order = {"comparable": 0, "munich": 1, "berlin": 2}
    cat = sorted(catalog, key=lambda c: (order.get(c.get("group", ""), 3), c.get("topic", ""), c["label_de"]))
    periods: dict[tuple[str, str], tuple[str, ...]] = {}
    for (ind, city), grp in indicators.groupby(["indicator_id", "city"], sort=False)["period"]:
        periods[(str(ind), str(city))] = tuple(sorted(grp.unique()))
    selectable = {city: {str(r.area_id): str(r.level) for r in areas[areas["city"] == city].itertuples()
                         if r.level in (*MAP_LEVELS[city], "handlungsraum")} for city in ("munich", "berlin")}
    districts = tuple(sorted(areas.loc[(areas["city"] == "berlin") & (areas["level"] == "bezirk"), "area_id"]))
    return Choices(indicators=tuple(c["indicator_id"] for c in cat), periods=periods, areas=selectable,
                   districts=districts, stories=n_stories)
