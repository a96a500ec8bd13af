"""The build in ``geodata/processed/`` read plainly: one reader per file, the choices, and :class:`BuildFolder`.

Pure of Streamlit, so the app and the command-line exports share one way of reading a
build: :mod:`dashboard.loaders` wraps these readers in ``st.cache_*`` keyed on the build
version; :class:`BuildFolder` is the same :class:`dashboard.page.BuildData` without a
server (``raumatlas deck``), remembering each table for the life of the object. A broken
build file becomes an :class:`~pipelines.errors.InputError` naming the file and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard.state import Choices
from pipelines import config
from pipelines.io import read_geojson, read_geoparquet, read_json, read_parquet

if TYPE_CHECKING:
    from dashboard.projects_view import ProjectDisplay

AREA_INFO_COLUMNS = ["city", "level", "area_id", "name", "parent_id", "population", "area_km2", "approximate",
                     "short_name", "members", "member_level", "status", "status_en", "source_quote", "source_url",
                     "note_de", "note_en"]
_GROUP_ORDER = {"comparable": 0, "munich": 1, "berlin": 2}
_NO_ROWS = np.empty(0, dtype=np.int64)


def read_manifest(out: Path) -> dict[str, Any]:
    """``manifest.json`` of the build in ``out`` (empty dict before the first build)."""
    path = out / config.MANIFEST_FILE
    return dict(read_json(path)) if path.exists() else {}


def read_catalog(out: Path) -> list[dict[str, Any]]:
    """``catalog.json``: one dict per indicator (labels, units, notes, levels, periods)."""
    return list(read_json(out / config.CATALOG_FILE))


def read_areas(out: Path) -> pd.DataFrame:
    """The areas table without geometry (names, parents, population, Handlungsraum facts; ids as text)."""
    import pyarrow.parquet as pq

    path = out / config.AREAS_FILE
    try:
        names = set(pq.read_schema(path).names)
    except Exception:  # missing or broken: read_parquet names the file and the fix
        names = set()
    return _ids_as_text(read_parquet(path, columns=[c for c in AREA_INFO_COLUMNS if c in names]))


def read_indicator_table(out: Path) -> pd.DataFrame:
    """The full long indicator table, each text column in one Arrow chunk (:func:`one_chunk_columns` says why)."""
    return one_chunk_columns(read_parquet(out / config.INDICATORS_FILE_OUT))


def one_chunk_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every Arrow-backed column (pandas' ``str``) held in one chunk instead of one per row group.

    Every map, ranking and profile takes a few hundred rows out of the ~290,000 of the indicator
    table. Taking rows from a column of several chunks costs Arrow ~5 ms per map on the 2-core
    server (measured, three row groups); from one chunk ~0.4 ms. The values are unchanged.
    """
    import pyarrow as pa

    for column in frame.columns:
        series = frame[column]
        if not hasattr(series.array, "__arrow_array__"):
            continue
        arrow = pa.array(series.array)
        if isinstance(arrow, pa.ChunkedArray) and arrow.num_chunks > 1:
            frame[column] = pd.Series(pd.array(arrow.combine_chunks(), dtype=series.dtype), index=frame.index,
                                      name=column)
    return frame


def read_web_layer(out: Path, city: str, level: str) -> gpd.GeoDataFrame | None:
    """A simplified web layer ``web/<city>_<level>.geojson`` as the pipeline wrote it (EPSG:4326); None if absent."""
    path = out / config.WEB_DIR / config.web_layer_name(city, level)
    if not path.exists():
        return None
    return _ids_as_text(read_geojson(path))


def read_locations(out: Path) -> gpd.GeoDataFrame | None:
    """All locations (Kitas, youth centres) with the ``area_id_<level>`` of every level; None if absent."""
    path = out / config.LOCATIONS_FILE
    return read_geoparquet(path) if path.exists() else None


def read_projects(out: Path) -> gpd.GeoDataFrame | None:
    """The build's projects (``geodata/projects/``); None before a build with projects."""
    path = out / config.PROJECTS_FILE
    return read_geoparquet(path) if path.exists() else None


