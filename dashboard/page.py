"""One page context per run: everything the views draw, computed once and purely (no Streamlit).

Before this module every view looked the chosen indicator up in the catalog again,
ranked each city twice and concatenated the projects up to eight times per run.
:func:`build_page` reads the build through a :class:`BuildData` (the app passes
``loaders.BuildReader``, tests an in-memory fake) and returns a frozen
:class:`PageContext`: the views only draw it. A click on a map changes only the
selected area, so the view swaps the state in with :meth:`PageContext.with_state`
instead of computing the page again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from dashboard.classify import Classification, classify, classify_common, colors_for, relative_to_city
from dashboard.comparison_page import ComparisonPage, PeriodGap, build_comparison, period_gap
from dashboard.label_layout import FRAME_DESK, FRAME_PRESENT, layout_outline_labels, outline_label_text
from dashboard.page_memo import memoized
from dashboard.projects_view import UploadResult, area_project_counts, combine_projects, filter_projects
from dashboard.ranking import ActionAreaSummary, action_area_layout, action_area_summary, ranking_table
from dashboard.state import Choices, ViewState
from pipelines.config import CITIES, COVERAGE_LEVELS, WEB_CRS


class BuildData(Protocol):
    """Read access to one build (``dashboard.loaders.BuildReader`` caches every call)."""

    version: str

    def catalog(self) -> Mapping[str, dict[str, Any]]:
        """Catalog entries by indicator id."""

    def areas(self) -> pd.DataFrame:
        """The areas table without geometry."""

    def indicator_values(self, city: str, level: str, indicator: str, period: str) -> pd.DataFrame:
        """Rows of one map: one city, level, indicator and period."""

    def indicator_rows(self, city: str, indicator: str) -> pd.DataFrame:
        """All levels and periods of one indicator in one city."""

    def web_layer(self, city: str, level: str) -> gpd.GeoDataFrame | None:
        """The simplified web layer of one city and level (EPSG:4326), None if the build has none."""

    def locations(self) -> gpd.GeoDataFrame | None:
        """All locations, None if the build has none."""

    def projects(self) -> gpd.GeoDataFrame | None:
        """The build's projects, None before a build with projects."""


@dataclass(frozen=True)
class ProjectFilters:
    """The project filter widgets' choices (empty = no restriction)."""

    themes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()


@dataclass(frozen=True)
class CityPage:
    """What one city's column shows (map, legend, ranking) for the current state.

    Attributes:
        city, level, period: what is shown ("" period = the indicator has none in this city).
        ranking: :func:`dashboard.ranking.ranking_table` of the level (None without period or values).
        frame: the web layer joined with ``value, flag, coverage, rank`` (None when nothing to draw).
        city_value: the whole city's value (None if unpublished).
        classification, colors: class breaks and one colour per class (None / () without a frame).
        focus_ids: Berlin district focus: the level's areas inside the chosen Bezirk (None = no focus).
        outlines: Munich's Handlungsraum outlines (None for Berlin).
        locations: the chosen location layers of this city in EPSG:4326 (None if none).
        projects: the projects of this city after the filters (maybe empty).
        project_counts: projects per area of the level (None when no project is loaded at all).
        offered_levels: other levels with values for this period (only when this level has none).
        fallback_period: latest period with values at this level (only when this level has none).
    """

    city: str
    level: str
    period: str
    ranking: pd.DataFrame | None = None
    frame: gpd.GeoDataFrame | None = None
    city_value: float | None = None
    classification: Classification | None = None
    colors: tuple[str, ...] = ()
    focus_ids: tuple[str, ...] | None = None
    outlines: gpd.GeoDataFrame | None = None
    locations: gpd.GeoDataFrame | None = None
    projects: gpd.GeoDataFrame | None = None
    project_counts: pd.DataFrame | None = None
    offered_levels: tuple[str, ...] = ()
    fallback_period: str = ""


