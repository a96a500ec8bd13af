"""Whether the build may fork helper processes — light (no pandas), so the CLI can ask before its imports.

``parallel.py`` runs Berlin's chain and the web layers in forked processes, ``prefetch.py`` reads
the Munich workbooks in one; all of them ask :func:`parallel_possible` first.
"""

from __future__ import annotations

import multiprocessing
import os
import threading

PROCESSES_ENV = "RAUMATLAS_BUILD_PROCESSES"


def parallel_possible() -> bool:
    """Two cores, ``fork`` available, one thread, and not switched off with ``RAUMATLAS_BUILD_PROCESSES=1``.

    A process with other threads (the Streamlit server building a stale build for its first
    visitor) builds serially: a fork copies locks other threads may hold at that moment
    (imports, logging), and the child could hang on one.
    """
    wanted = os.environ.get(PROCESSES_ENV, "")
    if wanted.strip() == "1" or threading.active_count() > 1:
        return False
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def debug_children() -> bool:
    """``RAUMATLAS_BUILD_PROCESSES=debug``: a failing child prints its trace (the parent re-runs its work)."""
    return os.environ.get(PROCESSES_ENV, "").strip() == "debug"
