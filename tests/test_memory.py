"""The memory hook (dashboard/memory.py): expired sessions are shut down, malloc is trimmed only on glibc."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.runtime.caching.ttl_cache import TTLCache

from dashboard import memory

ROOT = Path(__file__).resolve().parents[1]


class FakeLibc:
    """Records the glibc calls instead of making them."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad))
        return 1

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append(("mallopt", param, value))
        return 1


class FakeSession:
    def __init__(self) -> None:
        self.shut_down = 0
        from streamlit.runtime.state.session_state import SessionState

        self._session_state = SessionState()
        self._session_state["_proj_upload"] = "a 100,000-row upload"

    def shutdown(self) -> None:
        self.shut_down += 1


def _manager(now: list[float]) -> SimpleNamespace:
    """A session manager shaped like Streamlit's: a TTL cache of stored sessions behind a lock."""
    cache = TTLCache(maxsize=128, ttl=120, timer=lambda: now[0])
    return SimpleNamespace(_session_storage=SimpleNamespace(_cache=cache), _storage_lock=threading.Lock())


def test_trim_calls_malloc_trim_on_glibc():
    libc = FakeLibc()
    assert memory.trim(libc) is True
    assert libc.calls == [("malloc_trim", 0)]


def test_tune_malloc_caps_the_arenas_and_fixes_the_mmap_threshold():
    libc = FakeLibc()
    assert memory.tune_malloc(libc) is True
    assert libc.calls == [("mallopt", memory.M_ARENA_MAX, memory.ARENA_MAX),
                          ("mallopt", memory.M_MMAP_THRESHOLD, memory.MMAP_THRESHOLD)]


def test_without_glibc_nothing_is_called(monkeypatch):
    monkeypatch.setattr(memory, "glibc", lambda: None)
    assert memory.trim() is False
    assert memory.tune_malloc() is False


def test_glibc_is_none_off_linux(monkeypatch):
    memory.glibc.cache_clear()
    monkeypatch.setattr(sys, "platform", "darwin")
    try:
        assert memory.glibc() is None
    finally:
        memory.glibc.cache_clear()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc check on Linux")
def test_glibc_found_here_has_malloc_trim():
    libc = memory.glibc()
    if libc is not None:  # glibc (Debian): the real call must work
        assert memory.trim(libc) is True


def test_expired_sessions_are_removed_and_returned_live_ones_kept():
    now = [0.0]
    mgr = _manager(now)
    old, new = FakeSession(), FakeSession()
    mgr._session_storage._cache["old"] = SimpleNamespace(session=old)
    now[0] = 100.0
    mgr._session_storage._cache["new"] = SimpleNamespace(session=new)
    assert memory.expired_sessions(mgr) == []  # nothing past 120 s yet
    now[0] = 130.0
    assert memory.expired_sessions(mgr) == [old]
    assert list(mgr._session_storage._cache) == ["new"]


def test_unknown_session_manager_gives_nothing():
    assert memory.expired_sessions(None) == []
    assert memory.expired_sessions(SimpleNamespace(_session_storage=SimpleNamespace(_cache={}))) == []


def test_reap_sessions_shuts_them_down_on_the_runtime_loop():
    now = [0.0]
    mgr = _manager(now)
    gone = FakeSession()
    mgr._session_storage._cache["gone"] = SimpleNamespace(session=gone)
    now[0] = 121.0
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        rt = SimpleNamespace(_session_mgr=mgr, _get_async_objs=lambda: SimpleNamespace(eventloop=loop))
        assert memory.reap_sessions(rt) == 1
        assert gone.shut_down == 1
        # its state is emptied: Streamlit may still reference the ended session object (the runtime's send
        # loop keeps the last flushed session in a loop variable), which must not pin the upload
        assert "_proj_upload" not in gone._session_state
        assert memory.reap_sessions(rt) == 0  # once only
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_reap_sessions_of_a_stopped_runtime_is_harmless():
    def not_started() -> None:
        raise RuntimeError("Runtime hasn't started yet!")

    assert memory.reap_sessions(SimpleNamespace(_session_mgr=None, _get_async_objs=not_started)) == 0


