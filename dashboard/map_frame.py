"""The map component's frame as one file: Leaflet, the map's CSS and its scripts inline in ``index.html``.

On a first visit each of the two map frames loaded seven files (Leaflet's CSS and JS, the map's CSS
and four scripts) after its ``index.html``, and the browser fetches at most six at a time from one
host: the second frame's scripts waited for the first frame's. Inline, a frame needs its
``index.html`` only (measured against the separate files, visits alternated, three runs: first visit
-0.07 to -0.09 s, repeat visit -0.02 to -0.10 s; issue 11).

The sources stay separate files in ``dashboard/map_component/`` (``index.html`` loads them and works
as it is; it is the fallback). :func:`write_frame` writes the inlined copy once per process into a
folder of its own, which :mod:`dashboard.views_map_component` declares as the component.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from pipelines.config import STATIC_URL

_STATIC = f"{STATIC_URL}/"

_TAG = re.compile(r'<link rel="stylesheet" href="([^"]+)">|<script src="([^"]+)"></script>')
_CSS_URL = re.compile(r"url\((?!['\"]?(?:[a-z]+:|/|#))(['\"]?)([^)'\"]+)\1\)")


def inline_safe(text: str) -> str:
    r"""Nothing in an inlined file may close its ``<script>``/``<style>``: ``</`` becomes ``<\/``.

    The same text where it occurs in the inlined files (JS strings); the deck inlines with it too.
    """
    return text.replace("</", "<\\/")


def inline_frame(html: str, read: Callable[[str], str]) -> str:
    """``html`` with each local stylesheet link and script tag replaced by the file's text (``read(url)``)."""
    def inline(m: re.Match[str]) -> str:
        href, src = m.group(1), m.group(2)
        text = inline_safe(read(href or src))
        return f"<style>\n{text}\n</style>" if href else f"<script>\n{text}\n</script>"

    return _TAG.sub(inline, html)


def absolute_css_urls(css: str, css_url: str) -> str:
    """Relative ``url(...)`` in a stylesheet served at ``css_url``, made absolute (the text moves into the frame)."""
    base = PurePosixPath(css_url).parent
    return _CSS_URL.sub(lambda m: f"url({m.group(1)}{base / m.group(2)}{m.group(1)})", css)


def asset_reader(component_dir: Path, static_dir: Path) -> Callable[[str], str]:
    """Reads a URL of the frame: a file beside ``index.html`` or one under ``/app/static/``; anything else raises.

    A CDN URL or a path out of the two folders is a ``ValueError`` that names it: the frame works offline only.
    """
    def read(url: str) -> str:
        if url.startswith(_STATIC):
            root, rel = static_dir, url.removeprefix(_STATIC)
        elif "/" not in url and ":" not in url:
            root, rel = component_dir, url
        else:
            raise ValueError(f"{component_dir / 'index.html'}: {url!r} is neither beside it nor under {_STATIC}")
        path = (root / rel).resolve()
        if not path.is_relative_to(root.resolve()):
            raise ValueError(f"{component_dir / 'index.html'}: {url!r} leaves {root}")
        text = path.read_text(encoding="utf-8")
        return absolute_css_urls(text, url) if path.suffix == ".css" else text

    return read


def write_frame(component_dir: Path, static_dir: Path, out_dir: Path) -> Path:
    """Write the inlined ``index.html`` into ``out_dir`` (temp file, then rename); returns ``out_dir``."""
    html = inline_frame((component_dir / "index.html").read_text(encoding="utf-8"),
                        asset_reader(component_dir, static_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(html)
    os.replace(tmp, out_dir / "index.html")
    return out_dir
