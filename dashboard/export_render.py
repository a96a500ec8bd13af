"""Shared drawing helpers of the exports: fonts, shapes, safe file writing, a simple A4 text flow.

matplotlib with the Agg/PDF/SVG backends only (no browser, no display), so exports run
on a server and in CI. Text stays text: SVG keeps ``<text>`` elements
(``svg.fonttype = none``), PDF embeds TrueType fonts (``pdf.fonttype = 42``), so a
reader can search and copy names and numbers. Every text from data is drawn with
``parse_math=False``: a ``$`` in a project title is a dollar sign, not TeX.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # never a GUI backend, also on a desktop (pyplot itself is not needed: ~0.1 s less)

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from dashboard.export_errors import ExportError  # noqa: E402
from dashboard.export_fonts import pdf_rc  # noqa: E402

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # bundled with matplotlib: the same glyphs on every machine
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "raumatlas",  # stable ids: the same view gives the same SVG
    "axes.unicode_minus": True,
}
INK, MUTED, RULE = "#1f2328", "#57606a", "#d0d7de"
A4_INCHES = (8.27, 11.69)


def geometry_path(geom: shapely.Geometry) -> MplPath:
    """One matplotlib path for a (multi)polygon, holes included (even-odd rings as SVG/PDF draw them)."""
    polys = list(getattr(geom, "geoms", [geom]))
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for poly in polys:
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return MplPath(np.zeros((1, 2)), [MplPath.MOVETO])
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def check_target(out: Path, formats: Sequence[str]) -> str:
    """The format of ``out`` from its extension; an unknown extension or missing folder is an ExportError."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in formats:
        raise ExportError(f"{out}: unsupported file type '{out.suffix or '(none)'}' — use "
                          + ", ".join(f".{f}" for f in formats))
    if not out.parent.is_dir():
        raise ExportError(f"{out}: folder {out.parent} does not exist — create it or choose another --out")
    if out.is_dir():
        raise ExportError(f"{out}: is a folder — give a file name")
    return fmt


def write_atomic(out: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``out``, then rename it: never a half-written file.

    Raises:
        ExportError: the folder is not writable or the disk is full (the temporary file is removed).
    """
    suffix = out.suffix
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=suffix, dir=out.parent)
    except OSError as err:
        raise ExportError(f"{out}: cannot write here ({err.strerror or err}) — choose another --out") from err
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as err:
        raise ExportError(f"{out}: writing failed ({err.strerror or err}) — nothing was written") from err
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def save_figure(fig: Figure, out: Path, fmt: str, dpi: float) -> Path:
    """Save one figure atomically in ``fmt`` (png/svg/pdf) with the export's font settings."""
    def write(tmp: Path) -> None:
        with matplotlib.rc_context(rc_for(fmt)):
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt))
    return write_atomic(out, write)


def figure_bytes(fig: Figure, fmt: str, dpi: float) -> bytes:
    """A figure as bytes (the app's download buttons)."""
    import io

    buf = io.BytesIO()
    with matplotlib.rc_context(rc_for(fmt)):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_metadata(fmt))
    return buf.getvalue()


def rc_for(fmt: str) -> dict[str, Any]:
    """The export's settings for writing ``fmt``: a PDF embeds the lean DejaVu faces (:mod:`export_fonts`)."""
    return pdf_rc(RC) if fmt == "pdf" else RC


def _metadata(fmt: str) -> dict[str, Any]:
    if fmt == "pdf":
        return {"Creator": "Raumatlas", "CreationDate": None}
    if fmt == "svg":
        return {"Creator": "Raumatlas", "Date": None}
    return {"Software": "Raumatlas"}


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure outside pyplot's registry (no memory kept between exports, thread-safe)."""
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width_in, height_in), facecolor="white")


def wrap(text: str, width_in: float, size_pt: float) -> list[str]:
    """Lines of ``text`` that fit ``width_in`` inches at ``size_pt`` (DejaVu Sans averages ~0.56 em)."""
    chars = max(8, int(width_in * 72 / (size_pt * 0.56)))
    out: list[str] = []
    for para in str(text).splitlines() or [""]:
        out.extend(textwrap.wrap(para, chars, break_long_words=True, break_on_hyphens=False) or [""])
    return out


