"""What the app itself draws for a story: its own loaders, classification and colours (for deck tests).

The deck re-reads the build through plain functions; these helpers go the app's way
(``dashboard.loaders`` and ``dashboard.views_maps``, run outside a Streamlit server), so a
drift between the two paths shows up as a colour mismatch.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from dashboard.classify import NO_DATA_COLOR, colors_for, relative_to_city
from dashboard.state import CITIES, parse_query

logging.getLogger("streamlit").setLevel(logging.ERROR)  # "No runtime found" warnings of cached loaders


def app_view(query: str, lang: str = "de"):  # noqa: ANN201
    """The app's ViewState for a story query, and its colours: ``{city: (class colours, {area_id: fill})}``."""
    from dashboard import loaders, views_maps

    version = loaders.build_version()
    choices = loaders.load_choices(version)
    state, notices = parse_query({**dict(parse_qsl(query)), "lang": lang}, choices)
    assert not notices, notices
    frames = {c: views_maps._frame(state, version, c) for c in CITIES}
    city_values = {c: views_maps._city_value(state, version, c) for c in CITIES}
    classes = views_maps._classifications(state, frames, city_values)
    mode = views_maps.SCALE_TO_MODE[state.scale]
    polarity = loaders.catalog_by_id(version)[state.indicator].get("polarity", "neutral")
    out = {}
    for city in CITIES:
        frame, cls = frames[city], classes.get(city)
        if frame is None or cls is None:
            continue
        colours = colors_for(cls, polarity, mode)
        values = relative_to_city(frame["value"], city_values[city]) if mode == "relative" else frame["value"]
        fills = {str(a): colours[i] if i >= 0 else NO_DATA_COLOR
                 for a, i in zip(frame["area_id"], cls.assign(values), strict=True)}
        out[city] = (colours, fills)
    return state, out
