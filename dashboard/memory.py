"""Give memory back when a session ends, so the server returns to its baseline (issue 12).

Two things kept a closed session's memory in the server for good:

- Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL`` (120 s) so a
  reconnecting browser can resume it, in a TTL cache that only drops expired entries when
  another session is stored — and drops them without ``AppSession.shutdown()``. The session's
  uploaded files (up to 10 MB each, in the uploaded-file manager), its download buttons' data
  (deferred downloads hold closures over the whole page: several MB per session) and its
  dataframes stay referenced by the runtime's managers forever; so do those of sessions the
  cache evicts when more than 128 are stored. :func:`reap_sessions` shuts every expired session
  down and releases what the managers still hold for sessions that exist no more, on the
  runtime's event loop (where Streamlit touches its sessions), through the calls Streamlit
  itself uses when a session is closed. A disconnected session's download closures and lazy
  dataframes go at once (:func:`release_page_data`): a reconnect reruns the page anyway; and a
  disconnected session with nothing but its URL goes after :data:`VIEW_GRACE_S`.
- glibc's malloc keeps freed memory in its arenas (one per busy thread, up to 8 per core) and
  gives little of it back: a 100,000-row upload freed leaves hundreds of MiB resident.
  :func:`tune_malloc` caps the arenas at :data:`ARENA_MAX` and :func:`trim` returns free pages
  (``malloc_trim(0)``) after a collection. Both are no-ops where the C library is not glibc.
  Arrow's own allocator keeps what it frees too: :func:`arrow_on_system_allocator` sends Arrow's
  allocations to malloc, so the same trim covers them.

:func:`install` (once per process, from ``streamlit_app.py``) starts one daemon thread that
reaps every :data:`REAP_EVERY_S` seconds and trims after a session ended or when a run asked
for it (:func:`request_trim`: an upload was replaced or removed).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import functools
import gc
import logging
import os
import sys
import threading
from typing import Any

from dashboard.download_hold import HOLD_SESSION

ARENA_MAX = 2
"""glibc malloc arenas (default: 8 x cores): fewer arenas hold less freed memory; the script threads
mostly wait on I/O and pandas, so they contend little for the allocator."""
MMAP_THRESHOLD = 4 * 1024 * 1024
"""Blocks of this size and more get their own mapping, returned to the system when freed. glibc's default
threshold grows to the largest block freed so far (up to 32 MiB): after the first run that sent a map of
100,000 uploaded projects, its ~10 MB message buffers came from the heap and stayed there, fragmented
(issue 12: the server 26 % above its baseline after the upload session had ended). A fixed value turns
that growth off."""
M_ARENA_MAX, M_MMAP_THRESHOLD = -8, -3  # mallopt parameter numbers from glibc's malloc.h
REAP_EVERY_S = 10.0
VIEW_GRACE_S = 30.0
"""A disconnected session whose whole state is in its URL is let go after this, not after Streamlit's
120 s: a browser that reconnects later gets a new session, which draws the same view from the URL.
Each kept session pins several MB of the heap (issue 12: 1,000 different views kept 128 of them)."""
SESSION_ONLY_KEYS = ("_proj_upload", "_proj_example")
"""Session state no URL can restore (``dashboard.views_projects``: an upload, the example projects):
a session holding one keeps the full TTL."""
HOOK_ENV = "RAUMATLAS_MEMORY_HOOK"
_WAKE = threading.Event()
_LOG = logging.getLogger("raumatlas")


@functools.cache
def glibc() -> Any | None:
    """The process's C library when it is glibc (it has ``malloc_trim``), else None (musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def tune_malloc(libc: Any | None = None) -> bool:
    """Cap glibc's malloc arenas at :data:`ARENA_MAX` and fix its mmap threshold; True when done (glibc only)."""
    libc = libc if libc is not None else glibc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, ARENA_MAX)
                and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def arrow_on_system_allocator() -> bool:
    """Let Arrow allocate through the C library's malloc, whose free pages :func:`trim` hands back; True when it does.

    Arrow-backed pandas strings (every text column here) come from Arrow's own allocator by default
    (mimalloc in the pyarrow wheels), which keeps freed memory for reuse: after a large upload's tables
    were freed, ~200 MB stayed resident per million strings, out of reach of ``malloc_trim``. With the
    system allocator the server also starts ~80 MiB smaller (issue 12's benchmark: 404 -> 319 MiB).
    """
    try:
        import pyarrow as pa
    except ImportError:
        return False
    pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name == "system"


