"""Derived indicators: copies, location rates, densities and sums, in registry dependency order."""

from __future__ import annotations

import copy
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipelines import config
from pipelines.builder.derived import dependency_order, references, stage
from pipelines.config import resolve_paths
from pipelines.errors import RegistryError
from pipelines.registry import Source, SourceFile, load_indicator_registry
from pipelines.stage import BuildContext

UNDER2 = "muc_bevoelkerung__altersgruppen__bis_2_jahre"
AGE3_5 = "muc_bevoelkerung__altersgruppen__3_bis_5_jahre"


@pytest.fixture(scope="module")
def registry(geodata: Path) -> dict:
    return load_indicator_registry(geodata)


def _entries(registry: dict, *ids: str) -> dict:
    by_id = {e["id"]: e for e in registry["indicator"]}
    return {"indicator": [copy.deepcopy(by_id[i]) for i in ids]}


def _kita_source(city: str, date: str) -> Source:
    return Source(id=f"{city}_kitas", kind="munich_kitas" if city == "munich" else "berlin_locations", city=city,
                  title="t", publisher="p", licence="l", attribution="a", url="u", reference_date=date,
                  files=(SourceFile("x", ""),), extra={"layer": "kita"})


def _ctx(registry: dict, sources: list[Source] | None = None) -> BuildContext:
    return BuildContext(resolve_paths(Path("/nonexistent/geodata")), sources or [], registry)


def _areas() -> gpd.GeoDataFrame:
    """Toy Munich: two 1 km² / 3 km² districts, the city (4 km²) and one Handlungsraum."""
    rows = [("stadt", "muc", shapely.box(0, 0, 4000, 1000)),
            ("stadtbezirk", "01", shapely.box(0, 0, 1000, 1000)),
            ("stadtbezirk", "02", shapely.box(1000, 0, 4000, 1000)),
            ("handlungsraum", "hr_1", shapely.box(0, 0, 2000, 1000))]
    gdf = gpd.GeoDataFrame({"city": "munich", "level": [r[0] for r in rows], "area_id": [r[1] for r in rows]},
                           geometry=[r[2] for r in rows], crs="EPSG:25832")
    gdf["area_km2"] = gdf.geometry.area / 1e6
    return gdf


def _row(iid: str, level: str, area: str, period: str, value: float, numerator: float = np.nan,
         denominator: float = np.nan, flag: str = "", city: str = "munich") -> dict:
    return {"city": city, "level": level, "area_id": area, "indicator_id": iid, "period": period, "value": value,
            "numerator": numerator, "denominator": denominator, "coverage": 1.0, "flag": flag}


def _age_rows() -> list[dict]:
    """Age-group shares with their counts as numerators, two years, district + city level."""
    out = []
    for period, k in (("2023-12-31", 1.0), ("2024-12-31", 2.0)):
        for level, area, n2, n35 in (("stadtbezirk", "01", 100, 50), ("stadtbezirk", "02", 300, 150),
                                     ("stadt", "muc", 400, 200)):
            out.append(_row(UNDER2, level, area, period, 3.0, n2 * k, 1000.0))
            out.append(_row(AGE3_5, level, area, period, 1.5, n35 * k, 1000.0))
    return out


def _locations(n01: int, n02: int, horte01: int = 0) -> gpd.GeoDataFrame:
    """Kindergartens in districts 01/02, plus after-school Horte in 01 (which the registry leaves out)."""
    ids = ["01"] * n01 + ["02"] * n02 + ["01"] * horte01
    categories = ["KINDERGARTEN"] * (n01 + n02) + ["HORT"] * horte01
    return gpd.GeoDataFrame({"city": "munich", "layer": "kita", "location_id": [str(i) for i in range(len(ids))],
                             "category": categories, "area_id_stadtbezirk": ids,
                             "area_id_handlungsraum": ["hr_1" if a == "01" else None for a in ids]},
                            geometry=[shapely.Point(500, 500)] * len(ids), crs="EPSG:25832")


