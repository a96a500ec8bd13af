"""A broken ``geodata/translations.toml`` never takes the app down (issue 12).

A TOML syntax error keeps every ``[ui]`` line that still parses; missing keys show as
themselves; either way the page carries a visible warning naming the file (never its folder).
The app runs under AppTest on the real build with ``dashboard.i18n`` reading a broken copy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import i18n
from pipelines import config
from tests.app_helpers import APP

pytestmark = pytest.mark.usefixtures("processed_build")
REAL = config.GEODATA_DIR / config.TRANSLATIONS_FILE


def _broken_copy(tmp_path: Path, edit) -> Path:  # noqa: ANN001
    out = tmp_path / "translations.toml"
    out.write_text(edit(REAL.read_text(encoding="utf-8")), encoding="utf-8")
    return out


def _use(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    table = i18n._read_ui.__wrapped__(str(path))  # read once, like the cached reader
    monkeypatch.setattr(i18n, "_read_ui", lambda p=None: table)


def _run() -> AppTest:
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=180).run()


def _maps(at: AppTest) -> int:
    return sum(1 for el in at.get("component_instance") if "view" in json.loads(el.proto.json_args).get("args", {}))


def _unterminated_title(text: str) -> str:
    return re.sub(r'^app_title = .*$', 'app_title = { de = "Raumatlas, en = "Raumatlas" }', text, count=1,
                  flags=re.M)


def test_salvage_keeps_the_lines_that_parse(tmp_path):
    table, problem = i18n._read_ui.__wrapped__(str(_broken_copy(tmp_path, _unterminated_title)))
    assert "app_title" not in table
    assert table["app_subtitle"]["de"]  # the rest of [ui] survives
    assert problem.startswith("translations.toml: Zeile/line ") and str(tmp_path) not in problem


def test_syntax_error_keeps_the_app_up_with_a_warning(tmp_path, monkeypatch):
    _use(monkeypatch, _broken_copy(tmp_path, _unterminated_title))
    at = _run()
    assert not at.exception
    assert _maps(at) == 2
    assert [x.value for x in at.title] == ["app\\_title"] or any("app_title" in x.value for x in at.title)
    warnings = [w.value for w in at.warning]
    assert any("translations.toml" in w and "fehlerhaft" in w for w in warnings), warnings
    assert all(str(tmp_path) not in w for w in warnings)
    assert at.sidebar.selectbox  # the sidebar still has its (translated) widgets


def test_missing_keys_show_as_keys_and_the_app_stays_up(tmp_path, monkeypatch):
    drop = ("app_title", "app_subtitle")
    _use(monkeypatch, _broken_copy(tmp_path, lambda s: "\n".join(
        line for line in s.splitlines() if not line.startswith(drop))))
    at = _run()
    assert not at.exception
    assert _maps(at) == 2
    assert any("app_title" in x.value for x in at.title)


def test_no_ui_table_warns(tmp_path, monkeypatch):
    _use(monkeypatch, _broken_copy(tmp_path, lambda s: s.replace("[ui]", "[ui_typo]")))
    at = _run()
    assert not at.exception
    assert _maps(at) == 2
    assert any("translations.toml" in w.value for w in at.warning)


def test_the_real_file_has_no_problem():
    assert i18n._read_ui.__wrapped__(str(REAL))[1] == ""
    assert i18n.translations_problem() == ""
