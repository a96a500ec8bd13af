"""Keep a clicked download's file on the server until the browser has fetched it.

Every download button of the app is deferred (``data=callable``): the file is made when it is
clicked. Streamlit 1.67 then stores the bytes and returns their URL to the browser, which fetches
it with a second request, but it leaves the stored file referenced by no session. Its orphan
sweep (``MediaFileManager.remove_orphaned_files``, at the end of every script run of every session,
when a session shuts down, and in :mod:`dashboard.memory`'s reaper) marks such a file on its
first pass and deletes it on the second. Two sweeps between the click's answer and the browser's
request, on a busy server or right when a page fills in after its first paint, turn the download
into a 404, which Chromium reports as a cancelled download (seen in CI: the profile table's CSV).

The same sweep also drops the callables of the buttons a session shows while that session runs
again: a run starts by forgetting the session's references (``clear_session_refs``) and registers
each button anew, so a click on a button drawn by the previous run, while the next one is under
way (a page filling in after its first paint, or any change), fails with "Failed to generate file"
when another session's run or the reaper sweeps meanwhile. A busy browser also applies a run's
new buttons some time after the run has ended (seen in CI under two test workers: "Deferred file
… not found" for a click on the first paint's button after the fill-in run had ended).

:func:`hold_served_downloads` wraps the manager so that each file it serves stays referenced,
under one pseudo session, for :data:`HOLD_S` seconds (at most :data:`MAX_HELD` files; the oldest
goes first), and so that the callables of a session's previous run stay referenced while its next
run is under way and for :data:`RUN_GRACE_S` seconds after it (one previous run per session). The
sweep then drops them like anything else.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

HOLD_S = 120.0
"""Long enough for a browser on a slow network to start fetching the file it was just given."""
MAX_HELD = 64
"""A bound on memory: files are a few KB (tables) to a few MB (a slide, a profile PDF)."""
RUN_GRACE_S = 30.0
"""How long a session's previous-run buttons stay clickable after the run that replaced them (a lagging browser)."""
HOLD_SESSION = "raumatlas-served-downloads"
"""The pseudo session id under which held files are referenced (not a real session: the reaper skips it)."""
_RUN_KEY = "\x1f"
"""Separates the session id from a button's coordinates in the keys of a previous run's callables."""
_FILE_ID = re.compile(r"/([0-9a-fA-F]+)(?:\.[^/]*)?$")
_LOG = logging.getLogger("raumatlas")


def served_file_id(url: str) -> str | None:
    """The media file id in a URL Streamlit's media storage hands out (``/media/<id>.<ext>``), if any."""
    match = _FILE_ID.search(url.split("?", 1)[0])
    return match.group(1) if match else None


def running_session_id() -> str | None:
    """The id of the session whose script runs on this thread (None elsewhere: the event loop, the reaper)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def hold_served_downloads(mgr: Any, hold_s: float = HOLD_S, max_held: int = MAX_HELD,
                          clock: Callable[[], float] = time.monotonic,
                          session_of: Callable[[], str | None] = running_session_id,
                          run_grace_s: float = RUN_GRACE_S) -> bool:
    """Make ``mgr`` (a Streamlit ``MediaFileManager``) keep served files and a rerunning session's buttons.

    Idempotent; True when done. Returns False, changing nothing, when the manager lacks what this
    relies on (a Streamlit release that changed it): downloads then work as Streamlit made them.
    ``session_of`` tells which session's script runs on the calling thread.
    """
    if getattr(mgr, "_raumatlas_hold", False):
        return True
    needed = ("execute_deferred", "remove_orphaned_files", "clear_session_refs", "_files_by_session_and_coord",
              "_file_metadata", "_deferred_callables", "_lock")
    if not all(hasattr(mgr, name) for name in needed):
        return False
    serve, sweep, forget = mgr.execute_deferred, mgr.remove_orphaned_files, mgr.clear_session_refs
    held: dict[str, float] = {}  # file id -> when its hold ends
    previous_until: dict[str, float] = {}  # session id -> when its previous run's buttons are let go

    def hold_refs() -> dict[str, str]:  # callers hold mgr._lock
        return mgr._files_by_session_and_coord.setdefault(HOLD_SESSION, {})

    def drop_previous_run(session_id: str) -> None:  # callers hold mgr._lock
        previous_until.pop(session_id, None)
        refs = hold_refs()
        for key in [k for k in refs if k.startswith(session_id + _RUN_KEY)]:
            del refs[key]

    def release_expired(now: float) -> None:  # callers hold mgr._lock
        for session_id in [sid for sid, until in previous_until.items() if until <= now]:
            drop_previous_run(session_id)
        refs = mgr._files_by_session_and_coord.get(HOLD_SESSION)
        for file_id, until in list(held.items()):
            if until <= now or len(held) > max_held:
                del held[file_id]
                if refs is not None:
                    refs.pop(file_id, None)

    def execute_deferred(file_id: str) -> str:
        url = serve(file_id)
        stored = served_file_id(url)
        with mgr._lock:
            if stored in mgr._file_metadata:
                held.pop(stored, None)  # the same bytes again: the hold starts anew, as the newest
                held[stored] = clock() + hold_s
                hold_refs()[stored] = stored
                release_expired(clock())
            else:
                _LOG.debug("served download %s not held: unknown file id in %r", file_id, url)
        return url

    def clear_session_refs(session_id: str | None = None) -> None:
        running = session_of() if session_id is None else None
        with mgr._lock:
            if running is not None:  # a run starts: the buttons on screen stay clickable while it runs
                refs = mgr._files_by_session_and_coord.get(running) or {}
                kept = {running + _RUN_KEY + coord: file_id for coord, file_id in refs.items()
                        if file_id in mgr._deferred_callables}
                drop_previous_run(running)  # one previous run per session
                hold_refs().update(kept)
                previous_until[running] = float("inf")
            elif session_id is not None:  # a session ends: nothing of it stays
                drop_previous_run(session_id)
        forget(session_id)

    def remove_orphaned_files() -> None:
        running = session_of()
        with mgr._lock:
            if running in previous_until:  # the end of a run: the browser gets its buttons; the old ones wait
                previous_until[running] = clock() + run_grace_s
            release_expired(clock())
        sweep()

    mgr.execute_deferred = execute_deferred
    mgr.clear_session_refs = clear_session_refs
    mgr.remove_orphaned_files = remove_orphaned_files
    mgr._raumatlas_hold = True
    return True


def install() -> bool:
    """Hold served downloads in this process's Streamlit runtime (from ``streamlit_app.py``); True if done."""
    from streamlit import runtime

    if not runtime.exists():
        return False
    return hold_served_downloads(runtime.get_instance().media_file_mgr)