@dataclass(frozen=True)
class PageContext:
    """Everything one run of the page draws; build it with :func:`build_page`.

    Attributes:
        version: the build version (the key of every cache).
        state: the view state the page was computed for (selection may change: :meth:`with_state`).
        choices: what the build offers (pickers, validation).
        catalog: catalog entries by indicator id.
        entry: the catalog entry of the chosen indicator ({} when the build lacks it).
        areas: the areas table without geometry.
        projects: the build's projects and this session's uploads, concatenated once (unfiltered).
        cities: one :class:`CityPage` per city, in ``config.CITIES`` order.
        summary: Handlungsräume vs. rest of Munich (None in presentation mode or without a Munich period).
        comparison: the comparison section (None in presentation mode).
        period_gap: both cities' dates of the chosen comparable indicator when they differ (else None).
    """

    version: str
    state: ViewState
    choices: Choices
    catalog: Mapping[str, dict[str, Any]]
    entry: dict[str, Any]
    areas: pd.DataFrame
    projects: gpd.GeoDataFrame
    cities: Mapping[str, CityPage] = field(default_factory=dict)
    summary: ActionAreaSummary | None = None
    comparison: ComparisonPage | None = None
    period_gap: PeriodGap | None = None

    @property
    def polarity(self) -> str:
        """The chosen indicator's polarity (colours and reading hint)."""
        return str(self.entry.get("polarity", "neutral"))

    def with_state(self, state: ViewState) -> PageContext:
        """The same page for a state that differs only in what is selected (e.g. after a map click)."""
        return replace(self, state=state)


def build_page(state: ViewState, choices: Choices, data: BuildData, *, uploads: Sequence[UploadResult] = (),
               filters: ProjectFilters = ProjectFilters()) -> PageContext:
    """Compute once what the page needs for ``state``.

    That is: the catalog entry, the projects, per city map and ranking, the comparison table and
    the two cities' reference dates of the chosen indicator.
    """
    catalog = data.catalog()
    entry = dict(catalog.get(state.indicator, {}))
    areas = data.areas()
    projects = (combine_projects(data.projects(), uploads) if uploads  # the build's own: reprojected once
                else memoized(data, ("projects",), lambda: combine_projects(data.projects(), ())))
    cities = {city: _city_page(state, data, areas, entry, projects, filters, city) for city in CITIES}
    cities = _classify_cities(state, cities, str(entry.get("polarity", "neutral")))
    summary = None
    munich_period = state.period("munich")
    if entry and munich_period and not state.present:
        layout = memoized(data, ("action_area_layout",), lambda: action_area_layout(areas))
        summary = memoized(data, ("summary", state.indicator, munich_period), lambda: action_area_summary(
            data.indicator_rows("munich", state.indicator), areas, entry, munich_period, layout))
    comparison = None if state.present else memoized(
        data, ("comparison", state.lang, state.compare, state.compare_ind, state.compare_align),
        lambda: build_comparison(state, choices, catalog, areas, data.indicator_rows))
    return PageContext(version=data.version, state=state, choices=choices, catalog=catalog, entry=entry,
                       areas=areas, projects=projects, cities=cities, summary=summary, comparison=comparison,
                       period_gap=period_gap(state, entry, choices))


def _labelled_outlines(data: BuildData, state: ViewState, city: str, level: str) -> gpd.GeoDataFrame | None:
    """Munich's Handlungsraum outlines with label positions that do not overlap (None for Berlin)."""
    if city != "munich":
        return None
    return memoized(data, ("outlines", city, level, state.lang, state.present),
                    lambda: _layout_outlines(data, state, city, level))


def _layout_outlines(data: BuildData, state: ViewState, city: str, level: str) -> gpd.GeoDataFrame | None:
    outlines = data.web_layer(city, "handlungsraum")
    if outlines is None or outlines.empty:
        return outlines
    layer = data.web_layer(city, level)
    bounds = (layer if layer is not None and not layer.empty else outlines).total_bounds
    texts = [outline_label_text(row, state.lang) for _, row in outlines.iterrows()]
    return layout_outline_labels(outlines, texts, bounds, FRAME_PRESENT if state.present else FRAME_DESK)


def _city_page(state: ViewState, data: BuildData, areas: pd.DataFrame, entry: Mapping[str, Any],
               projects: gpd.GeoDataFrame, filters: ProjectFilters, city: str) -> CityPage:
    level, period = state.level(city), state.period(city)
    page = CityPage(city=city, level=level, period=period,
                    focus_ids=focus_ids(areas, city, level, state.focus),
                    outlines=_labelled_outlines(data, state, city, level),
                    locations=city_locations(data.locations(), city, state.layers),
                    projects=filter_projects(projects, city=city, themes=filters.themes, statuses=filters.statuses,
                                             departments=filters.departments),
                    project_counts=None)
    if not projects.empty:
        page = replace(page, project_counts=area_project_counts(page.projects, city, level))
    if not entry or not period:
        return page
    polarity = str(entry.get("polarity", ""))
    return replace(page, **memoized(data, ("city_values", city, level, state.indicator, period, polarity),
                                    lambda: _city_values(data, state, areas, polarity, city)))


