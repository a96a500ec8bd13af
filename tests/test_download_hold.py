"""A clicked download's file survives Streamlit's orphan sweeps until the browser can fetch it.

Streamlit's own manager and storage: the test fails where Streamlit deletes a served file that
the browser has not fetched yet, and shows that the hold does end.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.runtime import media_file_manager
from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

from dashboard import memory
from dashboard.download_hold import HOLD_SESSION, hold_served_downloads, served_file_id


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _manager() -> MediaFileManager:
    return MediaFileManager(MemoryMediaFileStorage("/media"))


def _serve(mgr: MediaFileManager, data: bytes, coordinates: str = "1.2.3") -> str:
    """What a click does: the button registers its callable in a run, the browser asks for the file."""
    placeholder = mgr.add_deferred(lambda: data, "text/csv", coordinates, "tabelle.csv")
    return mgr.execute_deferred(placeholder)


def _fetchable(mgr: MediaFileManager, url: str) -> bool:
    file_id = served_file_id(url)
    try:
        return mgr._storage.get_file(file_id).content is not None
    except Exception:  # noqa: BLE001 - MediaFileStorageError: the browser would get a 404
        return False


def test_without_the_hold_two_sweeps_delete_a_served_file_before_the_browser_fetches_it():
    """The failure the hold exists for (if Streamlit changes this, the hold may no longer be needed)."""
    mgr = _manager()
    url = _serve(mgr, b"a;b\r\n1;2\r\n")
    assert _fetchable(mgr, url)
    mgr.remove_orphaned_files()  # e.g. the run that fills the page in after its first paint
    mgr.remove_orphaned_files()  # e.g. the reaper, or another session's run
    assert not _fetchable(mgr, url)


def test_a_served_file_is_held_through_sweeps_and_let_go_after_the_hold():
    mgr, clock = _manager(), Clock()
    assert hold_served_downloads(mgr, hold_s=120, clock=clock)
    url = _serve(mgr, b"a;b\r\n1;2\r\n")
    for _ in range(5):
        mgr.remove_orphaned_files()
    assert _fetchable(mgr, url)
    clock.now += 121
    mgr.remove_orphaned_files()
    mgr.remove_orphaned_files()
    assert not _fetchable(mgr, url), "the hold ends: the sweep deletes the file as Streamlit would"
    assert not mgr._files_by_session_and_coord.get(HOLD_SESSION)


def test_held_files_are_bounded_oldest_first_and_a_repeat_click_renews_its_hold():
    mgr, clock = _manager(), Clock()
    hold_served_downloads(mgr, hold_s=120, max_held=2, clock=clock)
    first = _serve(mgr, b"first", "1.0")
    second = _serve(mgr, b"second", "1.1")
    again = _serve(mgr, b"first", "1.0")  # the same table clicked again: now the newest
    assert again == first
    third = _serve(mgr, b"third", "1.2")
    mgr.remove_orphaned_files()
    mgr.remove_orphaned_files()
    assert [_fetchable(mgr, u) for u in (first, second, third)] == [True, False, True]


def test_the_hold_is_installed_once():
    mgr = _manager()
    assert hold_served_downloads(mgr) and hold_served_downloads(mgr)
    url = _serve(mgr, b"x")
    mgr.remove_orphaned_files()
    mgr.remove_orphaned_files()
    assert _fetchable(mgr, url)


class Runs:
    """Which session's script runs on the calling thread, as Streamlit's script threads would say."""

    def __init__(self) -> None:
        self.session: str | None = None

    def __call__(self) -> str | None:
        return self.session

    def run(self, mgr: MediaFileManager, session: str, draw) -> None:  # noqa: ANN001
        """One full script run of ``session``, as Streamlit's script runner does it; ``draw`` registers buttons."""
        self.session = session
        mgr.clear_session_refs()
        draw()
        mgr.remove_orphaned_files()
        self.session = None


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    """The running session, for the hold and for Streamlit's manager (which asks its script thread's context)."""
    runs = Runs()
    monkeypatch.setattr(media_file_manager, "_get_session_id", lambda: runs.session or "dontcare")
    return runs


def _button(mgr: MediaFileManager, data: bytes, coordinates: str = "1.5") -> tuple[list[str], Callable[[], None]]:
    """A deferred download button drawn in the running session; its placeholder id lands in ``ids``."""
    ids: list[str] = []

    def draw() -> None:
        ids.append(mgr.add_deferred(lambda: data, "text/csv", coordinates, "profil.csv"))

    return ids, draw


