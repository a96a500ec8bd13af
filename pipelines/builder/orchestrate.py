"""Run the stages in order, validate the canonical tables, write one versioned build.

The recipe per city (Munich: areas -> action areas -> Bezirksteil population ->
Indikatorenatlas; Berlin: areas -> population -> MSS), then locations, derived
indicators, ``areas.population`` and the web layers. The planners' project lists
(``geodata/projects/``) are joined to every area level and written as
``projects.parquet`` plus per-area project indicators. Outputs go to a staging
folder that replaces ``out`` only when everything succeeded, so a failed build
never destroys the previous good one. A build whose inputs and code are
unchanged since the last manifest is a no-op (nothing is parsed).

On two cores the two cities' chains run side by side (Berlin's in a forked process),
the web layers are drawn in a forked process while locations, projects and derived
indicators run, and ``indicators.parquet`` is sorted and written in one while the other
outputs are written; results are merged in the serial order, so the output is the same
(``builder/parallel.py``; ``RAUMATLAS_BUILD_PROCESSES=1`` runs everything here). The CLI
also reads the Munich workbooks in a process forked before its imports (``builder/prefetch.py``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from pipelines import config, io
from pipelines.builder import derived, manifest
from pipelines.builder.checks import (
    BuildValidationError,
    count_summary,
    merge_catalog,
    validate_tables,
)
from pipelines.builder.lock import guard_build, preflight
from pipelines.builder.parallel import Forked, build_both_cities
from pipelines.builder.stages import (
    Progress,
    Runner,
    build_berlin,
    build_munich,
    fill_population,
    web_layers_with_report,
)
from pipelines.projects import project_stage, shape_projects
from pipelines.registry import load_indicator_registry
from pipelines.sources import locations as location_stage
from pipelines.stage import BuildContext

__all__ = ["BuildResult", "BuildValidationError", "run_build"]

STAGES: dict[str, tuple[str, ...]] = {
    "munich": ("munich.areas", "munich.action_areas", "munich.bezirksteil_population", "munich.indikatorenatlas"),
    "berlin": ("berlin.areas", "berlin.population", "berlin.mss"),
    "common": ("locations", "projects", "derived", "population", "web_layers", "validate", "write"),
}


@dataclass
class BuildResult:
    """What a build did: ``status`` is "built" or "noop"; ``manifest`` is the (new or current) manifest."""

    status: str
    out: Path
    manifest: dict[str, Any]
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)


@guard_build  # one build per --out at a time; interrupted builds recovered; disk faults as one line
def run_build(geodata: Path | str | None = None, out: Path | str | None = None, city: str = "all",
              progress: Progress | None = None, force: bool = False) -> BuildResult:
    """Build ``out`` from the registered inputs in ``geodata`` (see module docstring).

    ``city`` = "munich" or "berlin" rebuilds only that city and keeps the other
    city's rows from the previous build. ``force`` rebuilds even if unchanged.
    Raises :class:`~pipelines.errors.InputError` for bad inputs and
    :class:`BuildValidationError` when an output breaks the contract.
    """
    if city not in config.CITY_CHOICES:
        raise ValueError(f"city must be one of {config.CITY_CHOICES}, not {city!r}")
    t_start = time.perf_counter()
    paths, state, previous, current = manifest.build_status(geodata, out, city)  # verifies every sha256
    t_inputs = time.perf_counter() - t_start
    cities = config.CITIES if city == "all" else (city,)
    if not force and current:
        return BuildResult("noop", paths.out, previous or {}, time.perf_counter() - t_start)
    preflight(paths.out)  # writable, no mount point, room: checked before anything is computed

    ctx = BuildContext(paths=paths, sources=state["sources"],
                       indicator_registry=load_indicator_registry(paths.geodata))
    total = sum(len(STAGES[c]) for c in cities) + len(STAGES["common"])
    run = Runner(ctx, progress, total)
    run.seconds["verify_inputs"] = t_inputs
    areas: dict[str, gpd.GeoDataFrame] = {}
    parts: list[pd.DataFrame] = []
    catalog: list[dict[str, Any]] = []
    if "munich" in cities and "berlin" in cities:  # the two chains at once (2 cores), merged in serial order
        areas.update(build_both_cities(ctx, run, parts, catalog))
    elif "munich" in cities:
        areas["munich"] = build_munich(ctx, run, parts, catalog)
    elif "berlin" in cities:
        areas["berlin"] = build_berlin(ctx, run, parts, catalog)

    # the web layers need only the areas' geometry and names (not the population filled in below): drawn
    # in a forked process meanwhile; if that fails, they are drawn here at their serial place
    web_job = Forked(web_layers_with_report, areas)
    try:
        web = _serial_stages(ctx, run, areas, parts, catalog, web_job)
    except BaseException:
        web_job.cancel()
        raise
    areas, indicators, locations, catalog, projects = web.pop("tables")

    findings = [dict(f.to_dict(), build_stage=s) for f, s in zip(ctx.findings, run.finding_stage, strict=False)]
    prev_tables = _previous_tables(paths.out, previous, cities)
    with io.staging_dir(paths.out) as tmp:
        written = run("write", _write_outputs, tmp, areas, indicators, locations, catalog, web, prev_tables,
                      projects)
        run.finish()
        outputs = _output_entries(tmp, written["rows"])
        keep = [c for c in config.CITIES if c not in cities and prev_tables is not None]
        city_versions = {c: previous["city_versions"][c] for c in keep
                         if previous and c in previous.get("city_versions", {})}
        city_versions.update({c: state["input_version"] for c in cities})
        if previous and keep:
            findings += [f for f in previous.get("findings", [])
                         if any(str(f.get("build_stage", "")).startswith(f"{c}.") for c in keep)]
        man = manifest.make_manifest(
            state=state, city_versions=city_versions, city_built=city, outputs=outputs,
            stage_seconds=run.seconds, findings=findings, notes=ctx.notes,
            counts=written["counts"], web_layers=web["report"])
        io.write_json(tmp / config.MANIFEST_FILE, man)
        _readable(tmp)
    return BuildResult("built", paths.out, man, time.perf_counter() - t_start, run.seconds)


def _serial_stages(ctx: BuildContext, run: Runner, areas: dict[str, gpd.GeoDataFrame], parts: list[pd.DataFrame],
                   catalog: list[dict[str, Any]], web_job: Forked) -> dict[str, Any]:
    """Locations, projects, derived, population, web layers (from ``web_job`` if it worked), validate."""
    locations, loc_ind, loc_cat = run("locations", location_stage.stage, ctx, areas)
    parts.append(loc_ind)
    catalog += loc_cat
    projects, proj_ind, proj_cat = run("projects", project_stage, ctx, areas)
    parts.append(proj_ind)
    catalog += proj_cat
    indicators = _concat_indicators(parts)
    derived_ind, derived_cat = run("derived", derived.stage, ctx, areas, indicators, locations)
    indicators = _concat_indicators([indicators, derived_ind])
    catalog = merge_catalog(catalog + derived_cat)
    areas = run("population", fill_population, areas, indicators)
    forked = web_job.result()
    if forked is not None:
        web = run("web_layers", lambda: forked[0])
        run.seconds["web_layers"] = forked[1]
    else:
        web = run("web_layers", web_layers_with_report, areas)
    run("validate", validate_tables, ctx, areas, indicators, locations, catalog)
    return {**web, "tables": (areas, indicators, locations, catalog, projects)}


def _concat_indicators(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [p for p in parts if p is not None and len(p)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in config.INDICATOR_COLUMNS})
    return pd.concat(frames, ignore_index=True)


def _previous_tables(out: Path, previous: dict[str, Any] | None, cities: tuple[str, ...]) -> dict[str, Any] | None:
    """Rows of the cities *not* rebuilt, from the previous build (None for a full build or no build)."""
    keep = [c for c in config.CITIES if c not in cities]
    if not keep or previous is None or not (out / config.AREAS_FILE).exists():
        return None
    areas = io.read_geoparquet(out / config.AREAS_FILE)
    indicators = io.read_parquet(out / config.INDICATORS_FILE_OUT)
    locations = io.read_geoparquet(out / config.LOCATIONS_FILE)
    catalog = io.read_json(out / config.CATALOG_FILE)
    projects = io.read_geoparquet(out / config.PROJECTS_FILE) if (out / config.PROJECTS_FILE).exists() else None
    web = sorted(p for p in (out / config.WEB_DIR).glob("*.geojson") if p.name.split("_", 1)[0] in keep)
    return {"cities": keep, "areas": areas[areas["city"].isin(keep)],
            "indicators": indicators[indicators["city"].isin(keep)],
            "locations": locations[locations["city"].isin(keep)], "catalog": catalog, "web": web,
            "projects": projects[projects["stadt"].isin(keep)] if projects is not None else None}


def _write_outputs(tmp: Path, areas: dict[str, gpd.GeoDataFrame], indicators: pd.DataFrame,
                   locations: gpd.GeoDataFrame, catalog: list[dict[str, Any]], web: dict[str, Any],
                   prev: dict[str, Any] | None, projects: gpd.GeoDataFrame) -> dict[str, Any]:
    if prev is not None:
        indicators = pd.concat([indicators, prev["indicators"]], ignore_index=True)
    # the largest table is sorted and written in a forked process meanwhile (here if that fails)
    ind_job = Forked(_write_indicators, tmp, indicators)
    try:
        area_frames = [gdf.to_crs(config.WEB_CRS) for gdf in areas.values()]
        loc = locations.to_crs(config.WEB_CRS) if len(locations) else locations.set_crs(config.WEB_CRS,
                                                                                         allow_override=True)
        if prev is not None:
            area_frames.append(prev["areas"])
            loc = pd.concat([loc, prev["locations"]], ignore_index=True)
            catalog = merge_catalog(catalog, previous=prev["catalog"], keep_cities=prev["cities"])
            for p in prev["web"]:
                io.copy_file_atomic(p, tmp / config.WEB_DIR / p.name)
        all_areas = gpd.GeoDataFrame(pd.concat(area_frames, ignore_index=True), geometry="geometry",
                                     crs=config.WEB_CRS)
        extra = [c for c in all_areas.columns if c not in config.AREA_COLUMNS]
        all_areas = all_areas[[*config.AREA_COLUMNS, *extra]].sort_values(["city", "level", "area_id"])
        io.write_geoparquet(all_areas.reset_index(drop=True), tmp / config.AREAS_FILE)
        loc = gpd.GeoDataFrame(loc, geometry="geometry", crs=config.WEB_CRS)
        level_cols = [f"area_id_{lvl}" for c in config.CITIES for lvl in config.LEVELS[c] if f"area_id_{lvl}" in loc]
        base_cols = [c for c in config.LOCATION_COLUMNS if c != "geometry"]
        rest = [c for c in loc.columns if c not in (*base_cols, *level_cols, "geometry")]
        loc = loc[[*base_cols, *level_cols, *rest, "geometry"]]
        io.write_geoparquet(loc.sort_values(["city", "layer", "location_id"]).reset_index(drop=True),
                            tmp / config.LOCATIONS_FILE)
        io.write_json(tmp / config.CATALOG_FILE, sorted(catalog, key=lambda e: e["indicator_id"]))
        projects = _merge_projects(projects, prev["projects"] if prev is not None else None)
        io.write_geoparquet(projects, tmp / config.PROJECTS_FILE)
        for name, data in web["layers"].items():
            io.write_bytes_atomic(tmp / config.WEB_DIR / name, data)
        counts = count_summary(all_areas, indicators, loc)  # counts need no row order
    except BaseException:
        ind_job.cancel()
        raise
    forked = ind_job.result()
    n_ind = forked[0] if forked is not None else _write_indicators(tmp, indicators)
    rows = {config.AREAS_FILE: len(all_areas), config.INDICATORS_FILE_OUT: n_ind, config.LOCATIONS_FILE: len(loc),
            config.CATALOG_FILE: len(catalog), config.PROJECTS_FILE: len(projects)}
    return {"rows": rows, "counts": counts}


def _write_indicators(tmp: Path, indicators: pd.DataFrame) -> int:
    """``indicators.parquet``: the canonical columns sorted by city, level, area, indicator, period; row count."""
    ind = indicators[list(config.INDICATOR_COLUMNS)].sort_values(
        ["city", "level", "area_id", "indicator_id", "period"]).reset_index(drop=True)
    io.write_parquet(ind, tmp / config.INDICATORS_FILE_OUT)
    return len(ind)


def _merge_projects(projects: gpd.GeoDataFrame, prev: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The built cities' projects plus the kept cities' rows of the previous build (``--city``)."""
    if prev is None or prev.empty:
        return projects
    merged = pd.concat([projects, prev.to_crs(config.WEB_CRS)], ignore_index=True)
    return shape_projects(gpd.GeoDataFrame(merged, geometry="geometry", crs=config.WEB_CRS))


def _output_entries(tmp: Path, rows: dict[str, int]) -> list[dict[str, Any]]:
    entries = [manifest.output_entry(tmp, tmp / name, rows=n) for name, n in rows.items()]
    entries += [manifest.output_entry(tmp, p) for p in sorted((tmp / config.WEB_DIR).glob("*.geojson"))]
    return entries


def _readable(folder: Path) -> None:
    """Temp files/dirs are created private (0600/0700); a build is meant to be read by the app's user too."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for p in folder.rglob("*"):
        p.chmod((0o777 if p.is_dir() else 0o666) & ~umask)
