"""The profile's locator map: the city's areas in grey, the profiled area in blue (vector, in the city's CRS).

The grey city is the same for every area of a level, so its path is built once per layer and
reused by every profile of a process (``profile --all`` builds it before forking its workers).
At the locator's 3 inches a point is some 200 m of Berlin, so the shapes are simplified to a
1/1500 of the city's extent (~30 m, a sixth of a point): six times fewer vertices to write into
each PDF (a profile's file shrinks from ~230 kB to ~80 kB) with no visible difference.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import geopandas as gpd
import shapely
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from dashboard.export_render import Flow, geometry_path
from pipelines import config

if TYPE_CHECKING:  # a profile draws without the page code that ExportData's module imports
    from dashboard.export_data import ExportData

DETAIL = 1500
"""The locator's shapes keep details down to 1/DETAIL of the city's larger extent."""
BASE_LEVEL = {"munich": "stadtbezirk", "berlin": "bezirk"}
"""The grey base under a Handlungsraum (or the city itself): the city's districts."""

PATHS_MAX = 16
"""Layers whose paths are kept (a build has about ten; the app's readers hand out a fresh copy per
download, so without a bound every profile PDF drawn in the server would keep one more)."""
_PATHS: OrderedDict[tuple[int, str], tuple[gpd.GeoDataFrame, MplPath, tuple[float, ...]]] = OrderedDict()
_LOCK = threading.Lock()  # downloads in the app are drawn on Streamlit's worker threads


def draw_locator(doc: Flow, data: ExportData, city: str, level: str, area_id: str) -> None:
    """The city with the area highlighted (for a Handlungsraum on the Stadtbezirke)."""
    own = data.web_layer(city, level)
    base = data.web_layer(city, BASE_LEVEL[city] if level in ("handlungsraum", "stadt") else level)
    if own is None or base is None:
        return
    crs = config.CITY_CRS[city]
    doc.space(0.1)
    ax = doc.axes(3.0, left=doc.width * 0.15, width=doc.width * 0.7)
    ax.set_axis_off()
    base_path, bounds = layer_path(base, crs)
    # add_artist, not add_patch: the limits are set below, and add_patch's bounds update is slow
    ax.add_artist(PathPatch(base_path, facecolor="#eceff1", edgecolor="#9aa5ad", linewidth=0.3))
    hit = own[own["area_id"].astype(str) == area_id]
    if not hit.empty:
        path, _ = layer_path(hit, crs, cache=False, tolerance=_tolerance(bounds))
        ax.add_artist(PathPatch(path, facecolor="#0b3d91", edgecolor="#0b3d91", linewidth=1.2, alpha=0.85))
    minx, miny, maxx, maxy = bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")


def layer_path(layer: gpd.GeoDataFrame, crs: str, cache: bool = True,
               tolerance: float | None = None) -> tuple[MplPath, tuple[float, ...]]:
    """All shapes of a layer as one compound path in ``crs`` (simplified) and their bounds (kept per layer).

    ``tolerance`` in metres; default: the layer's own extent / :data:`DETAIL`.
    """
    key = (id(layer), crs)
    with _LOCK:
        hit = _PATHS.get(key) if cache else None
        if hit is not None and hit[0] is layer:
            _PATHS.move_to_end(key)
            return hit[1], hit[2]
    metric = layer.to_crs(crs)
    bounds = tuple(float(v) for v in metric.total_bounds)
    tol = _tolerance(bounds) if tolerance is None else tolerance
    shapes = shapely.simplify(metric.geometry.values, tol, preserve_topology=True)
    path = MplPath.make_compound_path(*(geometry_path(g) for g in shapes))
    if cache:
        with _LOCK:
            _PATHS[key] = (layer, path, bounds)
            _PATHS.move_to_end(key)
            while len(_PATHS) > PATHS_MAX:
                _PATHS.popitem(last=False)
    return path, bounds


def _tolerance(bounds: tuple[float, ...]) -> float:
    minx, miny, maxx, maxy = bounds
    return max(maxx - minx, maxy - miny) / DETAIL
