"""Area search: umlaut-, accent- and case-insensitive, by name or id, ranked."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.search import build_index, fold, search_areas

AREAS = pd.DataFrame(
    [
        ("munich", "handlungsraum", "hr6", "Neuperlach"),
        ("munich", "bezirksteil", "16.4", "Neuperlach"),
        ("munich", "bezirksteil", "16.5", "Neuperlach-Süd"),
        ("munich", "stadtbezirk", "16", "Ramersdorf-Perlach"),
        ("munich", "bezirksteil", "01.1", "Graggenau"),
        ("berlin", "bezirksregion", "081005", "Köllnische Heide"),
        ("berlin", "planungsraum", "10200524", "Adele-Sandrock-Straße"),
        ("berlin", "bezirk", "01", "Mitte"),
        ("berlin", "planungsraum", "09502042", "Mittelheide"),
    ],
    columns=["city", "level", "area_id", "name"],
)
INDEX = build_index(AREAS)


def _ids(query: str) -> list[str]:
    return [h.area_id for h in search_areas(INDEX, query)]


@pytest.mark.parametrize("query", ["Koellnische", "köllnische", "Kollnische", "KÖLLNISCHE heide", "kollnische-heide"])
def test_umlauts_both_ways(query: str) -> None:
    assert _ids(query) == ["081005"]


def test_neuperlach_finds_action_area_first_then_bezirksteile() -> None:
    assert _ids("Neuperlach") == ["hr6", "16.4", "16.5"]


def test_word_inside_a_name() -> None:
    assert "16" in _ids("perlach")
    assert _ids("Sandrock strasse") == ["10200524"]  # hyphens and ß fold away ...
    assert _ids("strasse sandrock") == []  # ... but words stay in order


def test_by_id_and_id_prefix() -> None:
    assert _ids("01.1") == ["01.1"]
    assert _ids("0950") == ["09502042"]
    assert _ids("01")[0] == "01"  # the exact id first


def test_exact_name_before_prefix() -> None:
    assert _ids("Mitte") == ["01", "09502042"]


def test_empty_or_blank_query_finds_nothing() -> None:
    assert _ids("") == [] and _ids("   ") == [] and _ids("--") == []


def test_limit() -> None:
    assert len(search_areas(INDEX, "e", limit=3)) == 3


def test_only_selectable_areas_are_indexed() -> None:
    index = build_index(AREAS, {"munich": {"hr6": "handlungsraum"}, "berlin": {}})
    assert [h.area_id for h in search_areas(index, "neuperlach")] == ["hr6"]


def test_fold() -> None:
    assert fold("Köllnische Heide") == "koellnische heide"
    assert fold("Köllnische Heide", expand_umlauts=False) == "kollnische heide"
    assert fold("Straße/Élysée") == "strasse elysee"
