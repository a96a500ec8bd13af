"""AppTest: projects in the real app — example data with its banner, an upload's report, markers, profile, ranking.

An upload cannot be simulated in AppTest, so the upload handling is a pure function on bytes
(:func:`dashboard.projects_view.process_upload`) whose result is put into the session the way
the view stores it. The browser test (tests/e2e/test_projects_browser.py) uploads for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.projects_view import process_upload
from dashboard.views_projects import UPLOAD_KEY
from pipelines import config
from pipelines.projects import load_project_schema

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
FIXTURES = ROOT / "tests" / "fixtures" / "projects"
PROCESSED = config.resolve_paths().out

pytestmark = pytest.mark.usefixtures("processed_build")  # builds the data first on a fresh clone

SCHEMA = load_project_schema(config.GEODATA_DIR)


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    return gpd.read_parquet(PROCESSED / "areas.parquet")


def _scripts(at: AppTest) -> list[str]:
    """Each map's arguments as JSON text, with the project markers' class when it draws projects."""
    out = []
    for el in at.get("component_instance"):
        args = json.loads(el.proto.json_args)["args"]
        out.append(json.dumps(args, ensure_ascii=False) + (" ra-project" if args.get("projects") else ""))
    return out


def _texts(at: AppTest) -> str:
    parts = [x.value for x in at.markdown] + [x.value for x in at.caption] + [x.value for x in at.warning]
    parts += [x.value for x in at.success] + [x.value for x in at.error] + [x.label for x in at.expander]
    return "\n".join(str(p) for p in parts)


def test_example_data_is_explicit_and_bannered() -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert "FIKTIV" not in _texts(at)  # nothing fictitious before the explicit action
    assert all("ra-project" not in s for s in _scripts(at))
    at.button(key="proj_example_load").click().run()
    assert not at.exception
    assert "FIKTIV" in " ".join(w.value for w in at.warning)
    scripts = _scripts(at)
    assert len(scripts) == 2 and all("ra-project" in s for s in scripts)  # markers on both maps
    ranking_cols = [list(df.value.columns) for df in at.dataframe]
    assert any("Projekte" in cols and "% mit ≥ 2 Referaten" in cols for cols in ranking_cols)
    at.button(key="proj_example_remove").click().run()
    assert "FIKTIV" not in " ".join(w.value for w in at.warning)
    assert all("ra-project" not in s for s in _scripts(at))


def test_uploaded_html_is_text_everywhere(areas: gpd.GeoDataFrame) -> None:
    result = process_upload((FIXTURES / "html_titel.csv").read_bytes(), "html_titel.csv", areas, SCHEMA)
    assert result.ok and len(result.projects) == 2
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[UPLOAD_KEY] = result
    at.query_params["area"] = "munich:01"
    at.run()
    assert not at.exception
    muc = next(s for s in _scripts(at) if "ra-project" in s)
    assert "<img src=x" not in muc and "<script>alert" not in muc and "<b onmouseover" not in muc
    assert "&lt;img src=x onerror=alert(1)&gt;" in muc  # escaped: Leaflet shows it as text
    report = _texts(at).replace("\\", "")  # Markdown escapes of the file name
    assert "html_titel.csv" in report and "alle 2 Zeilen gültig" in report
    listing = [df.value for df in at.dataframe if "Titel" in df.value.columns]
    assert listing and "<img src=x onerror=alert(1)>" in set(listing[0]["Titel"])  # st.dataframe shows text
    assert "Wer arbeitet hier zusammen?" in _texts(at)
    assert len(at.get("download_button")) >= 1


def test_refused_file_gives_a_message_not_a_traceback(areas: gpd.GeoDataFrame) -> None:
    result = process_upload((FIXTURES / "bild.csv").read_bytes(), "bild.csv", areas, SCHEMA)
    assert not result.ok and result.report is None and result.error("de")
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[UPLOAD_KEY] = result
    at.run()
    assert not at.exception
    assert any("bild.csv" in e.value.replace("\\", "") and "abgelehnt" in e.value for e in at.error)


def test_an_upload_checked_in_an_interrupted_run_is_stored_by_the_next_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun asked for while a file is checked ends the run at its next Streamlit call; the check is not lost.

    The spinner's end is such a call: here it raises the rerun once, as Streamlit does when the browser
    asked for a new run meanwhile. The next run must store the finished check, not check the file again
    (a second, third ... interruption would otherwise keep the planner waiting for ever).
    """
    import contextlib

    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    from dashboard import views_projects
    from dashboard.projects_view import UploadResult

    checked: list[str] = []
    interrupted: list[bool] = []

    def check(data: bytes, name: str, *_: object, **__: object) -> UploadResult:
        checked.append(name)
        return UploadResult(name, "upload", None, None, "geprüft", "checked")

    @contextlib.contextmanager
    def spinner(*_: object, **__: object):  # noqa: ANN202
        yield
        if not interrupted:
            interrupted.append(True)
            raise RerunException(RerunData())

    monkeypatch.setattr(views_projects, "process_upload", check)
    monkeypatch.setattr(views_projects.st, "spinner", spinner)
    monkeypatch.setattr(views_projects.loaders, "area_shapes_file", lambda: None)
    monkeypatch.setattr(views_projects.loaders, "project_schema", lambda version: None)

    def script() -> None:
        import streamlit as st

        from dashboard import views_projects

        class Upload:
            name = "gross.xlsx"

            def getvalue(self) -> bytes:
                return b"bytes of a large file"

        views_projects._take_upload(Upload(), "v")  # noqa: SLF001 - the step under test
        result = st.session_state.get(views_projects.UPLOAD_KEY)
        st.write(f"stored: {result.name if result else None}")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    assert interrupted == [True]  # the first run was ended after the check
    assert checked == ["gross.xlsx"]  # checked once, not again in the run after the interruption
    assert "stored: gross.xlsx" in [m.value for m in at.markdown]
    assert len(views_projects._FINISHED) == 0  # noqa: SLF001 - nothing kept once the session holds it


