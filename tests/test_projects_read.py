"""Reading project lists as they come: encodings, delimiters, XLSX (formulas, truncation), GeoJSON, bad files."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from pipelines.errors import InputError
from pipelines.projects import load_project_schema, parse_projects, read_projects, validate_projects

FIX = Path(__file__).parent / "fixtures" / "projects"
HEADER = ["id", "titel", "stadt", "lat", "lon", "area_id", "thema", "federfuehrung", "beteiligte_referate",
          "status", "beginn", "budget_eur"]


@pytest.fixture(scope="module")
def schema():
    return load_project_schema()


def test_windows1252_semicolon_decimal_commas_german_dates(schema):
    table = read_projects(FIX / "win1252_semikolon.csv", schema)
    assert (table.encoding, table.delimiter, table.format) == ("cp1252", ";", "csv")
    assert table.frame["titel"].iloc[0] == "TESTDATEN Grünfläche Süd (fiktiv)"
    report = validate_projects(table, schema=schema)
    assert report.exit_code == 0, report.lines()
    p = report.projects.set_index("id")
    assert p.loc["T-001", "lat"] == pytest.approx(48.1372) and p.loc["T-001", "lon"] == pytest.approx(11.5755)
    assert p.loc["T-001", "budget_eur"] == pytest.approx(1234.5)
    assert p.loc["T-003", "budget_eur"] == pytest.approx(12500.0)
    assert (p.loc["T-001", "beginn"], p.loc["T-001", "ende"]) == ("2024-03-01", "2025-12-31")
    assert p.loc["T-001", "beteiligte_referate"] == ["Referat für Klima- und Umweltschutz", "Sozialreferat"]
    assert p.loc["T-002", "partner"] == ["Testverein B", "Testinitiative C, Ortsgruppe"]
    assert set(p["stadt"]) == {"munich"} and p.loc["T-003", "thema"] == "Mobilität"
    assert list(p["row"]) == [2, 3, 4]


def test_utf8_bom_comma_english_aliases(schema):
    table = read_projects(FIX / "utf8_bom_komma.csv", schema)
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ",")
    report = validate_projects(table, schema=schema)
    assert report.exit_code == 0, report.lines()
    p = report.projects.set_index("id")
    assert p.loc["E-1", "titel"].startswith("TEST DATA community garden")
    assert (p.loc["E-1", "stadt"], p.loc["E-1", "thema"], p.loc["E-1", "status"]) == ("berlin", "Grün und Klima",
                                                                                      "Planung")
    assert p.loc["E-1", "budget_eur"] == pytest.approx(1234.5)
    assert p.loc["E-1", "beteiligte_referate"] == ["Jugendamt", "Schulamt"]
    assert (p.loc["E-2", "beginn"], p.loc["E-2", "status"]) == ("2024-01-15", "Umsetzung")
    assert p.loc["E-1", "link"] == "https://example.org/e-1"


def test_plain_utf8_and_blank_lines_keep_excel_row_numbers(schema):
    data = ("id;titel;stadt;lat;lon;thema;federfuehrung;status\n\n"
            "A;TESTDATEN (fiktiv);München;48,13;11,57;Wohnen;X;Idee\n").encode()
    table = parse_projects(data, "x.csv", schema)
    assert table.encoding == "utf-8"
    assert list(table.frame["_row"]) == [3]


def test_geojson_points_properties_and_non_point_rejected(schema):
    table = read_projects(FIX / "projekte.geojson", schema)
    assert table.format == "geojson" and table.row_label == ("Feature", "Feature")
    report = validate_projects(table, schema=schema)
    p = report.projects.set_index("id")
    assert list(p.index) == ["J-1", "J-3"]
    assert (p.loc["J-1", "lat"], p.loc["J-1", "lon"]) == (48.137, 11.575)
    assert p.loc["J-1", "beteiligte_referate"] == ["Sozialreferat", "Baureferat"]
    assert p.loc["J-1", "budget_eur"] == pytest.approx(1500.5)
    assert p.loc["J-3", "area_id"] == "02"
    assert any(line.startswith("Feature 2") and "Polygon" in line for line in report.lines())


def _xlsx(rows, cached: dict[str, str] | None = None) -> bytes:
    """Workbook from rows; ``cached`` adds a stored value to a formula cell (as Excel would save it)."""
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    if not cached:
        return buf.getvalue()
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in cached.items():
                    text = re.sub(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                                  rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{value}</v>', text)
                data = text.encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_xlsx_values_numbers_dates_and_formulas_never_evaluated(schema):
    rows = [HEADER,
            ["X-1", "TESTDATEN (fiktiv)", "München", 48.137, 11.575, None, "Bildung", "RBS", "A, B", "Idee",
             datetime(2025, 12, 31), 1234.5],
            ["X-2", '=HYPERLINK("http://evil.example","klick")', "München", 48.14, 11.58, None, "Bildung", "RBS",
             None, "Idee", None, "=1+1"],
            [3, "TESTDATEN (fiktiv)", "Berlin", None, None, 1100101, "Kultur", "=A1", None, "Planung", None, None]]
    table = parse_projects(_xlsx(rows, cached={"B3": "klick"}), "t.xlsx", schema)
    f = table.frame.set_index("id")
    assert f.loc["X-1", "lat"] == "48.137" and f.loc["X-1", "beginn"] == "2025-12-31"
    assert f.loc["X-2", "titel"] == "klick"  # Excel's cached value, as text
    assert f.loc["X-2", "budget_eur"] == "=1+1"  # no cached value: the formula text, not 2
    assert f.loc["3", "area_id"] == "1100101"
    flagged = {(p.row, p.column) for p in table.problems if p.code == "formula_cell"}
    assert flagged == {(3, "titel"), (3, "budget_eur"), (4, "federfuehrung")}
    report = validate_projects(table, schema=schema)
    assert "X-2" in set(report.projects["id"])
    assert any("Formel" in line and line.startswith("Zeile 3") for line in report.lines())


def test_truncated_xlsx_is_a_clear_error(schema):
    data = _xlsx([HEADER, ["X-1", "TESTDATEN", "München", 48.1, 11.5, None, "Bildung", "RBS", None, "Idee"]])
    with pytest.raises(InputError, match="beschädigt oder unvollständig"):
        parse_projects(data[: len(data) // 2], "kaputt.xlsx", schema)


def test_header_only_files_are_templates(schema, geodata):
    folder = geodata / "projects"
    for path in (FIX / "nur_kopfzeile.csv", folder / "vorlage.csv", folder / "vorlage.xlsx"):
        table = read_projects(path, schema)
        assert table.is_template, path
        report = validate_projects(table, schema=schema)
        assert (report.status, report.exit_code, report.problems) == ("template", 1, [])  # 1: input problem


@pytest.mark.parametrize(("name", "match"), [
    ("bild.csv", "PNG"), ("leer.csv", "leer"),
])
def test_binary_and_empty_files(schema, name, match):
    with pytest.raises(InputError, match=match):
        read_projects(FIX / name, schema)


@pytest.mark.parametrize(("data", "match"), [
    (b"\x00\x01\x02garbage\x00" * 20, "keine Tabelle"),
    (b"id;titel;stadt;lat;lon\nA;B;Berlin;1;2\n", "Pflichtspalten fehlen: thema"),
    (b"id;titel;stadt;thema;federfuehrung;status\nA;B;Berlin;Kultur;X;Idee\n", r"lat\+lon / area_id"),
    (b"id;titel;stadt;lat;latitude;lon;thema;federfuehrung;status\n", "doppelt"),
    (b"{not json", "nicht lesbar"),
    (b'{"type": "FeatureCollection"}', "FeatureCollection"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
    (b"id;titel\n\x81\x8d\x8f;x\n", "Zeichenkodierung"),
])
def test_unusable_inputs_raise_input_error(schema, data, match):
    with pytest.raises(InputError, match=match):
        parse_projects(data, "x.csv", schema)


def test_size_and_row_caps(schema):
    small = dataclasses.replace(schema, limits={**schema.limits, "max_rows": 2, "max_bytes": 10_000})
    rows = "".join(f"R{i};TESTDATEN;München;48,1;11,5;Wohnen;X;Idee\n" for i in range(3))
    data = ("id;titel;stadt;lat;lon;thema;federfuehrung;status\n" + rows).encode()
    with pytest.raises(InputError, match="mehr als 2 Datenzeilen"):
        parse_projects(data, "x.csv", small)
    with pytest.raises(InputError, match="zu groß"):
        parse_projects(data * 100, "x.csv", small)
    assert schema.limits["max_rows"] >= 50_000 and schema.limits["max_bytes"] == 10_000_000


def test_too_large_file_on_disk_is_refused_before_reading(schema, tmp_path):
    big = tmp_path / "gross.csv"
    big.write_bytes(b"x" * (schema.limits["max_bytes"] + 1))
    with pytest.raises(InputError, match="zu groß"):
        read_projects(big, schema)


def test_unknown_columns_are_reported_not_fatal(schema):
    data = "id;titel;stadt;lat;lon;thema;federfuehrung;status;Bemerkung\nA;T;München;48,1;11,5;Wohnen;X;Idee;y\n"
    table = parse_projects(data.encode(), "x.csv", schema)
    assert [p.code for p in table.problems] == ["unknown_column"]
