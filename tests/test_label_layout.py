"""Handlungsraum labels never overlap: placement in pixels and the map's label columns."""

from __future__ import annotations

import itertools

import geopandas as gpd
import pytest
import shapely

from dashboard.label_layout import (
    FRAME_PRESENT,
    LabelBox,
    _overlap,
    fit_zoom,
    label_size,
    layout_outline_labels,
    place_labels,
)


def _apart(placed, gap: float = 0.0) -> bool:
    return all(_overlap(a.box(), b.box(), gap) == 0 for a, b in itertools.combinations(placed, 2))


def test_free_labels_stay_on_their_anchor() -> None:
    placed = place_labels([LabelBox("a", 100, 100, 80, 20), LabelBox("b", 300, 200, 80, 20)], 600, 400)
    assert [(p.x, p.y, p.leader) for p in placed] == [(100, 100, False), (300, 200, False)]


def test_colliding_labels_move_apart_with_a_leader() -> None:
    labels = [LabelBox(str(i), 300, 200, 180, 24) for i in range(5)]  # five labels on one spot
    placed = place_labels(labels, 600, 400)
    assert _apart(placed, gap=4)
    assert not placed[0].leader and all(p.leader for p in placed[1:])
    assert all(0 <= p.box()[0] and p.box()[2] <= 600 and 0 <= p.box()[1] and p.box()[3] <= 400 for p in placed)


def test_labels_stay_inside_and_avoid_obstacles() -> None:
    placed = place_labels([LabelBox("a", 5, 5, 100, 20)], 300, 200, obstacles=[(0, 0, 50, 80)])
    left, top, right, bottom = placed[0].box()
    assert left >= 0 and top >= 0 and (left >= 50 or top >= 80)


def test_deterministic() -> None:
    labels = [LabelBox(str(i), 200 + 5 * i, 150, 150, 22) for i in range(4)]
    assert place_labels(labels, 500, 300) == place_labels(labels, 500, 300)


def test_label_size_grows_with_text() -> None:
    assert label_size("HR 6 Neuperlach (Näherung)")[0] > label_size("Südwest")[0]


def test_fit_zoom_matches_leaflet_snap() -> None:
    z = fit_zoom((11.36, 48.06, 11.72, 48.25), 590, 300)
    assert z % 0.25 == 0 and 9.5 <= z <= 11


def _outlines() -> gpd.GeoDataFrame:
    # Five small neighbouring squares (≈ 1 km) in Munich: their centred labels would all overlap.
    boxes = [shapely.box(11.55 + 0.012 * i, 48.13, 11.56 + 0.012 * i, 48.14) for i in range(5)]
    return gpd.GeoDataFrame({"area_id": [f"hr{i}" for i in range(5)], "name": [f"Raum {i}" for i in range(5)]},
                            geometry=boxes, crs="EPSG:4326")


@pytest.mark.parametrize("frame", [FRAME_PRESENT, (450, 290)])
def test_outline_labels_do_not_overlap_on_the_map(frame: tuple[int, int]) -> None:
    outlines = _outlines()
    texts = [f"HR {i} Ein langer Name (Näherung)" for i in range(5)]
    bounds = (11.36, 48.06, 11.72, 48.25)
    out = layout_outline_labels(outlines, texts, bounds, frame)
    assert {"label_text", "label_lat", "label_lon", "anchor_lat", "anchor_lon", "label_leader"} <= set(out.columns)
    # Back to pixels with the same projection: boxes apart, anchors inside their areas.
    zoom = fit_zoom(bounds, *frame)
    from dashboard.label_layout import _world_px

    boxes = []
    for (_, row), text in zip(out.iterrows(), texts, strict=True):
        x, y = _world_px(row["label_lon"], row["label_lat"], zoom)
        w, h = label_size(text)
        boxes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        assert row.geometry.contains(shapely.Point(row["anchor_lon"], row["anchor_lat"]))
    assert all(_overlap(a, b, 0) == 0 for a, b in itertools.combinations(boxes, 2))
    assert out["label_leader"].sum() >= 3  # most had to move


def test_one_text_per_outline() -> None:
    with pytest.raises(ValueError, match="one text per outline"):
        layout_outline_labels(_outlines(), ["a"], (11.36, 48.06, 11.72, 48.25))
