"""Class breaks and colours for choropleth maps (pure, no Streamlit).

Colour convention, the same on every map: **dark = more need for action**.

- ``higher_is_worse`` (e.g. unemployment rate): light → dark as the value rises.
- ``higher_is_better`` (e.g. childcare coverage): the ramp is reversed, so the
  *lowest* values are darkest.
- ``neutral`` (e.g. share of 6-14 year olds): a separate viridis-like ramp, dark = high,
  deliberately not the warm "need" ramp, because no judgement is implied.
- Relative mode (city = 100): a diverging ramp, light grey around 100; the side
  that means more need runs to the darkest colour of all (warm), the other side to
  a lighter blue. For ``neutral`` indicators above 100 takes the warm side.

Missing or suppressed values get :data:`NO_DATA_COLOR`, never a class colour.
All ramps come from :mod:`dashboard.palettes`, checked under deuteranopia and protanopia.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.class_breaks import class_breaks
from dashboard.palettes import DIVERGING_CENTER, DIVERGING_LESS_NEED, DIVERGING_MORE_NEED, NEED, NEUTRAL
from pipelines.registry import POLARITIES

METHODS: tuple[str, ...] = ("quantiles", "equal_interval", "natural_breaks")
"""Classification methods, in picker order; the first is the default (also of a URL without ``cls``)."""
SCALES: tuple[str, ...] = ("own", "common", "relative")
"""How the two maps share colours: each city its own breaks, one common scale, or relative to the city
value (= 100). These are also the ``scale`` values of a shared URL, so they never change."""
MIN_K, MAX_K = 3, 7
"""Allowed number of classes (ColorBrewer ramps exist for 3..7)."""
RELATIVE_CENTER = 100.0

NO_DATA_COLOR = "#c4c4c4"
"""Fill for missing/suppressed values: mid-light grey, distinct from every class colour."""

# Ramps tested for colour-vision deficiency (dashboard.palettes; tests/test_palettes.py checks them).
YLORRD: dict[int, tuple[str, ...]] = NEED  # historical name: the "need" ramp (now inferno-like)
YLGNBU: dict[int, tuple[str, ...]] = NEUTRAL  # historical name: the neutral ramp (now viridis-like)
# Relative mode: the neutral centre and the two sides, each light -> dark (historical PuOr names).
PUOR_CENTER = DIVERGING_CENTER
RELATIVE_FULL_SHADE = math.log(1.5)  # |ln(value / city)| at which the relative ramps reach their darkest
PUOR_ORANGE: tuple[str, ...] = DIVERGING_MORE_NEED
PUOR_PURPLE: tuple[str, ...] = DIVERGING_LESS_NEED


@dataclass(frozen=True)
class Classification:
    """Class breaks of one map (or of both cities on a common scale).

    Attributes:
        method: ``quantiles``, ``equal_interval`` or ``natural_breaks``.
        k: number of classes actually formed (may be below the requested k when
            there are fewer distinct values; 0 when every value is missing).
        breaks: upper bound of each class, ascending (``len(breaks) == k``); the
            last one is the maximum value.
        lower: the minimum value (lower bound of the first class); NaN when k == 0.
        counts: number of valid values per class in the classified data.
        n_missing: number of NaN values in the classified data.
    """

    method: str
    k: int
    breaks: tuple[float, ...]
    lower: float
    counts: tuple[int, ...] = ()
    n_missing: int = 0

    @property
    def bounds(self) -> list[tuple[float, float]]:
        """(lower, upper) of every class; class i covers ``(breaks[i-1], breaks[i]]``."""
        lowers = [self.lower, *self.breaks[:-1]]
        return list(zip(lowers, self.breaks, strict=True))

    def assign(self, values: pd.Series | Sequence[float]) -> np.ndarray:
        """Class index (0..k-1) of each value; -1 for NaN or values outside the breaks.

        Values are compared with the breaks as upper-inclusive bounds, so values
        from the classified data always land in a class; values of *another*
        series (e.g. one city on a common scale) beyond the range get -1 only if
        they are above the top break or below ``lower``.
        """
        arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
        out = np.full(arr.shape, -1, dtype=int)
        if self.k == 0:
            return out
        ok = ~np.isnan(arr)
        idx = np.searchsorted(np.asarray(self.breaks), arr[ok], side="left")
        idx = np.where(idx >= self.k, -1, idx)
        # Tolerate float noise at the top (e.g. a relative value 1e-12 above the max).
        top_noise = np.isclose(arr[ok], self.breaks[-1], rtol=1e-9, atol=1e-12)
        idx = np.where(top_noise, self.k - 1, idx)
        below = arr[ok] < self.lower - 1e-9 * max(1.0, abs(self.lower))
        idx = np.where(below, -1, idx)
        out[ok] = idx
        return out


def classify(values: pd.Series | Sequence[float], method: str = "quantiles", k: int = 5) -> Classification:
    """Compute class breaks for a choropleth.

    Args:
        values: indicator values in their unit (NaN = missing; ignored for the breaks).
        method: ``quantiles`` (equal counts), ``equal_interval`` (equal widths) or
            ``natural_breaks`` (Fisher-Jenks, deterministic).
        k: requested number of classes, 3..7. For quantiles and natural breaks
            it is reduced when there are fewer distinct values (one class per
            value); equal intervals keep k and may have empty classes. A single
            value gives one class, all-NaN gives k == 0. Negative values are fine.

    Returns:
        A :class:`Classification` whose breaks are strictly increasing.

    Raises:
        ValueError: unknown method or k outside 3..7.
    """
    if method not in METHODS:
        raise ValueError(f"unknown classification method {method!r}; use one of {', '.join(METHODS)}")
    if not MIN_K <= int(k) <= MAX_K:
        raise ValueError(f"k must be between {MIN_K} and {MAX_K}, got {k}")
    arr = np.array(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)  # a writable copy
    arr[np.isinf(arr)] = np.nan
    valid = arr[~np.isnan(arr)]
    n_missing = int(arr.size - valid.size)
    if valid.size == 0:
        return Classification(method, 0, (), float("nan"), (), n_missing)
    uniq = np.unique(valid)
    if uniq.size == 1 or (uniq.size <= k and method != "equal_interval"):
        breaks = uniq  # one class per distinct value (equal intervals may stay empty instead)
    else:
        breaks = class_breaks(valid, method, int(k))
    breaks = np.unique(np.append(breaks[breaks < valid.max()], valid.max()))
    cls = Classification(method, int(breaks.size), tuple(float(b) for b in breaks), float(valid.min()))
    counts = np.bincount(cls.assign(valid), minlength=cls.k)
    return Classification(cls.method, cls.k, cls.breaks, cls.lower, tuple(int(c) for c in counts), n_missing)


def classify_common(series: Iterable[pd.Series], method: str = "quantiles", k: int = 5) -> Classification:
    """One set of breaks for several cities: classify their concatenated values.

    Use it for the "common scale" mode so that the same colour means the same
    value in both maps. Counts refer to the concatenation.
    """
    parts = [pd.Series(s, dtype="float64").reset_index(drop=True) for s in series]
    return classify(pd.concat(parts, ignore_index=True) if parts else pd.Series(dtype="float64"), method, k)


def relative_to_city(values: pd.Series, city_value: float | None) -> pd.Series:
    """Express values relative to the city's value: ``100 * value / city_value`` (city = 100).

    Returns an all-NaN series (same index) when the city value is missing or 0,
    because the index is undefined then.
    """
    vals = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")
    if city_value is None or not np.isfinite(city_value) or city_value == 0:
        return pd.Series(np.nan, index=vals.index, dtype="float64", name=vals.name)
    return 100.0 * vals / float(city_value)


def map_classes(values: pd.Series | Sequence[float], classification: Classification, scale: str = "own",
                city_value: float | None = None) -> np.ndarray:
    """Class index (-1 = no value) of each area as the maps colour it: relative scale on ``100 * value / city``.

    The one assignment of the maps, their legends' counts and the exported slides.
    """
    numeric = pd.to_numeric(pd.Series(values), errors="coerce")
    return classification.assign(relative_to_city(numeric, city_value) if scale == "relative" else numeric)


def palette_for(polarity: str, k: int, mode: str = "own") -> list[str]:
    """Class colours (hex), ordered from the lowest class to the highest.

    Args:
        polarity: ``higher_is_worse``, ``higher_is_better`` or ``neutral``
            (see the module docstring for the convention).
        k: number of classes, 1..7 (1 and 2 reuse the 3-class ramp's ends).
        mode: ``own``/``common`` give a sequential ramp; ``relative`` a
            diverging ramp with the neutral colour in the middle (odd k) — use
            :func:`colors_for` to centre it exactly on 100.
    """
    _check_polarity(polarity)
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
    if mode == "relative":
        below, above = k // 2, k // 2
        center = [PUOR_CENTER] if k % 2 else []
        return _diverging(polarity, below, above, center)
    ramp = YLGNBU if polarity == "neutral" else YLORRD
    if k >= MIN_K:
        colours = list(ramp[k])
    else:  # 1 or 2 distinct values: the 3-class ramp's middle, or its two ends
        colours = [ramp[MIN_K][1]] if k == 1 else [ramp[MIN_K][0], ramp[MIN_K][2]]
    return colours[::-1] if polarity == "higher_is_better" else colours


def colors_for(classification: Classification, polarity: str, mode: str = "own") -> list[str]:
    """Colours for the classes of ``classification`` (one per class, lowest first).

    In ``relative`` mode the diverging ramp is centred on 100: classes entirely
    below 100 take the "below" side, classes entirely above the "above" side,
    a class containing 100 gets the neutral centre colour, and the shade grows
    with the distance from 100. Other modes return :func:`palette_for`.
    """
    if classification.k == 0:
        return []
    if mode != "relative":
        return palette_for(polarity, classification.k, mode)
    _check_polarity(polarity)
    worse_above = polarity != "higher_is_better"
    above_ramp, below_ramp = (PUOR_ORANGE, PUOR_PURPLE) if worse_above else (PUOR_PURPLE, PUOR_ORANGE)
    # Shade by how far a class lies from the city value (log ratio of its midpoint),
    # not by its position: a lone class far above 100 must look as strong as it is.
    sides, distances = [], []
    for lo, hi in classification.bounds:
        side = "below" if hi < RELATIVE_CENTER else "above" if lo >= RELATIVE_CENTER else "center"
        mid = max((lo + hi) / 2, 1e-9)
        sides.append(side)
        distances.append(abs(math.log(mid / RELATIVE_CENTER)) if side != "center" else 0.0)
    # Full strength from a factor of 1.5 off the city value on: a map whose areas all lie
    # within a few percent of the city stays pale instead of looking dramatic.
    far = max(*distances, RELATIVE_FULL_SHADE)
    colours = []
    for side, d in zip(sides, distances, strict=True):
        if side == "center":
            colours.append(PUOR_CENTER)
            continue
        ramp = above_ramp if side == "above" else below_ramp
        colours.append(ramp[max(0, math.ceil(d / far * len(ramp)) - 1)])
    return colours


def _diverging(polarity: str, n_below: int, n_above: int, center: list[str]) -> list[str]:
    """Below-100 colours (darkest first), centre, above-100 colours (lightest first)."""
    worse_above = polarity != "higher_is_better"
    above_ramp, below_ramp = (PUOR_ORANGE, PUOR_PURPLE) if worse_above else (PUOR_PURPLE, PUOR_ORANGE)
    side = max(n_below, n_above)
    below = _pick(below_ramp, side)[:n_below][::-1]
    above = _pick(above_ramp, side)[:n_above]
    return below + center + above


def _pick(ramp: Sequence[str], n: int) -> list[str]:
    """Pick n colours from a light → dark ramp, spread evenly, interpolating when n > len(ramp)."""
    if n <= 0:
        return []
    if n == 1:
        return [ramp[len(ramp) // 2]]
    rgb = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in ramp], dtype=float)
    pos = np.linspace(0, len(ramp) - 1, n) if n > len(ramp) else np.round(np.linspace(0, len(ramp) - 1, n))
    out = []
    for p in pos:
        lo = int(np.floor(p))
        hi = min(lo + 1, len(ramp) - 1)
        c = rgb[lo] + (rgb[hi] - rgb[lo]) * (p - lo)
        out.append("#" + "".join(f"{int(round(v)):02x}" for v in c))
    return out


def _check_polarity(polarity: str) -> None:
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; use one of {', '.join(POLARITIES)}")