def trim(libc: Any | None = None) -> bool:
    """Collect garbage, then hand free malloc pages back to the system; True when glibc trimmed."""
    gc.collect()
    libc = libc if libc is not None else glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def request_trim() -> None:
    """Ask the reaper thread to trim soon (a run freed a large object, e.g. a replaced upload)."""
    _WAKE.set()


def _stored(session_mgr: Any) -> Any:
    """Streamlit's TTL cache of disconnected sessions (``SessionManager._session_storage._cache``), or None."""
    return getattr(getattr(session_mgr, "_session_storage", None), "_cache", None)


def _held(runtime: Any, *, files: bool) -> list[Any]:
    """The managers' per-session maps: download data and dataframes (and uploaded files with ``files``)."""
    maps = [getattr(getattr(runtime, "media_file_mgr", None), "_files_by_session_and_coord", None),
            getattr(getattr(runtime, "dataframe_source_mgr", None), "_sources_by_session_and_coord", None)]
    if files:
        maps.append(getattr(getattr(runtime, "uploaded_file_mgr", None), "file_storage", None))
    return [m for m in maps if isinstance(m, dict)]


def _release(runtime: Any, session_ids: set[str], *, files: bool) -> int:
    """The calls of ``AppSession.shutdown()`` for ``session_ids`` (uploaded files only with ``files``); how many."""
    for sid in session_ids:
        if files:
            runtime.uploaded_file_mgr.remove_session_files(sid)
        runtime.media_file_mgr.clear_session_refs(sid)
        runtime.dataframe_source_mgr.clear_all_for_session(sid)
    if session_ids:
        runtime.media_file_mgr.remove_orphaned_files()
    return len(session_ids)


def expired_sessions(session_mgr: Any) -> list[Any]:
    """Remove the expired stored sessions of Streamlit's session manager; their ``AppSession`` objects.

    Only for the manager and storage Streamlit ships (a TTL cache with ``expire()``); any other
    returns nothing, so a Streamlit release that changes them costs this clean-up, not the app.
    """
    cache = _stored(session_mgr)
    lock = getattr(session_mgr, "_storage_lock", None)
    if cache is None or lock is None or not callable(getattr(cache, "expire", None)):
        return []
    with lock:
        removed = cache.expire()
    return [info.session for _, info in removed if getattr(info, "session", None) is not None]


def known_session_ids(session_mgr: Any) -> set[str] | None:
    """Ids of the active and the stored sessions; None when the manager is not the one Streamlit ships."""
    if _stored(session_mgr) is None or not callable(getattr(session_mgr, "list_active_sessions", None)):
        return None
    return {info.session.id for info in session_mgr.list_active_sessions()} | stored_session_ids(session_mgr)


def held_session_ids(runtime: Any) -> set[str]:
    """Session ids for which the runtime's managers hold uploaded files, download data or dataframes."""
    return {str(k) for held in _held(runtime, files=True) for k in list(held.keys())}


def release_orphans(runtime: Any, known: set[str]) -> int:
    """Release what the managers hold for sessions not in ``known`` (ended without a shutdown); how many.

    Files held for a browser that is fetching them (:mod:`dashboard.download_hold`) are no session's: they stay.
    """
    return _release(runtime, held_session_ids(runtime) - known - {HOLD_SESSION}, files=True)


def stored_session_ids(session_mgr: Any) -> set[str]:
    """Ids of the disconnected sessions Streamlit keeps for a reconnect."""
    cache = _stored(session_mgr)
    return {str(k) for k in list(cache.keys())} if cache is not None else set()


def release_page_data(runtime: Any, stored: set[str]) -> int:
    """Drop the download callables and lazy dataframes of disconnected sessions; how many sessions held some.

    A deferred download keeps a closure over the page it was drawn on (several MB) until its session
    runs again or ends; a disconnected session cannot click, and a reconnect reruns the script, which
    registers them anew. Uploaded files stay: the reconnected session's uploader still names them.
    """
    holding = {str(k) for held in _held(runtime, files=False) for k in list(held.keys())} & stored
    return _release(runtime, holding, files=False)


def holds_session_only_state(session: Any, uploads: dict | None = None) -> bool:
    """True when ``session`` has uploaded files or :data:`SESSION_ONLY_KEYS` state (or cannot be read: keep it)."""
    if uploads and uploads.get(getattr(session, "id", None)):
        return True
    state = getattr(session, "_session_state", None)
    try:
        return state is None or any(key in state for key in SESSION_ONLY_KEYS)
    except Exception:  # noqa: BLE001 - a state that cannot be read is kept, never dropped
        return True


