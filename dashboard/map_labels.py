"""Draws the Handlungsraum labels where :mod:`dashboard.label_layout` placed them (folium, no Streamlit).

Reads the label columns of the outlines table (``label_text``, ``label_lat``/``label_lon``,
``anchor_lat``/``anchor_lon``, ``label_leader``): one permanent, non-interactive Leaflet
tooltip per label (class ``ra-label``, same look as before), and for a label moved off
its area a thin leader line with a dot on the area. Plain Leaflet, no extra assets.
"""

from __future__ import annotations

from html import escape

import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

LABEL_COLUMNS = ("label_text", "label_lat", "label_lon", "anchor_lat", "anchor_lon", "label_leader")


def has_label_positions(outlines: gpd.GeoDataFrame | None) -> bool:
    """True when the outlines carry placed labels (then the outline layer binds no label of its own)."""
    return outlines is not None and all(c in outlines.columns for c in LABEL_COLUMNS)


class OutlineLabels(MacroElement):
    """Permanent labels at fixed positions, with leader lines where a label had to move."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
            var labels = {{ this.labels|tojson }};
            labels.forEach(function (l) {
                if (l.leader) {
                    L.polyline([[l.alat, l.alon], [l.lat, l.lon]],
                               {color: "#111111", weight: 1.5, opacity: 0.9, interactive: false}).addTo(map);
                    L.circleMarker([l.alat, l.alon], {radius: 3, color: "#111111", weight: 1, fillColor: "#ffffff",
                                   fillOpacity: 1, interactive: false}).addTo(map);
                }
                map.openTooltip(L.tooltip({permanent: true, direction: "center", interactive: false,
                                           className: l.cls}).setContent(l.text), [l.lat, l.lon]);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, outlines: gpd.GeoDataFrame) -> None:
        super().__init__()
        self._name = "OutlineLabels"
        self.labels = [
            {"text": escape(str(r["label_text"])), "lat": float(r["label_lat"]), "lon": float(r["label_lon"]),
             "alat": float(r["anchor_lat"]), "alon": float(r["anchor_lon"]), "leader": bool(r["label_leader"]),
             "cls": "ra-label ra-approx" if str(r.get("approximate")) in ("True", "true", "1") else "ra-label"}
            for _, r in outlines.iterrows()
        ]
