"""One number format: a value reads the same in a map tooltip, a legend and a table, in both languages."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard.classify import classify, colors_for
from dashboard.i18n import format_number, format_value
from dashboard.legend import class_labels, legend_html
from dashboard.map_elements import GeoJsonLayer
from dashboard.maps import MapStyle, build_map
from dashboard.ranking import ranking_formatters

VALUES = [1234.5, 12.26, -3.5, 0.0]


def _tooltips(lang: str) -> dict[str, str]:
    layer = gpd.GeoDataFrame({"area_id": ["a", "b", "c", "d"], "name": list("ABCD"), "value": VALUES},
                             geometry=[box(11.5 + 0.01 * i, 48.1, 11.51 + 0.01 * i, 48.11) for i in range(4)],
                             crs="EPSG:4326")
    c = classify(layer["value"], "quantiles", 4)
    m = build_map(layer, MapStyle(classification=c, colors=tuple(colors_for(c, "neutral")), label="X", unit="%",
                                  lang=lang))
    areas = next(el for el in m._children.values() if isinstance(el, GeoJsonLayer))
    return {f["properties"]["area_id"]: f["properties"]["tt"] for f in areas.features}


@pytest.mark.parametrize(("lang", "expected"), [("de", ["1.234,5", "12,3", "\u22123,5", "0,0"]),
                                                ("en", ["1,234.5", "12.3", "\u22123.5", "0.0"])])
def test_tooltip_legend_and_table_print_a_value_alike(lang: str, expected: list[str]) -> None:
    tooltips = _tooltips(lang)
    table = ranking_formatters(pd.DataFrame({"value": VALUES, "coverage": 100.0}), lang, "v", "c")["v"]
    legend = class_labels(classify(VALUES, "quantiles", 4), lang, decimals=1)
    for area_id, value, text in zip("abcd", VALUES, expected, strict=True):
        assert table(value) == text
        assert f"<b>{format_value(value, '%', lang, 1)}</b>" in tooltips[area_id]
        assert format_value(value, "%", lang, 1).startswith(text)
    assert legend[0].startswith(expected[2]) and legend[-1].endswith(expected[0])  # lowest and highest break


def test_legend_html_uses_the_same_formatter() -> None:
    c = classify([1234.5, 2000.0, 3000.0], "equal_interval", 3)
    html = legend_html(c, colors_for(c, "neutral"), title="X", lang="de", decimals=1)
    assert format_number(1234.5, "de", 1) in html and "1234.5" not in html


def test_units_and_missing_values() -> None:
    assert format_value(12.26, "%", "de", 1) == "12,3 %" and format_value(12.26, "%", "en", 1) == "12.3%"
    assert format_value(1234, "Personen", "de") == "1.234 Personen"
    assert format_value(float("nan"), "%", "de") == "–" and format_number(None, "en") == "–"
    assert format_number(-0.04, "de", 1) == "0,0"  # no negative zero
    assert format_number(8.256, "de") == "8,26" and format_number(1234.56, "en") == "1,235"  # automatic decimals
