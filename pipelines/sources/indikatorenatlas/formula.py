"""Infer how an Indikatorenatlas value follows from its Basiswerte.

The export gives, per row, the published value (rounded to its published precision) and
up to five Basiswerte (themselves rounded, e.g. annual means "19.8"), but not the
formula. A candidate formula x scale is accepted when, for (almost) every Stadtbezirk
row, the range of values the rounded Basiswerte allow meets the range of numbers that
round to the published value (interval arithmetic, so rounding never causes a false
miss). The simplest candidate wins a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_BASISWERTE = 5
SCALES: tuple[int, ...] = (1, 100, 1000)
MIN_DISTRICT_FIT = 0.95  # share of district values a formula must reproduce to be accepted


@dataclass(frozen=True)
class Formula:
    """Value = scale * (signed sum of Basiswerte ``terms``) / Basiswert ``den``; without ``den`` a count."""

    name: str
    terms: tuple[int, ...]  # 1-based Basiswert numbers, negative = subtracted
    den: int | None
    scale: int = 1

    @property
    def needs(self) -> tuple[int, ...]:
        """Basiswert numbers the formula reads."""
        return tuple(abs(t) for t in self.terms) + ((self.den,) if self.den else ())

    def parts(self, b: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Numerator, its rounding half-width, denominator, its half-width (NaN denominators for counts)."""
        num = np.sum([np.sign(t) * b[:, abs(t) - 1] for t in self.terms], axis=0)
        num_e = np.sum([e[:, abs(t) - 1] for t in self.terms], axis=0)
        if self.den is None:
            nan = np.full(len(b), np.nan)
            return num, num_e, nan, nan
        return num, num_e, b[:, self.den - 1], e[:, self.den - 1]

    def value(self, b: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Point value from (unrounded or summed) Basiswerte."""
        num, _, den, _ = self.parts(b, e)
        if self.den is None:
            return num
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.scale * num / den


# Candidate formulas, simplest first (a tie keeps the simpler one).
FORMULAS: tuple[Formula, ...] = (
    Formula("b1", (1,), None), Formula("b1-b2", (1, -2), None), Formula("b1/b2", (1,), 2),
    Formula("(b1-b2)/b3", (1, -2), 3), Formula("(b1+b2)/b3", (1, 2), 3),
    Formula("(b1+b2+b3+b4)/b5", (1, 2, 3, 4), 5), Formula("(b1-b2+b3-b4)/b5", (1, -2, 3, -4), 5),
)


def basis(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Basiswerte ``b1..b5`` and their half rounding units ``e1..e5`` as (n, 5) arrays."""
    b = df[[f"b{i}" for i in range(1, MAX_BASISWERTE + 1)]].to_numpy(dtype=float)
    e = df[[f"e{i}" for i in range(1, MAX_BASISWERTE + 1)]].to_numpy(dtype=float)
    return b, e


def interval(f: Formula, b: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest value the formula can give, given the rounding of the Basiswerte."""
    num, num_e, den, den_e = f.parts(b, e)
    if f.den is None:
        return num - num_e, num + num_e
    with np.errstate(divide="ignore", invalid="ignore"):
        corners = np.stack([f.scale * (num + sn * num_e) / (den + sd * den_e) for sn in (-1, 1) for sd in (-1, 1)])
    valid = (den - den_e) > 0
    return np.where(valid, corners.min(axis=0), np.nan), np.where(valid, corners.max(axis=0), np.nan)


def matches(lo: np.ndarray, hi: np.ndarray, published: np.ndarray, decimals: int) -> np.ndarray:
    """True where [lo, hi] meets the numbers that round to ``published`` at ``decimals`` places."""
    h = 0.5 * 10.0 ** -decimals * (1 + 1e-9) + 1e-12
    with np.errstate(invalid="ignore"):
        return (hi >= published - h) & (lo <= published + h)


def infer_formula(dist: pd.DataFrame, decimals: int) -> tuple[Formula | None, float]:
    """The simplest formula x scale that reproduces the published district values, and its fit (0..1).

    ``dist`` has ``value``, ``b1..b5`` and ``e1..e5``. Returns ``(None, best_fit)`` when no
    candidate reaches :data:`MIN_DISTRICT_FIT`.
    """
    b, e = basis(dist)
    return fit_formula(b, e, dist["value"].to_numpy(dtype=float), decimals)


def fit_formula(b: np.ndarray, e: np.ndarray, published: np.ndarray, decimals: int) -> tuple[Formula | None, float]:
    """:func:`infer_formula` on arrays: Basiswerte ``b``, half-units ``e`` (n, 5), published values (n)."""
    best: tuple[float, Formula | None] = (0.0, None)
    for f in FORMULAS:
        usable = ~np.isnan(published) & ~np.isnan(b[:, [i - 1 for i in f.needs]]).any(axis=1)
        if not usable.any():
            continue
        for scale in SCALES if f.den else (1,):
            cand = Formula(f.name, f.terms, f.den, scale)
            lo, hi = interval(cand, b[usable], e[usable])
            fit = float(matches(lo, hi, published[usable], decimals).mean())
            if fit > best[0] + 1e-12:
                best = (fit, cand)
    return (best[1], best[0]) if best[0] >= MIN_DISTRICT_FIT else (None, best[0])
