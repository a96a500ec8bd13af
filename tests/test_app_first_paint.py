"""AppTest: the progressive first paint — a session's first run holds the maps' screen, the maps' report the rest.

``tests/conftest.py`` turns the deferral off for the other AppTest modules (no browser reports there);
these tests turn it on and play the browser's part: the map component's ``{"drawn": token}`` value.
The browser side (the frames report once both maps are drawn) is tested in
``tests/e2e/test_map_component_browser.py``.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import views_first_paint
from dashboard.i18n import t
from tests.app_helpers import query_of, run_app

pytestmark = pytest.mark.usefixtures("processed_build")

PINS = "munich:hr6,berlin:08"


@pytest.fixture(autouse=True)
def _progressive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views_first_paint, "ENABLED", True)


def _maps(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.json_args)["args"] for el in at.get("component_instance")]


def _headings(at: AppTest) -> list[str]:
    return [str(x.value) for x in at.subheader] + [str(x.value) for x in at.markdown]


def _picker_boxes(at: AppTest) -> list:
    return [h for h in at.get("html") if h.proto.body.startswith('<div class="ra-picker-pending"')]


def _search_stand_ins(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if h.proto.body.startswith('<div class="ra-search-pending"')]


def _report(at: AppTest, city: str = "berlin") -> AppTest:
    """What the browser does once both map frames are drawn: one frame sends the session's token."""
    at.session_state[f"map_{city}"] = {"drawn": _maps(at)[0]["drawn"]}
    return at.run()


def _has(heads: list[str], text: str) -> bool:
    return any(text in h for h in heads)


def test_first_run_draws_the_maps_and_leaves_the_sections_below_for_the_report() -> None:
    at = run_app()
    assert not at.exception
    maps = _maps(at)
    assert len(maps) == 2 and maps[0]["drawn"] and maps[0]["drawn"] == maps[1]["drawn"]  # one token per session
    heads = _headings(at)
    assert at.title and not at.text_input  # the shell: title, the search's stand-in, maps, legends
    assert len(_search_stand_ins(at)) == 1 and t("search_label", "de") in _search_stand_ins(at)[0]
    assert not at.get("download_button")  # the view downloads follow
    assert not at.selectbox and len(_picker_boxes(at)) == 2  # each level picker's place, empty
    assert not at.sidebar.selectbox and at.sidebar.get("html")  # the sidebar is there, its controls follow
    assert not _has(heads, t("cmp_title", "de")) and not _has(heads, t("footer_sources", "de"))
    assert not _has(heads, t("summary_title", "de"))
    assert not at.dataframe and not at.expander  # no ranking grids, no project panel yet

    at = _report(at)
    assert not at.exception
    heads = _headings(at)
    assert _has(heads, t("cmp_title", "de")) and _has(heads, t("summary_title", "de"))
    assert _has(heads, t("footer_sources", "de"))
    assert len(at.dataframe) >= 3 and at.expander  # both rankings, the summary; the project panel
    assert at.sidebar.selectbox(key="w_ind").value == "unemployment_share"
    assert {"export_view_png", "export_view_pdf"} <= {b.key for b in at.get("download_button")}  # now there
    assert at.selectbox(key="w_level_munich").value == "stadtbezirk" and at.selectbox(key="w_level_berlin")
    assert not _picker_boxes(at) and not _search_stand_ins(at) and at.text_input(key="w_area_search")
    assert [m["drawn"] for m in _maps(at)] == [m["drawn"] for m in maps]  # same arguments: the frames keep going


def test_every_run_after_the_first_draws_the_whole_page() -> None:
    at = run_app()
    at.session_state["map_munich"] = {"area_id": "hr6", "nonce": "first-click"}  # quicker than the report
    at.run()
    assert _has(_headings(at), t("cmp_title", "de")) and len(at.dataframe) >= 3
    assert at.selectbox(key="w_level_berlin").value == "bezirksregion"  # the level pickers are there too
    assert at.text_input(key="w_area_search") and not _search_stand_ins(at)  # and the search
    assert query_of(at)["area"] == "munich:hr6"
    at.text_input(key="w_area_search").input("Neuperlach").run()
    at = _report(at)  # the late report changes nothing
    assert _has(_headings(at), t("cmp_title", "de")) and len(at.dataframe) >= 3
    assert at.button(key="search_hit_munich_hr6")  # the search's result stays
    assert query_of(at)["area"] == "munich:hr6"


def test_the_controls_show_the_url_state_once_they_arrive() -> None:
    query = {"ind": "foreign_share", "lvl_ber": "planungsraum", "k": "4", "scale": "common", "lang": "en"}
    at = run_app(query)
    assert not at.sidebar.selectbox
    at = _report(at)
    assert not at.exception
    assert at.sidebar.selectbox(key="w_ind").value == "foreign_share" and at.sidebar.slider(key="w_k").value == 4
    assert at.sidebar.radio(key="w_scale").value == "common"
    assert at.selectbox(key="w_level_berlin").value == "planungsraum"
    q = query_of(at)
    assert all(q[k] == v for k, v in query.items()), q


def test_a_comparison_link_shows_its_table_after_the_report_without_any_action() -> None:
    at = run_app({"cmp": PINS})
    assert not any("Gebiets-ID" in d.value.columns for d in at.dataframe)
    at = _report(at)
    tables = [d.value for d in at.dataframe if "Gebiets-ID" in d.value.columns]
    assert len(tables) == 1 and set(tables[0]["Gebiet"]) == {"Neuperlach", "Neukölln"}
    assert query_of(at)["cmp"] == PINS


def test_a_url_notice_stays_for_the_run_the_report_starts() -> None:
    at = run_app({"ind": "no_such_indicator"})
    assert any("no_such_indicator" in w.value.replace("\\", "") for w in at.warning)
    assert len(at.toast) == 1
    at = _report(at)
    assert any("no_such_indicator" in w.value.replace("\\", "") for w in at.warning)  # not gone a moment later
    assert not at.toast  # and no second toast
    at.run()
    assert not any("no_such_indicator" in w.value.replace("\\", "") for w in at.warning)


def test_a_profile_link_opens_the_profile_in_the_first_run() -> None:
    at = run_app({"area": "munich:hr6"})
    assert any(s.value.startswith("Steckbrief:") for s in at.subheader)  # beside the maps: not deferred