def _city_values(data: BuildData, state: ViewState, areas: pd.DataFrame, polarity: str, city: str) -> dict[str, Any]:
    """Ranking, joined frame and city value of one city's map (or where the values are, when it has none)."""
    level, period = state.level(city), state.period(city)
    rows = data.indicator_values(city, level, state.indicator, period)
    if rows.empty:
        return _fallbacks(data, state, city)
    ranking = ranking_table(rows, areas, city, level, state.indicator, period, polarity)
    layer = data.web_layer(city, level)
    city_rows = data.indicator_values(city, "stadt", state.indicator, period)
    return {"ranking": ranking, "frame": joined_frame(layer, ranking) if layer is not None else None,
            "city_value": first_value(city_rows)}


def _fallbacks(data: BuildData, state: ViewState, city: str) -> dict[str, Any]:
    """Where the values are when this level has none: other levels now, or this level in another period."""
    level, period = state.level(city), state.period(city)
    offered = tuple(lv for lv in COVERAGE_LEVELS[city] if lv != level
                    and not data.indicator_values(city, lv, state.indicator, period).empty)
    rows = data.indicator_rows(city, state.indicator)
    periods = sorted(rows.loc[(rows["level"] == level) & rows["value"].notna(), "period"].unique(), reverse=True)
    return {"offered_levels": offered, "fallback_period": str(periods[0]) if periods else ""}


def joined_frame(layer: gpd.GeoDataFrame, ranking: pd.DataFrame) -> gpd.GeoDataFrame:
    """The web layer joined with values, flags, coverage and ranks; areas without a row read "no_data"."""
    joined = layer[["area_id", "name", "geometry"]].merge(
        ranking[["area_id", "value", "flag", "coverage", "rank"]], on="area_id", how="left")
    joined["flag"] = joined["flag"].fillna("no_data")
    joined["rank"] = pd.to_numeric(joined["rank"], errors="coerce")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=layer.crs)


def first_value(rows: pd.DataFrame) -> float | None:
    """The value of a one-row table (the city's own row), None if absent or missing."""
    if rows.empty or pd.isna(rows["value"].iloc[0]):
        return None
    return float(rows["value"].iloc[0])


def _classify_cities(state: ViewState, cities: dict[str, CityPage], polarity: str) -> dict[str, CityPage]:
    """Add breaks and colours to every city that has a frame (the scale decides how the cities share them)."""
    frames = {c: p.frame for c, p in cities.items() if p.frame is not None}
    classes = classifications(state.scale, state.method, state.k, frames,
                              {c: p.city_value for c, p in cities.items()})
    return {c: replace(p, classification=classes[c], colors=tuple(colors_for(classes[c], polarity, state.scale)))
            if c in classes else p for c, p in cities.items()}


def classifications(scale: str, method: str, k: int, frames: Mapping[str, gpd.GeoDataFrame],
                    city_values: Mapping[str, float | None]) -> dict[str, Classification]:
    """Breaks per city: each its own (``own``), one for both (``common``), or of ``100 * value / city value``.

    ``common`` needs both cities: with one frame it falls back to that city's own breaks.
    """
    if scale == "common" and len(frames) == 2:
        common = classify_common([f["value"] for f in frames.values()], method, k)
        return dict.fromkeys(frames, common)
    out = {}
    for city, frame in frames.items():
        values = frame["value"]
        if scale == "relative":
            values = relative_to_city(values, city_values.get(city))
        out[city] = classify(values, method, k)
    return out


def focus_ids(areas: pd.DataFrame, city: str, level: str, focus: str) -> tuple[str, ...] | None:
    """Berlin district focus: the areas of ``level`` inside Bezirk ``focus`` (their ids start with it)."""
    if city != "berlin" or not focus:
        return None
    ids = areas.loc[(areas["city"] == "berlin") & (areas["level"] == level), "area_id"].astype(str)
    return tuple(a for a in ids if a[:2] == focus)


def city_locations(locations: gpd.GeoDataFrame | None, city: str,
                   layers: Collection[str]) -> gpd.GeoDataFrame | None:
    """The chosen location layers of one city in the maps' CRS (None when nothing is chosen or found)."""
    if not layers or locations is None:
        return None
    sel = locations[(locations["city"] == city) & (locations["layer"].isin(list(layers)))]
    if sel.crs is not None and not sel.crs.equals(WEB_CRS):
        sel = sel.to_crs(WEB_CRS)
    return sel if len(sel) else None

