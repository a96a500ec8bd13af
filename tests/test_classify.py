"""Class breaks and palettes (dashboard/classify.py) and number formatting (dashboard/legend.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.classify import (
    NO_DATA_COLOR,
    PUOR_CENTER,
    PUOR_ORANGE,
    PUOR_PURPLE,
    classify,
    classify_common,
    colors_for,
    palette_for,
    relative_to_city,
)
from dashboard.i18n import format_number, format_value
from dashboard.legend import class_labels, decimals_for


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_quantiles_split_counts_evenly_and_ignore_nan():
    c = classify(pd.Series([*range(1, 11), np.nan], dtype=float), "quantiles", 5)
    assert c.k == 5
    assert c.counts == (2, 2, 2, 2, 2)
    assert c.n_missing == 1
    assert c.lower == 1.0 and c.breaks[-1] == 10.0


def test_equal_interval_has_equal_widths():
    c = classify(pd.Series([0.0, 1, 2, 10]), "equal_interval", 5)
    widths = np.diff([c.lower, *c.breaks])
    assert np.allclose(widths, 2.0)


def test_natural_breaks_are_deterministic_and_find_obvious_groups():
    values = pd.Series([1.0, 1.1, 1.2, 5.0, 5.1, 5.2, 9.0, 9.1, 9.3, 9.2])
    a = classify(values, "natural_breaks", 3)
    b = classify(values.sample(frac=1, random_state=3), "natural_breaks", 3)
    assert a.breaks == b.breaks == (1.2, 5.2, 9.3)


def test_fewer_unique_values_than_k_reduce_k():
    c = classify(pd.Series([1.0, 1, 1, 2, 2, 3]), "quantiles", 5)
    assert c.k == 3
    assert c.breaks == (1.0, 2.0, 3.0)
    assert list(c.assign([1, 2, 3])) == [0, 1, 2]


def test_all_nan_gives_no_classes():
    c = classify(pd.Series([np.nan, np.nan]), "natural_breaks", 4)
    assert c.k == 0 and c.breaks == () and c.n_missing == 2
    assert list(c.assign([1.0, np.nan])) == [-1, -1]
    assert colors_for(c, "higher_is_worse") == []


def test_single_value_gives_one_class():
    c = classify(pd.Series([3.0, 3.0, np.nan]), "equal_interval", 5)
    assert c.k == 1 and c.breaks == (3.0,)
    assert len(colors_for(c, "neutral")) == 1


def test_negative_values_are_classified():
    c = classify(pd.Series([-5.0, -3, -1, 0, 2, 4, 6, 8]), "quantiles", 4)
    assert c.lower == -5.0
    assert list(c.assign([-5.0, 8.0, 9.0, -6.0])) == [0, 3, -1, -1]


@pytest.mark.parametrize(("method", "k"), [("jenks", 5), ("quantiles", 2), ("quantiles", 8)])
def test_bad_arguments_raise(method, k):
    with pytest.raises(ValueError):
        classify(pd.Series([1.0, 2.0, 3.0]), method, k)


def test_common_scale_covers_both_cities():
    munich, berlin = pd.Series([1.0, 2, 3]), pd.Series([10.0, 20, 30, 40])
    c = classify_common([munich, berlin], "equal_interval", 3)
    assert c.lower == 1.0 and c.breaks[-1] == 40.0
    assert (c.assign(munich) == 0).all()  # Munich's low values share the lowest class
    assert c.assign(berlin)[-1] == 2


def test_relative_to_city():
    rel = relative_to_city(pd.Series([5.0, 10.0, np.nan], index=[7, 8, 9]), 10.0)
    assert rel.tolist()[:2] == [50.0, 100.0] and math.isnan(rel.iloc[2])
    assert list(rel.index) == [7, 8, 9]
    assert relative_to_city(pd.Series([5.0]), 0.0).isna().all()
    assert relative_to_city(pd.Series([5.0]), None).isna().all()


@pytest.mark.parametrize("k", range(3, 8))
def test_sequential_palettes_dark_means_need(k):
    worse = palette_for("higher_is_worse", k)
    better = palette_for("higher_is_better", k)
    assert len(worse) == len(set(worse)) == k
    assert better == worse[::-1]
    lum = [_luminance(c) for c in worse]
    assert lum == sorted(lum, reverse=True)  # darker as the value (= need) rises
    assert NO_DATA_COLOR not in worse + palette_for("neutral", k)
    assert palette_for("neutral", k) != worse


@pytest.mark.parametrize("k", range(1, 8))
def test_diverging_palette_has_neutral_middle_for_odd_k(k):
    colours = palette_for("higher_is_worse", k, "relative")
    assert len(colours) == k
    assert (colours[k // 2] == PUOR_CENTER) == (k % 2 == 1)


def test_relative_colours_centre_on_100_and_follow_polarity():
    c = classify(pd.Series([50.0, 80, 100, 120, 200]), "quantiles", 5)  # breaks 50, 80, 100, 120, 200
    worse = colors_for(c, "higher_is_worse", "relative")
    assert worse[2] == PUOR_CENTER  # the class ending at 100 contains the city value
    assert worse[0] in PUOR_PURPLE and worse[1] in PUOR_PURPLE
    assert worse[3] in PUOR_ORANGE and worse[4] in PUOR_ORANGE
    assert _luminance(worse[4]) < _luminance(worse[3])  # further from 100 = darker
    better = colors_for(c, "higher_is_better", "relative")
    assert better[0] in PUOR_ORANGE and better[4] in PUOR_PURPLE


def test_relative_colours_when_everything_is_above_100():
    c = classify(pd.Series([110.0, 120, 130, 140]), "equal_interval", 4)
    colours = colors_for(c, "higher_is_worse", "relative")
    assert len(colours) == 4 and PUOR_CENTER not in colours
    assert all(col not in PUOR_PURPLE for col in colours)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))), min_size=0, max_size=60),
    st.sampled_from(["quantiles", "equal_interval", "natural_breaks"]),
    st.integers(3, 7),
)
def test_every_valid_value_lands_in_exactly_one_class(values, method, k):
    series = pd.Series(values, dtype=float)
    c = classify(series, method, k)
    valid = series.dropna()
    assert c.k <= (k if method == "equal_interval" and valid.nunique() > 1 else min(k, valid.nunique()))
    assert list(c.breaks) == sorted(set(c.breaks))
    idx = c.assign(series)
    assert ((idx >= 0) == series.notna().to_numpy()).all()
    assert sum(c.counts) == len(valid)
    assert len(palette_for("higher_is_better", c.k)) == c.k if c.k else True


def test_number_format_german_and_english():
    assert format_number(1234567.891, "de", 1) == "1.234.567,9"
    assert format_number(1234567.891, "en", 2) == "1,234,567.89"
    assert format_number(-0.04, "de", 1) == "0,0"
    assert format_number(-3.5, "de", 1) == "\u22123,5"
    assert format_number(float("nan"), "de") == "–"
    assert format_value(12.34, "%", "de", 1) == "12,3 %"
    assert format_value(12.34, "%", "en", 1) == "12.3%"


def test_class_labels_and_decimals():
    c = classify(pd.Series([0.11, 0.12, 0.13, 0.5, 0.9]), "quantiles", 3)
    assert decimals_for(c) >= 2
    labels = class_labels(c, "de")
    assert len(labels) == c.k and labels[0].startswith("0,11")
    assert len(set(labels)) == c.k


def test_relative_shade_follows_distance_from_100_not_class_position():
    # Two classes just above 100 and one far above: only the far one is dark; the near ones stay pale.
    c = classify(pd.Series([80.0, 90, 95, 102, 104, 106, 108, 110, 300]), "quantiles", 5)
    colours = colors_for(c, "higher_is_worse", "relative")
    assert colours[1] == PUOR_CENTER  # 93 - 102.4 contains the city value
    assert colours[2] == colours[3] == PUOR_ORANGE[0]
    assert colours[4] == PUOR_ORANGE[-1]
    assert colours[0] in PUOR_PURPLE[:2]  # 80 - 93: clearly but not extremely below
