"""The build's project stage: every file in ``geodata/projects/`` -> projects table, indicators, catalog, findings.

The planners' lists are read, validated and joined by :func:`pipelines.projects.load_project_folder`
(templates skipped; a file without any valid row stops the build with its reasons, before anything
is written). This module adds what the build needs around it: the areas of every city (the previous
build's areas for a city that is not rebuilt, so a ``--city`` build validates the other city's rows
correctly), one manifest finding per file plus its row problems, the table in its written shape
(EPSG:4326, fixed column order, empty but typed without projects) and the catalog entries, whose
labels and definitions are data in ``schema.toml`` (``[catalog]``, ``[labels_en]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from pipelines import config, io
from pipelines.projects.api import load_project_folder
from pipelines.projects.join import place_projects
from pipelines.projects.report import PROJECT_COLUMNS, ValidationReport
from pipelines.projects.schema import ProjectSchema, load_project_schema
from pipelines.registry import slugify
from pipelines.stage import BuildContext

STAGE = "projects"
MAX_PROBLEM_FINDINGS = 200  # per file; the rest is summarised (a 50,000-row file may have many)
_LIST_COLUMNS = ("beteiligte_referate", "partner", "alle_referate")
_FLOAT_COLUMNS = ("lat", "lon", "budget_eur")


def project_table_columns() -> list[str]:
    """Column order of ``projects.parquet`` (without geometry, which comes last)."""
    levels = dict.fromkeys(lv for city in config.CITIES for lv in config.LEVELS[city])
    return [*PROJECT_COLUMNS, "alle_referate", "anzahl_referate", "location_kind",
            *(f"area_id_{lv}" for lv in levels)]


def stage(ctx: BuildContext, areas: dict[str, gpd.GeoDataFrame], period: str | None = None
          ) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """(projects of the built cities, their per-area indicators, catalog entries); findings go to ``ctx``.

    ``areas``: the built cities' areas (their metric CRS). The previous build in ``ctx.paths.out``
    supplies the areas of cities not rebuilt in this run. Raises
    :class:`~pipelines.errors.InputError` for an unreadable file or one without any valid row.
    """
    built = tuple(areas)
    all_areas = _all_areas(areas, ctx.paths.out)
    schema = load_project_schema(ctx.paths.geodata)
    gdf, indicators, reports = load_project_folder(ctx.paths.geodata, all_areas, schema, period=period, strict=True)
    for report in reports:
        _report_findings(ctx, report)
    gdf = gdf[gdf["stadt"].isin(built)] if len(gdf) else gdf
    indicators = indicators[indicators["city"].isin(built)].reset_index(drop=True)
    return shape_projects(gdf), indicators, project_catalog(indicators, schema)


def _all_areas(areas: dict[str, gpd.GeoDataFrame], out: Path | None) -> gpd.GeoDataFrame:
    frames = [gdf.to_crs(config.WEB_CRS) for gdf in areas.values()]
    missing = [c for c in config.CITIES if c not in areas]
    if missing and out is not None and (out / config.AREAS_FILE).exists():
        prev = io.read_geoparquet(out / config.AREAS_FILE)
        frames.append(prev[prev["city"].isin(missing)].to_crs(config.WEB_CRS))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=config.WEB_CRS)


def _report_findings(ctx: BuildContext, report: ValidationReport) -> None:
    """One summary finding per file (info, or warning if rows were dropped or changed) and its problems."""
    rows = [p for p in report.problems if p.severity in ("error", "warning")]
    severity = "warning" if rows or report.status == "partial" else "info"
    ctx.add(severity, STAGE, report.summary("de") + " / " + report.summary("en"), source=report.source,
            count=report.n_valid)
    problems = sorted(report.problems, key=lambda p: (p.row or 0, p.severity != "error"))
    lines_de, lines_en = report.lines("de"), report.lines("en")
    for p, de, en in list(zip(problems, lines_de, lines_en, strict=True))[:MAX_PROBLEM_FINDINGS]:
        where = f"{report.row_label[0]} {p.row}" if p.row is not None else ""
        ctx.add("warning" if p.severity in ("error", "warning") else "info", STAGE, f"{de} / {en}",
                source=report.source, where=where)
    if len(problems) > MAX_PROBLEM_FINDINGS:
        ctx.add("info", STAGE, f"… {len(problems) - MAX_PROBLEM_FINDINGS} weitere Meldungen / more problems: "
                f"python -m pipelines validate-projects {report.source}", source=report.source)


def shape_projects(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The projects table as written: fixed columns (empty ones typed), EPSG:4326, sorted by city and id."""
    cols = project_table_columns()
    data: dict[str, Any] = {}
    for c in cols:
        if c in gdf.columns:
            data[c] = gdf[c].to_numpy() if len(gdf) else pd.Series([], dtype=_dtype(c))
        else:
            data[c] = [""] * len(gdf) if len(gdf) else pd.Series([], dtype=_dtype(c))
    geometry = gdf.geometry.to_crs(config.WEB_CRS).to_numpy() if len(gdf) else []
    out = gpd.GeoDataFrame(pd.DataFrame(data, columns=cols), geometry=gpd.GeoSeries(geometry, crs=config.WEB_CRS),
                           crs=config.WEB_CRS)
    for c in _LIST_COLUMNS:
        out[c] = shared_lists(out[c])
    for c in _FLOAT_COLUMNS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["anzahl_referate"] = pd.to_numeric(out["anzahl_referate"], errors="coerce").fillna(0).astype("int64")
    out["row"] = pd.to_numeric(out["row"], errors="coerce").fillna(0).astype("int64")
    return out.sort_values(["stadt", "id"], kind="stable").reset_index(drop=True)


