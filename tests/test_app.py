"""AppTest: the real app on the real build — state, URL, profile, notices, language, presentation."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import config
from tests.app_helpers import query_of, run_app

PROCESSED = config.resolve_paths().out

pytestmark = pytest.mark.usefixtures("processed_build")  # builds the data first on a fresh clone




def _maps(at: AppTest) -> list[dict]:
    """The arguments of each drawn map component (dashboard/map_payload.py)."""
    return [json.loads(el.proto.json_args)["args"] for el in at.get("component_instance")]


def _map_cities(at: AppTest) -> list[str]:
    """Which city each drawn map shows (its ``view`` starts with the city)."""
    return [m["view"].split("|")[0] for m in _maps(at)]


_NONCE = iter(range(1, 1_000_000))


def _click(at: AppTest, city: str, area_id: str) -> AppTest:
    """Simulate a click: the component reports ``{area_id, nonce}`` under its stable key."""
    at.session_state[f"map_{city}"] = {"area_id": area_id, "nonce": f"test-{next(_NONCE)}"}
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [x.value for x in at.markdown] + [x.value for x in at.caption] + [x.value for x in at.subheader]
    parts += [x.value for x in at.title] + [x.value for x in at.warning] + [x.value for x in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    return run_app()


def test_default_view_runs_and_writes_the_url(default_app: AppTest) -> None:
    at = default_app
    assert not at.exception
    assert at.title[0].value == "Raumatlas – Handlungsräume München & Sozialräume Berlin"
    q = query_of(at)
    assert q["ind"] == "unemployment_share" and q["lvl_muc"] == "stadtbezirk" and q["lvl_ber"] == "bezirksregion"
    assert q["lang"] == "de" and q["p_muc"] and q["p_ber"]


def test_two_offline_maps_with_stable_keys(default_app: AppTest) -> None:
    maps = _maps(default_app)
    assert _map_cities(default_app) == ["munich", "berlin"]
    for m in maps:  # geometry comes from the app's own static files (fetched once), never inline or from a CDN
        assert m["geometry"]["url"].startswith("/app/static/geo/"), m["geometry"].keys()
        assert "coordinates" not in json.dumps(m)
    labels = [item["label"] for item in maps[0]["outlines"]["items"] if item]
    assert any("Näherung" in label for label in labels)  # Handlungsraum outlines carry the approximation label
    assert maps[1]["outlines"] is None


def test_comparability_note_and_handlungsraum_notice(default_app: AppTest) -> None:
    text = _texts(default_app)
    assert "NICHT gleich definiert" in text
    assert "nicht als Open Data veröffentlicht" in text


def test_widgets_drive_state_and_url() -> None:
    at = run_app()
    at.sidebar.selectbox(key="w_ind").set_value("foreign_share").run()
    at.sidebar.slider(key="w_k").set_value(3).run()
    at.sidebar.radio(key="w_scale").set_value("common").run()
    at.selectbox(key="w_level_berlin").set_value("planungsraum").run()
    assert not at.exception
    q = query_of(at)
    assert (q["ind"], q["k"], q["scale"], q["lvl_ber"]) == ("foreign_share", "3", "common", "planungsraum")
    assert "Anteil Nichtdeutsche" in _texts(at)


def test_query_string_round_trips() -> None:
    q = {"ind": "sgb2_children_share", "p_muc": "2023-07-01", "p_ber": "2020-12-31", "lvl_muc": "stadtbezirk",
         "lvl_ber": "planungsraum", "cls": "natural_breaks", "k": "4", "scale": "relative", "lang": "en",
         "focus": "08", "loc": "kita"}
    at = run_app(q)
    assert not at.exception
    assert not [w for w in at.warning if w.icon]  # notices carry an icon; the comparability note does not
    assert query_of(at) == q
    assert at.sidebar.selectbox(key="w_ind").value == "sgb2_children_share"
    assert at.sidebar.selectbox(key="w_period_munich").value == "2023-07-01"  # annual mean 2023 (middle of the year)
    assert at.sidebar.selectbox(key="w_focus").value == "08"


def test_bad_query_falls_back_with_notice_and_no_traceback() -> None:
    at = run_app({"ind": "no_such_indicator", "lvl_ber": "kiez", "area": "berlin:99999999", "k": "42"})
    assert not at.exception
    warnings = "\n".join(w.value for w in at.warning).replace("\\", "")  # URL values arrive Markdown-escaped
    assert "no_such_indicator" in warnings and "kiez" in warnings and "berlin:99999999" in warnings
    assert "42" in warnings
    q = query_of(at)
    assert q["ind"] == "unemployment_share" and q["lvl_ber"] == "bezirksregion" and q["k"] == "5"
    assert "area" not in q


def test_simulated_click_opens_the_profile() -> None:
    at = _click(run_app(), "berlin", "081001")
    assert not at.exception
    assert query_of(at)["area"] == "berlin:081001"
    heads = [s.value for s in at.subheader]
    assert any(h.startswith("Steckbrief:") for h in heads), heads
    text = _texts(at)
    assert "Vergleichbare Indikatoren" in text and "Standorte im Gebiet" in text
    assert "Übergeordnete Einheit" in text and "Untergeordnete Einheiten" in text
    at.button(key="profile_close").click().run()
    assert "area" not in query_of(at)
    assert not any(s.value.startswith("Steckbrief:") for s in at.subheader)


def test_a_repeated_click_value_is_one_click_a_new_nonce_is_another() -> None:
    """The component repeats its last value on every run: only a new nonce opens an area again."""
    at = _click(run_app(), "berlin", "081001")
    at.button(key="profile_close").click().run()
    assert "area" not in query_of(at)  # the repeated value did not reopen it
    at = _click(at, "berlin", "081001")  # the same area clicked again: a new nonce
    assert query_of(at)["area"] == "berlin:081001"
    at = _click(at, "munich", "09")  # another map right after
    assert query_of(at)["area"] == "munich:09"


def test_handlungsraum_profile_shows_approximation_and_source() -> None:
    at = run_app({"area": "munich:hr3"})
    assert not at.exception
    text = _texts(at)
    assert "Steckbrief: Rund um den Ostbahnhof" in text
    assert "Näherung" in "\n".join(w.value for w in at.warning)
    assert "Gebildet aus" in text and "14.1" in text and "muenchen.de" in text


def test_language_switch_changes_labels() -> None:
    at = run_app()
    assert at.sidebar.selectbox(key="w_ind").label == "Indikator"
    at.button_group(key="w_lang").set_value("en").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="w_ind").label == "Indicator"
    assert at.title[0].value.startswith("Raumatlas – Munich")
    assert "NOT the same definition" in _texts(at)
    assert query_of(at)["lang"] == "en"


def test_munich_level_without_data_says_so_and_offers_the_level_with_data() -> None:
    at = run_app({"lvl_muc": "bezirksteil"})  # unemployment exists only per Stadtbezirk
    assert not at.exception
    assert any("keine Werte" in w.value for w in at.warning)
    assert _map_cities(at) == ["berlin"]
    at.button(key="switch_munich_stadtbezirk").click().run()
    assert query_of(at)["lvl_muc"] == "stadtbezirk"
    assert _map_cities(at) == ["munich", "berlin"]


def test_presentation_mode_hides_sidebar_and_steps_stories() -> None:
    at = run_app({"present": "1"})
    assert not at.exception
    css = [h.proto.body for h in at.get("html") if "ra-present-css" in h.proto.body]
    assert css and '[data-testid="stSidebar"]' in css[0] and "display: none" in css[0]
    assert not [m for m in at.markdown if "<style" in m.value]  # all CSS in one st.html: no raw-HTML Markdown
    assert len(at.sidebar.selectbox) == 0 and len(at.sidebar.toggle) == 0
    assert len(at.title) == 1 and at.title[0].value.startswith("Arbeitslosigkeit")
    assert query_of(at)["ind"] == "unemployment_share"
    at.button(key="story_next").click().run()
    q = query_of(at)
    assert q["step"] == "1" and q["ind"] == "sgb2_children_share" and q["scale"] == "relative"
    at.button(key="present_exit").click().run()
    assert "present" not in query_of(at) and len(at.sidebar.selectbox) > 0


def test_level_with_data_only_for_another_period_offers_that_period() -> None:
    at = run_app({"ind": "population", "lvl_muc": "bezirksteil"})  # Bezirksteil residents exist for 2022 only
    assert not at.exception and _map_cities(at) == ["berlin"]
    at.button(key="switch_munich_period").click().run()
    q = query_of(at)
    assert q["p_muc"] == "2022-12-31" and q["lvl_muc"] == "bezirksteil"
    assert _map_cities(at) == ["munich", "berlin"]


def test_click_on_unknown_area_is_ignored() -> None:
    at = _click(run_app(), "berlin", "99999999")
    assert not at.exception and "area" not in query_of(at)


def test_every_story_opens_without_notice() -> None:
    import tomllib

    stories = tomllib.loads((config.GEODATA_DIR / config.STORIES_FILE).read_text(encoding="utf-8"))["story"]
    assert 4 <= len(stories) <= 6
    for i, story in enumerate(stories):
        at = run_app({"present": "1", "step": str(i)})
        assert not at.exception, i
        assert not [w.value for w in at.warning if w.icon], (i, story["title_de"])
        assert at.title[0].value == story["title_de"]
        assert len(_maps(at)) == 2, (i, story["title_de"])  # each story shows both cities