class Flow:
    """Text and pictures down A4 pages, top to bottom, a new page when one is full.

    Positions are inches from the page's top-left corner; ``footer`` is drawn on every page.
    """

    def __init__(self, footer: str, margin: float = 0.6) -> None:
        self.pages: list[Figure] = []
        self.margin = margin
        self.footer = footer
        self.width = A4_INCHES[0] - 2 * margin
        self.y = 0.0
        self._new_page()

    @property
    def fig(self) -> Figure:
        """The current page."""
        return self.pages[-1]

    def _new_page(self) -> None:
        fig = new_figure(*A4_INCHES)
        self.pages.append(fig)
        self.y = self.margin
        self._text(self.margin, A4_INCHES[1] - 0.35, wrap(self.footer, self.width - 0.4, 7)[0], 7, MUTED)
        self._text(A4_INCHES[0] - self.margin, A4_INCHES[1] - 0.35, str(len(self.pages)), 7, MUTED, ha="right")

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` inches still fit above the footer."""
        if self.y + height > A4_INCHES[1] - self.margin - 0.2 and self.y > self.margin + 0.01:
            self._new_page()

    def space(self, height: float) -> None:
        """Vertical gap."""
        self.y += height

    def _text(self, x: float, y: float, s: str, size: float, color: str = INK, **kw: Any) -> None:
        self.fig.text(x / A4_INCHES[0], 1 - y / A4_INCHES[1], s, fontsize=size, color=color, va="top",
                      parse_math=False, **kw)

    def para(self, s: str, size: float = 9.5, color: str = INK, weight: str = "normal", indent: float = 0.0,
             style: str = "normal", width: float | None = None) -> None:
        """A wrapped paragraph."""
        lines = wrap(s, (width or self.width) - indent, size)
        line_h = size * 1.35 / 72
        for line in lines:
            self.need(line_h)
            self._text(self.margin + indent, self.y, line, size, color, fontweight=weight, fontstyle=style)
            self.y += line_h

    def heading(self, s: str, size: float = 12.0) -> None:
        """A bold heading that never ends a page alone."""
        self.need(size * 1.4 / 72 + 0.5)
        self.space(0.08)
        self.para(s, size, weight="bold")
        self.space(0.03)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
              align: Sequence[str], size: float = 8.5) -> None:
        """A table; ``widths`` are fractions of the text width; long cells wrap within their column."""
        line_h = size * 1.3 / 72
        xs = np.cumsum([0.0, *widths[:-1]]) * self.width + self.margin
        cols_in = [w * self.width - 0.08 for w in widths]

        def draw_row(cells: Sequence[str], bold: bool) -> None:
            wrapped = [wrap(c, w, size) for c, w in zip(cells, cols_in, strict=True)]
            h = max(len(w) for w in wrapped) * line_h + 0.05
            self.need(h)
            for x, lines, a, cw in zip(xs, wrapped, align, cols_in, strict=True):
                for i, line in enumerate(lines):
                    xx = x + (cw if a == "right" else 0)
                    self._text(xx, self.y + 0.025 + i * line_h, line, size, INK,
                               fontweight="bold" if bold else "normal", ha=a)
            self.y += h
            self.fig.add_artist(Line2D(
                [self.margin / A4_INCHES[0], (self.margin + self.width) / A4_INCHES[0]],
                [1 - self.y / A4_INCHES[1]] * 2, color=RULE, linewidth=0.6))

        draw_row(header, True)
        for r in rows:
            draw_row(r, False)

    def axes(self, height: float, left: float = 0.0, width: float | None = None) -> Any:
        """An axes box ``height`` inches tall at the cursor (maps, charts); moves the cursor below it."""
        self.need(height)
        w = width if width is not None else self.width - left
        ax = self.fig.add_axes((
            (self.margin + left) / A4_INCHES[0], 1 - (self.y + height) / A4_INCHES[1],
            w / A4_INCHES[0], height / A4_INCHES[1]))
        self.y += height
        return ax
