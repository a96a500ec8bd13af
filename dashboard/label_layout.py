"""Where the Handlungsraum labels go, so that no two overlap (pure: no folium, no Streamlit).

Two layers:

- :func:`place_labels` works in screen pixels: each label has an anchor (a point inside
  its area) and a box size; a label stays on its anchor when it can, otherwise it moves
  to the nearest free spot (up/down first, then sideways and diagonally, farther and
  farther) inside the map, and then needs a leader line back to its anchor.
- :func:`layout_outline_labels` does it for a map: it projects the outlines' anchors
  the way Leaflet's ``fitBounds`` will (Web Mercator, the zoom snapped down to
  ``zoomSnap``), places the labels for the *smallest* frame the map is shown in
  (a bigger frame zooms in, which only moves labels apart), and returns the result as
  columns of the outlines table, in degrees — the data the map draws:

  ``label_text`` (plain text), ``label_lat``/``label_lon`` (centre of the label box),
  ``anchor_lat``/``anchor_lon`` (the point inside the area), ``label_leader`` (True
  when the label sits away from its anchor: draw a line from the anchor to the label).

The folium maps and the exports draw these positions as they are. The app's map component
(``dashboard/map_component/raumatlas_labels.js``) runs the same greedy placement again in
the browser, with the frame's real width and height, the labels' measured boxes and the
controls where they really are, after every move, zoom and resize (a 390 px phone, a map
beside an opened profile); it starts from each label's anchor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

LABEL_FONT_PX = 14
"""Font size of a label (``.ra-label`` in :mod:`dashboard.maps`); the box estimate depends on it."""
_CHAR_WIDTH = 0.62  # average advance of a bold sans-serif character, in font sizes (measured: Näherung labels)
_PAD_X, _PAD_Y = 14, 8  # padding + border of a label box, px
FRAME_PRESENT = (590, 300)
"""Smallest map frame (width, height in px) in presentation mode (1280x720 projector)."""
FRAME_DESK = (450, 290)
"""Smallest map frame on a desktop/laptop screen (two maps side by side)."""
FIT_PADDING = 8  # px, as in maps.build_map's fit_bounds
ZOOM_SNAP = 0.25  # as in maps.build_map's folium.Map(zoom_snap=...)


@dataclass(frozen=True)
class LabelBox:
    """A label to place: its anchor in px (x right, y down) and its box size in px."""

    key: str
    anchor_x: float
    anchor_y: float
    width: float
    height: float


@dataclass(frozen=True)
class PlacedLabel:
    """Where a label's box centre ended up (px) and whether it needs a leader line."""

    key: str
    x: float
    y: float
    width: float
    height: float
    leader: bool

    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) in px."""
        return (self.x - self.width / 2, self.y - self.height / 2, self.x + self.width / 2, self.y + self.height / 2)


def label_size(text: str, font_px: float = LABEL_FONT_PX) -> tuple[float, float]:
    """Estimated box (width, height) in px of a one-line label."""
    return len(text) * font_px * _CHAR_WIDTH + _PAD_X, font_px * 1.35 + _PAD_Y


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float], gap: float) -> float:
    """Area by which two boxes (grown by ``gap``/2 each) overlap; 0 when they are apart."""
    w = min(a[2], b[2]) - max(a[0], b[0]) + gap
    h = min(a[3], b[3]) - max(a[1], b[1]) + gap
    return w * h if w > 0 and h > 0 else 0.0


def _candidates(label: LabelBox, reach: int = 10) -> list[tuple[float, float]]:
    """Positions to try, nearest to the anchor first (a grid of offsets; vertical moves cost less)."""
    dx, dy = 16.0, label.height / 2 + 1
    grid = [(i * dx, j * dy) for i in range(-reach, reach + 1) for j in range(-reach, reach + 1)]
    grid.sort(key=lambda o: (math.hypot(o[0] * 0.8, o[1]), abs(o[0]), o[1]))
    return [(label.anchor_x + ox, label.anchor_y + oy) for ox, oy in grid]


def map_controls(width: float, height: float) -> list[tuple[float, float, float, float]]:
    """Boxes (left, top, right, bottom) taken by Leaflet's controls: zoom (top left), scale, attribution."""
    return [(0, 0, 50, 80), (0, height - 50, 130, height), (width - 100, height - 24, width, height)]


def place_labels(labels: Sequence[LabelBox], width: float, height: float, gap: float = 4.0,
                 obstacles: Sequence[tuple[float, float, float, float]] = ()) -> list[PlacedLabel]:
    """Place labels in a ``width`` x ``height`` px map so that no two boxes come closer than ``gap`` px.

    Greedy, in the given order (put the most important label first): each label takes
    the first candidate position (:func:`_candidates`) that keeps it inside the map and
    clear of every label placed before and of ``obstacles`` (boxes such as the map's
    controls, :func:`map_controls`); if none is free it takes the least overlapping one.
    A label that left its anchor gets ``leader=True``. Deterministic.
    """
    placed: list[PlacedLabel] = []
    for lab in labels:
        best, best_cost = None, math.inf
        for x, y in _candidates(lab):
            x = min(max(x, lab.width / 2), max(width - lab.width / 2, lab.width / 2))
            y = min(max(y, lab.height / 2), max(height - lab.height / 2, lab.height / 2))
            box = (x - lab.width / 2, y - lab.height / 2, x + lab.width / 2, y + lab.height / 2)
            cost = sum(_overlap(box, p.box(), gap) for p in placed) + sum(_overlap(box, o, 0) for o in obstacles)
            if cost < best_cost:
                best, best_cost = (x, y), cost
            if cost == 0:
                break
        assert best is not None
        moved = abs(best[0] - lab.anchor_x) > lab.width / 2 or abs(best[1] - lab.anchor_y) > lab.height / 2
        placed.append(PlacedLabel(lab.key, best[0], best[1], lab.width, lab.height, moved))
    return placed


