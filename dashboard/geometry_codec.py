"""Compact polygon encoding for the browser map: quantized, delta-coded integer rings (pure, no Streamlit).

The map component fetches each (city, level) geometry once as a static file and
then receives only values on every change (:mod:`dashboard.map_payload`). GeoJSON
with 5 decimals spells every vertex as two 8-digit numbers; here a vertex is the
difference to the previous one in units of :data:`QUANTUM` degrees (1e-5° ≈ 1.1 m
north–south, 0.7 m east–west at 52° N), mostly one to three digits. Berlin's 542
Planungsräume shrink from 0.96 MB to well under the 0.6 MB budget at the same
precision as the coverage-simplified web layer (which is already rounded to 5
decimals, :data:`pipelines.config.WEB_COORD_DECIMALS`).

Format (JSON, ``"format": "ra-quantized-1"``)::

    {"format": ..., "quantum": 1e-05, "origin": [lon0, lat0], "bbox": [w, s, e, n],
     "ids": [...], "names": [...],
     "shapes": [[polygon, ...] per feature]      # polygon = [ring, ...], outer ring first
     "outline": [line, ...]}                     # optional: the city boundary, same ring coding

A ring is a flat list ``[x0, y0, dx1, dy1, ...]``: the first vertex in quanta from
``origin``, every further one relative to its predecessor; the closing vertex is
left out (Leaflet closes rings) and repeated vertices are dropped.
:func:`decode_shapes` is the Python mirror of the component's decoder (tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

FORMAT = "ra-quantized-1"
QUANTUM = 1e-5
"""Degrees per coordinate unit (the web layers' own rounding)."""


def encode_layer(geometries: Sequence[shapely.Geometry], ids: Sequence[str], names: Sequence[str], *,
                 outline: shapely.Geometry | None = None, quantum: float = QUANTUM) -> dict[str, Any]:
    """Encode polygons (EPSG:4326, lon/lat) with their ids and names; ``outline`` is an optional boundary line.

    Raises:
        ValueError: lengths differ, or a geometry is neither (Multi)Polygon nor empty.
    """
    if not (len(geometries) == len(ids) == len(names)):
        raise ValueError(f"encode_layer needs as many ids and names as geometries: "
                         f"{len(geometries)}, {len(ids)}, {len(names)}")
    valid = [g for g in geometries if g is not None and not g.is_empty]
    if not valid:
        bbox = [0.0, 0.0, 0.0, 0.0]
    else:
        bbox = [float(v) for v in shapely.total_bounds(np.asarray(valid, dtype=object))]
    origin = (_snap(bbox[0], quantum), _snap(bbox[1], quantum))
    shapes = [_encode_polygons(g, origin, quantum) for g in geometries]
    out: dict[str, Any] = {"format": FORMAT, "quantum": quantum, "origin": list(origin), "bbox": bbox,
                           "ids": [str(i) for i in ids], "names": [str(n) for n in names], "shapes": shapes}
    if outline is not None and not outline.is_empty:
        out["outline"] = [_encode_ring(np.asarray(line.coords), origin, quantum, closed=False)
                          for line in _lines(outline)]
    return out


def decode_shapes(data: dict[str, Any]) -> list[shapely.Geometry]:
    """The features' geometries back as shapely (Multi)Polygons (empty Polygon where there was none)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown geometry format {data.get('format')!r}; expected {FORMAT!r}")
    q, (ox, oy) = float(data["quantum"]), data["origin"]
    out = []
    for polygons in data["shapes"]:
        polys = []
        for rings in polygons:
            coords = [_decode_ring(r, ox, oy, q) for r in rings]
            polys.append(shapely.Polygon(coords[0], coords[1:]))
        out.append(polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys) if polys else shapely.Polygon())
    return out


def _snap(value: float, quantum: float) -> float:
    return round(np.floor(value / quantum) * quantum, 10)


def _encode_polygons(geometry: shapely.Geometry | None, origin: tuple[float, float], quantum: float) -> list:
    if geometry is None or geometry.is_empty:
        return []
    if geometry.geom_type == "Polygon":
        parts = [geometry]
    elif geometry.geom_type == "MultiPolygon":
        parts = list(geometry.geoms)
    elif geometry.geom_type == "GeometryCollection":
        parts = [g for g in geometry.geoms if g.geom_type == "Polygon"]
    else:
        raise ValueError(f"encode_layer draws areas only, got a {geometry.geom_type}")
    polygons = []
    for poly in parts:
        rings = [_encode_ring(np.asarray(poly.exterior.coords), origin, quantum, closed=True)]
        rings += [_encode_ring(np.asarray(r.coords), origin, quantum, closed=True) for r in poly.interiors]
        rings = [r for r in rings if len(r) >= 6]  # a ring needs 3 distinct vertices after quantizing
        if rings:
            polygons.append(rings)
    return polygons


def _encode_ring(coords: np.ndarray, origin: tuple[float, float], quantum: float, *, closed: bool) -> list[int]:
    q = np.rint((coords[:, :2] - np.asarray(origin)) / quantum).astype(np.int64)
    if closed and len(q) > 1 and (q[0] == q[-1]).all():
        q = q[:-1]
    if len(q) > 1:  # repeated vertices (after quantizing) carry no shape
        keep = np.ones(len(q), dtype=bool)
        keep[1:] = (np.diff(q, axis=0) != 0).any(axis=1)
        q = q[keep]
    d = q.copy()
    d[1:] = np.diff(q, axis=0)
    return d.ravel().tolist()


def _decode_ring(flat: Sequence[int], ox: float, oy: float, quantum: float) -> np.ndarray:
    q = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0)
    coords = q * quantum + np.asarray([ox, oy])
    return np.vstack([coords, coords[:1]])


def _lines(geometry: shapely.Geometry) -> list[shapely.Geometry]:
    if geometry.geom_type in ("LineString", "LinearRing"):
        return [geometry]
    if hasattr(geometry, "geoms"):
        return [g for part in geometry.geoms for g in _lines(part)]
    if geometry.geom_type == "Polygon":
        return [geometry.exterior, *geometry.interiors]
    return []
