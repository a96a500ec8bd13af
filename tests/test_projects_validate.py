"""Row rules for project lists: one test per problem, on hand-made fixtures and the real Munich Stadtbezirke."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from pipelines.errors import InputError
from pipelines.projects import (
    load_project_schema,
    parse_projects,
    read_projects,
    require_usable,
    to_safe_csv,
    validate_projects,
)
from pipelines.projects import read as projects_read
from pipelines.projects import validate as projects_validate

FIX = Path(__file__).parent / "fixtures" / "projects"


@pytest.fixture(scope="module")
def schema():
    return load_project_schema()


@pytest.fixture(scope="module")
def munich_areas(geodata):
    """Real Stadtbezirke (dissolved by sb_nummer) + the city outline, as canonical areas."""
    raw = gpd.read_file(geodata / "raw" / "munich" / "stadtbezirke.geojson").dissolve("sb_nummer", as_index=False)
    assert raw.crs.equals("EPSG:25832")
    sb = gpd.GeoDataFrame({"city": "munich", "level": "stadtbezirk", "area_id": raw["sb_nummer"].astype(str),
                           "parent_id": "muc"}, geometry=raw.geometry, crs=raw.crs)
    city = gpd.GeoDataFrame({"city": ["munich"], "level": ["stadt"], "area_id": ["muc"], "parent_id": [""]},
                            geometry=[sb.union_all()], crs=raw.crs)
    return pd.concat([city, sb], ignore_index=True).to_crs("EPSG:4326")


def _codes(report, row=None):
    return {p.code for p in report.problems if row is None or p.row == row}


def test_coordinates_swapped_outside_other_city_utm(schema, munich_areas):
    report = validate_projects(read_projects(FIX / "koordinaten.csv", schema), munich_areas, schema=schema)
    assert report.status == "partial" and report.exit_code == 1
    p = report.projects.set_index("id")
    assert list(p.index) == ["K-1", "K-2"]
    assert (p.loc["K-2", "lat"], p.loc["K-2", "lon"]) == (48.13, 11.57)  # swapped back
    assert "Zeile 3 [lat/lon] Warnung: lat/lon vertauscht? (lat=11.57, lon=48.13) – automatisch getauscht" \
        in report.lines("de")
    assert _codes(report, 4) == {"outside_city"} and _codes(report, 5) == {"in_other_city"}
    assert _codes(report, 6) == {"utm_coordinates"} and _codes(report, 7) == {"bad_coordinate"}
    assert _codes(report, 8) == {"half_point"}
    assert any(line.startswith("Row 3") and "swapped" in line for line in report.lines("en"))


def test_without_areas_the_city_box_is_used(schema):
    report = validate_projects(read_projects(FIX / "koordinaten.csv", schema), None, schema=schema)
    assert list(report.projects["id"]) == ["K-1", "K-2"]


def test_problems_file(schema, munich_areas):
    report = validate_projects(read_projects(FIX / "probleme.csv", schema), munich_areas, schema=schema)
    assert list(report.projects["id"]) == ["P-1", "P-6"]
    lines = "\n".join(report.lines())
    assert "Zeile 3 [id] FEHLER: ID 'P-1' doppelt (zuerst in Zeile 2)" in lines
    assert "Thema 'Wohen' unbekannt – meinten Sie 'Wohnen'?" in lines
    assert "Status 'Planug' unbekannt – meinten Sie 'Planung'?" in lines
    assert _codes(report, 6) == {"missing_value"}
    assert "unknown_stadt_nohint" in _codes(report, 7) or "unknown_stadt" in _codes(report, 7)
    assert {"end_before_start", "bad_budget", "link_bad"} <= _codes(report, 2)
    assert {"bad_date", "bad_budget", "link_bad"} <= _codes(report, 7)
    p1 = report.projects.iloc[0]
    assert p1["link"] == "" and pd.isna(p1["budget_eur"])  # cleared, row kept


def test_html_and_script_in_titles_are_kept_as_plain_text(schema, munich_areas):
    report = validate_projects(read_projects(FIX / "html_titel.csv", schema), munich_areas, schema=schema)
    assert report.exit_code == 0
    p = report.projects.set_index("id")
    assert p.loc["H-1", "titel"] == "<img src=x onerror=alert(1)>"
    assert p.loc["H-2", "titel"] == '<script>alert("x")</script> TESTDATEN'
    assert p.loc["H-1", "partner"] == ["<script>alert('p')</script>"]


def test_formula_text_in_csv_is_flagged_and_neutralised_on_export(schema, munich_areas):
    report = validate_projects(read_projects(FIX / "formeln.csv", schema), munich_areas, schema=schema)
    assert report.exit_code == 0  # formulas are warnings: kept as text
    flagged = {(p.row, p.column) for p in report.problems if p.code == "formula_text"}
    assert {(2, "titel"), (2, "federfuehrung"), (2, "beteiligte_referate"), (3, "titel")} <= flagged
    assert "bad_budget" in _codes(report, 2)  # -5 EUR
    csv_text = to_safe_csv(report.projects).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'@SUMME(A1)" in csv_text and "'-2+3+cmd" in csv_text
    assert "'+Referat X" in csv_text
    for line in csv_text.splitlines()[1:]:
        assert not re.search(r'(^|;)"?[=+\-@]', line), line


def test_area_ids_checked_padded_and_unknown(schema, munich_areas):
    report = validate_projects(read_projects(FIX / "gebiete.csv", schema), munich_areas, schema=schema)
    p = report.projects.set_index("id")
    assert (p.loc["G-1", "area_id"], p.loc["G-1", "area_level"]) == ("01", "stadtbezirk")
    assert "G-2" not in p.index  # "1.2" would be Bezirksteil 01.2: not in this areas table
    assert "G-3" not in p.index
    assert "Gebiets-ID '99' gibt es in München nicht" in "\n".join(report.lines())


def test_area_id_leading_zero_restored(schema):
    sq = box(11.5, 48.1, 11.6, 48.2)
    areas = gpd.GeoDataFrame({"city": ["munich"] * 2, "level": ["stadtbezirk", "bezirksteil"],
                              "area_id": ["01", "01.2"], "parent_id": ["muc", "01"]}, geometry=[sq, sq], crs=4326)
    report = validate_projects(read_projects(FIX / "gebiete.csv", schema), areas, schema=schema)
    p = report.projects.set_index("id")
    assert (p.loc["G-2", "area_id"], p.loc["G-2", "area_level"]) == ("01.2", "bezirksteil")
    assert "area_id_padded" in _codes(report, 3)


def test_without_areas_area_ids_are_not_checked(schema):
    report = validate_projects(read_projects(FIX / "gebiete.csv", schema), None, schema=schema)
    assert report.n_valid == 3 and "areas_not_checked" in _codes(report)


def test_areas_without_crs_are_refused(schema, munich_areas):
    table = read_projects(FIX / "koordinaten.csv", schema)
    with pytest.raises(InputError, match="no CRS"):
        validate_projects(table, munich_areas.set_crs(None, allow_override=True), schema=schema)


def test_file_without_valid_row_is_refused_with_reasons(schema):
    data = "id;titel;stadt;lat;lon;thema;federfuehrung;status\nA;T;München;48,1;11,5;Wohen;X;Idee\n".encode()
    report = validate_projects(parse_projects(data, "x.csv", schema), None, schema=schema)
    assert (report.status, report.exit_code) == ("refused", 1)  # 0 ok, 1 input problems, 2 usage only
    with pytest.raises(InputError, match="Wohen"):
        require_usable(report)


def test_every_message_code_in_the_code_has_german_and_english_text(schema):
    src = "".join(Path(m.__file__).read_text() for m in (projects_read, projects_validate))
    codes = set(re.findall(r'fail\(name, schema, "(\w+)"', src))
    codes |= set(re.findall(r'self\.add\("\w+", "(\w+)"', src))
    codes |= {f"unknown_{c}{s}" for c in ("stadt", "thema", "status") for s in ("", "_nohint")}
    codes |= {"link_fixed", "link_bad", "formula_cell", "not_a_point", "unknown_column", "cell_too_long",
              "areas_not_checked", "in_other_city", "utm_coordinates", "outside_city", "more_findings"}
    assert len(codes) > 30
    for code in codes:
        de, en = schema.messages[code]
        assert de and en and de != en, code


def test_suggestions_are_computed_once_per_distinct_value_and_bounded(schema, munich_areas, monkeypatch):
    """A long file of wrong themes: one fuzzy match per distinct value, and none past MAX_HINTS of them."""
    calls: list[str] = []
    real = projects_validate.difflib.get_close_matches
    monkeypatch.setattr(projects_validate.difflib, "get_close_matches",
                        lambda word, *a, **k: calls.append(word) or real(word, *a, **k))
    monkeypatch.setattr(projects_validate, "MAX_HINTS", 3)
    themes = ["Bildugn", "Bildugn", "Jugnd", "Bildugn", "Umwlet", "Kultr", "Gesundheitt"]
    rows = "\n".join(f"P-{i};Titel {i};muenchen;48.137;11.575;{t};Referat;laufend"
                     for i, t in enumerate(themes))
    data = f"id;titel;stadt;lat;lon;thema;federfuehrung;status\n{rows}\n".encode()
    report = validate_projects(parse_projects(data, "themen.csv", schema), munich_areas, schema=schema)
    assert len(calls) == 3  # Bildugn, Jugnd, Umwlet: not per row, and not past the bound
    hinted = [p for p in report.problems if p.code == "unknown_thema"]
    assert [p.row for p in hinted] == [2, 3, 5, 6]  # every Bildugn row, and Umwlet (Jugnd is too far from any)
    assert len({p.message_de for p in hinted if "Bildugn" in p.message_de}) == 1  # the same hint each time
    nohint = {p.row for p in report.problems if p.code == "unknown_thema_nohint"}
    assert nohint == {4, 7, 8}  # Jugnd; Kultr and Gesundheitt come after the bound: allowed values only


def _capped(schema, cap):
    import dataclasses

    return dataclasses.replace(schema, limits={**schema.limits, "max_findings_per_code": cap})


def test_findings_past_the_cap_are_counted_exactly_and_summed_up_in_one_line(schema, munich_areas):
    """300 rows with an unknown city and a bad date: 25 of each kind listed, the rest in one line each, counts exact."""
    rows = "\n".join(f"P-{i};Titel {i};Atlantis;48.137;11.575;Bildung;Referat;laufend;32.13.2024"
                     for i in range(300))
    data = f"id;titel;stadt;lat;lon;thema;federfuehrung;status;beginn\n{rows}\nP-ok;Gut;muenchen;48.137;11.575;" \
           "Bildung;Referat;laufend;\nP-ok;Doppelt;muenchen;48.137;11.575;Bildung;Referat;laufend;\n"
    report = validate_projects(parse_projects(data.encode(), "viele.csv", _capped(schema, 25)), munich_areas,
                               schema=_capped(schema, 25))
    listed = [p for p in report.problems if p.code.startswith("unknown_stadt")]
    assert len(listed) == 25 and [p.row for p in listed] == list(range(2, 27))  # the first ones, in file order
    summary = {p.severity: p for p in report.problems if p.code == "more_findings"}
    assert set(summary) == {"error", "warning"}  # one line for the cities (errors), one for the dates (warnings)
    assert summary["error"].row is None and summary["error"].message_de.startswith("275 weitere Befunde")
    assert "Atlantis" in summary["error"].message_de and summary["error"].message_en.startswith("275 more")
    assert report.severity_counts()["error"] == 300 + 1  # every unknown city, and the duplicate ID
    assert report.n_rows == 302 and report.n_valid == 1  # every bad row is still dropped, listed or not
    assert report.hidden == {"error": 275, "warning": 300 - 25}
    from dashboard.projects_view import report_counts

    assert report_counts(report)["errors"] == 301 and report_counts(report)["warnings"] == 300


def test_a_file_under_the_cap_lists_every_finding_and_no_summary(schema, munich_areas):
    report = validate_projects(read_projects(FIX / "probleme.csv", schema), munich_areas, schema=schema)
    assert report.hidden == {} and "more_findings" not in _codes(report)
    assert report.severity_counts()["error"] == sum(p.severity == "error" for p in report.problems)


def test_reader_findings_are_capped_too(schema):
    """Formula cells of an .xlsx: the reader lists the first ones and counts the rest."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "titel", "stadt", "lat", "lon", "thema", "federfuehrung", "status"])
    for i in range(40):
        ws.append([f"P{i}", f"=A{i + 2}&\"x\"", "muenchen", 48.1, 11.5, "Bildung", "Referat", "laufend"])
    buf = io.BytesIO()
    wb.save(buf)
    table = parse_projects(buf.getvalue(), "formeln.xlsx", _capped(schema, 10))
    assert len([p for p in table.problems if p.code == "formula_cell"]) == 10
    assert table.problems.hidden() == {"warning": 30}
    report = validate_projects(table, schema=_capped(schema, 10))
    assert report.severity_counts()["warning"] >= 40  # 40 formula cells, listed or counted
    assert any(p.code == "more_findings" and "Excel-Formel" in p.message_de for p in report.problems)
