"""The map component's geometry encoding and per-run payload (pure; rendered by dashboard/map_component/)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from dashboard.classify import NO_DATA_COLOR, classify, colors_for
from dashboard.geometry_codec import FORMAT, decode_shapes, encode_layer
from dashboard.geometry_store import encoded_json, layer_geometry, publish_json
from dashboard.map_payload import geometry_ref, locations_payload, map_payload
from dashboard.maps import MapOverlays, MapStyle, build_map
from pipelines import config
from tests.test_maps import XSS, _locations, _outlines, grid  # noqa: F401 - fixture

PROCESSED = config.resolve_paths().out


def _style(gdf: gpd.GeoDataFrame, **kwargs) -> MapStyle:
    c = classify(gdf["value"], "quantiles", 3)
    args = dict(classification=c, colors=tuple(colors_for(c, "higher_is_worse")), label="Arbeitslose", unit="%",
                city_value=14.0, city_label="München gesamt") | kwargs
    return MapStyle(**args)


def _payload(gdf: gpd.GeoDataFrame, style: MapStyle, overlays: MapOverlays | None = None, **kw) -> dict:
    data = encode_layer(list(gdf.geometry), gdf["area_id"].tolist(), gdf["name"].tolist())
    return map_payload(gdf, style, overlays or MapOverlays(), geometry=geometry_ref(None, data), ids=data["ids"],
                       view="v", title="Karte", **kw)


def _tooltip_like_the_component(p: dict, names: list[str], i: int) -> str:
    """Python mirror of tooltipHtml() in dashboard/map_component/raumatlas_map.js."""
    lines = [f"<b>{escape(names[i])}</b>"]
    v = p["val"][i]
    if isinstance(v, int):
        lines.append(f"{p['label']}: <i>{p['flags'][v]}</i>")
    else:
        lines.append(f"{p['label']}: <b>{v}</b>")
        if p["rank"][i]:
            lines.append(p["rank_tpl"].replace("{rank}", str(p["rank"][i])).replace("{total}", str(p["rank_total"])))
    if p["rel"] and p["rel"][i] is not None:
        lines.append(p["rel_prefix"] + p["rel"][i])
    if p["cov"][i] is not None:
        lines.append(p["cov_tpl"].replace("{pct}", p["cov"][i]))
    return "<br>".join(lines) + p["suffix"]


def _folium_tooltips(m) -> dict[str, str]:  # noqa: ANN001
    from dashboard.map_elements import GeoJsonLayer

    layer = next(el for el in m._children.values() if isinstance(el, GeoJsonLayer)
                 and el.features[0]["properties"].get("layer") == "areas")
    return {f["properties"]["area_id"]: f["properties"]["tt"] + layer.suffix for f in layer.features}


# ---- geometry encoding ----

def test_round_trip_within_one_quantum():
    poly = box(13.1, 52.4, 13.2, 52.5).difference(box(13.12, 52.42, 13.14, 52.44))  # with a hole
    multi = MultiPolygon([box(13.3, 52.4, 13.31, 52.41), box(13.32, 52.4, 13.33, 52.41)])
    data = encode_layer([poly, multi, shapely.Polygon()], ["a", "b", "c"], ["A", "B", "C"])
    assert data["format"] == FORMAT and data["ids"] == ["a", "b", "c"]
    back = decode_shapes(json.loads(encoded_json(data)))
    assert back[0].geom_type == "Polygon" and len(back[0].interiors) == 1
    assert back[1].geom_type == "MultiPolygon" and len(back[1].geoms) == 2
    assert back[2].is_empty
    for a, b in zip([poly, multi], back[:2], strict=True):
        assert shapely.hausdorff_distance(a, b) <= 1e-5
        assert b.area == pytest.approx(a.area, rel=1e-6)


def test_rings_are_delta_coded_small_integers():
    data = encode_layer([box(13.0, 52.0, 13.001, 52.001)], ["a"], ["A"])
    ring = data["shapes"][0][0][0]
    assert all(isinstance(v, int) for v in ring)
    assert len(ring) == 8  # four vertices, the closing one left out
    assert max(abs(v) for v in ring[2:]) == 100  # 0.001 deg in 1e-5 deg steps


def test_encoding_rejects_points_and_mismatched_lengths():
    with pytest.raises(ValueError, match="areas only"):
        encode_layer([shapely.Point(13, 52)], ["a"], ["A"])
    with pytest.raises(ValueError, match="as many ids"):
        encode_layer([box(0, 0, 1, 1)], ["a", "b"], ["A"])


@pytest.mark.usefixtures("processed_build")
def test_real_planungsraum_layer_is_small_and_exact():
    """Berlin's 542 Planungsräume: <= 0.6 MB on the wire, Hausdorff <= 10 m against the coverage-simplified layer."""
    layer = gpd.read_file(PROCESSED / config.WEB_DIR / "berlin_planungsraum.geojson")
    data = encode_layer(list(layer.geometry), layer["area_id"].tolist(), layer["name"].tolist())
    size = len(encoded_json(data))
    geojson_size = (PROCESSED / config.WEB_DIR / "berlin_planungsraum.geojson").stat().st_size
    assert size <= 600_000 and size < geojson_size / 2, (size, geojson_size)
    metric = config.CITY_CRS["berlin"]
    original = layer.geometry.to_crs(metric)
    decoded = gpd.GeoSeries(decode_shapes(data), crs=config.WEB_CRS).to_crs(metric)
    worst = max(shapely.hausdorff_distance(a, b) for a, b in zip(original, decoded, strict=True))
    assert worst <= 10.0, worst


