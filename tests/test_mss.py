"""MSS 2021: no sentinel ever becomes a value, flags follow KOM, aggregates are population-weighted."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.config import resolve_paths
from pipelines.errors import InputError
from pipelines.sources import areas_berlin, berlin_population, mss
from pipelines.stage import BuildContext, SourceTable
from tests.fixtures.berlin.build_inputs import FIXTURES, real_lor, small_areas, tiny_source

MSS_DIR = "raw/berlin/mss_2021"
T2_2021_01 = "raw/berlin/population/berlin-lor-population-2021-01-t2-planning-areas.csv"


@pytest.fixture(scope="module")
def real(geodata: Path):
    ctx, areas, membership = real_lor(geodata)
    population, _ = berlin_population.stage(ctx, areas, membership)
    long, catalog = mss.stage(ctx, areas, membership, population)
    return ctx, long, catalog


def raw_csv(geodata: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(geodata / MSS_DIR / name, dtype=str)


def test_sentinels_never_become_values(real, geodata: Path):
    _, long, _ = real
    assert not (long["value"] == -9999).any()
    raw = raw_csv(geodata, "mss_2021_indizes.csv")
    unassigned = raw.loc[raw["SI_V"] == "Planungsraum ohne Zuordnung", "PLR_ID"]
    assert len(unassigned) == 6
    rows = long[(long["level"] == "planungsraum") & long["area_id"].isin(unassigned)]
    assert len(rows) == 6 * long["indicator_id"].nunique()
    assert rows["value"].isna().all() and rows["numerator"].isna().all()
    assert (rows["flag"] != "").all()


def test_flags_follow_kom(real):
    _, long, _ = real
    plr = long[(long["level"] == "planungsraum") & (long["indicator_id"] == "ber_mss_s1")].set_index("area_id")
    assert plr.loc["03300515", "flag"] == "under_300"   # ungültig (EW unter 300)
    assert plr.loc["03400831", "flag"] == "under_300"   # ungültig (EW unter 300), EW empty
    assert plr.loc["10100205", "flag"] == "outlier"     # ungültig (Ausreißer)
    assert plr.loc["01100101", "flag"] == ""
    assert (plr["flag"] != "").sum() == 6


def test_coverage_below_one_where_bzr_has_unrated_plr(real):
    _, long, _ = real
    bzr = long[(long["level"] == "bezirksregion") & (long["indicator_id"] == "ber_mss_s3")].set_index("area_id")
    assert 0 < bzr.loc["101002", "coverage"] < 1      # contains the outlier PLR 10100205
    assert bzr.loc["011001", "coverage"] == 1.0       # all four PLR rated
    assert bzr["value"].notna().all()


def test_city_s1_is_population_weighted_mean(real, geodata: Path):
    _, long, _ = real
    city = long[(long["level"] == "stadt") & (long["indicator_id"] == "ber_mss_s1")]
    raw = raw_csv(geodata, "mss_2021_index_indikatoren.csv")
    raw = raw[raw["KOM"] == "gültig"]
    s1 = raw.set_index("PLR_ID")["S1"].astype(float)
    # independent 1: the registry's weight (residents 15-64, 30 Jun 2021)
    t2 = pd.read_csv(geodata / T2_2021_01, dtype=str).set_index("id")
    cols = ["inhabitants_age_15_18", "inhabitants_age_18_27", "inhabitants_age_27_45", "inhabitants_age_45_55",
            "inhabitants_age_55_65"]
    w = t2[cols].astype(int).sum(axis=1).reindex(s1.index)
    assert city["value"].item() == pytest.approx((s1 * w).sum() / w.sum(), rel=1e-9)
    # independent 2 (plausibility): weighted by MSS's own residents (EW, 31 Dec 2020, all ages)
    ew = raw.set_index("PLR_ID")["EW"].astype(float)
    assert city["value"].item() == pytest.approx((s1 * ew).sum() / ew.sum(), abs=0.3)
    assert s1.min() < city["value"].item() < s1.max()
    assert city["coverage"].item() < 1


def test_status_low_share(real, geodata: Path):
    ctx, long, _ = real
    raw = raw_csv(geodata, "mss_2021_indizes.csv").set_index("PLR_ID")
    rated = raw[raw["KOM"] == "gültig"]
    inh = pd.read_csv(geodata / T2_2021_01, dtype=str).set_index("id")["inhabitants"].astype(int)
    inh = inh.reindex(rated.index)
    expected = 100 * inh[rated["SI_N"].isin(["3", "4"])].sum() / inh.sum()
    city = long[(long["level"] == "stadt") & (long["indicator_id"] == "ber_mss_status_low_share")]
    assert city["value"].item() == pytest.approx(expected)
    assert ctx.notes["mss_weight_population"] == "ber_population_2021_01_t2"


def test_index_classes_stay_at_plr_level(real):
    _, long, catalog = real
    for ind, classes in (("ber_mss_si", {1, 2, 3, 4}), ("ber_mss_di", {1, 3, 5})):
        rows = long[long["indicator_id"] == ind]
        assert set(rows["level"]) == {"planungsraum"}
        assert set(rows["value"].dropna().astype(int)) == classes
    by_id = {row["indicator_id"]: row for row in catalog}
    assert by_id["ber_mss_si"]["levels"] == {"berlin": ["planungsraum"]}
    assert by_id["ber_mss_si"]["aggregation"] == "none"
    assert by_id["ber_mss_s1"]["polarity"] == "higher_is_worse"
    assert by_id["ber_mss_s1"]["periods"] == {"berlin": ["2020-12-31"]}


def test_empty_context_columns_skipped_with_finding(real):
    ctx, long, _ = real
    assert "ber_mss_k01" in set(long["indicator_id"])
    assert "ber_mss_k08" not in set(long["indicator_id"])
    assert any("KI_08 holds no values" in f.message for f in ctx.findings)


# ---------------------------------------------------------------- tiny hand-made fixtures

def _entry(iid: str, kind: str, column: str, aggregation: str = "ratio", **berlin) -> dict:
    return {"id": iid, "group": "berlin", "label_de": iid, "label_en": iid, "unit": "%", "definition_de": "d",
            "polarity": "higher_is_worse", "aggregation": aggregation, "scale": 100 if column == "S1" else 1,
            "berlin": {"source_kind": kind, "column": column, **berlin}}


T1_WEIGHT = {"weight": ["inhabitants"], "weight_source_kind": "berlin_population_t1"}
REGISTRY = {"indicator": [
    _entry("s1", "berlin_mss_index_indikatoren", "S1", **T1_WEIGHT),
    _entry("d1", "berlin_mss_index_indikatoren", "D1", **T1_WEIGHT),
    _entry("si", "berlin_mss_indizes", "SI_N", aggregation="none"),
]}


PLR = ["01100101", "01100102", "01100203", "01100204"]
NAMES = ["Stülerstraße", "Großer Tiergarten", "Wilhelmstraße", "Unter den Linden"]
# Hand-built tables as the CSV reader returns them: text cells, None for an empty cell.
POP_FRAME = pd.DataFrame({"id": PLR, "district_id": "01", "inhabitants": ["1000", "0", "3000", "500"],
                          "inhabitants_foreigners": ["250", "0", "600", "100"]})
IDX_FRAME = pd.DataFrame({
    "ZEIT": "202012", "PLR_ID": PLR, "PLR_NAME": NAMES, "EW": ["1000", "38", "3000", "500"], "BEZ_ID": "01",
    "S1": ["4.0", "-9999", "8.0", "-9999"], "D1": ["1.5", "-9999", "-0.5", "-9999"],
    "KOM": ["gültig", "ungültig (EW unter 300)", "gültig", "ungültig (Ausreißer)"]})
UNASSIGNED = "Planungsraum ohne Zuordnung"
INDIZES_FRAME = pd.DataFrame({
    "ZEIT": "202012", "PLR_ID": PLR, "PLR_NAME": NAMES, "EW": ["1000", None, "3000", "500"], "BEZ_ID": "01",
    "SI_N": ["3", "-9999", "1", UNASSIGNED], "SI_V": ["niedrig", UNASSIGNED, "hoch", UNASSIGNED],
    "DI_N": ["5", "-9999", "3", "3"], "DI_V": ["negativ", UNASSIGNED, "stabil", "stabil"],
    "KOM": ["gültig", "ungültig (EW unter 300)", "gültig", "gültig"]})
SOURCES = {"pop": tiny_source("pop", "berlin_population_t1", "raw/t1.csv", "2021-06-30"),
           "idx": tiny_source("idx", "berlin_mss_index_indikatoren", "raw/idx.csv", "2020-12-31"),
           "indizes": tiny_source("indizes", "berlin_mss_indizes", "raw/indizes.csv", "2020-12-31")}


def run_small(index_frame: pd.DataFrame | None = None):
    """The pure part of the stage on hand-built tables (no file is written)."""
    ctx = BuildContext(resolve_paths(Path("/nonexistent/geodata")), list(SOURCES.values()), REGISTRY)
    tables = [SourceTable(SOURCES["indizes"], Path("indizes.csv"), INDIZES_FRAME),
              SourceTable(SOURCES["idx"], Path("idx.csv"), IDX_FRAME if index_frame is None else index_frame)]
    weights = {"pop": SourceTable(SOURCES["pop"], Path("t1.csv"), POP_FRAME)}
    areas = small_areas()
    long, _ = mss.mss_indicators(ctx, tables, weights, areas, areas_berlin.berlin_membership(areas))
    return ctx, long


def test_stage_reads_the_registered_files(tmp_path: Path):
    """The reading half: stage() on written copies gives what the pure half gives on the frames."""
    (tmp_path / "raw").mkdir()
    for name, fixture in {"t1.csv": "berlin-lor-population-2021-01-t1-planning-areas.csv",
                          "idx.csv": "mss_index_indikatoren.csv", "indizes.csv": "mss_indizes.csv"}.items():
        shutil.copy(FIXTURES / fixture, tmp_path / "raw" / name)
    ctx = BuildContext(resolve_paths(tmp_path), list(SOURCES.values()), REGISTRY)
    tables, weights = mss.read_mss(ctx)
    assert [t.source.id for t in tables] == ["indizes", "idx"] and list(weights) == ["pop"]
    areas = small_areas()
    long, _ = mss.stage(ctx, areas, areas_berlin.berlin_membership(areas))
    pd.testing.assert_frame_equal(long, run_small()[1])


def _cell(frame: pd.DataFrame, row: int, column: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[row, column] = value
    return out


def test_small_flags_and_weighted_aggregates():
    ctx, long = run_small()
    v = long.set_index(["indicator_id", "level", "area_id"])
    assert v.loc[("s1", "planungsraum", "01100102"), "flag"] == "under_300"
    assert v.loc[("s1", "planungsraum", "01100204"), "flag"] == "outlier"
    assert np.isnan(v.loc[("s1", "planungsraum", "01100204"), "value"])
    # BZR 011002: only 01100203 rated (3000 residents of 3500) -> S1 = 8.0, coverage 3000/3500
    assert v.loc[("s1", "bezirksregion", "011002"), "value"] == pytest.approx(8.0)
    assert v.loc[("s1", "bezirksregion", "011002"), "coverage"] == pytest.approx(3000 / 3500)
    # city: (4.0*1000 + 8.0*3000) / 4000 ; the 0-resident PLR adds no weight
    assert v.loc[("s1", "stadt", "ber"), "value"] == pytest.approx(7.0)
    assert v.loc[("s1", "stadt", "ber"), "numerator"] == pytest.approx(0.04 * 1000 + 0.08 * 3000)
    assert v.loc[("d1", "stadt", "ber"), "value"] == pytest.approx((1.5 * 1000 - 0.5 * 3000) / 4000)
    assert ctx.notes["mss_weight_population"] == "pop"


def test_small_unassigned_text_in_rated_row_is_not_rated():
    _, long = run_small()
    si = long[long["indicator_id"] == "si"].set_index("area_id")
    assert si.loc["01100204", "flag"] == "not_rated" and np.isnan(si.loc["01100204", "value"])
    assert si.loc["01100102", "flag"] == "under_300"
    assert si.loc["01100101", "value"] == 3
    assert set(si.index) == {"01100101", "01100102", "01100203", "01100204"}


def test_missing_kom_column():
    with pytest.raises(InputError, match=r"idx\.csv.*missing column\(s\) \['KOM'\]"):
        run_small(IDX_FRAME.rename(columns={"KOM": "KOMMENTAR"}))


def test_non_numeric_in_rated_row():
    with pytest.raises(InputError, match=r"idx\.csv: Zeile 4, column 'S1': value 'acht' is not a number"):
        run_small(_cell(IDX_FRAME, 2, "S1", "acht"))


def test_unknown_plr_id():
    with pytest.raises(InputError, match=r"idx\.csv: Zeile 4: PLR_ID '1100203'"):
        run_small(_cell(IDX_FRAME, 2, "PLR_ID", "1100203"))
