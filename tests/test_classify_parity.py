"""The numpy class breaks (dashboard.class_breaks) are mapclassify's, bit for bit.

Quantiles and equal intervals are restated without mapclassify so that a new export
process does not import scipy.stats and scikit-learn; any difference in the last bit
would move an area across a break, so the comparison is exact, not approximate.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.class_breaks import class_breaks

mapclassify = pytest.importorskip("mapclassify")


def _reference(valid: np.ndarray, method: str, k: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls = mapclassify.Quantiles if method == "quantiles" else mapclassify.EqualInterval
        return np.asarray(cls(valid, k=k).bins, dtype=float)


def _samples() -> list[np.ndarray]:
    rng = np.random.default_rng(9)
    out = [rng.normal(10, 3, n) for n in (4, 7, 12, 25, 143, 542, 1001)]
    out += [rng.lognormal(0, 1.5, 300), rng.integers(0, 6, 80).astype(float),  # skewed, many ties
            np.round(rng.uniform(-5, 5, 97), 1), rng.uniform(0, 1e-6, 50), rng.uniform(1e5, 1e7, 60),
            100 * rng.uniform(0.3, 2.1, 143) / 0.9]  # relative scale values
    return out


@pytest.mark.parametrize("method", ["quantiles", "equal_interval"])
def test_breaks_equal_mapclassify_bit_for_bit(method: str) -> None:
    for i, valid in enumerate(_samples()):
        for k in range(3, 8):
            ours, ref = class_breaks(valid, method, k), _reference(valid, method, k)
            assert ours.dtype == ref.dtype and ours.shape == ref.shape, (i, k)
            assert np.array_equal(ours, ref), (i, k, ours.tolist(), ref.tolist())


def test_breaks_of_the_bundled_indicators_equal_mapclassify(processed_build: Path) -> None:
    """Every indicator, level and period of the real build, as the app classifies them."""
    values = pd.read_parquet(processed_build / "indicators.parquet", columns=["city", "level", "indicator_id",
                                                                               "period", "value"])
    groups = values.dropna(subset=["value"]).groupby(["city", "level", "indicator_id", "period"])["value"]
    checked = 0
    for key, series in groups:
        valid = series.to_numpy(dtype=float)
        if np.unique(valid).size <= 7:
            continue
        for method in ("quantiles", "equal_interval"):
            for k in (3, 5, 7):
                assert np.array_equal(class_breaks(valid, method, k), _reference(valid, method, k)), (key, method, k)
                checked += 1
    assert checked > 1000, json.dumps(checked)
