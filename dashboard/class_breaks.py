"""Class breaks as mapclassify computes them, without importing mapclassify where it is not needed.

:func:`dashboard.classify.classify` takes its breaks from here. Quantiles and equal intervals are
mapclassify's own formulas (2.x: ``Quantiles`` with scipy's ``scoreatpercentile``, ``EqualInterval``)
restated in numpy, float operation for float operation, so the app, the slides, the profiles and the
deck get the same breaks as before; ``tests/test_classify_parity.py`` compares them with mapclassify.
Only natural breaks (Fisher-Jenks) imports mapclassify, on first use.
"""

from __future__ import annotations

import warnings

import numpy as np


def class_breaks(valid: np.ndarray, method: str, k: int) -> np.ndarray:
    """Upper bounds as mapclassify computes them (warnings about reduced k are expected and silenced).

    Quantiles and equal intervals are mapclassify's own formulas, restated in numpy float for float
    (tests/test_classify_parity.py compares them), because importing mapclassify pulls in scipy.stats
    and scikit-learn (~1.5-2 s): a slide or a profile drawn in a new process would spend most of its
    time on that import. Fisher-Jenks still comes from mapclassify.
    """
    if method == "quantiles":
        return _quantile_bins(valid, k)
    if method == "equal_interval":
        return _equal_interval_bins(valid, k)
    import mapclassify  # only natural breaks needs it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Fisher-Jenks is exact and deterministic (NaturalBreaks is k-means with random starts);
        # it is O(k n²) in pure Python, so large inputs use evenly spaced order statistics.
        sample = np.sort(valid)
        if sample.size > 1000:
            sample = sample[np.unique(np.linspace(0, sample.size - 1, 1000).round().astype(int))]
        return np.asarray(mapclassify.FisherJenks(sample, k=k).bins, dtype=float)


def _quantile_bins(valid: np.ndarray, k: int) -> np.ndarray:
    """``mapclassify.Quantiles(valid, k).bins``: scipy's ``scoreatpercentile`` ("fraction") at 100/k steps."""
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    ordered = np.sort(np.asarray(valid, dtype=float).ravel())
    return np.unique(np.array([_score_at_percentile(ordered, float(pct)) for pct in p]))


def _score_at_percentile(ordered: np.ndarray, per: float) -> float:
    """scipy.stats' ``_compute_qth_percentile`` for one percentile, with its weights and their sum."""
    idx = per / 100. * (ordered.shape[0] - 1)
    i = int(idx)
    if i == idx:
        return float(np.add.reduce(ordered[i:i + 1] * np.array(1)) / 1.0)
    weights = np.array([(i + 1 - idx), (idx - i)], float)
    return float(np.add.reduce(ordered[i:i + 2] * weights) / weights.sum())


def _equal_interval_bins(valid: np.ndarray, k: int) -> np.ndarray:
    """``mapclassify.EqualInterval(valid, k).bins``: k equal widths from the minimum, the last cut the maximum."""
    y = np.asarray(valid).flatten()
    max_y, min_y = max(y), min(y)
    width = (max_y - min_y) * 1.0 / k
    cuts = np.arange(min_y + width, max_y + width, width)
    if len(cuts) > k:  # mapclassify's "overshooting"
        cuts = cuts[0:k]
    cuts[-1] = max_y
    return cuts.copy()
