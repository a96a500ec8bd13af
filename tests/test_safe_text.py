"""Every user-supplied string is text (issue 12): URL values, file names, project fields through every notice.

A crafted permalink (``?ind=[Sitzung abgelaufen](http://evil.example/login)``) must not show a
live link, ``![x](http://…/p.png)`` must not make browsers fetch an image, and LaTeX, ``:red[]``,
headings, HTML and bidi overrides must arrive as the characters they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.safe_text import clean, file_name, md
from dashboard.state import Q_AREA, Q_BASEMAP, Q_CLS, Q_FOCUS, Q_IND, Q_K, Q_LAYERS, Q_SCALE, Q_STEP, q_level, q_period
from pipelines import config
from pipelines.projects import load_project_schema

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
RLO = "\u202e"
PAYLOADS = [
    "[Sitzung abgelaufen](http://evil.example/login)",
    "![x](http://127.0.0.1:8799/p.png)",
    "$\\frac{a}{b}$ und $$x^2$$",
    ":red[ACHTUNG] :material/warning: :smile:",
    "# Überschrift",
    f"gnp.{RLO}exe.txt",
    "<img src=x onerror=alert(1)> &amp; <script>alert(2)</script>",
    "**fett** _kursiv_ `code` ~~weg~~ > zitat",
    "www.evil.example https://evil.example",
]
_SPECIAL = set("[]()!$:#<>&*_`~|{}\\")

SCHEMA = load_project_schema(config.GEODATA_DIR)


def _unescaped_specials(text: str) -> list[str]:
    """Markdown-special ASCII characters not preceded by a backslash."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in _SPECIAL:
            out.append(text[i])
        i += 1
    return out


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_escapes_every_markdown_trigger(payload: str) -> None:
    out = md(payload)
    assert not _unescaped_specials(out), out
    assert RLO not in out and "\n" not in out
    assert re.sub(r"\\(.)", r"\1", out) == clean(payload)  # removing the escapes gives the text back


def test_clean_drops_controls_and_bidi_and_clips() -> None:
    assert clean(f"a\x00b\x1b[31mc{RLO}d\u2066e\u200bf\nneu") == "ab[31mcdef neu"
    assert clean("x" * 500, 50) == "x" * 49 + "…"
    assert clean(None) == ""


def test_file_name_is_a_plain_base_name() -> None:
    assert file_name(f"../../etc/{RLO}txt.exe") == "txt.exe"
    assert file_name("C:\\Users\\a\\projekte.csv") == "projekte.csv"
    assert file_name("\x00\n") == "upload"


def _all_texts(at: AppTest) -> list[str]:
    texts = []
    for kind in ("warning", "error", "info", "success", "markdown", "caption", "title", "subheader", "toast"):
        texts += [str(getattr(x, "value", "")) for x in at.get(kind)]
    texts += [str(x.label) for x in at.expander]
    return texts


@pytest.mark.usefixtures("processed_build")
@pytest.mark.parametrize("lang", ["de", "en"])
def test_hostile_url_values_are_text_in_every_notice(lang: str) -> None:
    keys = [Q_IND, q_period("munich"), q_period("berlin"), q_level("munich"), q_level("berlin"), Q_CLS, Q_SCALE,
            Q_K, Q_STEP, Q_AREA, Q_FOCUS, Q_LAYERS, Q_BASEMAP]
    at = AppTest.from_file(APP, default_timeout=180)
    sent = {}
    for i, key in enumerate(keys):
        sent[key] = PAYLOADS[i % len(PAYLOADS)].replace(",", " ")  # loc= is split at commas
        at.query_params[key] = sent[key]
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) >= len(keys) - 2  # a period notice may be replaced when the indicator fell back
    texts = _all_texts(at)
    for text in texts:
        live = re.sub(r"\\.", "", text)  # what Markdown would still interpret: escaped pairs removed
        assert RLO not in text
        assert "](http://evil" not in live and "](http://127.0.0.1" not in live
        assert "<img" not in live and "<script" not in live
        assert ":red[" not in live and "$\\frac" not in text
    for w in warnings:
        assert "$" not in re.sub(r"\\.", "", w) and "# " not in re.sub(r"\\.", "", w)
        quoted = re.search(r"[„“](.*)[“”]", w)
        if quoted:
            assert not _unescaped_specials(quoted.group(1)), w
    for payload in {PAYLOADS[0], PAYLOADS[1], PAYLOADS[3]}:
        assert any(md(payload) in w for w in warnings), payload


@pytest.mark.usefixtures("processed_build")
def test_hostile_file_name_and_refusal_reason_are_text() -> None:
    from dashboard.projects_view import process_upload
    from dashboard.views_projects import UPLOAD_KEY

    areas = gpd.read_parquet(config.resolve_paths().out / "areas.parquet")
    name = f"[klick](http://evil.example) ![x](http://127.0.0.1:1/p.png) :red[x] # {RLO}vsc.exe"
    result = process_upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, name, areas, SCHEMA)
    assert RLO not in result.name and "/" not in result.name
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[UPLOAD_KEY] = result
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    live = [re.sub(r"\\.", "", e) for e in errors]
    assert errors and all(RLO not in e and "](" not in x and ":red[" not in x
                          for e, x in zip(errors, live, strict=True))
    assert any(md(result.name, 1_000) in e for e in errors)


def test_project_tooltips_drop_bidi_characters() -> None:
    import pandas as pd
    from shapely.geometry import Point

    from dashboard.project_markers import project_markers

    gdf = gpd.GeoDataFrame(pd.DataFrame({"titel": [f"Garten {RLO}exe.txt"], "thema": ["Wohnen"], "status": ["Idee"],
                                         "federfuehrung": ["<b>Referat</b>"], "color": ["#123456"]}),
                           geometry=[Point(11.5, 48.1)], crs=4326)
    tip = project_markers(gdf, "de").rows[0][2]
    assert RLO not in tip and "exe.txt" in tip and "&lt;b&gt;Referat" in tip
