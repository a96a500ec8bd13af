"""The Raumatlas map component: the vendored Leaflet in a Streamlit components-v1 iframe (draws only).

Declared from the static folder ``dashboard/map_component/`` (HTML, JS, CSS; no build
step, no CDN). The iframe is keyed, so it lives as long as the page: each run posts
only new arguments (:func:`dashboard.map_payload.map_payload`), and the component
returns the last clicked area as ``{"area_id": ..., "nonce": ...}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

COMPONENT_DIR = Path(__file__).resolve().parent / "map_component"
COMPONENT_NAME = "raumatlas_map"
"""Part of the iframe's URL (``/component/dashboard.views_map_component.raumatlas_map/``): tests select by it."""

_component = components.declare_component(COMPONENT_NAME, path=str(COMPONENT_DIR))


def raumatlas_map(args: dict[str, Any], *, key: str) -> Any:
    """Draw (or update) one map; returns the last click ``{"area_id", "nonce"}`` or None."""
    return _component(args=args, key=key, default=None, tab_index=0)
