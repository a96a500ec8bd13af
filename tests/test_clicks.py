"""The click filter of the map view: only a click inside the reported area opens its profile."""

from __future__ import annotations

from dashboard.clicks import clicked_area, clicked_inside

SQUARE = {"type": "Polygon", "coordinates": [[[11.0, 48.0], [11.1, 48.0], [11.1, 48.1], [11.0, 48.1], [11.0, 48.0]]]}


def test_click_inside_the_area_counts() -> None:
    assert clicked_inside({"geometry": SQUARE}, {"lat": 48.05, "lng": 11.05})


def test_click_on_a_marker_elsewhere_does_not_reopen_the_last_area() -> None:
    assert not clicked_inside({"geometry": SQUARE}, {"lat": 48.3, "lng": 11.5})


def test_click_on_the_border_counts() -> None:
    assert clicked_inside({"geometry": SQUARE}, {"lat": 48.05, "lng": 11.10004})


def test_without_a_position_the_drawing_is_trusted() -> None:
    assert clicked_inside({"geometry": SQUARE}, None)
    assert clicked_inside({}, {"lat": 48.3, "lng": 11.5})


def test_clicked_area_reads_the_payload_and_marks_the_click() -> None:
    out = {"last_active_drawing": {"geometry": SQUARE, "properties": {"area_id": "01", "layer": "areas"}},
           "last_object_clicked": {"lat": 48.05, "lng": 11.05}}
    area, marker = clicked_area(out)
    assert area == "01"
    again = clicked_area({**out, "last_object_clicked": {"lat": 48.06, "lng": 11.05}})
    assert again is not None and again[1] != marker  # a second click on the same area is a new click
    assert clicked_area({**out, "last_object_clicked": {"lat": 48.3, "lng": 11.5}}) is None  # a marker elsewhere
    assert clicked_area(None) is None and clicked_area({"last_active_drawing": None}) is None


def test_component_click_needs_an_area_and_a_nonce():
    from dashboard.clicks import component_click

    assert component_click({"area_id": "08", "nonce": "1-1"}) == ("08", "08|1-1")
    assert component_click({"area_id": "08", "nonce": "1-2"}) != component_click({"area_id": "08", "nonce": "1-1"})
    for bad in (None, {}, {"area_id": "08"}, {"nonce": "1"}, "08", {"area_id": "", "nonce": "1"}):
        assert component_click(bad) is None
