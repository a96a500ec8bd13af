"""The app stays up (issue 12): a broken stories.toml or a corrupted raw file degrade to a warning, never a traceback.

The app runs (AppTest, same process) on a copy of the geodata folder whose ``processed/`` is the
real, good build; paths of the copy must never reach the page.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import safe_text, views_build
from pipelines import config
from tests.cli_helpers import copy_geodata

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")

pytestmark = pytest.mark.usefixtures("processed_build")


def _texts(at: AppTest) -> list[str]:
    out = []
    for kind in ("warning", "error", "info", "success", "markdown", "caption", "exception"):
        out += [str(getattr(x, "value", getattr(x, "message", ""))) for x in at.get(kind)]
    return out


def _maps(at: AppTest) -> int:
    """How many map components were drawn with a view (dashboard/map_payload.py)."""
    return sum(1 for el in at.get("component_instance") if "view" in json.loads(el.proto.json_args).get("args", {}))


@pytest.fixture
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    views_build._BUILD_FAILURE.clear()  # the per-process memory of failures
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    views_build._BUILD_FAILURE.clear()  # the per-process memory of failures


@pytest.mark.parametrize("present", ["0", "1"])
def test_broken_stories_toml_leaves_the_maps_working(tmp_path, monkeypatch, fresh_caches, present):
    broken = tmp_path / "stories.toml"
    broken.write_text('[[story]]\ntitle_de = "Kita-Versorgung\nind = unemployment_share\n', encoding="utf-8")
    monkeypatch.setattr(config, "STORIES_FILE", str(broken))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["present"] = present
    at.run()
    assert not at.exception
    assert _maps(at) == 2
    warnings = [w.value for w in at.warning]
    assert any("Geschichten" in w and "fehlerhaft" in w for w in warnings), warnings
    assert all(str(tmp_path) not in t and "/tmp/" not in t for t in _texts(at))


def test_corrupted_raw_file_serves_the_last_good_build(tmp_path, monkeypatch, fresh_caches, caplog):
    rel = "raw/munich/stadtbezirke.geojson"
    geodata = copy_geodata(config.GEODATA_DIR, tmp_path / "geodata", real=(rel,))
    shutil.copytree(config.resolve_paths().out, geodata / "processed")
    raw = geodata / rel
    raw.write_bytes(raw.read_bytes()[:1000])  # truncated, checksum not re-registered
    monkeypatch.setattr(config, "GEODATA_DIR", geodata)
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception
    assert _maps(at) == 2
    assert not at.error
    warnings = [w.value for w in at.warning]
    assert any("letzte gültige Stand" in w for w in warnings), warnings
    assert all(str(tmp_path) not in t for t in _texts(at))
    assert any(str(tmp_path) in r.getMessage() or str(tmp_path) in str(r.exc_info) for r in caplog.records)
    # a second view does not retry the build (it would cost every visitor the hashing and the failure)
    at2 = AppTest.from_file(APP, default_timeout=300).run()
    assert not at2.exception and _maps(at2) == 2
    assert any("letzte gültige Stand" in w.value for w in at2.warning)


def test_visitor_text_cuts_server_paths():
    err = ValueError(f"{config.GEODATA_DIR}/raw/munich/x.geojson: sha256 mismatch; see /srv/data/secret/y.csv")
    text = safe_text.visitor_text(err)
    assert "geodata/raw/munich/x.geojson" in text and "y.csv" in text
    assert str(config.GEODATA_DIR) not in text and "/srv/" not in text


def _served_config() -> dict:
    with open(ROOT / ".streamlit" / "config.toml", "rb") as fh:
        return tomllib.load(fh)


def test_tracebacks_are_never_shown_to_visitors():
    assert _served_config()["client"]["showErrorDetails"] == "none"


def test_served_app_watches_no_source_files():
    """Watching walked the modules on the server's event loop in every run (issue 11); `make dev` turns it on."""
    assert _served_config()["server"]["fileWatcherType"] == "none"
    dev = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndev:", 1)[1].split("\n\n", 1)[0]
    assert "--server.fileWatcherType auto" in dev and "--server.runOnSave true" in dev