# --- Web Mercator as Leaflet's fitBounds uses it -------------------------------------------------------------


def _world_px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Leaflet's EPSG:3857 pixel coordinates at ``zoom`` (256 px tiles)."""
    scale = 256 * 2 ** zoom
    siny = math.sin(math.radians(max(min(lat, 85.05112878), -85.05112878)))
    return (lon + 180) / 360 * scale, (0.5 - math.log((1 + siny) / (1 - siny)) / (4 * math.pi)) * scale


def _unproject(x: float, y: float, zoom: float) -> tuple[float, float]:
    scale = 256 * 2 ** zoom
    lon = x / scale * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / scale))))
    return lon, lat


def fit_zoom(bounds: Sequence[float], width: float, height: float, padding: float = FIT_PADDING,
             snap: float = ZOOM_SNAP) -> float:
    """The zoom Leaflet's ``fitBounds(bounds, {padding})`` picks: the largest snapped zoom that fits."""
    minx, miny, maxx, maxy = bounds
    x0, y0 = _world_px(minx, maxy, 0)
    x1, y1 = _world_px(maxx, miny, 0)
    scale = min((width - 2 * padding) / max(x1 - x0, 1e-12), (height - 2 * padding) / max(y1 - y0, 1e-12))
    zoom = math.log2(max(scale, 1e-12))
    return math.floor(zoom / snap + 1e-9) * snap


def layout_outline_labels(outlines: gpd.GeoDataFrame, texts: Sequence[str], bounds: Sequence[float],
                          frame: tuple[float, float] = FRAME_DESK) -> gpd.GeoDataFrame:
    """The outlines with label columns (see the module docstring) for a map fitted to ``bounds``.

    Args:
        outlines: Handlungsräume in EPSG:4326 (one row per label, in drawing priority order).
        texts: the label text of each row (plain text, as the map shows it).
        bounds: (minx, miny, maxx, maxy) in degrees the map is fitted to (the city's areas).
        frame: (width, height) in px of the smallest frame the map is shown in.
    """
    if len(texts) != len(outlines):
        raise ValueError(f"layout_outline_labels needs one text per outline ({len(outlines)}), got {len(texts)}")
    out = outlines.copy()
    if out.empty:
        for col in ("label_text", "label_lat", "label_lon", "anchor_lat", "anchor_lon", "label_leader"):
            out[col] = pd.Series(dtype="object")
        return out
    width, height = frame
    zoom = fit_zoom(bounds, width, height)
    minx, miny, maxx, maxy = bounds
    cx, cy = _world_px((minx + maxx) / 2, (miny + maxy) / 2, zoom)
    # The anchor: the point inside each area farthest from its border (polylabel), not the centroid.
    anchors = [_pole(g) for g in out.geometry]
    boxes = []
    for i, (pt, text) in enumerate(zip(anchors, texts, strict=True)):
        px, py = _world_px(pt.x, pt.y, zoom)
        w, h = label_size(str(text))
        boxes.append(LabelBox(str(i), px - cx + width / 2, py - cy + height / 2, w, h))
    placed = {p.key: p for p in place_labels(boxes, width, height, obstacles=map_controls(width, height))}
    lons, lats, leaders = [], [], []
    for i in range(len(out)):
        p = placed[str(i)]
        lon, lat = _unproject(p.x + cx - width / 2, p.y + cy - height / 2, zoom)
        lons.append(round(lon, 6))
        lats.append(round(lat, 6))
        leaders.append(bool(p.leader))
    out["label_text"] = [str(t) for t in texts]
    out["label_lon"], out["label_lat"] = lons, lats
    out["anchor_lon"] = [round(p.x, 6) for p in anchors]
    out["anchor_lat"] = [round(p.y, 6) for p in anchors]
    out["label_leader"] = leaders
    return out


def outline_label_text(row: pd.Series, lang: str) -> str:
    """A Handlungsraum's label: its short name, with "(Näherung)" when it is an approximation."""
    from dashboard.legend import text

    name = str(row.get("short_name") or "").strip() or str(row["name"])
    approx = str(row.get("approximate")) in ("True", "true", "1")
    return f"{name} ({text('approximation', lang)})" if approx else name


def _pole(geometry: object) -> object:
    """Pole of inaccessibility of the largest part (shapely's polylabel), a robust inside point."""
    from shapely.ops import polylabel

    geom = geometry
    if geom.geom_type == "MultiPolygon":  # type: ignore[attr-defined]
        geom = max(geom.geoms, key=lambda g: g.area)  # type: ignore[attr-defined]
    if geom.geom_type != "Polygon":  # type: ignore[attr-defined]
        return geometry.representative_point()  # type: ignore[attr-defined]
    return polylabel(geom, tolerance=1e-5)
