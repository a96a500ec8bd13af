"""Offline folium maps (dashboard/maps.py, legend.py, offline.py), tested on rendered HTML."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from folium.plugins import Fullscreen
from shapely.geometry import Point, box

from dashboard.classify import NO_DATA_COLOR, classify, colors_for, relative_to_city
from dashboard.legend import legend_html
from dashboard.map_elements import GeoJsonLayer
from dashboard.maps import MapOverlays, MapStyle, build_map
from dashboard.offline import STATIC_URL, external_links, make_offline
from pipelines import config

XSS = "<img src=x onerror=alert(1)>"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    """Six 0.01° squares near Munich with values, one missing (under_300), one partial coverage, an XSS name."""
    geoms = [box(11.5 + 0.01 * i, 48.1 + 0.01 * j, 11.51 + 0.01 * i, 48.11 + 0.01 * j)
             for j in range(2) for i in range(3)]
    values = [10.0, 12.5, np.nan, 20.0, 1234.5, 15.0]
    gdf = gpd.GeoDataFrame(
        {
            "area_id": ["01", "02", "03", "04", "05", "06"],
            "name": [XSS, "Au", "Haidhausen", "Giesing", "Laim", "Pasing"],
            "value": values,
            "flag": ["", "", "under_300", "", "", ""],
            "coverage": [1.0, 0.87, 1.0, 1.0, 1.0, 1.0],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    gdf["rank"] = gdf["value"].rank(ascending=False, method="min")
    return gdf


OVERLAY_FIELDS = {f.name for f in fields(MapOverlays)}


def _map(gdf: gpd.GeoDataFrame, **kwargs) -> folium.Map:
    """A map of ``gdf`` with quantile classes; ``kwargs`` set fields of MapStyle or MapOverlays."""
    c = classify(gdf["value"], "quantiles", 3)
    args = dict(classification=c, colors=tuple(colors_for(c, "higher_is_worse")), label="Arbeitslose", unit="%",
                city_value=14.0, city_label="München gesamt") | kwargs
    overlays = MapOverlays(**{k: v for k, v in args.items() if k in OVERLAY_FIELDS})
    return build_map(gdf, MapStyle(**{k: v for k, v in args.items() if k not in OVERLAY_FIELDS}), overlays)


def _layers(m: folium.Map) -> list[GeoJsonLayer]:
    return [el for el in m._children.values() if isinstance(el, GeoJsonLayer)]


def _area_props(m: folium.Map) -> dict[str, dict]:
    areas = next(layer for layer in _layers(m) if layer.features[0]["properties"].get("layer") == "areas")
    return {f["properties"]["area_id"]: f["properties"] | {"style": areas.styles[f["properties"]["s"]]}
            for f in areas.features}


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\bsrc="([^"]*)"', html) + re.findall(r'<link[^>]*\bhref="([^"]*)"', html)


def _assert_local(html: str) -> None:
    urls = _asset_urls(html)
    assert urls, "expected at least the Leaflet links"
    for url in urls:
        assert not url.startswith(("http://", "https://", "//")), url
        assert url.startswith(STATIC_URL + "/"), url
        assert (STATIC_DIR / url.removeprefix("/app/static/")).is_file(), f"{url} is not vendored"


def _locations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [XSS, "Kita Sonnenschein"], "address": ["Weg 1 <b>", "Straße 2"], "provider": ["Träger & Co", None],
         "layer": ["kita", "youth_centre"], "category": ["Kita", "Jugendzentrum"]},
        geometry=[Point(11.505, 48.105), Point(11.515, 48.115)],
        crs="EPSG:4326",
    )


def _outlines(grid: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": ["hr3", "hr1"], "name": ["Rund um den Ostbahnhof", "Hasenbergl"], "short_name": ["HR 3", None],
         "approximate": [True, False], "status": ["aktiv", "aktiv"],
         "source_quote": [f"Der Handlungsraum {XSS} umfasst Teile", "Ganzer Stadtbezirk"],
         "source_url": ["https://www.muenchen.de/hr3.html", "javascript:alert(1)"]},
        geometry=[grid.geometry.iloc[:2].union_all(), grid.geometry.iloc[3]],
        crs="EPSG:4326",
    )


def test_all_assets_are_local_even_with_clusters_and_outlines(grid):
    m = _map(grid, outlines=_outlines(grid), locations=_locations())
    html = m.get_root().render()
    _assert_local(html)
    assert any("markercluster" in u for u in _asset_urls(html))
    assert external_links(m) == []
    assert "cdn" not in " ".join(_asset_urls(html))


def test_make_offline_refuses_unvendored_plugins(grid):
    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    with pytest.raises(ValueError, match="not vendored"):
        make_offline(m)


def test_make_offline_sets_instances_not_the_class():
    m = make_offline(folium.Map(tiles=None))
    _assert_local(m.get_root().render())
    assert folium.Map.default_js[0][1].startswith("https://")  # other maps in the process untouched


def test_data_text_is_escaped_everywhere(grid):
    m = _map(grid, outlines=_outlines(grid), locations=_locations())
    html = m.get_root().render()
    assert "<img src=x" not in html and "<b>" not in html  # markup only travels JSON-escaped inside scripts
    tooltip = _area_props(m)["01"]["tt"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in tooltip and "<img" not in tooltip
    outline = next(layer for layer in _layers(m) if layer.features[0]["properties"].get("layer") == "outlines")
    labels = {f["properties"]["area_id"]: f["properties"]["label"] for f in outline.features}
    assert all("<" not in label for label in labels.values())
    cluster = next(el for el in m._children.values() if type(el).__name__ == "FastMarkerCluster")
    popup_texts = " ".join(row[2] for row in cluster.data)
    assert "&lt;img" in popup_texts and "Weg 1 &lt;b&gt;" in popup_texts and "Träger &amp; Co" in popup_texts


def test_tooltips_carry_value_rank_flag_and_coverage_in_german(grid):
    props = _area_props(_map(grid))
    assert "Arbeitslose: <b>12,5 %</b>" in props["02"]["tt"]
    assert "Rang 4 von 5" in props["02"]["tt"]
    assert "87 % der Bevölkerung" in props["02"]["tt"]
    assert "87 %" not in props["04"]["tt"]  # full coverage is not mentioned
    assert "weniger als 300 Einwohner" in props["03"]["tt"]
    assert "1.234,5 %" in props["05"]["tt"]
    assert props["03"]["style"]["fillColor"] == NO_DATA_COLOR


def test_tooltips_in_english_and_city_value_once(grid):
    m = _map(grid, lang="en")
    props = _area_props(m)
    assert "Arbeitslose: <b>1,234.5%</b>" in props["05"]["tt"] and "rank 1 of 5" in props["05"]["tt"]
    assert "fewer than 300 residents" in props["03"]["tt"]
    html = m.get_root().render()
    assert html.count("gesamt: 14.0%") == 1  # one suffix for all tooltips (JSON-escaped), not one per feature


def test_relative_mode_classes_on_index(grid):
    rel = relative_to_city(grid["value"], 14.0)
    c = classify(rel, "quantiles", 3)
    m = build_map(grid, MapStyle(classification=c, colors=tuple(colors_for(c, "higher_is_worse", "relative")),
                                 label="Arbeitslose", unit="%", scale="relative", city_value=14.0))
    props = _area_props(m)
    assert "Index (Stadtwert = 100): 89" in props["02"]["tt"]
    assert "12,5 %" in props["02"]["tt"]  # the value keeps its own unit and decimals
    legend = legend_html(c, colors_for(c, "higher_is_worse", "relative"), title="Arbeitslose", unit="%",
                         mode="relative")
    assert "Stadt = 100" in legend and "relativ zum Stadtwert" in legend


def test_every_feature_has_area_id_for_clicks(grid):
    props = _area_props(_map(grid))
    assert set(props) == set(grid["area_id"])
    assert all(p["layer"] == "areas" and p["name"] for p in props.values())


def test_focus_dims_the_rest_and_zooms_to_focus(grid):
    m = _map(grid, focus_area_ids={"01", "02"})
    props = _area_props(m)
    focus_opacity = {props[a]["style"]["fillOpacity"] for a in ("01", "02")}
    other_opacity = {props[a]["style"]["fillOpacity"] for a in ("04", "05", "06")}
    assert min(focus_opacity) > max(other_opacity)
    bounds = next(el for el in m._children.values() if type(el).__name__ == "FitBounds").bounds
    assert bounds == [[48.1, 11.5], [48.11, 11.52]]


def test_selected_area_gets_a_thick_outline_and_keeps_its_fill(grid):
    m = _map(grid, selected_area_id="03")
    props = _area_props(m)
    assert props["03"]["style"]["weight"] > max(props[a]["style"]["weight"] for a in props if a != "03")
    plain = _area_props(_map(grid))
    assert props["03"]["style"]["fillColor"] == plain["03"]["style"]["fillColor"]  # the class colour stays


def test_map_fits_layer_bounds_without_focus(grid):
    m = _map(grid)
    bounds = next(el for el in m._children.values() if type(el).__name__ == "FitBounds").bounds
    assert np.allclose(bounds, [[48.1, 11.5], [48.12, 11.53]])
    assert all(p["style"]["fillOpacity"] == 0.8 for p in _area_props(m).values())


def test_outlines_dashed_and_labelled_when_approximate(grid):
    m = _map(grid, outlines=_outlines(grid))
    outline = next(layer for layer in _layers(m) if layer.features[0]["properties"].get("layer") == "outlines")
    by_id = {f["properties"]["area_id"]: f["properties"] for f in outline.features}
    assert by_id["hr3"]["label"] == "HR 3 (Näherung)"
    assert outline.styles[by_id["hr3"]["s"]].get("dashArray") and not outline.styles[by_id["hr1"]["s"]].get("dashArray")
    assert all(s["fill"] is False for s in outline.styles)  # clicks inside still reach the areas


def test_legend_has_k_classes_and_a_no_data_entry(grid):
    c = classify(grid["value"], "quantiles", 3)
    html = legend_html(c, colors_for(c, "higher_is_worse"), title="A <b>", unit="%", no_data_count=1, lang="de")
    assert html.count('class="ra-legend-class"') == c.k == 3
    assert html.count('class="ra-legend-nodata"') == 1 and "(1)" in html and NO_DATA_COLOR in html
    assert "A &lt;b&gt;" in html
    with pytest.raises(ValueError):
        legend_html(c, ["#000000"], title="x")
    rendered = _map(grid).get_root().render()
    assert "ra-legend" not in rendered  # the legend is drawn under the map, never over its areas


def test_bad_inputs_raise(grid):
    with pytest.raises(ValueError, match="EPSG:4326"):
        _map(grid.to_crs("EPSG:25832"))
    with pytest.raises(ValueError, match="duplicate"):
        _map(pd.concat([grid, grid.iloc[:1]]))
    with pytest.raises(ValueError, match="colours"):
        _map(grid, colors=["#000000"])


def test_optional_online_tiles_carry_attribution(grid):
    html = _map(grid, tiles="OpenStreetMap").get_root().render()
    assert "openstreetmap.org/copyright" in html
    _assert_local(html)


def _berlin_planungsraum() -> gpd.GeoDataFrame:
    """The build's web layer if there is one, else the raw LOR 2021 simplified like the pipeline (5 m)."""
    web = config.resolve_paths().out / config.WEB_DIR / config.web_layer_name("berlin", "planungsraum")
    if web.is_file():
        return gpd.read_file(web)
    raw = gpd.read_file(config.GEODATA_DIR / "raw" / "berlin" / "lor_2021" / "lor_planungsraeume_2021.shp")
    raw = raw.to_crs("EPSG:25833")
    geometry = shapely.coverage_simplify(raw.geometry.values, 5.0)
    return gpd.GeoDataFrame({"area_id": raw["PLR_ID"], "name": raw["PLR_NAME"]}, geometry=geometry,
                            crs="EPSG:25833").to_crs("EPSG:4326")


