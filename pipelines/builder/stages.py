"""The stage recipes of a build: which stage runs after which, per city, timed.

``orchestrate.py`` decides what to build and writes the outputs; this module only
knows the order of the pure stages and how their tables feed each other
(Munich: areas -> action areas -> Bezirksteil population -> Indikatorenatlas;
Berlin: areas -> population -> MSS; then locations, projects, derived, web layers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd

from pipelines import config
from pipelines.builder import web_layers
from pipelines.builder.cache import cached_stage, stage_key
from pipelines.builder.checks import BuildValidationError
from pipelines.sources import action_areas, areas_berlin, areas_munich, berlin_population, mss
from pipelines.sources.indikatorenatlas import stage as indikatorenatlas
from pipelines.stage import BuildContext

Progress = Callable[[str, int, int], None]


class Runner:
    """Times each stage, tags the findings it adds, and reports progress."""

    def __init__(self, ctx: BuildContext, progress: Progress | None, total: int) -> None:
        self.ctx, self.progress, self.total = ctx, progress, total
        self.done = 0
        self.seconds: dict[str, float] = {}
        self.finding_stage: list[str] = []

    def __call__(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` as stage ``name``: progress first, then time it and tag its findings."""
        if self.progress:
            self.progress(name, self.done, self.total)
        n_before = len(self.ctx.findings)
        t0 = time.perf_counter()
        result = fn(*args)
        self.seconds[name] = time.perf_counter() - t0
        self.finding_stage += [name] * (len(self.ctx.findings) - n_before)
        self.done += 1
        return result

    def finish(self) -> None:
        """Report the end of the build to the progress callback."""
        if self.progress:
            self.progress("done", self.total, self.total)


def build_munich(ctx: BuildContext, run: Runner, parts: list[pd.DataFrame],
                  catalog: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Munich's stages; appends indicator tables and catalog rows, returns the areas (EPSG:25832)."""
    base = run("munich.areas", areas_munich.stage, ctx)
    hr = run("munich.action_areas", action_areas.stage, ctx, base)
    bt_pop = run("munich.bezirksteil_population", areas_munich.bezirksteil_population, ctx)
    areas = concat_areas([base, hr], config.CITY_CRS["munich"])
    membership = pd.concat([stadt_membership(base), action_areas.handlungsraum_membership(areas, bt_pop)],
                           ignore_index=True)
    key = stage_key(ctx, "indikatorenatlas", ["munich_indikatorenatlas"],
                    ["sources/indikatorenatlas/*.py", "sources/expectations.py"],
                    [membership, areas[["level", "area_id"]]])
    ind, cat = run("munich.indikatorenatlas", cached_stage, ctx, ctx.paths.cache, "indikatorenatlas", key,
                   lambda: indikatorenatlas.stage(ctx, areas, membership))
    parts += [bt_pop, ind]
    catalog += cat
    return areas


def stadt_membership(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every Stadtbezirk belongs to the city "muc" (the Indikatorenatlas base level is the Stadtbezirk)."""
    sb = areas.loc[areas["level"] == "stadtbezirk", "area_id"].astype(str)
    return pd.DataFrame({"child_id": sb.to_numpy(), "level": "stadt", "area_id": config.CITY_IDS["munich"],
                         "share": 1.0})


def build_berlin(ctx: BuildContext, run: Runner, parts: list[pd.DataFrame],
                  catalog: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Berlin's stages; appends indicator tables and catalog rows, returns the areas (EPSG:25833)."""
    areas = run("berlin.areas", areas_berlin.stage, ctx)
    membership = areas_berlin.berlin_membership(areas)
    pop, pop_cat = run("berlin.population", berlin_population.stage, ctx, areas, membership)
    ind, mss_cat = run("berlin.mss", mss.stage, ctx, areas, membership, pop)
    parts += [pop, ind]
    catalog += pop_cat + mss_cat
    return areas


def web_layers_with_report(areas: dict[str, gpd.GeoDataFrame]) -> dict[str, Any]:
    """Simplified web layers and a coverage report (validity, bytes) per layer for the manifest."""
    frames, layers = web_layers.build_web_layer_frames(areas)
    # the frames hold the geometry as written (rounded, EPSG:4326): no need to parse the GeoJSON back
    report = {name: {"bytes": len(data), **web_layers.coverage_report(frames[name])} for name, data in layers.items()}
    return {"layers": layers, "report": report}


def concat_areas(frames: list[gpd.GeoDataFrame], crs: str) -> gpd.GeoDataFrame:
    """One areas table from several stages' tables; every part must be in the city's CRS."""
    for f in frames:
        if f.crs is None or not f.crs.equals(crs):
            raise BuildValidationError([f"a stage returned areas in {f.crs}, expected {crs}"])
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def fill_population(areas: dict[str, gpd.GeoDataFrame], indicators: pd.DataFrame) -> dict[str, gpd.GeoDataFrame]:
    """``areas.population`` = indicator "population" at the latest valid period per area."""
    pop = indicators[(indicators["indicator_id"] == "population") & (indicators["flag"].fillna("") == "")
                     & indicators["value"].notna()]
    latest = pop.sort_values("period").groupby(["city", "level", "area_id"], sort=False)["value"].last()
    out = {}
    for city, gdf in areas.items():
        gdf = gdf.copy()
        keys = pd.MultiIndex.from_arrays([[city] * len(gdf), gdf["level"], gdf["area_id"]])
        values = latest.reindex(keys).to_numpy()
        current = gdf["population"] if "population" in gdf.columns else pd.Series(float("nan"), index=gdf.index)
        gdf["population"] = pd.Series(values, index=gdf.index).astype(float).fillna(current.astype(float))
        out[city] = gdf
    return out