def test_sum_of_numerators_then_kitas_per_1000_in_dependency_order(registry):
    reg = _entries(registry, "kitas_per_1000_u6", "muc_under6")  # dependant listed first on purpose
    del reg["indicator"][0]["berlin"]
    ctx = _ctx(reg, [_kita_source("munich", "2025-01-01")])
    out, catalog = stage(ctx, _areas(), pd.DataFrame(_age_rows()), _locations(3, 9, horte01=5))
    u6 = out[(out["indicator_id"] == "muc_under6")].set_index(["level", "area_id", "period"])["value"]
    assert u6[("stadtbezirk", "01", "2024-12-31")] == 300.0  # 200 + 100 numerators of the latest year
    assert u6[("stadt", "muc", "2023-12-31")] == 600.0 and len(u6) == 6
    k = out[out["indicator_id"] == "kitas_per_1000_u6"].set_index(["level", "area_id"])
    assert k.loc[("stadtbezirk", "01"), "value"] == pytest.approx(1000 * 3 / 300)  # latest denominator
    assert k.loc[("stadtbezirk", "01"), ["numerator", "denominator"]].tolist() == [3.0, 300.0]
    assert k.loc[("stadt", "muc"), "value"] == pytest.approx(1000 * 12 / 1200)
    assert set(k["period"]) == {"2025-01-01"}  # the locations' reference date
    assert ("handlungsraum", "hr_1") not in k.index  # no under-6 count at that level: no ratio
    cat = {c["indicator_id"]: c for c in catalog}
    assert cat["kitas_per_1000_u6"]["group"] == "comparable" and cat["kitas_per_1000_u6"]["scale"] == 1000
    assert cat["kitas_per_1000_u6"]["source_ids"] == ["munich_kitas"]
    assert cat["kitas_per_1000_u6"]["comparability_note_en"].startswith("Limited comparability")
    assert cat["muc_under6"]["levels"] == {"munich": ["stadt", "stadtbezirk"]}
    assert list(out.columns) == list(config.INDICATOR_COLUMNS)


def test_unknown_location_category_is_a_registry_error(registry):
    reg = _entries(registry, "kitas_per_1000_u6", "muc_under6")
    del reg["indicator"][0]["berlin"]
    reg["indicator"][0]["munich"]["categories"] = ["KITA"]
    with pytest.raises(RegistryError, match="categories \\['KITA'\\] do not occur") as err:
        stage(_ctx(reg), _areas(), pd.DataFrame(_age_rows()), _locations(3, 9))
    assert "KINDERGARTEN" in str(err.value)  # the fix lists the categories that exist


def test_locations_per_flags_zero_and_flagged_denominators(registry):
    reg = _entries(registry, "kitas_per_1000_u6")
    reg["indicator"][0]["munich"]["per"] = "u6"
    del reg["indicator"][0]["berlin"]
    rows = [_row("u6", "stadtbezirk", "01", "2024-12-31", 0.0),
            _row("u6", "stadtbezirk", "02", "2024-12-31", np.nan, flag="under_300"),
            _row("u6", "stadtbezirk", "02", "2020-12-31", 50.0),  # older period is not used
            _row("u6", "stadt", "muc", "2024-12-31", 100.0)]
    out, _ = stage(_ctx(reg), _areas(), pd.DataFrame(rows), _locations(1, 0))
    got = out.set_index(["level", "area_id"])
    assert got.loc[("stadtbezirk", "01"), "flag"] == "zero_denominator" and np.isnan(got.loc[("stadtbezirk", "01"),
                                                                                                "value"])
    assert got.loc[("stadtbezirk", "02"), "flag"] == "under_300"
    assert got.loc[("stadt", "muc"), "value"] == pytest.approx(10.0)
    assert got.loc[("stadt", "muc"), "period"] == "2024-12-31"  # no location source known: denominator's date


def test_from_copies_every_level_and_period(registry):
    reg = _entries(registry, "population")  # munich: from; berlin: source_kind (another stage's job)
    rows = [_row("muc_bevoelkerung__altersgruppen__insgesamt", lv, a, p, v)
            for lv, a in (("stadt", "muc"), ("stadtbezirk", "01")) for p, v in (("2023-12-31", 1.0),
                                                                               ("2024-12-31", 2.0))]
    rows.append(_row("population", "planungsraum", "01100101", "2024-12-31", 5.0, city="berlin"))
    out, catalog = stage(_ctx(reg), _areas(), pd.DataFrame(rows), _locations(0, 0))
    assert len(out) == 4 and set(out["indicator_id"]) == {"population"} and set(out["city"]) == {"munich"}
    assert sorted(out["value"]) == [1.0, 1.0, 2.0, 2.0]
    assert list(catalog[0]["levels"]) == ["munich"]