def read_source_rows(geodata: Path) -> list[dict[str, Any]]:
    """Every registered source (title, publisher, licence, attribution, url, reference date) as plain dicts."""
    from pipelines.registry import load_sources

    return [{"id": s.id, "city": s.city, "title": s.title, "publisher": s.publisher, "licence": s.licence,
             "attribution": s.attribution, "url": s.url, "reference_date": s.reference_date, "kind": s.kind,
             "reference_date_assumed": s.reference_date_assumed} for s in load_sources(geodata)]


def make_choices(catalog: Sequence[Mapping[str, Any]], indicators: pd.DataFrame, areas: pd.DataFrame,
                 stories: int = 0) -> Choices:
    """What a URL (or a story's query) may name in this build: indicators (picker order), periods, areas, districts."""
    cat = sorted(catalog, key=lambda c: (_GROUP_ORDER.get(c.get("group", ""), 3), c.get("topic", ""), c["label_de"]))
    periods: dict[tuple[str, str], tuple[str, ...]] = {}
    for (ind, city), grp in indicators.groupby(["indicator_id", "city"], sort=False)["period"]:
        periods[(str(ind), str(city))] = tuple(sorted(grp.unique()))
    selectable = {city: {str(r.area_id): str(r.level) for r in areas[areas["city"] == city].itertuples()
                         if r.level in (*config.COVERAGE_LEVELS[city], "handlungsraum")} for city in config.CITIES}
    districts = tuple(sorted(areas.loc[(areas["city"] == "berlin") & (areas["level"] == "bezirk"), "area_id"]))
    return Choices(indicators=tuple(c["indicator_id"] for c in cat), periods=periods, areas=selectable,
                   districts=districts, stories=stories)


def select_values(table: pd.DataFrame, city: str, level: str, indicator: str, period: str,
                  index: Mapping[tuple[str, str, str, str], np.ndarray] | None = None) -> pd.DataFrame:
    """Rows of one map: one city, level, indicator and period.

    ``index`` (:func:`value_row_index`) turns four comparisons over the whole table (~15 ms,
    paid on every indicator change in the app) into a lookup.
    """
    if index is None:
        return table[(table["city"] == city) & (table["level"] == level) & (table["indicator_id"] == indicator)
                     & (table["period"] == period)].reset_index(drop=True)
    return rows_at(table, index.get((city, level, indicator, period), _NO_ROWS))


