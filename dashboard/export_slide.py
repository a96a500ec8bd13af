"""``raumatlas export-view``: one view of the app as a slide (PNG, SVG or PDF), drawn without a browser.

Both cities side by side, each with its heading (city, level, reference date), its map
(the classes and colours of :mod:`dashboard.export_view`), its legend; the Munich
Handlungsräume as labelled outlines (approximations dashed and marked), the
comparability note, and a source line with the build date. The layout is defined
for a 9-inch-high page and scaled to the requested pixel size, so 1920x1080,
1280x720 and 4:3 sizes look alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle

from dashboard.attribution import group_sources
from dashboard.build_files import BuildFolder
from dashboard.export_build import read_one_export
from dashboard.export_data import ExportData, ExportError
from dashboard.export_render import INK, MUTED, check_target, figure_bytes, geometry_path, new_figure, save_figure, wrap
from dashboard.export_view import (
    CityPanel,
    ViewModel,
    comparability_text,
    legend_title,
    panel_heading,
    panel_legend_note,
    parse_view,
    view_model,
    view_page,
)
from dashboard.i18n import catalog_text, t
from dashboard.legend import text
from dashboard.page import PageContext
from dashboard.palettes import LOCATION_COLORS
from dashboard.state import ViewState
from pipelines import config
from pipelines.config import CITIES

FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
DEFAULT_SIZE: tuple[int, int] = (1920, 1080)
PAGE_HEIGHT_IN = 9.0
_PANEL_X = {"munich": 0.02, "berlin": 0.515}
_PANEL_W = 0.465
_MAP_TOP = 0.855


def _map_bottom(fig_w_in: float) -> float:
    """Where the maps end: higher on 4:3 slides, whose legends need a third row."""
    return 0.31 if fig_w_in / PAGE_HEIGHT_IN >= 1.5 else 0.36


@dataclass
class Slide:
    """A drawn slide: the figure, each city's map axes and the CRS its coordinates are in."""

    fig: Figure
    axes: dict[str, Axes]
    crs: dict[str, str]
    dpi: float

    def pixel_of(self, city: str, lon: float, lat: float) -> tuple[float, float]:
        """Pixel (x right, y down) of a WGS84 point in the PNG, through the map's own transform."""
        ax = self.axes[city]
        pt = gpd.GeoSeries([shapely.Point(lon, lat)], crs=config.WEB_CRS).to_crs(self.crs[city]).iloc[0]
        x, y = ax.transData.transform((pt.x, pt.y))
        return float(x), float(self.fig.bbox.height - y)


def parse_size(raw: str) -> tuple[int, int]:
    """``1920x1080`` -> (1920, 1080); between 320 and 7680 pixels each way."""
    w, sep, h = raw.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit():
        raise ValueError(f"size '{raw}' is not WIDTHxHEIGHT, e.g. 1920x1080")
    size = int(w), int(h)
    if not all(320 <= v <= 7680 for v in size):
        raise ValueError(f"size '{raw}': width and height must be between 320 and 7680 pixels")
    return size


def export_view(view: str, out: Path, size: tuple[int, int] = DEFAULT_SIZE, data: BuildFolder | None = None,
                lang: str | None = None) -> Path:
    """Draw the view (an app URL or query string) into ``out`` (.png/.svg/.pdf), atomically."""
    fmt = check_target(out, FORMATS)
    data = data or read_one_export()
    page = view_page(parse_view(view, data, lang), data)
    slide = slide_figure(view_model(page), data, size)
    return save_figure(slide.fig, out, fmt, slide.dpi)


