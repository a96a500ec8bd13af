"""Registries (sources.toml, indicators.toml), io readers/staging, and the aggregation rules.

Hand-made tables and tiny TOML files for the failure modes; the real registry for
the data contract (every source complete, every file present and hashed).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from pipelines import io
from pipelines.aggregate import aggregate_long, membership_from_parents
from pipelines.errors import ChecksumError, InputError, RegistryError
from pipelines.registry import latest_source, load_indicator_registry, load_sources, slugify, verify_checksums

SOURCE = """
[[source]]
id = "{id}"
kind = "document"
city = "munich"
title = "T"
publisher = "P"
licence = "dl-de/by-2-0"
attribution = "A"
url = "https://example.org"
reference_date = "2024-01-01"
files = [ {{ path = "raw/{file}", sha256 = "{sha}" }} ]
"""


def _registry(tmp_path: Path, entries: list[dict[str, str]], content: bytes = b"hello\n") -> Path:
    (tmp_path / "raw").mkdir(exist_ok=True)
    text = ""
    for e in entries:
        (tmp_path / "raw" / e["file"]).write_bytes(content)
        text += SOURCE.format(**{"sha": io.sha256_file(tmp_path / "raw" / e["file"]), **e})
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    return tmp_path


# ------------------------------------------------------------------ real registry (data contract)

def test_real_sources_are_complete_and_hashed(geodata: Path, sources) -> None:
    assert len(sources) >= 30
    for s in sources:
        assert s.licence and s.attribution and s.url.startswith("http"), s.id
        for f in s.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), (s.id, f.path)
            assert (geodata / f.path).is_file(), f.path
            assert not f.download_url or f.download_url.startswith("https://"), f.download_url


def test_real_checksums_verify(geodata: Path, sources) -> None:
    checked = verify_checksums(sources, geodata)
    assert len(checked) == sum(len(s.files) for s in sources)
    assert {c["source"] for c in checked} == {s.id for s in sources}


def test_download_url_is_optional_and_parsed(tmp_path: Path) -> None:
    g = _registry(tmp_path, [{"id": "a", "file": "a.md"}])
    text = (g / "sources.toml").read_text().replace('" }', '", download_url = "https://example.org/a.md" }')
    (g / "sources.toml").write_text(text)
    assert load_sources(g)[0].files[0].download_url == "https://example.org/a.md"


# ------------------------------------------------------------------ failure modes

def test_missing_field_names_the_entry(tmp_path: Path) -> None:
    g = _registry(tmp_path, [{"id": "a", "file": "a.md"}])
    (g / "sources.toml").write_text((g / "sources.toml").read_text().replace('licence = "dl-de/by-2-0"\n', ""))
    with pytest.raises(RegistryError) as err:
        load_sources(g)
    assert "licence" in str(err.value) and "(a)" in str(err.value) and "sources.toml" in str(err.value)


def test_duplicate_source_id(tmp_path: Path) -> None:
    g = _registry(tmp_path, [{"id": "a", "file": "a.md"}, {"id": "a", "file": "b.md"}])
    with pytest.raises(RegistryError, match="duplicate source id 'a'"):
        load_sources(g)


def test_checksum_mismatch_names_file_and_fix(tmp_path: Path) -> None:
    g = _registry(tmp_path, [{"id": "a", "file": "a.md"}])
    (g / "raw" / "a.md").write_bytes(b"hellO\n")
    with pytest.raises(ChecksumError) as err:
        verify_checksums(load_sources(g), g)
    msg = str(err.value)
    assert "a.md" in msg and "does not match" in msg and "sources.toml" in msg


def test_missing_registered_file(tmp_path: Path) -> None:
    g = _registry(tmp_path, [{"id": "a", "file": "a.md"}])
    (g / "raw" / "a.md").unlink()
    with pytest.raises(ChecksumError, match="missing"):
        verify_checksums(load_sources(g), g)


def test_broken_toml_names_file(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nid = "a\n')
    with pytest.raises(InputError, match="sources.toml.*not valid TOML"):
        load_sources(tmp_path)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("polarity", "up", "polarity 'up' unknown"),
    ("aggregation", "mean", "aggregation 'mean' unknown"),
])
def test_indicator_registry_rejects_unknown_vocabulary(tmp_path: Path, field: str, value: str, message: str) -> None:
    entry = {"id": "x", "group": "munich", "label_de": "X", "label_en": "X", "unit": "%", "definition_de": "d",
             "polarity": "neutral", "aggregation": "sum", field: value}
    text = "[[indicator]]\n" + "".join(f'{k} = "{v}"\n' for k, v in entry.items())
    (tmp_path / "indicators.toml").write_text(text)
    with pytest.raises(RegistryError, match=message):
        load_indicator_registry(tmp_path)


def test_indicator_registry_duplicate_id(tmp_path: Path) -> None:
    entry = ('[[indicator]]\nid = "x"\ngroup = "munich"\nlabel_de = "X"\nlabel_en = "X"\nunit = "%"\n'
             'definition_de = "d"\npolarity = "neutral"\naggregation = "sum"\n')
    (tmp_path / "indicators.toml").write_text(entry + entry)
    with pytest.raises(RegistryError, match="duplicate indicator id 'x'"):
        load_indicator_registry(tmp_path)


def test_real_indicator_registry_loads(geodata: Path) -> None:
    reg = load_indicator_registry(geodata)
    assert any(i["id"] == "population" for i in reg["indicator"])
    assert {s["topic"] for s in reg["indicator_set"]} >= {"arbeitsmarkt", "bevoelkerung", "kinderbetreuung"}


def test_slugify() -> None:
    assert slugify("Arbeitslose - Anteil") == "arbeitslose_anteil"
    assert slugify("Bevölkerungsdichte (Einw./km²)") == "bevoelkerungsdichte_einw_km2"
    assert slugify("Größe") == "groesse"


# ------------------------------------------------------------------ io

def test_read_csv_keeps_leading_zeros_and_strips_bom(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes("\ufeffPLR_ID,EW\n01100101,3419\n".encode())
    df = io.read_csv_text(p)
    assert list(df.columns) == ["PLR_ID", "EW"] and df.loc[0, "PLR_ID"] == "01100101"


def test_read_vector_checks_crs_and_id_columns(tmp_path: Path) -> None:
    p = tmp_path / "pts.geojson"
    gpd.GeoDataFrame({"code": ["01"]}, geometry=[Point(11.5, 48.1)], crs="EPSG:4326").to_file(p)
    assert io.read_vector(p, expected_crs="EPSG:4326", id_columns=("code",)).loc[0, "code"] == "01"
    with pytest.raises(InputError, match="expected EPSG:25832"):
        io.read_vector(p, expected_crs="EPSG:25832")
    with pytest.raises(InputError, match="missing column 'sb_nummer'"):
        io.read_vector(p, id_columns=("sb_nummer",))


def test_read_vector_truncated_file(tmp_path: Path) -> None:
    p = tmp_path / "t.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Po')
    with pytest.raises(InputError, match="cannot be read as a vector file"):
        io.read_vector(p)


def test_staging_dir_keeps_previous_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "processed"
    out.mkdir()
    (out / "old.txt").write_text("good")
    with pytest.raises(RuntimeError), io.staging_dir(out) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("stage failed")
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".processed")]
    with io.staging_dir(out) as tmp:
        (tmp / "new.txt").write_text("done")
    assert [p.name for p in out.iterdir()] == ["new.txt"]


# ------------------------------------------------------------------ aggregation

def _values(rows: list[tuple[str, float | None, float | None, float | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_id", "value", "numerator", "denominator", "flag"]).assign(
        indicator_id="x", period="2024-12-31")


MEMBERS = pd.DataFrame({"child_id": ["a", "b", "c"], "level": "parent", "area_id": "P"})


def test_sum_rule() -> None:
    v = _values([("a", 10, None, None, ""), ("b", 20, None, None, ""), ("c", 5, None, None, "")])
    out = aggregate_long(v, MEMBERS, rule="sum")
    assert out.loc[0, "value"] == 35 and out.loc[0, "coverage"] == 1.0 and out.loc[0, "flag"] == ""


def test_ratio_is_never_a_mean_of_percentages() -> None:
    # 50 % of 10 people and 10 % of 1000 people: the share is 60/1010, not (50+10)/2
    v = _values([("a", 50.0, 5, 10, ""), ("b", 10.0, 100, 1000, "")])
    out = aggregate_long(v, MEMBERS, rule="ratio", scale=100)
    assert out.loc[0, "value"] == pytest.approx(100 * 105 / 1010)
    assert out.loc[0, "value"] != pytest.approx(30.0)
    assert (out.loc[0, "numerator"], out.loc[0, "denominator"]) == (105, 1010)


def test_flagged_child_is_left_out_and_coverage_says_so() -> None:
    v = _values([("a", 10.0, 10, 100, ""), ("b", np.nan, np.nan, np.nan, "under_300"), ("c", 20.0, 60, 300, "")])
    weights = pd.Series({"a": 100.0, "b": 200.0, "c": 300.0})
    out = aggregate_long(v, MEMBERS, rule="ratio", scale=100, weights=weights)
    assert out.loc[0, "value"] == pytest.approx(100 * 70 / 400)
    assert out.loc[0, "coverage"] == pytest.approx(400 / 600)


def test_all_children_flagged_propagates_the_flag() -> None:
    v = _values([("a", np.nan, np.nan, np.nan, "not_rated"), ("b", np.nan, np.nan, np.nan, "")])
    out = aggregate_long(v, MEMBERS, rule="ratio")
    assert math.isnan(out.loc[0, "value"]) and out.loc[0, "flag"] == "not_rated" and out.loc[0, "coverage"] == 0


def test_zero_denominator_is_flagged() -> None:
    v = _values([("a", 0.0, 0, 0, "")])
    out = aggregate_long(v, MEMBERS, rule="ratio")
    assert out.loc[0, "flag"] == "zero_denominator" and math.isnan(out.loc[0, "value"])


def test_share_apportions_a_partial_child() -> None:
    members = pd.DataFrame({"child_id": ["a", "b"], "level": "hr", "area_id": "H", "share": [1.0, 0.25]})
    v = _values([("a", 100, 100, None, ""), ("b", 400, 400, None, "")])
    assert aggregate_long(v, members, rule="sum").loc[0, "value"] == pytest.approx(200)
    r = _values([("a", 10.0, 10, 100, ""), ("b", 50.0, 200, 400, "")])
    out = aggregate_long(r, members, rule="ratio", scale=100)
    assert out.loc[0, "value"] == pytest.approx(100 * (10 + 50) / (100 + 100))


def test_membership_from_parents() -> None:
    units = pd.DataFrame({"area_id": ["01100101", "01100102"], "bzr": ["011001", "011001"], "city": "ber"})
    m = membership_from_parents(units, {"bezirksregion": "bzr", "stadt": "city"})
    assert len(m) == 4 and set(m["level"]) == {"bezirksregion", "stadt"}


@settings(max_examples=60, deadline=None)
@given(
    populations=st.lists(st.integers(min_value=0, max_value=50_000), min_size=1, max_size=40),
    data=st.data(),
)
def test_aggregating_counts_then_summing_never_loses_population(populations: list[int], data) -> None:
    n = len(populations)
    parents = data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    ids = [f"{i:03d}" for i in range(n)]
    v = pd.DataFrame({"area_id": ids, "value": [float(p) for p in populations], "flag": "",
                      "indicator_id": "population", "period": "2024-12-31"})
    members = pd.concat([
        pd.DataFrame({"child_id": ids, "level": "mid", "area_id": [f"P{p}" for p in parents]}),
        pd.DataFrame({"child_id": ids, "level": "stadt", "area_id": "city"}),
    ], ignore_index=True)
    out = aggregate_long(v, members, rule="sum")
    assert out.loc[out["level"] == "mid", "value"].sum() == sum(populations)
    assert out.loc[out["level"] == "stadt", "value"].item() == sum(populations)
    # two-step aggregation (children -> mid -> city) equals the direct one
    mid = out[out["level"] == "mid"].assign(flag="")
    up = aggregate_long(mid, pd.DataFrame({"child_id": mid["area_id"], "level": "stadt", "area_id": "city"}),
                        rule="sum")
    assert up["value"].item() == sum(populations)


def test_latest_source_picks_the_newest_edition_and_names_a_missing_kind(geodata: Path, sources) -> None:
    newest = latest_source(sources, "berlin_population_t1", geodata)
    assert newest.reference_date == max(s.reference_date for s in sources if s.kind == "berlin_population_t1")
    with pytest.raises(RegistryError, match="no source of kind 'berlin_lor_2030'") as err:
        latest_source(sources, "berlin_lor_2030", geodata)
    assert "sources.toml" in str(err.value)