def test_reap_sessions_schedules_nothing_on_a_loop_that_is_not_running():
    """AppTest's runtime has a loop nobody runs: nothing is queued there, nothing is shut down."""
    loop = asyncio.new_event_loop()
    try:
        gone = FakeSession()
        mgr = _manager([121.0])
        mgr._session_storage._cache["gone"] = SimpleNamespace(session=gone)
        rt = SimpleNamespace(_session_mgr=mgr, _get_async_objs=lambda: SimpleNamespace(eventloop=loop))
        assert memory.reap_sessions(rt, timeout_s=0.2) == 0
        assert gone.shut_down == 0
        assert not loop._ready  # nothing queued on the idle loop
    finally:
        loop.close()


def test_reaper_trims_when_asked(monkeypatch):
    trims: list[float] = []
    monkeypatch.setattr(memory, "_streamlit_runtime", lambda: None)
    monkeypatch.setattr(memory, "trim", lambda libc=None: trims.append(time.monotonic()) or True)
    threading.Thread(target=memory._reap_forever, args=(3600.0,), daemon=True).start()
    memory.request_trim()
    deadline = time.monotonic() + 10
    while not trims and time.monotonic() < deadline:
        time.sleep(0.01)
    assert trims, "a requested trim did not happen"


def test_install_can_be_switched_off(monkeypatch):
    started: list[str] = []
    monkeypatch.setenv(memory.HOOK_ENV, "off")
    monkeypatch.setattr(memory.threading, "Thread", lambda **kw: started.append(kw["name"]))
    memory.install.cache_clear()
    try:
        assert memory.install() is False
        assert started == []
    finally:
        memory.install.cache_clear()


def _fake_streamlit(monkeypatch, state: dict) -> list[str]:
    """views_projects with a dict as session state and a recorded trim request."""
    import contextlib

    from dashboard import views_projects

    asked: list[str] = []
    monkeypatch.setattr(views_projects, "st", SimpleNamespace(session_state=state,
                                                              spinner=lambda _: contextlib.nullcontext()))
    monkeypatch.setattr(views_projects.memory, "request_trim", lambda: asked.append("trim"))
    monkeypatch.setattr(views_projects, "loaders", SimpleNamespace(area_shapes_file=lambda: None,
                                                                   project_schema=lambda v: None))
    monkeypatch.setattr(views_projects, "process_upload", lambda data, name, *a, **k: f"result of {name}")
    return asked


def test_a_removed_upload_is_forgotten_and_memory_trimmed(monkeypatch):
    from dashboard import views_projects as vp

    state = {vp.UPLOAD_KEY: "old result", vp.UPLOAD_SEEN: "old key"}
    asked = _fake_streamlit(monkeypatch, state)
    vp._take_upload(None, "v1")
    assert state == {} and asked == ["trim"]
    vp._take_upload(None, "v1")  # nothing to forget: no trim
    assert asked == ["trim"]


def test_a_replaced_upload_is_dropped_before_the_new_one_is_read(monkeypatch):
    from dashboard import views_projects as vp

    state = {vp.UPLOAD_KEY: "old result", vp.UPLOAD_SEEN: "old key"}
    asked = _fake_streamlit(monkeypatch, state)
    seen_during: list[object] = []
    monkeypatch.setattr(vp, "process_upload", lambda data, name, *a, **k: seen_during.append(
        state.get(vp.UPLOAD_KEY)) or f"result of {name}")
    vp._take_upload(SimpleNamespace(getvalue=lambda: b"id;titel\n", name="neu.csv"), "v1")
    assert seen_during == [None]  # the old projects were no longer held while the new file was read
    assert state[vp.UPLOAD_KEY] == "result of neu.csv" and asked == ["trim"]


class FakeManagers:
    """The runtime's file, media and dataframe managers as far as the hook uses them."""

    def __init__(self, held: dict[str, list[str]]) -> None:
        self.calls: list[tuple[str, str]] = []
        self.uploaded_file_mgr = SimpleNamespace(file_storage={s: {} for s in held.get("files", [])},
                                                 remove_session_files=lambda sid: self.calls.append(("files", sid)))
        self.media_file_mgr = SimpleNamespace(_files_by_session_and_coord={s: {} for s in held.get("media", [])},
                                              clear_session_refs=lambda sid: self.calls.append(("media", sid)),
                                              remove_orphaned_files=lambda: self.calls.append(("orphans", "")))
        self.dataframe_source_mgr = SimpleNamespace(
            _sources_by_session_and_coord={s: {} for s in held.get("frames", [])},
            clear_all_for_session=lambda sid: self.calls.append(("frames", sid)))