def slide_bytes(page: PageContext, data: ExportData, fmt: str, size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    """The slide of the app's page as PNG/SVG/PDF bytes (the app's download buttons)."""
    if fmt not in FORMATS:
        raise ExportError(f"unsupported format '{fmt}'")
    slide = slide_figure(view_model(page), data, size)
    return figure_bytes(slide.fig, fmt, slide.dpi)


def slide_figure(model: ViewModel, data: ExportData, size: tuple[int, int] = DEFAULT_SIZE) -> Slide:
    """The slide of ``model`` at ``size`` pixels."""
    width_px, height_px = size
    dpi = height_px / PAGE_HEIGHT_IN
    # +0.01 px: the renderer truncates the float size, which must not lose a pixel.
    fig = new_figure((width_px + 0.01) / dpi, (height_px + 0.01) / dpi)
    fig.set_dpi(dpi)
    lang = model.state.lang
    fig_w_in = fig.get_figwidth()
    fig.text(0.02, 0.975, catalog_text(model.entry, "label", lang), fontsize=24, fontweight="bold", color=INK,
             va="top", parse_math=False)
    axes, crs = {}, {}
    for city in CITIES:
        x0 = _PANEL_X[city]
        fig.text(x0, _MAP_TOP + 0.045, panel_heading(model, city), fontsize=15, fontweight="bold", color=INK,
                 va="top", parse_math=False)
        ax = fig.add_axes((x0, _map_bottom(fig_w_in), _PANEL_W, _MAP_TOP - _map_bottom(fig_w_in)))
        ax.set_axis_off()
        axes[city], crs[city] = ax, config.CITY_CRS[city]
        panel = model.panels[city]
        if panel.frame is None:
            ax.text(0.5, 0.5, "\n".join(wrap(panel.note, _PANEL_W * fig_w_in * 0.8, 13)), ha="center",
                    va="center", fontsize=13, color=MUTED, transform=ax.transAxes, parse_math=False)
            continue
        _draw_map(ax, model, panel)
        _draw_legend(fig, model, panel, x0, fig_w_in)
    note = comparability_text(model)
    y, note_size = 0.155, 11 if fig_w_in / PAGE_HEIGHT_IN >= 1.5 else 10
    for line in wrap(note, fig_w_in * 0.96, note_size)[:3]:
        fig.text(0.02, y, line, fontsize=note_size, color=INK, va="top", parse_math=False)
        y -= note_size * 0.0024
    sources, stand = source_lines(model.state, data)
    lines = wrap(sources, fig_w_in * 0.96, 7.5)[:3] + [stand]
    for i, line in enumerate(reversed(lines)):
        fig.text(0.02, 0.012 + i * 0.017, line, fontsize=7.5, color=MUTED, va="bottom", parse_math=False)
    return Slide(fig, axes, crs, dpi)


def _draw_map(ax: Axes, model: ViewModel, panel: CityPanel) -> None:
    city, state = panel.city, model.state
    assert panel.frame is not None
    frame = panel.frame.to_crs(config.CITY_CRS[city])
    focus = set(panel.page.focus_ids or ())
    selected = state.area_id if state.area_city == city else ""
    # zip, not iterrows: no pandas Series per area
    for raw_id, geom, fill in zip(frame["area_id"], frame.geometry, panel.fills, strict=True):
        area_id = str(raw_id)
        dimmed = bool(focus) and area_id not in focus
        ax.add_artist(PathPatch(geometry_path(geom), facecolor=fill, edgecolor="#555555", linewidth=0.5,
                               alpha=0.25 if dimmed else 1.0, gid=f"area-{city}-{area_id}"))
    union = shapely.union_all(shapely.make_valid(frame.geometry.values))
    ax.add_artist(PathPatch(geometry_path(union), facecolor="none", edgecolor="#222222", linewidth=1.4))
    target = frame[frame["area_id"].astype(str).isin(focus)] if focus else frame
    _fit(ax, target.total_bounds)
    if selected:
        sel = frame[frame["area_id"].astype(str) == selected]
        for geom in sel.geometry:
            ax.add_artist(PathPatch(geometry_path(geom), facecolor="none", edgecolor="#0b3d91", linewidth=3.0))
    _draw_outlines(ax, panel.page.outlines, state.lang)
    _draw_locations(ax, panel.page.locations, city)


def _fit(ax: Axes, bounds: Any) -> None:
    """Limits around ``bounds`` widened to the axes' shape: one metre is as long across as up."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    pad = 0.03 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    pos, fig = ax.get_position(), ax.get_figure()
    assert fig is not None
    box_w, box_h = pos.width * fig.get_figwidth(), pos.height * fig.get_figheight()
    cx, cy, w, h = (minx + maxx) / 2, (miny + maxy) / 2, maxx - minx, maxy - miny
    if w / h > box_w / box_h:
        h = w * box_h / box_w
    else:
        w = h * box_w / box_h
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


def _draw_outlines(ax: Axes, outlines: gpd.GeoDataFrame | None, lang: str) -> None:
    """Handlungsräume: black outlines with labels; approximations dashed and labelled "Näherung"."""
    if outlines is None or outlines.empty:
        return
    shapes = outlines.to_crs(config.CITY_CRS["munich"])
    for _, row in shapes.iterrows():
        approx = str(row.get("approximate")) in ("True", "true", "1")
        ax.add_artist(PathPatch(geometry_path(row.geometry), facecolor="none", edgecolor="#111111", linewidth=2.2,
                               linestyle=(0, (5, 3)) if approx else "solid", gid=f"outline-{row['area_id']}"))
        short = _text(row.get("short_name")) or str(row["name"])
        label = f"{short} ({text('approximation', lang)})" if approx else short
        pt = row.geometry.representative_point()
        ax.text(pt.x, pt.y, label, fontsize=9.5, fontweight="bold", fontstyle="italic" if approx else "normal",
                ha="center", va="center", color=INK, parse_math=False, clip_on=True,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85,
                      "edgecolor": "#333333", "linestyle": "--" if approx else "-", "linewidth": 0.8})


def _draw_locations(ax: Axes, locations: gpd.GeoDataFrame | None, city: str) -> None:
    """The chosen location layers of the page (Kitas, youth centres) as dots in the map's colours."""
    if locations is None or locations.empty:
        return
    sel = locations.to_crs(config.CITY_CRS[city])
    for layer, grp in sel.groupby("layer"):
        ax.scatter(grp.geometry.x, grp.geometry.y, s=6, c=LOCATION_COLORS.get(str(layer), "#444444"),
                   edgecolors="white", linewidths=0.3, zorder=3)


def _draw_legend(fig: Figure, model: ViewModel, panel: CityPanel, x0: float, fig_w_in: float) -> None:
    """Title, one swatch per class plus "no data" (with area counts), and the reading hint."""
    top = _map_bottom(fig_w_in) - 0.015
    fig.text(x0, top, legend_title(model), fontsize=11.5, fontweight="bold", color=INK, va="top",
             parse_math=False)
    wide = fig_w_in / PAGE_HEIGHT_IN >= 1.5
    per_row, size = (4, 10.5) if wide else (3, 9.0)
    col_w = _PANEL_W / per_row
    sw_w, sw_h = 0.022 * PAGE_HEIGHT_IN / fig_w_in * 1.6, 0.022
    slot = 0
    for i, entry in enumerate(panel.legend):
        if i == len(panel.legend) - 1 and slot % per_row == per_row - 1 and not wide:
            slot += 1  # the long "no data" label never in the last, narrow column
        x = x0 + (slot % per_row) * col_w
        y = top - 0.04 - (slot // per_row) * 0.035
        slot += 1
        fig.add_artist(Rectangle((x, y - sw_h / 2), sw_w, sw_h, transform=fig.transFigure, facecolor=entry.color,
                                 edgecolor="#777777", linewidth=0.6))
        fig.text(x + sw_w + 0.005, y, f"{entry.label} ({entry.count})", fontsize=size, color=INK, va="center",
                 parse_math=False)
    rows = (slot + per_row - 1) // per_row
    y = top - 0.04 - rows * 0.035 + 0.01
    for line in wrap(panel_legend_note(model, panel), _PANEL_W * fig_w_in, 9)[:2]:  # within its own panel
        fig.text(x0, y, line, fontsize=9, color=MUTED, va="top", parse_math=False)
        y -= 9 * 1.3 / 72 / fig.get_figheight()


def source_lines(state: ViewState, data: ExportData) -> tuple[str, str]:
    """Publishers and licences of both cities' sources; the build's date and version."""
    lang = state.lang
    seen: list[str] = []
    for s in group_sources(x for x in data.sources() if x.get("kind") != "document"):
        if s["city"] not in CITIES:
            continue
        item = f"{s['publisher']} ({s['licence']})"
        if item not in seen:
            seen.append(item)
    man = data.manifest
    created = str(man.get("created", "")).replace("T", " ")[:16] or "–"
    return (t("export_sources", lang, sources="; ".join(seen)),
            t("export_stand", lang, created=created, version=str(man.get("build_version", "–"))) + " · Raumatlas")


def _text(value: Any) -> str:
    if value is None:
        return ""
    s = str(value).strip()
    return "" if s.lower() in ("", "nan", "none") else s

