"""A small, bounded memo of page parts that depend only on the build and a few view settings (no Streamlit).

Some parts of a page are the same for many runs: the comparison section (896 pin labels
and the table) depends on the build, the language and the comparison's own URL keys, not
on the indicator on the maps; the Handlungsraum label layout on the build, the Munich level,
the language and the screen. Each run used to compute them again (about 1 s per indicator
change on the 2-core server). Here they are kept per process, keyed by the build version
and exactly the settings they read, so a run that changes anything else reuses them — also
across sessions (the parts are frozen or read-only; views never change them).

Only builds read through the app's own readers are memoised (``dashboard.loaders.BuildReader``,
``dashboard.build_files.BuildFolder``: their version names their content); any other
:class:`~dashboard.page.BuildData` (a test's in-memory build) computes every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MEMO_MAX = 48  # entries (each a comparison or a label layout: well under 1 MB)
MEMO_MODULES = ("dashboard.loaders", "dashboard.build_files")
_MEMO: OrderedDict[tuple, Any] = OrderedDict()
_LOCK = threading.Lock()
_MISSING = object()


def memo_scope(data: Any) -> tuple[str, ...] | None:
    """(reader type, build version) when ``data`` is one of the app's build readers, else None."""
    kind = type(data)
    if kind.__module__ not in MEMO_MODULES:
        return None
    return kind.__module__, kind.__qualname__, str(getattr(data, "version", ""))


def memoized(data: Any, key: tuple[Hashable, ...], make: Callable[[], T]) -> T:
    """``make()`` once per (reader, version, ``key``) in this process; least recently used dropped first."""
    scope = memo_scope(data)
    if scope is None:
        return make()
    full = (*scope, *key)
    with _LOCK:
        hit = _MEMO.get(full, _MISSING)
        if hit is not _MISSING:
            _MEMO.move_to_end(full)
            return hit  # type: ignore[no-any-return]
    value = make()
    with _LOCK:
        _MEMO[full] = value
        _MEMO.move_to_end(full)
        while len(_MEMO) > MEMO_MAX:
            _MEMO.popitem(last=False)
    return value


def clear() -> None:
    """Forget every entry (tests)."""
    with _LOCK:
        _MEMO.clear()
