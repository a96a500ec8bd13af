"""The map frame served as one file (dashboard/map_frame.py): the real component inlined, and hand-made edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.map_frame import absolute_css_urls, asset_reader, inline_frame, write_frame
from dashboard.views_map_component import COMPONENT_DIR
from pipelines.config import STATIC_DIR

SOURCE = (COMPONENT_DIR / "index.html").read_text(encoding="utf-8")
LOADED = re.findall(r'<link rel="stylesheet" href="([^"]+)">|<script src="([^"]+)"></script>', SOURCE)


def test_the_source_frame_loads_leaflet_and_the_map_files_one_by_one() -> None:
    urls = [href or src for href, src in LOADED]
    assert "/app/static/vendor/leaflet/leaflet.js" in urls and "raumatlas_map.js" in urls and len(urls) >= 7


def test_the_served_frame_holds_every_file_inline_and_loads_none(tmp_path: Path) -> None:
    html = (write_frame(COMPONENT_DIR, STATIC_DIR, tmp_path) / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=|<link\b", html)
    assert html.count("<script>") == html.count("</script>") == sum(1 for _, src in LOADED if src) + (
        SOURCE.count("<script>"))
    for href, src in LOADED:  # each file's own text is in the frame (its first real line, say)
        path = STATIC_DIR / (href or src).removeprefix("/app/static/") if (href or src).startswith("/app/") \
            else COMPONENT_DIR / (href or src)
        line = next(x for x in path.read_text(encoding="utf-8").splitlines() if len(x.strip()) > 20)
        assert line.replace("</", "<\\/")[:200] in html, path
    for url in re.findall(r"url\(([^)#]+)\)", html):  # Leaflet's images keep working: absolute, and there
        assert url.startswith("/app/static/vendor/leaflet/images/")
        assert (STATIC_DIR / url.removeprefix("/app/static/")).is_file()
    assert not list(tmp_path.glob("*.tmp"))


def test_nothing_inlined_closes_its_tag() -> None:
    html = inline_frame('<script src="a.js"></script><link rel="stylesheet" href="b.css">',
                        {"a.js": 'x = "</script><b>";', "b.css": "/* </style> */ p {}"}.__getitem__)
    assert html == '<script>\nx = "<\\/script><b>";\n</script><style>\n/* <\\/style> */ p {}\n</style>'


def test_relative_css_urls_become_absolute_and_others_stay() -> None:
    css = 'a{background:url(images/x.png)} b{background:url("img/y.svg")} c{behavior:url(#default#VML)} ' \
          "d{background:url(/abs.png)} e{background:url(data:image/png;base64,AAA)}"
    out = absolute_css_urls(css, "/app/static/vendor/leaflet/leaflet.css")
    assert "url(/app/static/vendor/leaflet/images/x.png)" in out
    assert 'url("/app/static/vendor/leaflet/img/y.svg")' in out
    assert "url(#default#VML)" in out and "url(/abs.png)" in out and "url(data:image/png;base64,AAA)" in out


@pytest.mark.parametrize("url", ["https://unpkg.com/leaflet@1.9.4/dist/leaflet.js", "/app/static/../../etc/passwd",
                                 "sub/dir.js", "/elsewhere/x.js"])
def test_a_cdn_or_outside_url_is_refused_with_its_name(tmp_path: Path, url: str) -> None:
    (tmp_path / "index.html").write_text(f'<script src="{url}"></script>', encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(repr(url))):
        write_frame(tmp_path, STATIC_DIR, tmp_path / "out")
    assert not (tmp_path / "out" / "index.html").exists()


def test_a_failed_write_leaves_the_earlier_frame(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "index.html").write_text('<script src="a.js"></script>', encoding="utf-8")
    (src / "a.js").write_text("var a = 1;", encoding="utf-8")
    out = write_frame(src, STATIC_DIR, tmp_path / "out")
    before = (out / "index.html").read_text(encoding="utf-8")
    (src / "a.js").unlink()
    with pytest.raises(OSError):
        write_frame(src, STATIC_DIR, out)
    assert (out / "index.html").read_text(encoding="utf-8") == before and "var a = 1;" in before


def test_the_reader_reads_beside_the_frame_and_under_static() -> None:
    read = asset_reader(COMPONENT_DIR, STATIC_DIR)
    assert "raumatlasGeometry" in read("raumatlas_geometry.js")
    assert "/app/static/vendor/leaflet/images/layers.png" in read("/app/static/vendor/leaflet/leaflet.css")
