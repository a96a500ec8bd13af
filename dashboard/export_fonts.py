"""The PDF exports' fonts: DejaVu Sans without its OpenType layout tables, embedded faster.

matplotlib embeds a TrueType subset of every font a PDF uses (``pdf.fonttype = 42``: real,
searchable text). fontTools spends most of that subsetting on DejaVu's GSUB/GPOS tables
(about 80 ms per font and document, ~40 % of writing a profile), although a PDF only needs
the glyphs. So the exports draw their PDFs with "Raumatlas Sans": the same DejaVu Sans
files (glyphs, metrics, character map and the legacy ``kern`` table, which the text layout
still applies) without GSUB, GPOS, GDEF, MATH and FontForge's timestamp. Only the optional
ligatures (fi, fl) are gone, which also makes copied text plain letters.

The lean copies are made once per machine into matplotlib's cache folder (atomically; two
processes may race harmlessly) and registered in each process. If that folder cannot be
written, :func:`pdf_rc` keeps DejaVu Sans: the PDF is the same, only slower to write.
The slides' PNG and SVG keep "DejaVu Sans" (an SVG names its font for the viewer).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager

LEAN_FAMILY = "Raumatlas Sans"
SOURCE_FAMILY = "DejaVu Sans"
_FACES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf")
_DROP = ("GSUB", "GPOS", "GDEF", "MATH", "FFTM")
_FORMAT = "1"  # bump when the recipe changes: a new cache file name


def pdf_rc(rc: dict[str, Any]) -> dict[str, Any]:
    """``rc`` for writing a PDF: the lean family first (texts created as "sans-serif" resolve to it)."""
    family = lean_family()
    if family == SOURCE_FAMILY:
        return rc
    sans = [family, *[f for f in matplotlib.rcParams["font.sans-serif"] if f != family]]
    return {**rc, "font.family": [family], "font.sans-serif": sans}


@cache
def lean_family() -> str:
    """Register the lean DejaVu faces (making them on first use); the family name to draw PDFs with.

    Falls back to :data:`SOURCE_FAMILY` when a face is missing or the cache cannot be written.
    """
    source_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        paths = [_lean_copy(source_dir / name) for name in _FACES]
    except (OSError, ImportError, KeyError):
        return SOURCE_FAMILY
    for path in paths:
        font_manager.fontManager.addfont(str(path))
    return LEAN_FAMILY


def _lean_copy(source: Path) -> Path:
    """The lean copy of one face in the cache folder, made if missing; named by its source and recipe."""
    import fontTools

    st = source.stat()
    key = hashlib.sha256(f"{source}|{st.st_size}|{st.st_mtime_ns}|{fontTools.version}|{_FORMAT}".encode())
    folder = Path(matplotlib.get_cachedir()) / "raumatlas-fonts"
    target = folder / f"{source.stem.replace('DejaVuSans', 'RaumatlasSans')}-{key.hexdigest()[:12]}.ttf"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".ttf", dir=folder)
    os.close(fd)
    try:
        _write_lean(source, Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _write_lean(source: Path, target: Path) -> None:
    from fontTools.ttLib import TTFont

    font = TTFont(str(source))
    for tag in _DROP:
        if tag in font:
            del font[tag]
    for rec in font["name"].names:  # a family of its own, so it never shadows the real DejaVu Sans
        if rec.nameID in (1, 3, 4, 16):
            rec.string = rec.toUnicode().replace(SOURCE_FAMILY, LEAN_FAMILY)
        elif rec.nameID == 6:
            rec.string = rec.toUnicode().replace("DejaVuSans", "RaumatlasSans")
    font.save(str(target))