def test_a_button_of_the_previous_run_still_works_during_the_next_run_and_a_while_after_it(runs: Runs):
    """A click while the page fills in after its first paint, or one a busy browser sends just after: the
    old button's callable survives other sessions' sweeps, until ``run_grace_s`` after the new run ended."""
    mgr, clock = _manager(), Clock()
    hold_served_downloads(mgr, session_of=runs, clock=clock, run_grace_s=30)
    first_ids, first_draw = _button(mgr, b"profil")
    runs.run(mgr, "s1", first_draw)
    clicked = first_ids[0]  # the button the browser shows

    runs.session = "s1"
    mgr.clear_session_refs()  # s1's next run starts (the fill-in run) ...
    runs.session = None
    runs.run(mgr, "s2", lambda: None)  # ... another session's run ends: a sweep
    mgr.remove_orphaned_files()  # and the reaper's
    assert _fetchable(mgr, mgr.execute_deferred(clicked))  # the click on the first run's button

    runs.session = "s1"
    mgr.add_deferred(lambda: b"profil", "text/csv", "1.5", "profil.csv")  # the run redraws the button
    mgr.remove_orphaned_files()  # and ends
    runs.session = None
    clock.now += 10
    mgr.remove_orphaned_files()
    mgr.remove_orphaned_files()
    assert _fetchable(mgr, mgr.execute_deferred(clicked)), "a lagging browser's click 10 s later still works"

    clock.now += 21
    mgr.remove_orphaned_files()
    assert clicked not in mgr._deferred_callables, "let go after the grace"
    assert not any(k.startswith("s1") for k in mgr._files_by_session_and_coord.get(HOLD_SESSION, {}))


def test_only_the_previous_run_is_held_per_session(runs: Runs):
    mgr = _manager()
    hold_served_downloads(mgr, session_of=runs)
    ids: list[str] = []
    for _ in range(4):  # four quick changes
        runs.run(mgr, "s1", lambda: ids.append(mgr.add_deferred(lambda: b"x", "text/csv", "1.5", "x.csv")))
    mgr.remove_orphaned_files()
    assert [i in mgr._deferred_callables for i in ids] == [False, False, True, True]


def test_without_the_hold_that_click_fails(runs: Runs):
    mgr = _manager()
    first_ids, first_draw = _button(mgr, b"profil")
    runs.run(mgr, "s1", first_draw)
    runs.session = "s1"
    mgr.clear_session_refs()
    runs.session = None
    mgr.remove_orphaned_files()
    assert first_ids[0] not in mgr._deferred_callables


def test_an_ended_session_keeps_no_previous_run(runs: Runs):
    mgr = _manager()
    hold_served_downloads(mgr, session_of=runs)
    ids, draw = _button(mgr, b"profil")
    runs.run(mgr, "s1", draw)
    runs.session = "s1"
    mgr.clear_session_refs()  # a run starts ...
    runs.session = None
    mgr.clear_session_refs("s1")  # ... and the session is shut down (AppSession.shutdown, the reaper)
    mgr.remove_orphaned_files()
    assert ids[0] not in mgr._deferred_callables


def test_a_manager_without_the_expected_internals_is_left_alone():
    class Other:
        def execute_deferred(self, file_id: str) -> str:
            return file_id

    other = Other()
    assert not hold_served_downloads(other)
    assert other.execute_deferred("x") == "x"


def test_the_memory_reaper_does_not_release_held_downloads_as_an_ended_session():
    class Runtime:  # the three managers the reaper releases through, as Streamlit's runtime has them
        def __init__(self, mgr: MediaFileManager) -> None:
            self.media_file_mgr = mgr
            self.uploaded_file_mgr = MemoryUploadedFileManager("/upload")
            self.dataframe_source_mgr = DataframeSourceManager()

    mgr = _manager()
    hold_served_downloads(mgr)
    url = _serve(mgr, b"x")
    runtime = Runtime(mgr)
    assert HOLD_SESSION in memory.held_session_ids(runtime)
    assert memory.release_orphans(runtime, known=set()) == 1  # "dontcare": the button's own (no script run here)
    mgr.remove_orphaned_files()
    assert _fetchable(mgr, url)


def test_served_file_id_reads_streamlits_media_urls():
    assert served_file_id("/media/0a1b2c.csv") == "0a1b2c"
    assert served_file_id("http://127.0.0.1:8501/media/ff00.pdf?x=1") == "ff00"
    assert served_file_id("/media/") is None



_SCRIPT = """
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from dashboard.download_hold import HOLD_SESSION, install

st.session_state["installed"] = install()
mgr = runtime.get_instance().media_file_mgr
st.download_button("Tabelle", data=lambda: b"a;b", file_name="t.csv", on_click="ignore")
button = set(mgr._deferred_callables)
mgr.clear_session_refs()  # what the runner does when this session's next run starts
held = dict(mgr._files_by_session_and_coord.get(HOLD_SESSION, {}))
mgr.remove_orphaned_files()  # what it does when that run has ended: the old button waits for a lagging browser
after_run = dict(mgr._files_by_session_and_coord.get(HOLD_SESSION, {}))
mgr.clear_session_refs(get_script_run_ctx().session_id)  # what AppSession.shutdown does when the session ends
mgr.remove_orphaned_files()
st.session_state["seen"] = (button, held, after_run, dict(mgr._files_by_session_and_coord.get(HOLD_SESSION, {})),
                            set(mgr._deferred_callables))
"""


def test_on_streamlits_script_thread_the_hold_finds_the_running_session():
    """With the real script runner: a run's start keeps this session's buttons, its end keeps them for the
    grace, the session's end lets them go."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(_SCRIPT).run()
    assert not at.exception and at.session_state["installed"] is True
    button, held, after_run, after_end, callables = at.session_state["seen"]
    assert len(button) == 1 and set(held.values()) == button, held
    assert all(key.split("\x1f")[0] not in ("", "dontcare") for key in held), held
    assert after_run == held
    assert not after_end and not callables
