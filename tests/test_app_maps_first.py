"""AppTest: a run that changes the view pauses after the maps (the browser recolours them first), no other run does.

``tests/conftest.py`` sets the pause to 0 for every other AppTest module; here it is on, and
the ``sleep`` of :mod:`dashboard.views_maps` is replaced by a recorder (the effect in the browser is
measured in ``benchmarks/bench_app.py``).
"""

from __future__ import annotations

import pytest

from dashboard import views_maps
from tests.app_helpers import run_app

pytestmark = pytest.mark.usefixtures("processed_build")


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(views_maps, "MAPS_FIRST_S", 0.25)
    monkeypatch.setattr(views_maps, "sleep", slept.append)
    return slept


def test_only_a_changed_view_pauses_after_its_maps(pauses: list[float]) -> None:
    at = run_app()
    assert not at.exception and pauses == []  # a session's first page: nothing to recolour
    at.run()
    assert pauses == []  # same view again
    at.sidebar.selectbox(key="w_ind").set_value("foreign_share").run()
    assert not at.exception and pauses == [0.25]
    at.text_input(key="w_area_search").input("Neuperlach").run()
    assert pauses == [0.25]  # the search changes no map


def test_a_projector_never_pauses(pauses: list[float]) -> None:
    at = run_app({"present": "1"})
    at.button(key="story_next").click().run()
    assert not at.exception and pauses == []
