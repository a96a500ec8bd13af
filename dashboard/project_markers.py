"""Project markers for the folium maps: small circles coloured by theme, escaped tooltips, a theme legend.

Plain Leaflet (``L.circleMarker``), no plugin and no extra JS/CSS, so the maps stay offline.
Every text from the planner's file is HTML-escaped here, and the data reach the page only
through Jinja's ``tojson`` (which also escapes ``<``, ``>`` and ``&``): a title such as
``<img src=x onerror=alert(1)>`` shows as text. Up to :data:`SVG_LIMIT` markers are SVG paths
with the class ``ra-project`` (testable in the DOM); more are drawn on a canvas to stay fast.
"""

from __future__ import annotations

from html import escape

import geopandas as gpd
import numpy as np
from branca.element import MacroElement
from folium.template import Template

from dashboard.i18n import t
from dashboard.projects_view import FALLBACK_COLOR, per_distinct
from dashboard.safe_text import clean
from pipelines.config import WEB_COORD_DECIMALS

SVG_LIMIT = 2000
MARKER_CLASS = "ra-project"
REQUIRED = ("titel", "thema", "status", "federfuehrung", "color")


class ProjectMarkers(MacroElement):
    """Circle markers from rows ``[lat, lon, tooltip_html, colour]`` (tooltips already escaped)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }}_map = {{ this._parent.get_name() }};
        if (!{{ this.get_name() }}_map.getPane("raProjects")) {  // above the area labels (tooltipPane 650)
            {{ this.get_name() }}_map.createPane("raProjects").style.zIndex = 660;
        }
        var {{ this.get_name() }} = L.featureGroup();
        var {{ this.get_name() }}_opts = {{ this.options|tojson }};
        {{ this.get_name() }}_opts.renderer = {% if this.canvas %}L.canvas({padding: 0.3, pane: "raProjects"})
            {%- else %}L.svg({pane: "raProjects"}){% endif %};
        {{ this.rows|tojson }}.forEach(function (r) {
            var o = Object.assign({}, {{ this.get_name() }}_opts, {fillColor: r[3]});
            L.circleMarker([r[0], r[1]], o).bindTooltip(r[2], {className: "ra-tt", direction: "top"})
                .addTo({{ this.get_name() }});
        });
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, rows: list[list], canvas: bool = False) -> None:
        super().__init__()
        self._name = "ProjectMarkers"
        self.rows, self.canvas = rows, canvas
        self.options = {"radius": 6, "color": "#ffffff", "weight": 1.5, "fillOpacity": 0.95,
                        "className": MARKER_CLASS, "pane": "raProjects"}


def project_markers(projects: gpd.GeoDataFrame, lang: str) -> ProjectMarkers:
    """Markers for ``projects`` (EPSG:4326; columns :data:`REQUIRED`, texts in the UI language)."""
    rows = project_rows(projects, lang)
    return ProjectMarkers(rows, canvas=len(rows) > SVG_LIMIT)


def project_rows(projects: gpd.GeoDataFrame, lang: str) -> list[list]:
    """Rows ``[lat, lon, tooltip_html, colour]`` of the projects (tooltips escaped, colours checked)."""
    missing = [c for c in REQUIRED if c not in projects.columns]
    if missing:
        raise ValueError(f"projects lack columns {missing}; use dashboard.projects_view.map_projects")
    if projects.crs is None or projects.crs.to_epsg() != 4326:
        raise ValueError(f"projects must be in EPSG:4326 (got {projects.crs})")
    lead = escape(t("proj_col_federfuehrung", lang))
    ok = (projects.geometry.notna() & ~projects.geometry.is_empty).to_numpy()
    shown = projects[ok]
    # each distinct text cleaned (no bidi/control characters) and escaped once: few themes, statuses, departments
    text = {c: per_distinct(shown[c], lambda v: escape(clean(v)))
            for c in ("titel", "thema", "status", "federfuehrung")}
    colors = per_distinct(shown["color"], _color)
    lat = np.round(shown.geometry.y.to_numpy(), WEB_COORD_DECIMALS).tolist()
    lon = np.round(shown.geometry.x.to_numpy(), WEB_COORD_DECIMALS).tolist()
    return [[y, x, f"<b>{ti}</b><br>{th} · {st}<br>{lead}: {fe}", co]
            for y, x, ti, th, st, fe, co in zip(lat, lon, text["titel"], text["thema"], text["status"],
                                                text["federfuehrung"], colors, strict=True)]


def project_legend_html(projects: gpd.GeoDataFrame, lang: str) -> str:
    """A small legend of the themes on the map (colour dot + name + count), escaped; one wrapped line under the map."""
    counts = projects.groupby(["thema", "color"], sort=True).size()
    items = "".join(
        f'<span style="margin-right:12px;white-space:nowrap;"><span style="display:inline-block;width:10px;'
        f'height:10px;border-radius:50%;background:{_color(color)};border:1px solid #fff;box-shadow:0 0 0 1px #555;'
        f'margin-right:5px"></span>{escape(str(theme))} ({int(n)})</span>'
        for (theme, color), n in counts.items())
    return (f'<div class="ra-project-legend" style="font-size:13px;line-height:1.7">'
            f"<b>{escape(t('proj_legend_title', lang))}:</b> {items}</div>")


def _color(value: object) -> str:
    """Only ``#rrggbb`` colours reach the page (the palette is data; anything else becomes grey)."""
    text = str(value)
    ok = len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])
    return text if ok else FALLBACK_COLOR
