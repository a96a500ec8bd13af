"""Progressive first paint: a session's first run draws the page shell and both maps; the rest follows.

The browser renders every section of the page on the same main thread as the two map frames.
Measured on the 2-core machine (issue 11), a page holding only the two map components drew both
maps ~0.85 s sooner than the whole page, whose other sections (the sidebar's controls, and below
the maps the comparison with its ~900 pin options, the ranking grids, the project panel, the footer)
cost React and the grids their time while the maps waited. So the first run of a session leaves
those out (an empty sidebar holds its place; the other slots stay empty below the maps: nothing
above them moves). It also leaves out the view downloads under the maps, and draws a stand-in of the
same size in place of each level picker and of the search box: Streamlit loads each kind of widget's
code only when one is first drawn, ~40 files one by one from its server on a first visit, and the map
component's code waited behind theirs (measured against the same page with them: first visit 1.71 ->
1.56 s, repeat visit 1.14 -> 1.06 s for the pickers; 1.66 -> 1.55 s and 1.16 -> 1.11 s for the
search). The map component reports once that the
page's maps are drawn (the ``drawn`` token in its arguments, ``dashboard/map_component/
raumatlas_map.js``). The report is a widget value, so it starts the run that fills the sections in.
Every later run draws the whole page, whatever started it (the report or the user), so a URL that
targets a deferred section (a comparison permalink) shows it one run later without any action.
"""

from __future__ import annotations

import secrets
from typing import TypeVar

import streamlit as st

ENABLED = True
"""Off in the AppTest modules of other features: no browser reports drawn maps there (``tests/conftest.py``)."""

_PAINTED_KEY = "_first_paint_done"
_TOKEN_KEY = "_first_paint_token"
_NOTICES_KEY = "_first_paint_notices"

T = TypeVar("T")


def drawn_token() -> str:
    """This session's token, sent back by the map frames once they are drawn.

    New per session, because the frames remember a reported token per browser tab
    (``sessionStorage``): a reload is a new session and must report again, a frame that
    Streamlit mounts a second time in the same session must not.
    """
    token = st.session_state.get(_TOKEN_KEY)
    if not isinstance(token, str):
        token = secrets.token_hex(6)
        st.session_state[_TOKEN_KEY] = token
    return token


def defer_rest(maps_on_page: bool) -> bool:
    """Whether this run stops after the first screen: only a session's first run, and only when a map will report.

    Without a map on the page (no values for either city) nothing would ever report, so
    such a first run draws everything.
    """
    if st.session_state.get(_PAINTED_KEY):
        return False
    st.session_state[_PAINTED_KEY] = True
    return ENABLED and maps_on_page


def keep_notices(notices: list[T], deferring: bool) -> tuple[list[T], bool]:
    """``(notices to show, whether they are new)``: the first run's URL notices stay for the run the report starts.

    The URL is corrected in the first run, so the next run finds nothing to warn about; without
    this the warning would vanish a moment after it appeared. Carried notices are not new: no
    second toast.
    """
    if deferring:
        st.session_state[_NOTICES_KEY] = list(notices)
        return notices, bool(notices)
    carried = st.session_state.pop(_NOTICES_KEY, None) or []
    if notices:
        return notices, True
    return carried, False
