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


def test_a_click_counts_as_seen_only_once_its_selection_is_stored(monkeypatch) -> None:
    """A run stopped between reading a click and storing its selection must see the click again, not lose it."""
    import streamlit as st

    from dashboard import views_maps

    monkeypatch.setattr(st, "session_state", {})
    out = {"area_id": "08", "nonce": "1-1"}
    first = views_maps._new_click("berlin", out)  # noqa: SLF001
    assert first == ("08", "08|1-1")
    assert views_maps._new_click("berlin", out) == first  # noqa: SLF001 - not yet stored: still new
    views_maps.mark_clicks_seen({"berlin": first[1]})
    assert views_maps._new_click("berlin", out) is None  # noqa: SLF001
    assert views_maps._new_click("munich", out) == first  # noqa: SLF001 - each map has its own
    assert views_maps._new_click("berlin", {"area_id": "08", "nonce": "1-2"}) == ("08", "08|1-2")  # noqa: SLF001
