"""Colour ramps that stay readable with colour-vision deficiency, and the check that proves it.

Every ramp runs light -> dark and was chosen so that neighbouring classes differ by
a CIELAB distance (CIE76 ΔE) of at least :data:`MIN_DELTA_E` in normal vision *and*
after simulating deuteranopia and protanopia with the Machado, Oliveira & Fernandes
(2009) matrices at full severity. The sequential ramps are sampled from matplotlib's
perceptually uniform colormaps (``inferno`` for need, ``viridis`` for neutral values)
at the positions that maximise the smallest such distance; the diverging sides start
at the neutral centre. ``tests/test_palettes.py`` re-checks every ramp the app offers.

Pure (numpy only): :func:`simulate_cvd` and :func:`delta_e` are reusable for tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MIN_DELTA_E = 20.0
"""Smallest ΔE (CIE76) between neighbouring classes in every vision mode checked."""

NEED: dict[int, tuple[str, ...]] = {
    3: ("#fcffa4", "#c63d4d", "#160b39"),
    4: ("#fcffa4", "#f78410", "#cc4248", "#160b39"),
    5: ("#fcffa4", "#fac62d", "#de5238", "#b3325a", "#160b39"),
    6: ("#fcffa4", "#f4dd4f", "#e9612b", "#ca404a", "#a32c61", "#160b39"),
    7: ("#fcffa4", "#f3e55d", "#f1731d", "#d94d3d", "#bd3853", "#972766", "#160b39"),
}
"""The "need" ramp (inferno, light yellow -> near black): dark = more need for action."""

NEUTRAL: dict[int, tuple[str, ...]] = {
    3: ("#fde725", "#31b57b", "#440154"),
    4: ("#fde725", "#56c667", "#1f958b", "#440154"),
    5: ("#fde725", "#6ccd5a", "#2ab07f", "#27808e", "#440154"),
    6: ("#fde725", "#7ad151", "#3fbc73", "#1f9e89", "#2d708e", "#440154"),
    7: ("#fde725", "#84d44b", "#50c46a", "#27ad81", "#218e8d", "#32648e", "#440154"),
}
"""Neutral indicators (viridis, yellow -> dark violet): dark = higher value, no judgement."""

DIVERGING_CENTER = "#f7f7f7"
DIVERGING_MORE_NEED: tuple[str, ...] = ("#f4e156", "#de5238", "#b3325a", "#160b39")
"""Relative mode, the side that means more need (light -> darkest of all ramps)."""
DIVERGING_LESS_NEED: tuple[str, ...] = ("#a8cce7", "#569ccd", "#1d68aa", "#08306b")
"""Relative mode, the other side: blues, never darker than the need side's end."""

# Machado et al. (2009), severity 1.0, applied to linear RGB.
MACHADO: dict[str, np.ndarray] = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}
_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_D65 = np.array([0.95047, 1.0, 1.08883])

# Facility markers (maps, slides): blue and green, apart from every class ramp.
LOCATION_COLORS: dict[str, str] = {"kita": "#08519c", "youth_centre": "#1b7837"}


def hex_to_rgb(colour: str) -> np.ndarray:
    """``#rrggbb`` -> sRGB in 0..1."""
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float) / 255.0


def _linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _gamma(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


def simulate_cvd(rgb: np.ndarray, kind: str) -> np.ndarray:
    """SRGB (0..1) as seen with ``deuteranopia`` or ``protanopia`` (Machado 2009, full severity)."""
    return _gamma(MACHADO[kind] @ _linear(np.asarray(rgb, dtype=float)))


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """SRGB (0..1, D65) -> CIELAB."""
    xyz = _SRGB_TO_XYZ @ _linear(np.asarray(rgb, dtype=float)) / _D65
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str = "normal") -> float:
    """CIE76 ΔE between two hex colours as seen in ``vision`` (normal, deuteranopia, protanopia)."""
    ra, rb = hex_to_rgb(a), hex_to_rgb(b)
    if vision != "normal":
        ra, rb = simulate_cvd(ra, vision), simulate_cvd(rb, vision)
    return float(np.linalg.norm(to_lab(ra) - to_lab(rb)))


def min_neighbour_delta_e(colours: Sequence[str]) -> float:
    """The smallest ΔE between neighbouring colours over normal vision, deuteranopia and protanopia."""
    pairs = list(zip(colours, colours[1:], strict=False))
    if not pairs:
        return float("inf")
    return min(delta_e(a, b, v) for a, b in pairs for v in ("normal", "deuteranopia", "protanopia"))
