"""Point folium maps at the vendored Leaflet files instead of CDNs.

folium 0.20 links every map to Leaflet, jQuery, Bootstrap, Font Awesome and
awesome-markers on public CDNs, and st_folium loads them one after another: the
first failed request stops the map script and the frame stays blank offline.
Polygons need Leaflet only; clustered markers need Leaflet.markercluster. The
files live in ``static/vendor/`` (see its README for versions and licences) and
Streamlit serves them under ``/app/static/`` when ``server.enableStaticServing``
is on (``.streamlit/config.toml``).

Links are replaced on the element *instances* (``add_js_link`` would change the
class, i.e. every map in the process).
"""

from __future__ import annotations

from collections.abc import Iterator

import folium
from branca.element import Element
from folium.elements import JSCSSMixin

from pipelines import config

STATIC_URL = f"{config.STATIC_URL}/vendor"
"""URL prefix of the vendored files as served by Streamlit static serving."""

VENDOR_VERSIONS: dict[str, str] = {"leaflet": "1.9.4", "leaflet.markercluster": "1.5.3"}

LOCAL_JS: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
}
LOCAL_CSS: dict[str, str] = {
    "leaflet_css": "leaflet/leaflet.css",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
}
# folium.Map links these by default; only folium.Icon / awesome markers and Bootstrap
# popups use them, and this dashboard uses neither.
DROPPED: frozenset[str] = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)


def make_offline(m: folium.Map, static_url: str = STATIC_URL) -> folium.Map:
    """Rewrite the JS/CSS links of a map and all its elements to local files.

    Call it after every layer/plugin has been added and before rendering or
    passing the map to ``st_folium``.

    Args:
        m: the map; modified in place (instance attributes ``default_js`` /
            ``default_css`` of the map and of every plugin element).
        static_url: prefix under which ``static/vendor/`` is served
            (default ``/app/static/vendor``).

    Returns:
        The same map, for chaining.

    Raises:
        ValueError: an element needs an asset that is not vendored (e.g. a
            folium plugin nobody copied yet) — better a loud error than a blank map.
    """
    prefix = static_url.rstrip("/")
    for element in _walk(m):
        element.default_js = _localise(element, element.default_js, LOCAL_JS, prefix)
        element.default_css = _localise(element, element.default_css, LOCAL_CSS, prefix)
    return m


def external_links(m: folium.Map) -> list[str]:
    """All JS/CSS URLs the map's elements would load that are not served locally.

    Empty after :func:`make_offline`; useful in tests and as a guard in the app.
    """
    urls = [url for el in _walk(m) for _, url in [*el.default_js, *el.default_css]]
    return [u for u in urls if u.startswith(("http://", "https://", "//"))]


def _localise(element: Element, links: list[tuple[str, str]], local: dict[str, str], prefix: str) -> list:
    out = []
    for name, url in links:
        if name in local:
            out.append((name, f"{prefix}/{local[name]}"))
        elif name in DROPPED:
            continue
        elif url.startswith(prefix):
            out.append((name, url))
        else:
            raise ValueError(
                f"{type(element).__name__} needs {name} from {url}, which is not vendored in static/vendor/; "
                "copy it there (see static/vendor/README.md) and add it to dashboard/offline.py"
            )
    return out


def _walk(element: Element) -> Iterator[JSCSSMixin]:
    if isinstance(element, JSCSSMixin):
        yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)
