"""Small folium elements for compact, offline maps (used by :mod:`dashboard.maps`).

They render plain Leaflet code (no extra JS/CSS links), so they work with the
vendored Leaflet alone and survive streamlit-folium's script extraction (their
``script`` macro is emitted like any folium child).
"""

from __future__ import annotations

import json

import shapely
from branca.element import MacroElement
from folium.template import Template


class GeoJsonLayer(MacroElement):
    """A compact ``L.geoJson`` layer: minified JSON, a style table instead of per-feature styles.

    folium's ``GeoJson`` pretty-prints its JSON (≈10 % larger for dense layers) and
    writes a ``switch`` case per feature; here each feature only carries the index
    ``s`` into ``styles``. Tooltips/popups come from pre-escaped properties.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }}_styles = {{ this.styles|tojson }};
        var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
            interactive: {{ this.interactive|tojson }},
            style: function(f) { return {{ this.get_name() }}_styles[f.properties.s]; },
            onEachFeature: function(f, l) {
                {%- if this.tooltip %}
                l.bindTooltip(f.properties.{{ this.tooltip }}{% if this.suffix %} + {{ this.suffix|tojson }}{% endif %},
                              {{ this.tooltip_options|tojson }});
                {%- endif %}
                {%- if this.popup %}
                if (f.properties.{{ this.popup }}) { l.bindPopup(f.properties.{{ this.popup }}, {maxWidth: 360}); }
                {%- endif %}
                {%- if this.highlight %}
                l.on({
                    mouseover: function(e) { e.target.setStyle({weight: 3, color: "#000000"}); },
                    mouseout: function(e) { {{ this.get_name() }}.resetStyle(e.target); }
                });
                {%- endif %}
            }
        }).addTo({{ this._parent.get_name() }});
        {%- if this.click_label %}
        // A click on a feature's permanent label is a click on the feature (at its label point
        // px/py, which lies inside it): the app then opens that area's profile.
        {{ this.get_name() }}.eachLayer(function(l) {
            var tt = l.getTooltip && l.getTooltip(), el = tt && tt.getElement && tt.getElement();
            if (!el) { return; }
            el.style.cursor = "pointer";
            L.DomEvent.on(el, "click", function(ev) {
                L.DomEvent.stop(ev);
                var p = l.feature.properties, at = L.latLng(p.py, p.px);
                l.fire("click", {latlng: at, layer: l, sourceTarget: l}, true);
            });
        });
        {%- endif %}
        {% endmacro %}"""
    )

    def __init__(self, features: list[dict], styles: list[dict], *, tooltip: str | None = None,
                 tooltip_options: dict | None = None, suffix: str = "", popup: str | None = None,
                 highlight: bool = False, interactive: bool = True, click_label: bool = False) -> None:
        super().__init__()
        self._name = "RaGeoJson"
        self.features, self.styles = features, styles
        self.tooltip, self.tooltip_options, self.suffix = tooltip, tooltip_options or {}, suffix
        self.popup, self.highlight, self.interactive = popup, highlight, interactive
        self.click_label = click_label  # features need properties px/py (a point inside, EPSG:4326)
        # Minified, and safe inside <script>: the same escapes as Jinja's htmlsafe tojson.
        self.data_json = (
            json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"), ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")
        )

    def _get_self_bounds(self) -> list[list[float | None]]:
        """Bounds [[south, west], [north, east]] so that ``Map.get_bounds`` sees this layer."""
        geoms = [shapely.geometry.shape(f["geometry"]) for f in self.features if f.get("geometry")]
        if not geoms:
            return [[None, None], [None, None]]
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


class FitOnResize(MacroElement):
    """Fit the map to ``bounds`` again whenever its frame changes size.

    In presentation mode the app sizes the map frames to the screen with CSS, after
    Leaflet has already fitted the map to the frame's first height; without this
    the city would be cut off on a projector.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on("resize", function() {
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {padding: [8, 8], animate: false});
        });
        {% endmacro %}"""
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitOnResize"
        self.bounds = bounds