def test_berlin_planungsraum_map_stays_under_budget():
    layer = _berlin_planungsraum()
    assert len(layer) == 542
    rng = np.random.default_rng(0)
    layer["value"] = rng.gamma(2.0, 6.0, len(layer)).round(1)
    layer["rank"] = layer["value"].rank(ascending=False, method="min")
    layer["coverage"], layer["flag"] = 1.0, ""
    c = classify(layer["value"], "natural_breaks", 5)
    m = build_map(layer, MapStyle(classification=c, colors=tuple(colors_for(c, "higher_is_worse")),
                                  label="Arbeitslose", unit="%", city_value=9.8))
    html = m.get_root().render()
    assert len(html.encode()) <= config.WEB_PLR_MAX_BYTES
    _assert_local(html)
    data = re.search(r"L\.geoJson\((\{\"type\":\"FeatureCollection\".*?\}), \{", html, re.S)
    assert data is not None and len(json.loads(data.group(1))["features"]) == 542


def test_selected_area_is_drawn_last_so_its_outline_stays_visible(grid):
    layers = _layers(_map(grid, selected_area_id="03"))
    layer = next(la for la in layers if la.features[0]["properties"].get("layer") == "areas")
    assert layer.features[-1]["properties"]["area_id"] == "03"


def test_handlungsraum_outline_is_one_click_no_popup(grid):
    """A click on a Handlungsraum's line or label selects it (the app opens its profile); no popup covers the map."""
    m = _map(grid, outlines=_outlines(grid))
    outline = next(layer for layer in _layers(m) if layer.features[0]["properties"].get("layer") == "outlines")
    assert outline.popup is None and outline.click_label and outline.tooltip_options["interactive"] is True
    for f in outline.features:
        assert "popup" not in f["properties"]
        inside = shapely.Point(f["properties"]["px"], f["properties"]["py"])
        assert shapely.geometry.shape(f["geometry"]).buffer(1e-6).contains(inside)
    html = m.get_root().render()
    assert "bindPopup" not in html.split(outline.get_name())[1].split("addTo")[0]
    assert 'l.fire("click", {latlng: at, layer: l' in html
