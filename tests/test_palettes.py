"""Neighbouring legend colours stay distinguishable under deuteranopia and protanopia (Machado 2009)."""

from __future__ import annotations

import pytest

from dashboard.classify import MAX_K, MIN_K, PUOR_CENTER, PUOR_ORANGE, PUOR_PURPLE, palette_for
from dashboard.palettes import MIN_DELTA_E, delta_e, hex_to_rgb, min_neighbour_delta_e, simulate_cvd, to_lab
from pipelines.registry import POLARITIES


@pytest.mark.parametrize("k", range(MIN_K, MAX_K + 1))
@pytest.mark.parametrize("polarity", POLARITIES)
@pytest.mark.parametrize("mode", ["own", "common", "relative"])
def test_neighbouring_classes_differ_under_cvd(k: int, polarity: str, mode: str) -> None:
    colours = palette_for(polarity, k, mode)
    assert len(colours) == k
    assert min_neighbour_delta_e(colours) >= MIN_DELTA_E, colours


@pytest.mark.parametrize("side", [PUOR_ORANGE, PUOR_PURPLE])
def test_relative_shades_differ_from_centre_and_each_other(side: tuple[str, ...]) -> None:
    assert min_neighbour_delta_e((PUOR_CENTER, *side)) >= MIN_DELTA_E


def test_more_need_side_ends_darkest() -> None:
    """The diverging palette's darkest colour means more need, like every other map."""
    darkest_need = to_lab(hex_to_rgb(PUOR_ORANGE[-1]))[0]
    darkest_other = to_lab(hex_to_rgb(PUOR_PURPLE[-1]))[0]
    assert darkest_need < darkest_other


def test_check_fails_for_the_old_ylorrd_ramp() -> None:
    """The check itself can fail: ColorBrewer YlOrRd (5) collapses under deuteranopia."""
    old = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
    assert min_neighbour_delta_e(old) < MIN_DELTA_E
    assert delta_e("#fecc5c", "#fd8d3c") > delta_e("#fecc5c", "#fd8d3c", "deuteranopia")


def test_simulation_keeps_greys_grey() -> None:
    grey = hex_to_rgb("#808080")
    for kind in ("deuteranopia", "protanopia"):
        assert abs(simulate_cvd(grey, kind) - grey).max() < 0.01
