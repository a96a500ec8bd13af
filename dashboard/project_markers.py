"""Project markers: small circles coloured by theme, escaped tooltips, a theme legend.

Two consumers. The app's map component gets :func:`project_columns` (positions, and per row indices
into tables of distinct texts and colours); it draws up to :data:`SVG_LIMIT` markers as SVG paths
with the class ``ra-project`` (testable in the DOM) and more on one canvas
(``dashboard/map_component/raumatlas_points.js``). The folium maps of the exports get
:class:`ProjectMarkers` from :func:`project_rows`: plain Leaflet (``L.circleMarker``), no plugin and
no extra JS/CSS, so they stay offline, with the data passed through Jinja's ``tojson`` (which also
escapes ``<``, ``>`` and ``&``). Every text from the planner's file is HTML-escaped here: a title
such as ``<img src=x onerror=alert(1)>`` shows as text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from html import escape
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from dashboard.i18n import format_number, t
from dashboard.projects_view import FALLBACK_COLOR
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
    c = project_columns(projects, lang)
    titles, details, colors = c["titles"], c["details"], c["colors"]
    return [[y, x, f"<b>{titles[ti]}</b><br>{details[di]}", colors[ci]]
            for y, x, ti, di, ci in zip(c["lat"], c["lon"], c["title"], c["detail"], c["color"], strict=True)]


def project_columns(projects: gpd.GeoDataFrame, lang: str) -> dict[str, Any]:
    """The projects as columns for the map component: ``lat``, ``lon`` and, per row, indices into tables.

    ``title`` indexes ``titles`` (escaped), ``detail`` indexes ``details`` (escaped ``theme · status<br>lead:
    department``) and ``color`` indexes ``colors`` (``#rrggbb`` only); a tooltip is ``<b>title</b><br>detail``.
    ``key`` changes exactly when any of it does. Why columns: 100,000 uploaded projects as one tooltip string
    per row were ~11 MB on every run of the page; with each distinct text sent once they are a fraction of it, and
    the component builds a tooltip only for the marker under the pointer (issue 12).
    """
    missing = [c for c in REQUIRED if c not in projects.columns]
    if missing:
        raise ValueError(f"projects lack columns {missing}; use dashboard.projects_view.map_projects")
    if projects.crs is None or projects.crs.to_epsg() != 4326:
        raise ValueError(f"projects must be in EPSG:4326 (got {projects.crs})")
    lead = escape(t("proj_col_federfuehrung", lang))
    ok = (projects.geometry.notna() & ~projects.geometry.is_empty).to_numpy()
    shown = projects[ok]
    def text(value: object) -> str:  # no bidi/control characters, escaped
        return escape(clean(value))

    title, titles = _table(shown["titel"], text)
    theme, themes = _table(shown["thema"], text)
    status, statuses = _table(shown["status"], text)
    dept, depts = _table(shown["federfuehrung"], text)
    combined = (theme.astype(np.int64) * len(statuses) + status) * len(depts) + dept
    detail, parts = pd.factorize(combined)
    step = len(statuses) * len(depts)
    details = [f"{themes[k // step]} · {statuses[k // len(depts) % len(statuses)]}<br>{lead}: {depts[k % len(depts)]}"
               for k in parts.tolist()]
    color, colors = _table(shown["color"], _color)
    lat = np.round(shown.geometry.y.to_numpy(), WEB_COORD_DECIMALS)
    lon = np.round(shown.geometry.x.to_numpy(), WEB_COORD_DECIMALS)
    digest = hashlib.blake2b(digest_size=12)
    for part in (lat, lon, title, detail, color):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update(json.dumps([titles, details, colors], ensure_ascii=False).encode())
    return {"key": digest.hexdigest(), "lat": lat.tolist(), "lon": lon.tolist(),
            "title": title.tolist(), "titles": titles, "detail": detail.tolist(), "details": details,
            "color": color.tolist(), "colors": colors}


def _table(values: pd.Series, f: Callable[[Any], str]) -> tuple[np.ndarray, list[str]]:
    """(per row: index into the table, the table of ``f`` of each distinct value): ``f`` runs once per value.

    Two values ``f`` makes the same text of (``"A"`` and ``"A\u202e"`` after cleaning) share one entry.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)  # a missing value is a value too
    made = [f(v) for v in uniques.tolist()]
    remap, table = pd.factorize(np.array(made, dtype=object))
    return remap[codes], table.tolist()


def project_legend_html(projects: gpd.GeoDataFrame, lang: str) -> str:
    """A small legend of the themes on the map (colour dot + name + count), escaped; one wrapped line under the map.

    Counts in the language's number format ("Kultur (2.345)"), like the upload report above it.
    """
    counts = projects.groupby(["thema", "color"], sort=True).size()
    items = "".join(
        f'<span style="margin-right:12px;white-space:nowrap;"><span style="display:inline-block;width:10px;'
        f'height:10px;border-radius:50%;background:{_color(color)};border:1px solid #fff;box-shadow:0 0 0 1px #555;'
        f'margin-right:5px"></span>{escape(str(theme))} ({format_number(int(n), lang, 0)})</span>'
        for (theme, color), n in counts.items())
    return (f'<div class="ra-project-legend" style="font-size:13px;line-height:1.7">'
            f"<b>{escape(t('proj_legend_title', lang))}:</b> {items}</div>")


def _color(value: object) -> str:
    """Only ``#rrggbb`` colours reach the page (the palette is data; anything else becomes grey)."""
    text = str(value)
    ok = len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])
    return text if ok else FALLBACK_COLOR
