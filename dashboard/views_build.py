"""Before the page: build ``processed/`` if it is missing or stale, or serve the last good build (issue 12).

When the rebuild fails (a broken registry, a corrupted raw file) but a previous build exists,
that last good build is served with a visible warning; the details, with paths, go to the
server log, never to the visitor (:func:`dashboard.safe_text.visitor_text`). A failed rebuild
is retried at most every :data:`RETRY_FAILED_BUILD_S` seconds, not on every page view.
``run_build`` holds a lock on the output folder, so sessions (and processes) that find the
build stale at the same time build it once: the others wait and then find it current.
"""

from __future__ import annotations

import logging
import time

import streamlit as st

from dashboard import loaders
from dashboard.i18n import t
from dashboard.safe_text import md, visitor_text

RETRY_FAILED_BUILD_S = 300.0
_BUILD_FAILURE: dict[tuple[int, int], tuple[float, str]] = {}  # manifest stamp -> (when, reason for visitors)
_LOG = logging.getLogger("raumatlas")


def ensure_build(lang: str) -> None:
    """Run the pipeline first (with visible progress) if the build is missing or older than its inputs."""
    stamp = loaders.manifest_stamp()
    if loaders.build_is_current():
        return
    failure = _BUILD_FAILURE.get(stamp)
    if failure and stamp[0] and time.monotonic() - failure[0] < RETRY_FAILED_BUILD_S:
        _warn_stale(lang, failure[1])
        return
    from pipelines.builder import run_build

    slot = st.empty()
    with slot.status(t("build_running", lang), expanded=True) as status:
        bar = st.progress(0.0)

        def progress(name: str, done: int, total: int) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=t("build_step", lang, step=name))

        try:
            run_build(progress=progress)
        except Exception as err:  # noqa: BLE001 - show the pipeline's actionable message, never a traceback
            _LOG.error("Datenaufbereitung fehlgeschlagen / build failed: %s", err, exc_info=True)
            reason = visitor_text(err)
            _BUILD_FAILURE.clear()
            _BUILD_FAILURE[stamp] = (time.monotonic(), reason)
            status.update(label=t("build_failed", lang), state="error", expanded=False)
            if not stamp[0]:  # nothing to fall back to
                st.error(md(reason, 1_000))
                st.stop()
        else:
            _BUILD_FAILURE.clear()
            status.update(label=t("build_done", lang), state="complete", expanded=False)
    slot.empty()
    loaders.forget_build_state()
    if _BUILD_FAILURE.get(stamp):
        _warn_stale(lang, _BUILD_FAILURE[stamp][1])


def _warn_stale(lang: str, reason: str) -> None:
    built = str(loaders.load_manifest().get("created", ""))[:10]
    st.warning(t("build_stale", lang, date=md(built or "?"), reason=md(reason, 600)), icon="⚠️")