def test_the_project_panel_keeps_its_identity_while_a_file_is_replaced(areas: gpd.GeoDataFrame) -> None:
    """The uploader lives in the panel: if the panel changed its key or closed between runs, the browser would
    remount the uploader and lose the file it is still sending (a replaced file's run has no projects)."""
    def panel(at: AppTest) -> tuple[str, bool]:
        (block,) = [e for e in at.expander if "proj_panel" in e._block_id]  # noqa: SLF001 - its identity
        return block._block_id, block.proto.expanded  # noqa: SLF001

    at = AppTest.from_file(APP, default_timeout=180).run()
    first_id, first_open = panel(at)
    assert not first_open  # folded while the session has no projects: the maps stay on the first screen
    at.session_state[UPLOAD_KEY] = process_upload((FIXTURES / "html_titel.csv").read_bytes(), "html_titel.csv",
                                                  areas, SCHEMA)
    at.run()
    with_file = panel(at)
    del at.session_state[UPLOAD_KEY]  # the run between removing the old file and receiving the new one
    at.run()
    between = panel(at)
    assert not at.exception
    assert first_id == with_file[0] == between[0]
    assert with_file[1] and between[1]  # open once projects came, and it stays open


def test_report_counts_are_written_in_the_languages_number_format(areas: gpd.GeoDataFrame) -> None:
    """1.250 (de) and 1,250 (en): a planner reads "1250" as a year."""
    head, row = (FIXTURES / "html_titel.csv").read_text(encoding="utf-8").splitlines()[:2]
    cells = row.split(";")
    body = "\n".join([head] + [";".join([f"N{i}", *cells[1:]]) for i in range(1_250)]) + "\n"
    result = process_upload(body.encode(), "viele.csv", areas, SCHEMA)
    assert result.ok and len(result.projects) == 1_250
    for lang, text in (("de", "alle 1.250 Zeilen gültig"), ("en", "all 1,250 rows valid")):
        at = AppTest.from_file(APP, default_timeout=180)
        at.session_state[UPLOAD_KEY] = result
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception
        assert text in _texts(at).replace("\\", "")
