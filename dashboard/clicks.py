"""What a click on a map means, from st_folium's payload (pure, no Streamlit).

st_folium reports ``last_active_drawing`` (the last clicked area, with its
properties) and ``last_object_clicked`` (the position of the last click on
anything), and repeats both on every later run. The view keeps the last
:func:`click_marker` it acted on, so a repeated payload does not reopen an area.
"""

from __future__ import annotations

from typing import Any

import shapely
import shapely.errors
import shapely.geometry


def clicked_inside(drawing: dict[str, Any], clicked: Any) -> bool:
    """Whether the click position lies in the drawn feature (tolerance ~10 m for border clicks).

    A click on a marker changes only ``last_object_clicked``; without this check
    it would reopen the last area.
    """
    if not isinstance(clicked, dict) or "lat" not in clicked or "lng" not in clicked:
        return True  # no position to compare (older st_folium payloads): trust the drawing
    try:
        shape = shapely.geometry.shape(drawing["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
        return True
    point = shapely.Point(float(clicked["lng"]), float(clicked["lat"]))
    return bool(shape.buffer(1e-4).contains(point))


def clicked_area(out: Any) -> tuple[str, str] | None:
    """``(area_id, marker)`` of an area click in an st_folium payload, None for anything else.

    ``marker`` identifies this very click (area and position): equal markers in two
    runs are the same click repeated by st_folium, not a new one.
    """
    if not isinstance(out, dict):
        return None
    drawing = out.get("last_active_drawing") or {}
    props = drawing.get("properties") or {} if isinstance(drawing, dict) else {}
    area_id = props.get("area_id")
    if not area_id:
        return None
    clicked = out.get("last_object_clicked")
    if not clicked_inside(drawing, clicked):  # e.g. a project marker: st_folium repeats the last area
        return None
    return str(area_id), repr((area_id, clicked))


def component_click(value: Any) -> tuple[str, str] | None:
    """``(area_id, marker)`` of a click reported by the Raumatlas map component, None for anything else.

    The component sends ``{"area_id": ..., "nonce": ...}`` with a new nonce for every
    click and repeats its last value on every later run: equal markers are one click.
    """
    if not isinstance(value, dict):
        return None
    area_id, nonce = value.get("area_id"), value.get("nonce")
    if not area_id or not nonce:
        return None
    return str(area_id), f"{area_id}|{nonce}"
