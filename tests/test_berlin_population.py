"""Berlin population per PLR: exact sums on the real tables, and one failing input per rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.builder.stages import fill_population
from pipelines.config import resolve_paths
from pipelines.errors import InputError, RegistryError
from pipelines.sources import areas_berlin, berlin_population
from pipelines.stage import BuildContext, SourceTable
from tests.fixtures.berlin.build_inputs import FIXTURES, real_lor, small_areas, tiny_source

T1_NAME = "berlin-lor-population-2021-01-t1-planning-areas.csv"


@pytest.fixture(scope="module")
def real(geodata: Path):
    ctx, areas, membership = real_lor(geodata)
    long, catalog = berlin_population.stage(ctx, areas, membership)
    return ctx, areas, long, catalog


def test_eight_periods_all_levels(real):
    _, _, long, _ = real
    pop = long[long["indicator_id"] == "population"]
    assert sorted(pop["period"].unique()) == [f"{y}-{md}" for y in range(2021, 2025) for md in ("06-30", "12-31")]
    counts = pop[pop["period"] == "2024-12-31"].groupby("level").size().to_dict()
    assert counts == {"planungsraum": 542, "bezirksregion": 143, "prognoseraum": 58, "bezirk": 12, "stadt": 1}
    assert (long["city"] == "berlin").all()
    assert long["area_id"].str.len().isin([3, 2, 4, 6, 8]).all()


def test_plr_sums_equal_city_total_every_period_every_count(real):
    _, _, long, _ = real
    counts = long[long["indicator_id"].isin(["population", "ber_pop_under6", "ber_pop_65plus", "ber_pop_foreigners"])]
    for (ind, period), grp in counts.groupby(["indicator_id", "period"]):
        city = grp.loc[grp["level"] == "stadt", "value"].item()
        for level in ("planungsraum", "bezirksregion", "prognoseraum", "bezirk"):
            assert grp.loc[grp["level"] == level, "value"].sum() == city, (ind, period, level)


def test_city_total_matches_raw_file(real, geodata: Path):
    _, _, long, _ = real
    raw = pd.read_csv(geodata / "raw/berlin/population" / T1_NAME, dtype=str)
    city = long[(long["indicator_id"] == "population") & (long["period"] == "2021-06-30") & (long["level"] == "stadt")]
    assert city["value"].item() == raw["inhabitants"].astype(int).sum() == 3_766_082


def test_ratios_are_ratios_of_sums(real):
    _, _, long, _ = real
    share = long[(long["indicator_id"] == "ber_pop_under18_share") & (long["period"] == "2023-12-31")]
    under18 = long[(long["indicator_id"] == "ber_pop_under18") & (long["period"] == "2023-12-31")]
    pop = long[(long["indicator_id"] == "population") & (long["period"] == "2023-12-31")]
    for level in ("bezirk", "stadt"):
        s = share[share["level"] == level].set_index("area_id")["value"]
        expected = 100 * under18[under18["level"] == level].set_index("area_id")["value"] / \
            pop[pop["level"] == level].set_index("area_id")["value"]
        pd.testing.assert_series_equal(s.sort_index(), expected.sort_index(), check_names=False)
    assert share["value"].dropna().between(0, 100).all()


def test_zero_population_plr_flagged_not_divided(real):
    _, _, long, _ = real
    plr = long[(long["level"] == "planungsraum") & (long["indicator_id"] == "ber_pop_female_share")]
    zero = plr[plr["denominator"] == 0]
    assert len(zero) > 0
    assert (zero["flag"] == "zero_denominator").all() and zero["value"].isna().all()


def test_catalog_rows(real):
    _, _, _, catalog = real
    by_id = {row["indicator_id"]: row for row in catalog}
    assert {"population", "ber_pop_under6", "ber_pop_foreigners_share", "ber_pop_65plus_share"} <= set(by_id)
    assert by_id["population"]["levels"]["berlin"] == ["stadt", "bezirk", "prognoseraum", "bezirksregion",
                                                        "planungsraum"]
    assert len(by_id["ber_pop_under6"]["periods"]["berlin"]) == 8
    assert all(sid.startswith("ber_population_") for sid in by_id["ber_pop_under6"]["source_ids"])


def test_fill_population_uses_latest_period(real):
    _, areas, long, _ = real
    filled = fill_population({"berlin": areas}, long.assign(city="berlin"))["berlin"]
    assert filled.loc[filled["level"] == "stadt", "population"].item() == 3_897_145
    assert filled["population"].notna().all()


# ---------------------------------------------------------------- tiny hand-built tables

REGISTRY = {"indicator": [
    {"id": "population", "group": "comparable", "label_de": "E", "label_en": "R", "unit": "P", "definition_de": "d",
     "polarity": "neutral", "aggregation": "sum",
     "berlin": {"source_kind": "berlin_population_t1", "numerator": ["inhabitants"]}},
    {"id": "ber_pop_foreigners_share", "group": "berlin", "label_de": "A", "label_en": "F", "unit": "%",
     "definition_de": "d", "polarity": "neutral", "aggregation": "ratio", "scale": 100,
     "berlin": {"source_kind": "berlin_population_t1", "numerator": ["inhabitants_foreigners"],
                "denominator": ["inhabitants"]}},
]}


# Four Planungsräume of small_areas(): one without residents; text cells as the reader returns them.
T1_FRAME = pd.DataFrame({"id": ["01100101", "01100102", "01100203", "01100204"], "district_id": "01",
                         "inhabitants": ["1000", "0", "3000", "500"],
                         "inhabitants_foreigners": ["250", "0", "600", "100"]})


def _cell(frame: pd.DataFrame, row: int, column: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[row, column] = value
    return out


def run_small(frame: pd.DataFrame | None = None, *, date: str = "2021-06-30", registry=None):
    """The pure part of the stage on a hand-built table (no file is written)."""
    src = tiny_source("t1", "berlin_population_t1", f"raw/{T1_NAME}", date)
    ctx = BuildContext(resolve_paths(Path("/nonexistent/geodata")), [src], registry or REGISTRY)
    table = SourceTable(src, Path(T1_NAME), T1_FRAME if frame is None else frame)
    areas = small_areas()
    long, catalog = berlin_population.population_indicators(ctx, [table], areas,
                                                            areas_berlin.berlin_membership(areas))
    return ctx, long, catalog


def test_small_fixture_values():
    _, long, _ = run_small()
    v = long.set_index(["indicator_id", "level", "area_id"])["value"]
    assert v[("population", "bezirksregion", "011001")] == 1000
    assert v[("population", "stadt", "ber")] == 4500
    assert v[("ber_pop_foreigners_share", "bezirksregion", "011002")] == pytest.approx(100 * 700 / 3500)
    assert v[("ber_pop_foreigners_share", "stadt", "ber")] == pytest.approx(100 * 950 / 4500)
    assert np.isnan(v[("ber_pop_foreigners_share", "planungsraum", "01100102")])  # 0 residents


def test_stage_reads_the_registered_file(tmp_path: Path):
    """The reading half: stage() on a written copy gives what the pure half gives on the frame."""
    (tmp_path / "raw").mkdir()
    shutil.copy(FIXTURES / T1_NAME, tmp_path / "raw" / T1_NAME)
    src = tiny_source("t1", "berlin_population_t1", f"raw/{T1_NAME}", "2021-06-30")
    ctx = BuildContext(resolve_paths(tmp_path), [src], REGISTRY)
    areas = small_areas()
    long, _ = berlin_population.stage(ctx, areas, areas_berlin.berlin_membership(areas))
    pd.testing.assert_frame_equal(long, run_small()[1])


def test_missing_column():
    frame = T1_FRAME.rename(columns={"inhabitants_foreigners": "auslaender"})
    with pytest.raises(InputError, match=r"planning-areas\.csv.*missing column\(s\) \['inhabitants_foreigners'\]"):
        run_small(frame)


def test_non_numeric_cell_names_file_row_column():
    with pytest.raises(InputError, match=r"planning-areas\.csv: Zeile 3, column 'inhabitants': value 'n/a'"):
        run_small(_cell(T1_FRAME, 1, "inhabitants", "n/a"))


def test_unknown_plr_names_file_and_row():
    with pytest.raises(InputError, match=r"planning-areas\.csv: Zeile 5: id '1100204' is not a LOR 2021 Planungsraum"):
        run_small(_cell(T1_FRAME, 3, "id", "1100204"))


def test_missing_plr_is_flagged_and_reported():
    ctx, long, _ = run_small(T1_FRAME[T1_FRAME["id"] != "01100204"].reset_index(drop=True))
    row = long[(long["indicator_id"] == "population") & (long["area_id"] == "01100204")]
    assert row["flag"].item() == "no_data" and np.isnan(row["value"].item())
    bzr = long[(long["indicator_id"] == "population") & (long["area_id"] == "011002")]
    assert bzr["value"].item() == 3000
    assert any("missing from the table" in f.message and "01100204" in f.where for f in ctx.findings)


def test_duplicate_plr():
    extra = pd.DataFrame({"id": ["01100101"], "district_id": "01", "inhabitants": ["5"],
                          "inhabitants_foreigners": ["1"]})
    with pytest.raises(InputError, match="appears twice"):
        run_small(pd.concat([T1_FRAME, extra], ignore_index=True))


def test_reference_date_must_match_half_year():
    with pytest.raises(RegistryError, match="does not match the half-year 2021-01"):
        run_small(date="2021-12-31")


def test_aggregation_must_match_mapping():
    bad = {"indicator": [dict(REGISTRY["indicator"][1], aggregation="sum")]}
    with pytest.raises(RegistryError, match="does not match the mapping"):
        run_small(registry=bad)


def test_editions_aggregated_together_equal_each_on_its_own(real):
    """One aggregate_long per rule and scale for all editions: each edition's frame as if aggregated alone."""
    ctx, areas, _, _ = real
    membership = areas_berlin.berlin_membership(areas)
    tables = [t for t in berlin_population.read_population(ctx) if t.source.kind == "berlin_population_t1"]
    specs = [s for s in berlin_population.population_specs(ctx) if s["source_kind"] == "berlin_population_t1"]
    needed = sorted({c for s in specs for c in s["numerator"] + s["denominator"]} | {"inhabitants"})
    editions = []
    for raw in tables[:3]:
        period = berlin_population.source_period(ctx, raw.source)
        table = berlin_population.population_table(ctx, raw, berlin_population.plr_ids(areas), needed)
        base = pd.concat([berlin_population._base_values(table, s, period) for s in specs], ignore_index=True)
        editions.append((period, base, table["inhabitants"]))
    together = berlin_population._with_aggregates([*editions, editions[0]], membership, specs)  # a period twice
    alone = [berlin_population._with_aggregates([e], membership, specs)[0] for e in [*editions, editions[0]]]
    assert len(together) == 4
    for got, want in zip(together, alone, strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=True)
