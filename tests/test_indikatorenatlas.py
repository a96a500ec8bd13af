"""Indikatorenatlas: golden checks against the published city values plus hand-made workbooks for each trap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines import config
from pipelines.config import resolve_paths
from pipelines.errors import InputError
from pipelines.io import read_toml
from pipelines.registry import Source, SourceFile, load_indicator_registry, load_sources
from pipelines.sources import action_areas, areas_munich
from pipelines.sources.indikatorenatlas import stage as indikatorenatlas
from pipelines.sources.indikatorenatlas.formula import infer_formula
from pipelines.sources.indikatorenatlas.read import read_table
from pipelines.stage import BuildContext

DISTRICTS = {f"{i:02d}" for i in range(1, 26)}
BEV = "raw/munich/indikatorenatlas/export_bevoelkerung.xlsx"


@pytest.fixture(scope="module")
def built(geodata: Path):
    ctx = BuildContext(resolve_paths(geodata), load_sources(geodata), load_indicator_registry(geodata))
    base = areas_munich.stage(ctx)
    hr = action_areas.stage(ctx, base)
    membership = action_areas.handlungsraum_membership(hr, areas_munich.bezirksteil_population(ctx))
    long, catalog = indikatorenatlas.stage(ctx, pd.concat([base, hr], ignore_index=True), membership)
    return ctx, long, {c["indicator_id"]: c for c in catalog}


def _value(long: pd.DataFrame, iid: str, level: str, area: str, year: int) -> pd.Series:
    row = long[(long["indicator_id"] == iid) & (long["level"] == level) & (long["area_id"] == area)
               & (long["period"].str[:4] == str(year))]  # the day follows the Zeitbezug (periods.py)
    assert len(row) == 1, (iid, level, area, year)
    return row.iloc[0]


def test_published_city_values_reproduced(built):
    ctx, _, _ = built
    check = ctx.notes["indikatorenatlas_city_check"]
    assert check["pairs"] > 4000
    assert check["formula_share"] >= 0.99  # the inferred formula gives the official city value
    # Summing the 25 Stadtbezirke misses some city values; every miss must be explained by city
    # Basiswerte that differ from the district sums (people without a Stadtbezirk), not by rounding.
    assert 0.85 <= check["aggregate_share"] < 1.0
    assert check["exceptions"]
    assert all(e["reason"].startswith("city Basiswerte differ") for e in check["exceptions"])
    listed = [f for f in ctx.findings if "city value not reproduced" in f.message]
    assert len(listed) == len({e["indicator_id"] for e in check["exceptions"]})
    assert all(f.severity == "info" for f in listed)  # explained differences, not warnings


def test_inferred_formulas_and_rules(built):
    _, _, cat = built
    expect = {
        "muc_arbeitsmarkt__arbeitslose_anteil__insgesamt": ("b1/b2", 100.0, "ratio", "%"),
        "muc_bevoelkerung__aussenwanderungsziffer__insgesamt": ("(b1-b2)/b3", 1000.0, "ratio", "je 1.000"),
        "muc_bevoelkerung__mobilitaetsziffer__insgesamt": ("(b1+b2+b3+b4)/b5", 1000.0, "ratio", "je 1.000"),
        "muc_bevoelkerung__altersgruppen__insgesamt": ("b1", 1.0, "sum", "Personen"),
        "muc_bevoelkerung__gesamtwanderungssaldo_kinder__bis_5_jahre": ("b1-b2", 1.0, "sum", "Personen"),
        "muc_bevoelkerung__durchschnittsalter__insgesamt": ("b1/b2", 1.0, "ratio", "Jahre"),
        "muc_bevoelkerung__bevoelkerungsdichte__insgesamt": ("b1/b2", 1.0, "ratio", "Einw./km²"),
        "muc_bevoelkerung__zusammengefasste_geburtenrate__insgesamt": ("", 1.0, "none", "Kinder je Frau"),
        "muc_bevoelkerung__innerraeumliche_umzugsziffer__insgesamt": ("b1/b2", 1000.0, "none", "je 1.000"),
    }
    for iid, (formula, scale, rule, unit) in expect.items():
        c = cat[iid]
        assert (c["formula"], c["scale"], c["aggregation"], c["unit"]) == (formula, scale, rule, unit), iid
    assert cat["muc_arbeitsmarkt__arbeitslose_anteil__insgesamt"]["polarity"] == "higher_is_worse"
    assert "Bundesagentur für Arbeit" in cat["muc_arbeitsmarkt__arbeitslose_anteil__insgesamt"]["data_source"]


def test_same_pair_in_two_topics_is_two_indicators(built):
    _, long, cat = built
    bev, kib = "muc_bevoelkerung__altersgruppen__bis_2_jahre", "muc_kinderbetreuung__altersgruppen__bis_2_jahre"
    assert cat[bev]["topic"] == "bevoelkerung" and cat[kib]["topic"] == "kinderbetreuung"
    assert cat[bev]["definition_de"] != cat[kib]["definition_de"]
    assert _value(long, kib, "stadtbezirk", "01", 2024)["value"] == pytest.approx(34.5)  # % of children in care
    assert _value(long, bev, "stadtbezirk", "01", 2024)["value"] < 5  # % of residents


def test_decimal_comma_on_the_real_file(geodata):
    t = read_table(geodata / BEV, DISTRICTS)
    row = t[(t["indikator"] == "Außenwanderungsziffer deutsch") & (t["auspraegung"] == "übriges Bayern")
            & (t["period"] == "2024-12-31") & (t["area_id"] == "muc")].iloc[0]
    assert row["value_text"] == "-,9" and row["value"] == pytest.approx(-0.9)
    assert set(t["area_id"]) == DISTRICTS | {"muc"}


def test_district_rows_published_and_aggregates(built):
    _, long, cat = built
    assert list(long.columns) == list(config.INDICATOR_COLUMNS)
    per = long[long["level"] == "stadtbezirk"].groupby(["indicator_id", "period"]).size()
    assert (per == 25).all()
    pop = "muc_bevoelkerung__altersgruppen__insgesamt"
    assert _value(long, pop, "handlungsraum", "hr6", 2022)["value"] == pytest.approx(77_606)  # = Bezirksteil sum
    nord = sum(_value(long, pop, "stadtbezirk", sb, 2022)["value"] for sb in ("11", "12", "24"))
    assert _value(long, pop, "handlungsraum", "nord", 2022)["value"] == pytest.approx(nord)
    tfr = "muc_bevoelkerung__zusammengefasste_geburtenrate__insgesamt"
    assert not ((long["indicator_id"] == tfr) & (long["level"] == "handlungsraum")).any()
    assert _value(long, tfr, "stadt", "muc", 2024)["value"] == pytest.approx(1.11)  # published, not aggregated
    ue = "muc_arbeitsmarkt__arbeitslose_anteil__insgesamt"
    members = [_value(long, ue, "stadtbezirk", sb, 2024)["value"] for sb in ("11", "12", "24")]
    assert min(members) - 0.05 <= _value(long, ue, "handlungsraum", "nord", 2024)["value"] <= max(members) + 0.05
    # a suppressed district value ("88" without Basiswerte) is no_data, never 88 %
    bad = _value(long, "muc_arbeitsmarkt__arbeitslose__bis_24_jahre", "stadtbezirk", "01", 2018)
    assert bad["flag"] == "no_data" and np.isnan(bad["value"])


def test_catalog_covers_every_indicator_the_registry_uses(built, geodata):
    ctx, long, cat = built
    assert len(cat) == long["indicator_id"].nunique() == 214
    refs = [i["munich"].get("from") for i in ctx.indicator_registry["indicator"] if "munich" in i]
    refs += [r for i in ctx.indicator_registry["indicator"] for r in i.get("munich", {}).get("sum_of_numerators", [])]
    explicit = {i["id"] for i in ctx.indicator_registry["indicator"]}
    refs = [r for r in refs if r and r.startswith("muc_") and r not in explicit]
    assert len(refs) >= 8
    assert [r for r in refs if r not in cat] == []
    for c in cat.values():
        assert c["label_de"] and c["label_en"] and c["definition_de"] and c["source_ids"], c["indicator_id"]
        assert c["aggregation"] in ("sum", "ratio", "none")
    assert not [f for f in ctx.findings if "untranslated" in f.message]
    glossary = read_toml(geodata / config.TRANSLATIONS_FILE)["glossary"]
    assert cat["muc_arbeitsmarkt__arbeitslose_anteil__insgesamt"]["label_en"] == \
        f"{glossary['Arbeitslose - Anteil']} – total"


# ---------------------------------------------------------------- hand-made workbooks

ROWS = [  # Indikator, Ausprägung, Jahr, Raumbezug, Indikatorwert, Basiswert 1..3
    ("Anteil", "insgesamt", "2024", "Stadt München", "6,4", "96", "1500", None),
    ("Anteil", "insgesamt", "2024", "01 Eins - Nord", "6,6", "66", "1000", None),
    ("Anteil", "insgesamt", "2024", "02 Zwei", "6", "30", "500", None),
    ("Ziffer", "deutsch", "2024", "Stadt München", ",1", "150", "149", "15000"),
    ("Ziffer", "deutsch", "2024", "01 Eins - Nord", "-,9", "100", "109", "10000"),
    ("Ziffer", "deutsch", "2024", "02 Zwei", "2", "50", "40", "5000"),
    ("Zahl", "insgesamt", "2024", "Stadt München", "1500", "1500", None, None),
    ("Zahl", "insgesamt", "2024", "01 Eins - Nord", "1000", "1000", None, None),
    ("Zahl", "insgesamt", "2024", "02 Zwei", "500", "500", None, None),
]
COLUMNS = ["Indikator", "Ausprägung", "Jahr", "Raumbezug", "Indikatorwert", "Basiswert 1", "Basiswert 2",
           "Basiswert 3"]


def _workbook(path: Path, rows=ROWS, drop: str | None = None) -> Path:
    table = pd.DataFrame(rows, columns=COLUMNS).assign(**{"Name Basiswert 1": "Zähler", "Name Basiswert 2": "Nenner"})
    inhalt = pd.DataFrame({"Thema": "Test", "Indikator": ["Anteil", "Ziffer", "Zahl"],
                           "Ausprägung": ["insgesamt", "deutsch", "insgesamt"],
                           "Beschreibung": ["Anteil in Prozent.", "Saldo pro 1 000 Personen.", "Personen."],
                           "Zeitbezug": "31.12.", "Datenquelle": "Test"})
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        inhalt.to_excel(xw, sheet_name="INHALT", index=False)
        table.drop(columns=[drop] if drop else []).to_excel(xw, sheet_name="TEST", index=False)
    return path


def _mini_ctx(tmp_path: Path, **kw) -> BuildContext:
    _workbook(tmp_path / "export_test.xlsx", **kw)
    src = Source(id="muc_ia_test", kind="munich_indikatorenatlas", city="munich", title="t", publisher="p",
                 licence="l", attribution="a", url="https://example.org", reference_date="2024-12-31",
                 files=(SourceFile("export_test.xlsx", ""),), extra={"topic": "test"})
    reg = {"indicator_set": [{"source_kind": "munich_indikatorenatlas", "topic": "test", "id_prefix": "muc_test"}]}
    return BuildContext(resolve_paths(tmp_path), [src], reg)


MINI_AREAS = pd.DataFrame({"city": "munich", "level": "stadtbezirk", "area_id": ["01", "02"]})
MINI_MEMBERSHIP = pd.DataFrame({"child_id": ["01"], "level": ["handlungsraum"], "area_id": ["hrx"], "share": [0.5]})


def _stage_with_row(tmp_path: Path, row: tuple):
    """Run the stage on a mini workbook of the first two rows plus ``row`` (a row under test, sheet line 4)."""
    return indikatorenatlas.stage(_mini_ctx(tmp_path, rows=[*ROWS[:2], row]), MINI_AREAS, MINI_MEMBERSHIP)


def test_mini_workbook_formulas_and_aggregates(tmp_path):
    ctx = _mini_ctx(tmp_path)
    long, catalog = indikatorenatlas.stage(ctx, MINI_AREAS, MINI_MEMBERSHIP)
    cat = {c["indicator_id"]: c for c in catalog}
    anteil = cat["muc_test__anteil__insgesamt"]
    assert (anteil["formula"], anteil["scale"], anteil["unit"]) == ("b1/b2", 100, "%")
    assert cat["muc_test__ziffer__deutsch"]["formula"] == "(b1-b2)/b3"
    assert cat["muc_test__zahl__insgesamt"]["aggregation"] == "sum"
    assert _value(long, "muc_test__ziffer__deutsch", "stadtbezirk", "01", 2024)["value"] == pytest.approx(-0.9)
    city = _value(long, "muc_test__anteil__insgesamt", "stadt", "muc", 2024)
    assert (city["value"], city["numerator"], city["denominator"]) == pytest.approx((6.4, 96, 1500))
    assert _value(long, "muc_test__anteil__insgesamt", "handlungsraum", "hrx", 2024)["value"] == pytest.approx(6.6)
    assert _value(long, "muc_test__zahl__insgesamt", "handlungsraum", "hrx", 2024)["value"] == pytest.approx(500)
    check = ctx.notes["indikatorenatlas_city_check"]
    assert check["formula_share"] == check["aggregate_share"] == 1.0


def test_published_city_values_option(tmp_path):
    rows = [r if r[3] != "Stadt München" or r[0] != "Anteil" else (*r[:4], "6,5", "97.4", "1500", None) for r in ROWS]
    ctx = _mini_ctx(tmp_path, rows=rows)  # the city total holds 1.4 persons without a Stadtbezirk
    long, _ = indikatorenatlas.stage(ctx, MINI_AREAS, MINI_MEMBERSHIP, city_values="published")
    assert _value(long, "muc_test__anteil__insgesamt", "stadt", "muc", 2024)["value"] == 6.5
    long, _ = indikatorenatlas.stage(ctx, MINI_AREAS, MINI_MEMBERSHIP)
    assert _value(long, "muc_test__anteil__insgesamt", "stadt", "muc", 2024)["value"] == pytest.approx(6.4)
    exc = ctx.notes["indikatorenatlas_city_check"]["exceptions"]
    assert [(e["indicator_id"], e["published"]) for e in exc] == [("muc_test__anteil__insgesamt", 6.5)]


def test_infer_formula_respects_basiswert_rounding():
    rng = np.random.default_rng(1)
    b1, b2, b3 = rng.uniform(100, 900, 50), rng.uniform(100, 900, 50), rng.uniform(5e3, 5e4, 50)
    dist = pd.DataFrame({"b1": b1.round(1), "b2": b2.round(1), "b3": b3.round(1), "b4": np.nan, "b5": np.nan,
                         "e1": 0.05, "e2": 0.05, "e3": 0.05, "e4": 0.0, "e5": 0.0,
                         "value": (1000 * (b1 - b2) / b3).round(1)})  # published from unrounded Basiswerte
    f, fit = infer_formula(dist, 1)
    assert (f.name, f.scale, fit) == ("(b1-b2)/b3", 1000, 1.0)
    assert infer_formula(dist.assign(value=rng.uniform(0, 9, 50).round(1)), 1)[0] is None


def test_unknown_stadtbezirk_number(tmp_path):
    with pytest.raises(InputError, match=r"export_test\.xlsx: sheet 'TEST', Zeile 4: Raumbezug '26 Irgendwo'"):
        _stage_with_row(tmp_path, ("Anteil", "insgesamt", "2024", "26 Irgendwo", "6", "30", "500", None))


def test_raumbezug_without_number(tmp_path):
    with pytest.raises(InputError, match=r"Raumbezug 'Zwei' is neither"):
        _stage_with_row(tmp_path, ("Anteil", "insgesamt", "2024", "Zwei", "6", "30", "500", None))


def test_value_not_a_german_number(tmp_path):
    with pytest.raises(InputError, match=r"Zeile 4: 'Indikatorwert' '6\.000,5'"):
        _stage_with_row(tmp_path, ("Anteil", "insgesamt", "2024", "02 Zwei", "6.000,5", "30", "500", None))


def test_missing_column_names_the_file(tmp_path):
    ctx = _mini_ctx(tmp_path, drop="Indikatorwert")
    with pytest.raises(InputError, match=r"export_test\.xlsx: sheet 'TEST'.*missing column\(s\) \['Indikatorwert'\]"):
        indikatorenatlas.stage(ctx, MINI_AREAS, MINI_MEMBERSHIP)


def test_truncated_workbook_names_the_file(tmp_path):
    ctx = _mini_ctx(tmp_path)
    path = tmp_path / "export_test.xlsx"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError, match=r"export_test\.xlsx.*broken or truncated"):
        indikatorenatlas.stage(ctx, MINI_AREAS, MINI_MEMBERSHIP)