def test_publish_is_content_addressed(tmp_path: Path):
    url = publish_json("x_y", {"a": 1}, tmp_path)
    assert url is not None and url.startswith("/app/static/geo/x_y-") and url.endswith(".json")
    files = list((tmp_path / "geo").iterdir())
    assert len(files) == 1 and json.loads(files[0].read_text()) == {"a": 1}
    assert publish_json("x_y", {"a": 1}, tmp_path) == url  # same content, same file
    assert publish_json("x_y", {"a": 2}, tmp_path) != url


def test_unwritable_folder_falls_back_to_inline(tmp_path: Path, grid):  # noqa: F811
    blocker = tmp_path / "geo"
    blocker.write_text("a file where the folder should be")
    url, data = layer_geometry("v-test", "munich", "grid", grid, static_dir=tmp_path)
    assert url is None
    assert "inline" in geometry_ref(url, data)


# ---- payload ----

def test_payload_has_no_geometry_and_tooltips_match_the_folium_map(grid):  # noqa: F811
    style = _style(grid)
    p = _payload(grid, style)
    assert "coordinates" not in json.dumps({k: v for k, v in p.items() if k != "geometry"})
    tips = _folium_tooltips(build_map(grid, style))
    names = grid["name"].tolist()
    for i, area_id in enumerate(grid["area_id"]):
        assert _tooltip_like_the_component(p, names, i) == tips[area_id], area_id


@pytest.mark.parametrize("kwargs", [dict(scale="relative"), dict(lang="en", label="Unemployed"),
                                    dict(city_value=None)])
def test_tooltips_match_in_relative_english_and_without_city_value(grid, kwargs):  # noqa: F811
    style = _style(grid, **kwargs)
    p = _payload(grid, style)
    tips = _folium_tooltips(build_map(grid, style))
    for i, area_id in enumerate(grid["area_id"]):
        assert _tooltip_like_the_component(p, grid["name"].tolist(), i) == tips[area_id]


def test_classes_colours_focus_and_selection(grid):  # noqa: F811
    style = _style(grid)
    p = _payload(grid, style, MapOverlays(focus_area_ids=["02", "05"], selected_area_id="05"))
    assert p["cls"][2] == -1 and p["nodata"] == NO_DATA_COLOR  # the missing value
    assert p["colors"] == list(style.colors) and max(p["cls"]) == style.classification.k - 1
    assert p["focus"] == [1, 4] and p["selected"] == 4
    assert set(p["styles"]) == {"normal", "focus", "dimmed", "selected"}


def test_values_follow_the_geometry_order(grid):  # noqa: F811
    style = _style(grid)
    data = encode_layer(list(grid.geometry), grid["area_id"].tolist(), grid["name"].tolist())
    reordered = grid.iloc[::-1].reset_index(drop=True)
    p = map_payload(reordered, style, MapOverlays(), geometry=geometry_ref(None, data), ids=data["ids"], view="v",
                    title="t")
    q = _payload(grid, style)
    assert p["val"] == q["val"] and p["cls"] == q["cls"]


def test_payload_escapes_data_text(grid):  # noqa: F811
    style = _style(grid, label=XSS)
    outlines = _outlines(grid)
    o = encode_layer(list(outlines.geometry), outlines["area_id"].tolist(), outlines["name"].tolist())
    p = _payload(grid, style, MapOverlays(outlines=outlines), outline_geometry=geometry_ref(None, o),
                 outline_ids=o["ids"], locations={"rows": locations_payload(_locations(), "de")})
    text = json.dumps({k: v for k, v in p.items() if k != "geometry"}, ensure_ascii=False)
    assert "<img" not in text.replace("<img src=x", "")  # no raw markup from data
    assert "&lt;img src=x" in p["label"]
    items = p["outlines"]["items"]
    assert [i["approximate"] for i in items] == [True, False] and "Näherung" in items[0]["label"]
    # one click selects the Handlungsraum (no popup over the map): each item carries its id, no link from data
    assert [i["id"] for i in items] == outlines["area_id"].tolist() and all("popup" not in i for i in items)
    assert "javascript:" not in text


def test_outline_label_position_is_taken_from_the_data(grid):  # noqa: F811
    outlines = _outlines(grid).assign(label_lat=[48.105, np.nan], label_lon=[11.505, np.nan])
    o = encode_layer(list(outlines.geometry), outlines["area_id"].tolist(), outlines["name"].tolist())
    p = _payload(grid, _style(grid), MapOverlays(outlines=outlines), outline_geometry=geometry_ref(None, o),
                 outline_ids=o["ids"])
    assert [i["at"] for i in p["outlines"]["items"]] == [[48.105, 11.505], None]


def test_payload_refuses_bad_input(grid):  # noqa: F811
    style = _style(grid)
    with pytest.raises(ValueError, match="colours"):
        _payload(grid, MapStyle(classification=style.classification, colors=("#000000",), label="x"))
    with pytest.raises(ValueError, match="EPSG:4326"):
        _payload(grid.to_crs(3857), style)
