"""What the app itself draws for a story, and a build with one area renamed (for the deck tests).

The deck reads the build through :class:`dashboard.build_files.BuildFolder`; :func:`app_view`
goes the app's way instead: the cached ``dashboard.loaders`` (run outside a Streamlit
server) handed to the public page context, ``page.build_page(state, choices,
loaders.BuildReader(version))``, exactly as ``views_main`` does. Its fills are computed
from that page's frame, classification and colours, independently of the folium map the
deck takes apart, so a drift between the two paths shows up as a colour mismatch.
"""

from __future__ import annotations

import logging
from html import escape
from urllib.parse import parse_qsl

import geopandas as gpd

from dashboard.build_files import BuildFolder
from dashboard.classify import NO_DATA_COLOR, relative_to_city
from dashboard.page import build_page
from dashboard.state import ViewState, parse_query
from pipelines.config import CITIES

logging.getLogger("streamlit").setLevel(logging.ERROR)  # "No runtime found" warnings of cached loaders


def app_view(query: str, lang: str = "de") -> tuple[ViewState, dict[str, tuple[list[str], dict[str, str]]]]:
    """The app's ViewState for a story query, and its colours: ``{city: (class colours, {area_id: fill})}``."""
    from dashboard import loaders

    version = loaders.build_version()
    choices = loaders.load_choices(version)
    state, notices = parse_query({**dict(parse_qsl(query)), "lang": lang}, choices)
    assert not notices, notices
    page = build_page(state, choices, loaders.BuildReader(version))
    out = {}
    for city in CITIES:
        shown = page.cities[city]
        if shown.frame is None or shown.classification is None:
            continue
        values = shown.frame["value"]
        if state.scale == "relative":
            values = relative_to_city(values, shown.city_value)
        fills = {str(a): shown.colors[i] if i >= 0 else NO_DATA_COLOR
                 for a, i in zip(shown.frame["area_id"], shown.classification.assign(values), strict=True)}
        out[city] = (list(shown.colors), fills)
    return state, out


def app_tooltips(query: str, lang: str = "de") -> dict[str, dict[str, tuple[str, str]]]:
    """What the app's tooltip of each area must say, from the app's own page by area id.

    ``{city: {area_id: (name as escaped HTML, value text or "" when the value is missing)}}``; the value is
    formatted by the one formatter with the decimals of the whole column (``legend.value_decimals``).
    """
    from dashboard import loaders
    from dashboard.i18n import catalog_text, format_value
    from dashboard.legend import value_decimals

    version = loaders.build_version()
    choices = loaders.load_choices(version)
    state, _ = parse_query({**dict(parse_qsl(query)), "lang": lang}, choices)
    page = build_page(state, choices, loaders.BuildReader(version))
    unit = catalog_text(page.entry, "unit", lang)
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for city in CITIES:
        frame = page.cities[city].frame
        if frame is None:
            continue
        d = value_decimals(frame["value"])
        out[city] = {str(a): (escape(str(n)), "" if v != v else escape(format_value(v, unit, lang, d)))
                     for a, n, v in zip(frame["area_id"], frame["name"], frame["value"], strict=True)}
    return out


def with_area_name(build: BuildFolder, city: str, level: str, area_id: str, name: str) -> BuildFolder:
    """A copy of ``build`` whose web layer ``city/level`` calls area ``area_id`` ``name`` (the rest unchanged).

    Its type is not one of the app's build readers, so the page memo (keyed by build version,
    which the edit does not change) computes its parts afresh instead of serving the real build's.
    """
    layer: gpd.GeoDataFrame = build.web_layer(city, level).copy()
    layer.loc[layer["area_id"] == area_id, "name"] = name

    class EditedBuild(BuildFolder):
        def web_layer(self, c: str, lv: str) -> gpd.GeoDataFrame:
            return layer if (c, lv) == (city, level) else super().web_layer(c, lv)

    return EditedBuild(out=build.out, geodata=build.geodata, manifest=build.manifest)
