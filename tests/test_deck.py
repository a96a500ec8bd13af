"""``raumatlas deck``: one self-contained HTML file with the stories (real bundled data, no browser).

The browser half (drawing, stepping, tooltips, colours in the DOM) is tests/e2e/test_deck_browser.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.deck import build_deck, markdown_inline, script_json
from dashboard.deck_data import read_build, read_stories
from tests.deck_helpers import app_tooltips, app_view, with_area_name

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 8_000_000


@pytest.fixture(scope="module")
def build(processed_build: Path):
    return read_build(processed_build)


@pytest.fixture(scope="module")
def stories():
    return read_stories()


@pytest.fixture(scope="module")
def deck(build, stories):
    return build_deck(stories, build, "de")


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="deck-data">(.*?)</script>', html, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


def run_deck(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``raumatlas deck ARGS`` as a user runs it (the console script's module)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "dashboard.cli", "deck", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_deck_of_the_bundled_stories_is_small_and_has_every_story(deck, stories) -> None:
    size = len(deck.html.encode("utf-8"))
    assert size <= MAX_BYTES, f"deck is {size / 1e6:.1f} MB"
    data = _data(deck.html)
    assert len(data["stories"]) == len(stories)
    for s in data["stories"]:
        for city in ("munich", "berlin"):
            assert s["maps"][city]["level"] in data["levels"], (s["title"], city)


def test_each_level_is_sent_once_and_stories_only_carry_styles(deck) -> None:
    data = _data(deck.html)
    used = {s["maps"][c]["level"] for s in data["stories"] for c in ("munich", "berlin")}
    assert set(data["levels"]) == used == {"munich/stadtbezirk", "berlin/bezirksregion", "berlin/planungsraum"}
    for s in data["stories"]:
        for c in ("munich", "berlin"):
            m = s["maps"][c]
            assert "geometry" not in json.dumps(m)
            assert len(m["s"]) == len(m["tt"]) == len(data["levels"][m["level"]]["ids"])
    # The same geometry twice would double the file: each (city, level) appears once.
    assert deck.html.count('"geoms":') == len(data["levels"])


def test_nothing_is_loaded_from_outside_the_file(deck) -> None:
    html = deck.html
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html, re.I)
    assert not re.search(r"url\((?!['\"]?(data:|#))", html), "a CSS url() would be fetched"
    assert "L.version" in html or "Leaflet 1.9" in html  # the vendored Leaflet is inlined


def test_map_look_is_the_app_components_css_not_a_copy(deck) -> None:
    from dashboard.deck import MAP_CSS, TEMPLATE

    assert MAP_CSS.read_text(encoding="utf-8") in deck.html  # inlined as it is
    template = TEMPLATE.read_text(encoding="utf-8")
    assert ".leaflet-tooltip.ra-tt" not in template and ".leaflet-container" not in template


def test_fills_are_the_apps_class_colours(deck, stories) -> None:
    for story, views in zip(stories, deck.views, strict=True):
        _, app = app_view(story["query"])
        for city, (colours, fills) in app.items():
            view = views[city]
            assert view.colors == colours, (story["title_de"], city)
            assert view.fills == fills, (story["title_de"], city)
            assert set(view.fills.values()) <= set(colours) | {"#c4c4c4"}


def test_every_shared_geometry_carries_its_own_areas_tooltip_and_colour(deck, build, stories) -> None:
    """Per story, city and area of the data block: geometry, tooltip and fill all belong to the same area id.

    The deck sends each level's geometry once and every story's styles and tooltips as lists in the order of
    the level's ids; any drift between the two orders pairs an area with a neighbour's name, value or colour.
    Expected names, values and fills come from the app's own page by id, geometry from the build's web layer.
    """
    from shapely.geometry import shape

    data = _data(deck.html)
    for key, level in data["levels"].items():  # each shared geometry is the web layer's shape of its id
        city, lvl = key.split("/")
        layer = build.web_layer(city, lvl).set_index("area_id").geometry
        assert len(level["ids"]) == len(set(level["ids"])) == len(level["geoms"]) == len(layer), key
        for area_id, geom in zip(level["ids"], level["geoms"], strict=True):
            drawn, truth = shape(geom), layer[area_id]
            assert drawn.contains(truth.representative_point()), (key, area_id)
            assert abs(drawn.area - truth.area) <= 0.02 * truth.area, (key, area_id)
    for story, payload in zip(stories, data["stories"], strict=True):
        tips, (_, app) = app_tooltips(story["query"]), app_view(story["query"])
        for city in ("munich", "berlin"):
            m = payload["maps"][city]
            ids = data["levels"][m["level"]]["ids"]
            for i, area_id in enumerate(ids):
                name, value = tips[city][area_id]
                where = (story["title_de"], city, area_id)
                assert m["tt"][i].startswith(f"<b>{name}</b><br>"), (*where, m["tt"][i])
                assert (f"<b>{value}</b>" in m["tt"][i]) if value else ("<i>" in m["tt"][i]), (*where, m["tt"][i])
                assert m["styles"][m["s"][i]]["fillColor"] == app[city][1][area_id], where


def test_tooltips_show_formatted_values(deck) -> None:
    munich = deck.views[0]["munich"]
    tip = munich.tooltips[munich.area_ids.index("01")]
    assert tip.startswith("<b>Altstadt-Lehel</b>") and re.search(r"<b>\d+,\d{2} %</b>", tip), tip


def test_english_deck_uses_points_and_english_labels(build, stories) -> None:
    deck = build_deck(stories[:1], build, "en")
    data = _data(deck.html)
    assert data["stories"][0]["title"].startswith("Unemployment")
    tip = deck.views[0]["berlin"].tooltips[0]
    assert re.search(r"\d+\.\d%", tip) and "," not in re.sub(r"<[^>]+>", "", tip).split(":")[-1], tip


def test_html_in_data_is_escaped_and_cannot_end_the_script(build, stories) -> None:
    evil = '</script><script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    story = {**stories[0], "title_de": evil, "text_de": "**fett** " + evil}
    html = build_deck([story], with_area_name(build, "munich", "stadtbezirk", "01", evil), "de").html
    assert evil not in html and "<img src=x" not in html
    assert html.count("</script>") == 3  # data, vendor, deck: nothing from data closes a script early
    data = _data(html)
    assert data["stories"][0]["title"] == "&lt;/script&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;&lt;img " \
                                          "src=x onerror=&quot;window.__xss=2&quot;&gt;"
    assert any(t.startswith("<b>&lt;/script&gt;&lt;script&gt;") for t in data["stories"][0]["maps"]["munich"]["tt"])


def test_script_json_and_markdown_escape() -> None:
    assert script_json({"a": "</script>&"}) == '{"a":"\\u003c/script\\u003e\\u0026"}'
    assert markdown_inline("**a** <b>x</b> *i* [s](https://x.de) [j](javascript:alert(1))") == (
        '<b>a</b> &lt;b&gt;x&lt;/b&gt; <i>i</i> <a href="https://x.de" rel="noopener">s</a> '
        "[j](javascript:alert(1))")


def test_cli_writes_the_deck(tmp_path: Path) -> None:
    out = tmp_path / "vortrag.html"
    res = run_deck("--out", str(out), "--lang", "en")
    assert res.returncode == 0, res.stderr
    assert out.stat().st_size <= MAX_BYTES and "Next" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["vortrag.html"]


@pytest.mark.parametrize(("case", "needle"), [
    ("missing_stories", "story file not found"),
    ("bad_toml", "not valid TOML"),
    ("unknown_indicator", "unknown indicator 'no_such_indicator'"),
    ("wrong_extension", "unsupported extension '.pdf'"),
    ("unwritable", "cannot be written"),
    ("no_build", "no build found"),
])
def test_bad_input_is_one_message_and_exit_1_without_a_file(tmp_path: Path, case: str, needle: str) -> None:
    stories = tmp_path / "stories.toml"
    out = tmp_path / "out" / "deck.html"
    if case == "bad_toml":
        stories.write_text('[[story]]\ntitle_de = "x\nquery = 1\n', encoding="utf-8")
    elif case == "unknown_indicator":
        stories.write_text('[[story]]\ntitle_de = "x"\nquery = "ind=no_such_indicator"\n', encoding="utf-8")
    elif case == "wrong_extension":
        out = tmp_path / "out" / "deck.pdf"
    elif case == "unwritable":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "deck.html"  # a file where a folder should be
    args = ["--out", str(out)]
    if case in ("missing_stories", "bad_toml", "unknown_indicator"):
        args += ["--stories", str(stories)]
    if case == "no_build":
        args += ["--build", str(tmp_path / "empty")]
    res = run_deck(*args)
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert needle in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert not out.exists()
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".deck")]
    assert not leftovers


def test_a_full_disk_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import dashboard.deck
    import dashboard.deck_data
    import pipelines.io
    from dashboard.cli import main
    from dashboard.deck import Deck

    class FullDisk:
        def __init__(self, fd: int, mode: str) -> None:
            self.fh = open(fd, mode)  # noqa: SIM115 - closed in __exit__

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            self.fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dashboard.deck, "build_deck", lambda *a, **k: Deck(html="<html>" + "x" * 10_000, views=[]))
    monkeypatch.setattr(dashboard.deck_data, "read_build", lambda *a, **k: None)
    monkeypatch.setattr(pipelines.io.os, "fdopen", FullDisk)
    out = tmp_path / "deck.html"
    assert main(["deck", "--out", str(out)]) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [[], ["--out", "x.html", "--lang", "fr"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    res = run_deck(*args)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