def placed_projects(report: ValidationReport, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """A checked file's valid rows placed in their areas, in the table's shape; None when no row is valid.

    One step for the app's two checks, in the server (the example projects) and in the upload's child
    process (:mod:`pipelines.projects.sandbox`). An upload's project counts per area are not shown, so
    :func:`~pipelines.projects.join.place_projects` makes none here.
    """
    return shape_projects(place_projects(report.projects, areas)) if report.n_valid else None


def shared_lists(cells: Iterable[Any]) -> list[list[str]]:
    """Each cell as a list (tuples and arrays converted, anything else empty); equal lists are one object.

    A 100,000-row upload names a handful of distinct department lists: one list object each instead of
    one per row. Pickle keeps that sharing, so the server unpickles and holds a few objects, not 300,000
    (small objects made during an upload pin the allocator's arenas after it: issue 12). The lists are
    never changed in place; a change would show in every row that shares it.
    """
    seen: dict[tuple, list[str]] = {}
    out = []
    for v in cells:
        items = tuple(v) if isinstance(v, list | tuple) else tuple(v.tolist()) if hasattr(v, "tolist") else ()
        same = seen.get(items)
        if same is None:
            same = seen[items] = list(items)
        out.append(same)
    return out


def _dtype(column: str) -> str:
    if column in _FLOAT_COLUMNS:
        return "float64"
    if column in ("anzahl_referate", "row"):
        return "int64"
    return "object"


def project_catalog(indicators: pd.DataFrame, schema: ProjectSchema) -> list[dict[str, Any]]:
    """Catalog entries for the project indicators present in ``indicators`` (texts from schema.toml)."""
    if indicators.empty:
        return []
    cat, labels_en = schema.catalog, schema.labels_en
    templates: dict[str, tuple[str, dict[str, str]]] = {
        "proj_count": ("proj_count", {}), "proj_multi_dept_count": ("proj_multi_dept_count", {}),
        "proj_multi_dept_share": ("proj_multi_dept_share", {})}
    for vocab in ("thema", "status"):
        for value in schema.vocabularies[vocab]:
            en = labels_en.get(vocab, {}).get(value, value)
            fmt = {"value": value, "value_en": en}
            templates[f"proj_count_{vocab}_{slugify(value)}"] = (f"proj_count_{vocab}", fmt)
    cities_with = sorted(set(indicators["city"]))
    group = "comparable" if len(cities_with) > 1 else cities_with[0]
    entries = []
    for iid, rows in indicators.groupby("indicator_id", sort=True):
        key, fmt = templates[str(iid)]
        spec = cat[key]
        entries.append({
            "indicator_id": str(iid), "group": group, "topic": cat.get("topic", "projekte"),
            "label_de": spec["label_de"].format(**fmt), "label_en": spec["label_en"].format(**fmt),
            "unit": spec["unit"], "unit_en": spec.get("unit_en", spec["unit"]),
            "definition_de": spec["definition_de"].format(**fmt), "definition_en": spec["definition_en"].format(**fmt),
            "polarity": spec.get("polarity", cat.get("polarity", "neutral")),
            "aggregation": spec.get("aggregation", cat.get("aggregation", "none")), "scale": spec.get("scale", 1),
            "comparability_note_de": cat.get("comparability_note_de", ""),
            "comparability_note_en": cat.get("comparability_note_en", ""),
            "source_ids": [],
            "levels": {c: sorted(rows.loc[rows["city"] == c, "level"].unique(), key=config.LEVELS[c].index)
                       for c in cities_with},
            "periods": {c: sorted(rows.loc[rows["city"] == c, "period"].unique()) for c in cities_with},
        })
    return entries
