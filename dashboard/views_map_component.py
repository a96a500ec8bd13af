"""The Raumatlas map component: the vendored Leaflet in a Streamlit components-v1 iframe (draws only).

Declared from the static folder ``dashboard/map_component/`` (HTML, JS, CSS; no build
step, no CDN), served with those files inline in its ``index.html`` (:mod:`dashboard.map_frame`).
The iframe is keyed, so it lives as long as the page: each run posts only new arguments
(:func:`dashboard.map_payload.map_payload`), and the component returns the last clicked area as
``{"area_id": ..., "nonce": ...}``.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

from dashboard.map_frame import write_frame
from pipelines.config import STATIC_DIR

COMPONENT_DIR = Path(__file__).resolve().parent / "map_component"
COMPONENT_NAME = "raumatlas_map"
"""Part of the iframe's URL (``/component/dashboard.views_map_component.raumatlas_map/``): tests select by it."""

_log = logging.getLogger(__name__)


def _served_dir() -> Path:
    """The frame with its files inline, in a folder of this process (:mod:`dashboard.map_frame` says why).

    Falls back to the source folder, whose ``index.html`` loads the same files one by one.
    """
    try:
        out = Path(tempfile.mkdtemp(prefix="raumatlas-frame-"))
        atexit.register(shutil.rmtree, out, True)
        return write_frame(COMPONENT_DIR, STATIC_DIR, out)
    except (OSError, ValueError) as err:
        _log.warning("map frame served as separate files: %s", err)
        return COMPONENT_DIR


_component = components.declare_component(COMPONENT_NAME, path=str(_served_dir()))


def raumatlas_map(args: dict[str, Any], *, key: str) -> Any:
    """Draw (or update) one map; returns the last click ``{"area_id", "nonce"}`` or None."""
    return _component(args=args, key=key, default=None, tab_index=0)
