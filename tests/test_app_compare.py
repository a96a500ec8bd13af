"""AppTest: the comparison table (Vergleich), the reference-date note and the table downloads in the real app.

Figures come from the real build; the flow is the one a planner takes: open a profile, add it to the
comparison, add more areas in the picker, copy the URL, open it again.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.comparison import Pin, choose_periods, comparison_rows
from dashboard.table_export import shown_text
from pipelines import config
from tests.app_helpers import query_of, run_app

PROCESSED = config.resolve_paths().out
PINS = ["munich:hr6", "munich:rest", "berlin:08"]

pytestmark = pytest.mark.usefixtures("processed_build")




def _table(at: AppTest) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe if "Gebiets-ID" in d.value.columns and "Index (Stadt = 100)" in d.value]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    return tables[0]


def _expected(pins: list[str], indicators: list[str]) -> pd.DataFrame:
    """The same rows computed straight from the build files (no Streamlit)."""
    ind = pd.read_parquet(PROCESSED / "indicators.parquet")
    areas = pd.read_parquet(PROCESSED / "areas.parquet").drop(columns="geometry")
    catalog = {c["indicator_id"]: c for c in json.loads((PROCESSED / "catalog.json").read_text("utf-8"))}
    periods = {(i, c): tuple(sorted(g.unique())) for (i, c), g in ind.groupby(["indicator_id", "city"])["period"]}
    chosen = choose_periods(indicators, periods, align=False)
    return comparison_rows([Pin(*p.split(":")) for p in pins], indicators, ind[ind["indicator_id"].isin(indicators)],
                           areas, catalog, chosen)


def test_comparison_built_in_the_ui_lives_in_the_url_and_reloads() -> None:
    at = run_app({"area": "munich:hr6"})  # the Handlungsraum's profile is open
    at.button(key="cmp_add").click().run()
    assert query_of(at)["cmp"] == "munich:hr6"
    assert at.button(key="cmp_add").disabled  # already in the comparison
    at.multiselect(key="w_cmp_pins").set_value(PINS).run()
    q = query_of(at)
    assert q["cmp"] == ",".join(PINS)
    shown = _table(at)
    assert list(dict.fromkeys(shown["Gebiet"])) == ["Neuperlach", "Übriges München", "Neukölln"]
    catalog = json.loads((PROCESSED / "catalog.json").read_text("utf-8"))
    comparable = sum(c["group"] == "comparable" for c in catalog)  # every one of them by default
    assert len(shown) == 3 * comparable and shown["Indikator"].nunique() == comparable

    again = run_app(q)  # the copied link
    assert not again.exception
    pd.testing.assert_frame_equal(_table(again), shown)


def test_values_are_the_builds_rounded_as_on_screen() -> None:
    at = run_app({"cmp": ",".join(PINS), "cmp_ind": "unemployment_share,sgb2_children_share"})
    shown = _table(at)
    expected = _expected(PINS, ["unemployment_share", "sgb2_children_share"])
    assert list(shown["Wert"]) == [shown_text(v, "de") for v in expected["value"]]
    assert list(shown["Gebiets-ID"]) == ["hr6", "", "08"] * 2
    nk = shown[(shown["Gebiet"] == "Neukölln") & (shown["Indikator"] == "Arbeitslosenanteil (15–64 J.)")].iloc[0]
    assert nk["Stand"] == "31.12.2020" and "Schätzung" in nk["Hinweis"]
    hr6 = shown[(shown["Gebiet"] == "Neuperlach") & (shown["Indikator"] == "Arbeitslosenanteil (15–64 J.)")].iloc[0]
    assert hr6["Stand"] == "Jahresmittel 2024" and "Näherung" in hr6["Hinweis"]
    gaps = [w.value for w in at.warning if "Stände der beiden Städte" in w.value]
    assert gaps and "Jahresmittel 2024, Berlin 31.12.2020 – 3,5 Jahre" in gaps[0]


def test_align_toggle_moves_munich_next_to_berlin_and_stays_in_the_url() -> None:
    at = run_app({"cmp": ",".join(PINS), "cmp_ind": "unemployment_share"})
    at.toggle(key="w_cmp_align").set_value(True).run()
    assert query_of(at)["cmp_align"] == "1"
    shown = _table(at)
    assert set(shown.loc[shown["Stadt"] == "München", "Stand"]) == {"Jahresmittel 2020"}
    assert not [w.value for w in at.warning if "Stände der beiden Städte" in w.value] or \
        "0,5 Jahre" in " ".join(w.value for w in at.warning)


def test_reference_date_note_aligns_the_maps_and_goes_back() -> None:
    at = run_app({"ind": "unemployment_share"})
    note = [w.value for w in at.warning if w.value.startswith("**Vergleichbarkeit:**")]
    assert len(note) == 1 and note[0].endswith(
        "**Stand:** unterschiedlich – München Jahresmittel 2024, Berlin 31.12.2020: 3,5 Jahre Abstand. "
        "Die Werte beider Städte beschreiben nicht denselben Zeitpunkt.")
    at.button(key="period_align").click().run()
    assert query_of(at)["p_muc"] == "2020-07-01" and query_of(at)["p_ber"] == "2020-12-31"
    assert any("angeglichen" in w.value and "Jahresmittel 2020, Berlin 31.12.2020: 0,5 Jahre" in w.value
               for w in at.warning)
    at.button(key="period_latest").click().run()
    assert query_of(at)["p_muc"] == "2024-07-01"


def test_old_links_keep_working() -> None:
    at = run_app({"ind": "unemployment_share", "p_muc": "2023-12-31", "cmp": "munich:nope,berlin:08"})
    assert query_of(at)["p_muc"] == "2023-07-01"  # the period was re-dated, the year is the same: no fallback
    assert query_of(at)["cmp"] == "berlin:08"
    assert any("nope" in w.value for w in at.warning)


def test_unemployment_note_no_longer_says_berlin_is_lower() -> None:
    at = run_app({"ind": "unemployment_share"})
    text = " ".join(w.value for w in at.warning)
    assert "systematisch niedriger" not in text and "unterzeichnen" in text


def test_english_comparison_has_english_headers_and_period_words() -> None:
    at = run_app({"lang": "en", "cmp": ",".join(PINS), "cmp_ind": "unemployment_share"})
    assert not at.exception
    tables = [d.value for d in at.dataframe if "Area ID" in d.value.columns]
    assert len(tables) == 1
    shown = tables[0]
    assert list(shown.columns)[:6] == ["Indicator", "Area", "City", "Level", "Area ID", "Date"]
    assert set(shown["Date"]) == {"2024 annual mean", "2020-12-31"}  # English dates stay ISO
    assert "Rest of Munich" in set(shown["Area"])