def test_per_km2_density(registry):
    reg = _entries(registry, "density")
    reg["indicator"][0]["munich"] = {"numerator_indicator": "population", "per_km2": True}
    rows = [_row("population", "stadtbezirk", "01", "2024-12-31", 5000.0),
            _row("population", "stadtbezirk", "02", "2024-12-31", 6000.0),
            _row("population", "stadt", "muc", "2024-12-31", np.nan, flag="no_data")]
    out, _ = stage(_ctx(reg), _areas(), pd.DataFrame(rows), _locations(0, 0))
    got = out.set_index("area_id")
    assert got.loc["01", "value"] == pytest.approx(5000.0) and got.loc["02", "value"] == pytest.approx(2000.0)
    assert got.loc["02", "denominator"] == pytest.approx(3.0)
    assert got.loc["muc", "flag"] == "no_data" and np.isnan(got.loc["muc", "value"])


def test_sum_of_numerators_missing_or_flagged_part(registry):
    reg = _entries(registry, "muc_under6")
    rows = [_row(UNDER2, "stadtbezirk", "01", "2024-12-31", 3.0, 100.0, 1000.0),
            _row(AGE3_5, "stadtbezirk", "01", "2024-12-31", np.nan, np.nan, np.nan, flag="no_data"),
            _row(UNDER2, "stadtbezirk", "02", "2024-12-31", 3.0, 100.0, 1000.0)]  # 3-5 missing: no row
    out, _ = stage(_ctx(reg), _areas(), pd.DataFrame(rows), _locations(0, 0))
    assert out["area_id"].tolist() == ["01"] and out["flag"].tolist() == ["no_data"] and out["value"].isna().all()


def test_unknown_reference_names_the_file_and_entry(registry):
    reg = _entries(registry, "muc_under6")
    reg["indicator"][0]["munich"]["sum_of_numerators"] = [UNDER2, "muc_typo"]
    with pytest.raises(RegistryError, match=r"indicators\.toml.*muc_under6.*muc_typo"):
        stage(_ctx(reg), _areas(), pd.DataFrame(_age_rows()), _locations(0, 0))


def test_cycle_is_a_registry_error(registry):
    reg = _entries(registry, "population", "density")
    reg["indicator"][0]["munich"] = {"from": "density"}
    reg["indicator"][1]["munich"] = {"numerator_indicator": "population", "per_km2": True}
    with pytest.raises(RegistryError, match="cycle"):
        stage(_ctx(reg), _areas(), pd.DataFrame(_age_rows()), _locations(0, 0))


def test_mapping_without_rule_is_a_registry_error(registry):
    reg = _entries(registry, "muc_under6")
    reg["indicator"][0]["munich"] = {"unit": "x"}
    with pytest.raises(RegistryError, match="derivation rule|none of"):
        stage(_ctx(reg), _areas(), pd.DataFrame(_age_rows()), _locations(0, 0))


def test_real_registry_derived_mappings_resolve(registry):
    """Every derived mapping of the real registry names ids that exist or are derived, without cycles."""
    tasks = {(e["id"], c): e[c] for e in registry["indicator"] for c in config.CITIES
             if isinstance(e.get(c), dict) and "source_kind" not in e[c]}
    assert ("kitas_per_1000_u6", "munich") in tasks and ("population", "berlin") not in tasks
    upstream = {(c, r) for (_, c), m in tasks.items() for r in references(m) if (r, c) not in tasks}
    fake = pd.DataFrame([_row(r, "stadt", "x", "2024-12-31", 1.0, city=c) for c, r in upstream])
    order = dependency_order(tasks, fake, "indicators.toml")
    pos = {t: i for i, t in enumerate(order)}
    assert pos[("muc_under6", "munich")] < pos[("kitas_per_1000_u6", "munich")]
    assert len(order) == len(tasks)


def test_city_without_input_rows_is_skipped(registry):
    reg = _entries(registry, "kitas_per_1000_u6")  # berlin mapping refers to ber_pop_under6, absent here
    reg["indicator"][0]["munich"]["per"] = UNDER2
    out, _ = stage(_ctx(reg), _areas(), pd.DataFrame(_age_rows()), _locations(1, 1))
    assert set(out["city"]) == {"munich"}
