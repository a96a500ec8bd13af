"""Registries (sources.toml, indicators.toml): required fields, vocabularies, checksums, editions.

Hand-made tables and tiny TOML files for the failure modes; the real registry for
the data contract (every source complete, every file present and hashed).
"""

from __future__ import annotations

import re
from pathlib import Path

import hypothesis
import pytest

from pipelines import io
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


def _slugify_reference(text: str) -> str:
    """The rule in its plain form (every step for every text), as slugify had it before its ASCII shortcut."""
    import re
    import unicodedata

    t = text.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        t = t.replace(a, b)
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", t).strip("_")


_SLUG_TEXT = hypothesis.strategies.sampled_from(list("aAzZ09 _-./()²ÄäÖöÜüßéÉñ\t\u00a0İ") + ["\u212a", "ﬁ"])


@hypothesis.given(hypothesis.strategies.text(alphabet=_SLUG_TEXT, max_size=30)
                  | hypothesis.strategies.text(max_size=20))
def test_slugify_matches_the_plain_rule(text: str) -> None:
    assert slugify(text) == _slugify_reference(text)


def test_latest_source_picks_the_newest_edition_and_names_a_missing_kind(geodata: Path, sources) -> None:
    newest = latest_source(sources, "berlin_population_t1", geodata)
    assert newest.reference_date == max(s.reference_date for s in sources if s.kind == "berlin_population_t1")
    with pytest.raises(RegistryError, match="no source of kind 'berlin_lor_2030'") as err:
        latest_source(sources, "berlin_lor_2030", geodata)
    assert "sources.toml" in str(err.value)