def rows_at(table: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows at ``positions`` in table order, numbered from 0 (as a boolean selection returns them)."""
    return table.take(np.sort(positions)).reset_index(drop=True)


def value_row_index(table: pd.DataFrame) -> dict[tuple[str, str, str, str], np.ndarray]:
    """Row positions of the indicator table per ``(city, level, indicator_id, period)`` (one map each)."""
    return dict(table.groupby(["city", "level", "indicator_id", "period"], sort=False, observed=True).indices)


def select_rows(table: pd.DataFrame, city: str, indicator: str,
                index: Mapping[tuple[str, str], np.ndarray] | None = None) -> pd.DataFrame:
    """All levels and periods of one indicator in one city.

    ``index`` (:func:`indicator_row_index`) turns two comparisons over the whole table into a lookup.
    """
    if index is None:
        return table[(table["city"] == city) & (table["indicator_id"] == indicator)].reset_index(drop=True)
    return rows_at(table, index.get((city, indicator), _NO_ROWS))


def indicator_row_index(table: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """Row positions of the indicator table per ``(city, indicator_id)`` (one indicator's rows in one city)."""
    return dict(table.groupby(["city", "indicator_id"], sort=False, observed=True).indices)


def select_area_and_city_rows(table: pd.DataFrame, city: str, level: str, area_id: str,
                              index: Mapping[tuple[str, str, str], np.ndarray] | None = None) -> pd.DataFrame:
    """Every indicator row of one area plus its city's rows (a profile's values and comparison values).

    ``index`` (:func:`area_row_index`) turns the scan into a lookup: 143 profiles of a level
    do not scan the table 143 times.
    """
    if index is None:
        sel = (table["city"] == city) & (((table["level"] == level) & (table["area_id"] == area_id))
                                         | (table["level"] == "stadt"))
        return table[sel].reset_index(drop=True)
    return rows_at(table, np.concatenate([index.get((city, level, area_id), _NO_ROWS),
                                          index.get((city, "stadt", config.CITY_IDS.get(city, "")), _NO_ROWS)]))


def area_row_index(table: pd.DataFrame) -> dict[tuple[str, str, str], np.ndarray]:
    """Row positions of the indicator table per ``(city, level, area_id)``."""
    return dict(table.groupby(["city", "level", "area_id"], sort=False, observed=True).indices)


@dataclass
class BuildFolder:
    """One build folder as a :class:`dashboard.page.BuildData`, without Streamlit; each file is read once.

    Attributes:
        out: the build folder (``geodata/processed``).
        geodata: the geodata folder whose ``sources.toml`` the build was made from.
        manifest: ``manifest.json`` (build version, creation time).
    """

    out: Path
    geodata: Path
    manifest: dict[str, Any]
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        """The build version (``manifest.json`` ``build_version``)."""
        return str(self.manifest.get("build_version", "none"))

    def _once(self, key: Any, read: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = read()
        return self._memo[key]

    def catalog(self) -> dict[str, dict[str, Any]]:
        """Catalog entries by indicator id."""
        return self._once("catalog", lambda: {c["indicator_id"]: c for c in read_catalog(self.out)})

    def areas(self) -> pd.DataFrame:
        """The areas table without geometry."""
        return self._once("areas", lambda: read_areas(self.out))

    def indicator_table(self) -> pd.DataFrame:
        """The full long indicator table (read-only)."""
        return self._once("indicators", lambda: read_indicator_table(self.out))

    def indicator_values(self, city: str, level: str, indicator: str, period: str) -> pd.DataFrame:
        """Rows of one map (remembered: stories ask for the same city values again)."""
        index = self._once("value_index", lambda: value_row_index(self.indicator_table()))
        return self._once(("values", city, level, indicator, period),
                          lambda: select_values(self.indicator_table(), city, level, indicator, period, index))

    def indicator_rows(self, city: str, indicator: str) -> pd.DataFrame:
        """All levels and periods of one indicator in one city."""
        index = self._once("indicator_index", lambda: indicator_row_index(self.indicator_table()))
        return select_rows(self.indicator_table(), city, indicator, index)

    def area_and_city_rows(self, city: str, level: str, area_id: str) -> pd.DataFrame:
        """Every indicator row of one area plus the city rows (the profile's values)."""
        index = self._once("row_index", lambda: area_row_index(self.indicator_table()))
        return select_area_and_city_rows(self.indicator_table(), city, level, area_id, index)

    def web_layer(self, city: str, level: str) -> gpd.GeoDataFrame | None:
        """One simplified web layer (None if the build has none)."""
        return self._once(("web", city, level), lambda: read_web_layer(self.out, city, level))

    def locations(self) -> gpd.GeoDataFrame | None:
        """All locations."""
        return self._once("locations", lambda: read_locations(self.out))

    def projects(self) -> gpd.GeoDataFrame | None:
        """The build's projects."""
        return self._once("projects", lambda: read_projects(self.out))

    def sources(self) -> list[dict[str, Any]]:
        """Every registered source (attribution of the exports)."""
        return self._once("sources", lambda: read_source_rows(self.geodata))

    def project_display(self) -> ProjectDisplay:
        """Theme colours and English labels of the project lists, from this geodata's ``projects/schema.toml``."""
        # Imported here: the project readers (xlsx, GeoJSON) are ~25 ms of every cold export that never needs them.
        from dashboard.projects_view import project_display
        from pipelines.projects import load_project_schema

        return self._once("project_display", lambda: project_display(load_project_schema(self.geodata)))

    def choices(self, stories: int = 0) -> Choices:
        """What a story's query may name in this build (as the app's ``loaders.load_choices``)."""
        return self._once(("choices", stories), lambda: make_choices(
            list(self.catalog().values()), self.indicator_table(), self.areas(), stories))


def _ids_as_text(df: pd.DataFrame) -> Any:
    for c in ("area_id", "parent_id"):
        if c in df.columns:
            df[c] = df[c].astype("string").astype(object)
    return df