def test_what_ended_sessions_left_behind_is_released_and_live_sessions_keep_theirs():
    rt = FakeManagers({"files": ["live", "evicted"], "media": ["stored", "gone"], "frames": ["gone"]})
    assert memory.held_session_ids(rt) == {"live", "evicted", "stored", "gone"}
    assert memory.release_orphans(rt, {"live", "stored"}) == 2
    released = {sid for kind, sid in rt.calls if kind != "orphans"}
    assert released == {"evicted", "gone"}
    assert ("orphans", "") in rt.calls
    assert memory.release_orphans(FakeManagers({"files": ["live"]}), {"live"}) == 0


def test_known_sessions_are_the_active_and_the_stored_ones():
    now = [0.0]
    mgr = _manager(now)
    mgr._session_storage._cache["stored"] = SimpleNamespace(session=FakeSession())
    mgr.list_active_sessions = lambda: [SimpleNamespace(session=SimpleNamespace(id="live"))]
    assert memory.known_session_ids(mgr) == {"live", "stored"}
    assert memory.known_session_ids(SimpleNamespace()) is None  # not Streamlit's manager: release nothing


def test_disconnected_sessions_lose_their_page_data_but_keep_their_uploads():
    rt = FakeManagers({"files": ["stored"], "media": ["stored", "live"], "frames": ["stored"]})
    assert memory.release_page_data(rt, {"stored"}) == 1
    assert sorted(rt.calls) == [("frames", "stored"), ("media", "stored"), ("orphans", "")]
    assert memory.release_page_data(FakeManagers({"media": ["live"]}), {"stored"}) == 0


def test_sessions_with_only_a_url_go_after_the_grace_uploads_and_examples_stay():
    now = [0.0]
    mgr = _manager(now)
    cache = mgr._session_storage._cache
    view = SimpleNamespace(id="view", _session_state={"_view": "state"})
    upload = SimpleNamespace(id="upload", _session_state={"_proj_upload": "projects"})
    files = SimpleNamespace(id="files", _session_state={})
    unknown = SimpleNamespace(id="unknown")
    for s in (view, upload, files, unknown):
        cache[s.id] = SimpleNamespace(session=s)
    now[0] = memory.VIEW_GRACE_S - 1
    assert memory.idle_view_sessions(mgr, {"files": {"f1": b"x"}}) == []  # not yet
    now[0] = memory.VIEW_GRACE_S
    assert memory.idle_view_sessions(mgr, {"files": {"f1": b"x"}}) == ["view"]


def test_session_only_keys_are_the_project_views_keys():
    from dashboard import views_projects

    assert set(memory.SESSION_ONLY_KEYS) == {views_projects.UPLOAD_KEY, views_projects.EXAMPLE_KEY}


def test_arrow_frees_through_malloc_so_a_trim_hands_its_memory_back():
    """Three rounds of a million Arrow strings, freed: with Arrow's own allocator ~200 MB stay resident, with the
    system allocator and a trim the process is back near where it started (a fresh interpreter for each)."""
    script = """
import gc, sys
import pandas as pd
import pyarrow as pa
from dashboard import memory
if sys.argv[1] == "system":
    assert memory.arrow_on_system_allocator() and pa.default_memory_pool().backend_name == "system"
def rss():
    return int(next(x for x in open("/proc/self/status") if x.startswith("VmRSS")).split()[1]) // 1024
before = rss()
for _ in range(3):
    s = pd.Series([f"Projekt Nummer {i} in der Stadt" for i in range(1_000_000)], dtype="string[pyarrow]")
    t, u = s.str.upper(), s + "x"
    del s, t, u
memory.trim()
print(rss() - before)
"""
    if memory.glibc() is None:
        pytest.skip("malloc_trim is glibc's")
    grown = {}
    for pool in ("own", "system"):
        out = subprocess.run([sys.executable, "-c", script, pool], capture_output=True, text=True, cwd=ROOT,
                             check=True, timeout=120)
        grown[pool] = int(out.stdout.split()[-1])
    assert grown["system"] < 50 and grown["system"] < grown["own"] / 2, grown
