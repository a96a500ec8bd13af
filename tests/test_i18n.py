"""The [ui] translations table covers every label the dashboard asks for, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.classify import METHODS, SCALES
from dashboard.i18n import format_number, format_period, load_ui_table, t
from dashboard.state import LAYERS
from pipelines.config import CITIES, COVERAGE_LEVELS

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in DASHBOARD.glob("*.py"):
        keys |= set(re.findall(r"\bt\(\s*\"([a-z0-9_]+)\"\s*[,)]", path.read_text(encoding="utf-8")))
        keys |= set(re.findall(r"\bt\(\s*'([a-z0-9_]+)'\s*[,)]", path.read_text(encoding="utf-8")))
    keys |= {f"city_{c}" for c in CITIES} | {f"city_total_{c}" for c in CITIES}
    levels = {lv for levels in COVERAGE_LEVELS.values() for lv in levels}
    keys |= {f"level_{lv}" for lv in levels | {"stadt", "handlungsraum"}} | {f"level_short_{lv}" for lv in levels}
    keys |= {f"method_{m}" for m in METHODS} | {f"scale_{s}" for s in SCALES} | {f"layer_{x}" for x in LAYERS}
    keys |= {f"summary_{k}" for k in ("union", "rest", "city")}
    keys |= {f"col_{c}" for c in ("name", "layer", "address", "provider")}
    state_src = (DASHBOARD / "state.py").read_text(encoding="utf-8")
    keys |= set(re.findall(r"\"(notice_[a-z_]+)\"", state_src))
    ranking_src = (DASHBOARD / "ranking.py").read_text(encoding="utf-8")
    keys |= set(re.findall(r"\"(summary_note_[a-z_]+)\"", ranking_src))
    return keys


def test_every_used_key_has_german_and_english() -> None:
    table = load_ui_table()
    keys = _used_keys()
    assert len(keys) > 80
    missing = sorted(k for k in keys if not table.get(k, {}).get("de") or not table.get(k, {}).get("en"))
    assert missing == []


def test_t_fills_placeholders_and_falls_back() -> None:
    assert t("profile_title", "de", name="Neukölln") == "Steckbrief: Neukölln"
    assert t("profile_title", "en", name="Neukölln") == "Profile: Neukölln"
    assert t("profile_title", "fr", name="X") == "Steckbrief: X"  # German fallback
    assert t("no_such_key", "en") == "no_such_key"  # visible, never a crash


def test_number_and_period_formats() -> None:
    assert format_number(1234.5, "de", 1) == "1.234,5" and format_number(1234.5, "en", 1) == "1,234.5"
    assert format_number(float("nan"), "de") == "–"
    assert format_period("2024-12-31", "de") == "31.12.2024" and format_period("2024-12-31", "en") == "2024-12-31"