def idle_view_sessions(session_mgr: Any, uploads: dict | None = None, grace_s: float = VIEW_GRACE_S) -> list[str]:
    """Ids of the stored sessions disconnected for ``grace_s`` or longer whose state is all in their URL."""
    cache = _stored(session_mgr)
    expirations, data = getattr(cache, "_expirations", None), getattr(cache, "_data", None)
    if not isinstance(expirations, dict) or not isinstance(data, dict):
        return []
    now, ttl = cache.timer(), cache.ttl
    return [str(sid) for sid, expires in list(expirations.items())
            if now - (expires - ttl) >= grace_s and sid in data
            and not holds_session_only_state(data[sid].session, uploads)]


def drop_state(session: Any) -> None:
    """Empty the session state of a session that has been shut down (its uploads, checked reports, the page).

    Streamlit 1.67 can keep a shut-down ``AppSession`` referenced: ``Runtime._loop_coroutine`` leaves the
    last session it flushed messages to in a loop variable while it waits for the next message, until
    another session's messages are sent. On a server whose last visitor uploaded a 100,000-row file,
    that pinned the whole upload for good. Nothing reads the state of a session that has ended.
    """
    state = getattr(session, "_session_state", None)
    try:
        if state is not None:
            state.clear()
    except Exception:  # noqa: BLE001 - a Streamlit release that changed SessionState: the next reap tries again
        _LOG.debug("could not clear an ended session's state", exc_info=True)


def reap_sessions(runtime: Any, timeout_s: float = 10.0) -> int:
    """On ``runtime``'s event loop: shut expired sessions down, release orphans and idle page data; how many.

    A plain callback (``call_soon_threadsafe``), not a coroutine: a loop that stops before it runs it
    (AppTest's runtime ends with each test) simply drops it, with no "coroutine never awaited".
    """
    def reap() -> int:
        mgr = getattr(runtime, "_session_mgr", None)
        sessions = expired_sessions(mgr)
        for session in sessions:
            session.shutdown()  # frees its uploaded files, media and dataframe sources
            drop_state(session)
        idle = idle_view_sessions(mgr, getattr(getattr(runtime, "uploaded_file_mgr", None), "file_storage", None))
        for sid in idle:
            info = mgr.get_session_info(sid)
            mgr.close_session(sid)  # Streamlit's own end of a stored session: out of storage, shut down
            if info is not None:
                drop_state(info.session)
        sessions += idle
        known = known_session_ids(mgr)
        if known is None:
            return len(sessions)
        return len(sessions) + release_orphans(runtime, known) + release_page_data(runtime, stored_session_ids(mgr))

    def run(done: concurrent.futures.Future) -> None:
        try:
            done.set_result(reap())
        except Exception as err:  # noqa: BLE001 - reported through the future
            done.set_exception(err)

    done: concurrent.futures.Future = concurrent.futures.Future()
    try:
        loop = runtime._get_async_objs().eventloop
        if not loop.is_running():  # a test's runtime or one shutting down: nothing would run the reap
            return 0
        loop.call_soon_threadsafe(run, done)
        return int(done.result(timeout_s))
    except Exception:  # noqa: BLE001 - a runtime that stopped or changed, or a reap that failed: next time
        _LOG.debug("session reaping skipped", exc_info=True)
        return 0


def _streamlit_runtime() -> Any | None:
    from streamlit import runtime

    return runtime.get_instance() if runtime.exists() else None


def _reap_forever(every_s: float) -> None:
    """The reaper thread: reap expired sessions; trim after one ended or when asked."""
    while True:
        asked = _WAKE.wait(every_s)
        _WAKE.clear()
        rt = _streamlit_runtime()
        ended = reap_sessions(rt) if rt is not None else 0
        if asked or ended:
            trim()


@functools.cache
def install() -> bool:
    """Tune malloc, put Arrow on it and start the reaper thread, once per process; True when malloc is glibc's.

    ``RAUMATLAS_MEMORY_HOOK=off`` leaves both out (to compare, or should a Streamlit release break it).
    """
    if os.environ.get(HOOK_ENV, "").lower() in ("0", "off", "no", "false"):
        return False
    tuned = tune_malloc()
    arrow_on_system_allocator()
    threading.Thread(target=_reap_forever, args=(REAP_EVERY_S,), name="raumatlas-memory", daemon=True).start()
    return tuned
