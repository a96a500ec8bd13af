"""Pure project helpers of the app: upload handling on bytes, filters, counts, matrix, markers on the map."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from dashboard.classify import classify, colors_for
from dashboard.maps import MapOverlays, MapStyle, build_map
from dashboard.offline import external_links
from dashboard.project_markers import MARKER_CLASS, SVG_LIMIT, project_legend_html, project_markers
from dashboard.projects_view import (
    EXAMPLE_FILE,
    area_collaboration,
    area_project_counts,
    combine_projects,
    departments_of,
    filter_projects,
    map_projects,
    matrix_frame,
    matrix_styles,
    process_upload,
    project_display,
    projects_in_area,
    report_counts,
    report_table,
    with_project_counts,
)
from pipelines import config
from pipelines.projects import load_project_schema, to_safe_csv

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "projects"
XSS = "<img src=x onerror=alert(1)>"

SCHEMA = load_project_schema(config.GEODATA_DIR)


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    """Tiny canonical areas: Munich city, two Stadtbezirke (01 with Bezirksteil 01.1), Berlin city."""
    rows = [("munich", "stadt", "muc", "", box(11.36, 48.06, 11.73, 48.25)),
            ("munich", "stadtbezirk", "01", "muc", box(11.36, 48.06, 11.60, 48.25)),
            ("munich", "stadtbezirk", "02", "muc", box(11.60, 48.06, 11.73, 48.25)),
            ("munich", "bezirksteil", "01.1", "01", box(11.36, 48.06, 11.60, 48.25)),
            ("berlin", "stadt", "ber", "", box(13.08, 52.33, 13.77, 52.68))]
    return gpd.GeoDataFrame({"city": [r[0] for r in rows], "level": [r[1] for r in rows],
                             "area_id": [r[2] for r in rows], "parent_id": [r[3] for r in rows],
                             "name": [r[2] for r in rows]}, geometry=[r[4] for r in rows], crs="EPSG:4326")


CSV = f"""id;titel;stadt;lat;lon;area_id;thema;federfuehrung;beteiligte_referate;partner;status
P-1;{XSS};München;48,15;11,50;;Kultur;Kulturreferat;"Sozialreferat; Baureferat";Verein A;Idee
P-2;Zwei;München;48,15;11,65;;Wohnen;Baureferat;;"Verein A; Verein B";Planung
P-3;Drei;München;;;01;Soziales;Sozialreferat;Kulturreferat;;Umsetzung
P-4;Kaputt;München;;;;Soziales;Sozialreferat;;;Umsetzung
"""


@pytest.fixture(scope="module")
def uploaded(areas: gpd.GeoDataFrame):
    return process_upload(CSV.encode("cp1252"), "liste.csv", areas, SCHEMA)


def test_upload_is_read_validated_and_joined(uploaded) -> None:
    assert uploaded.ok and uploaded.origin == "upload"
    assert sorted(uploaded.projects["id"]) == ["P-1", "P-2", "P-3"]
    counts = report_counts(uploaded.report)
    assert counts["rows"] == 4 and counts["valid"] == 3 and counts["errors"] >= 1
    assert uploaded.projects.crs.equals(config.WEB_CRS)
    table = report_table(uploaded.report, "de", {"error": "Fehler"}, "Wo", "Datei")
    assert "Zeile 5" in set(table["Wo"]) and "Fehler" in set(table["severity"])


def test_bad_files_give_messages_not_exceptions(areas: gpd.GeoDataFrame) -> None:
    png = process_upload(b"\x89PNG\r\n\x1a\n" + bytes(200), "bild.csv", areas, SCHEMA)
    assert not png.ok and "PNG" in png.error("de") and png.error("en")
    empty = process_upload(b"", "leer.csv", areas, SCHEMA)
    assert not empty.ok and empty.error("de")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook>" * 100)
    truncated = process_upload(buf.getvalue()[:60], "kaputt.xlsx", areas, SCHEMA)
    assert not truncated.ok and truncated.error("de")
    big = process_upload(b"id;titel\n" + b"x" * 10_000_001, "gross.csv", areas, SCHEMA)
    assert not big.ok and "MB" in big.error("de")
    header_only = process_upload((FIXTURES / "nur_kopfzeile.csv").read_bytes(), "vorlage.csv", areas, SCHEMA)
    assert not header_only.ok and header_only.report is not None and header_only.report.status == "template"


def test_example_file_is_labelled_fictitious_and_outside_the_build_folder() -> None:
    assert EXAMPLE_FILE.parent.name == "projects_examples"
    text = EXAMPLE_FILE.read_text(encoding="utf-8")
    titles = [line.split(";")[1] for line in text.splitlines()[1:]]
    assert titles and all("(fiktiv)" in t for t in titles)


def test_filters_and_departments(uploaded) -> None:
    p = uploaded.projects
    assert departments_of(p) == ["Baureferat", "Kulturreferat", "Sozialreferat"]
    assert set(filter_projects(p, themes=["Kultur"])["id"]) == {"P-1"}
    assert set(filter_projects(p, statuses=["Planung", "Umsetzung"])["id"]) == {"P-2", "P-3"}
    assert set(filter_projects(p, departments=["sozialreferat"])["id"]) == {"P-1", "P-3"}  # lead or involved
    assert filter_projects(p, city="berlin").empty


def test_counts_per_area_and_collaboration(uploaded) -> None:
    p = uploaded.projects
    counts = area_project_counts(p, "munich", "stadtbezirk").set_index("area_id")
    assert counts.loc["01", "projects"] == 2 and counts.loc["01", "multi_share"] == 100
    assert counts.loc["02", "projects"] == 1 and counts.loc["02", "multi_share"] == 0
    table = with_project_counts(pd.DataFrame({"area_id": ["02", "01", "99"]}), area_project_counts(
        p, "munich", "stadtbezirk"))
    assert table["projects"].tolist() == [1, 2, 0] and np.isnan(table["multi_share"].iloc[2])
    assert set(projects_in_area(p, "munich", "bezirksteil", "01.1")["id"]) == {"P-1"}  # P-3 is Stadtbezirk-wide
    collab = area_collaboration(p, "munich", "stadtbezirk", "01")
    assert collab["n_projects"] == 2 and collab["share_multi_department_pct"] == 100
    m = matrix_frame(collab)
    assert m.loc["Kulturreferat", "Sozialreferat"] == 2 and m.loc["Baureferat", "Baureferat"] == 1
    styles = matrix_styles(m)
    assert styles.shape == m.shape and styles.loc["Kulturreferat", "Sozialreferat"].startswith("background-color: #")


def test_combine_keeps_origin(uploaded) -> None:
    both = combine_projects(uploaded.projects.assign(origin="build"), [uploaded])
    assert len(both) == 6 and set(both["origin"]) == {"build", "upload"}
    assert combine_projects(None, []).empty


def test_markers_escape_and_stay_offline(uploaded) -> None:
    display = project_display(SCHEMA)
    pts = map_projects(uploaded.projects, display, "en")
    assert set(pts["thema"]) == {"Culture", "Housing", "Social affairs"}
    assert pts.loc[pts["titel"] == XSS, "color"].iloc[0] == display.color("Kultur") != "#777777"
    grid = gpd.GeoDataFrame({"area_id": ["01", "02"], "name": ["A", "B"], "value": [1.0, 2.0]},
                            geometry=[box(11.36, 48.06, 11.60, 48.25), box(11.60, 48.06, 11.73, 48.25)],
                            crs="EPSG:4326")
    c = classify(grid["value"], "equal_interval", 3)
    m = build_map(grid, MapStyle(classification=c, colors=tuple(colors_for(c, "neutral")), label="x", lang="en"),
                  MapOverlays(projects=pts))
    html = m.get_root().render()
    assert XSS not in html and "onerror=alert(1)\\u0026gt;" in html and MARKER_CLASS in html
    assert external_links(m) == []
    legend = project_legend_html(pts, "en")
    assert "Culture (1)" in legend and "<img" not in legend


def test_many_markers_use_canvas() -> None:
    n = SVG_LIMIT + 1
    pts = gpd.GeoDataFrame({"titel": ["t"] * n, "thema": ["Kultur"] * n, "status": ["Idee"] * n,
                            "federfuehrung": ["x"] * n, "color": ["javascript:alert(1)"] * n},
                           geometry=[Point(11.5, 48.1)] * n, crs="EPSG:4326")
    layer = project_markers(pts, "de")
    assert layer.canvas and layer.rows[0][3] == "#777777"  # only #rrggbb colours reach the page
    assert n >= 1000 and f"Kultur ({n // 1000}.{n % 1000:03d})" in project_legend_html(pts, "de")  # 2.001, not 2001
    assert f"({n // 1000},{n % 1000:03d})" in project_legend_html(pts, "en")


def test_cleaned_download_neutralises_formulas(areas: gpd.GeoDataFrame) -> None:
    result = process_upload((FIXTURES / "formeln.csv").read_bytes(), "formeln.csv", areas, SCHEMA)
    assert result.ok and len(result.projects) == 2  # both rows lie in Stadtbezirk 01 of the tiny areas
    assert result.projects["titel"].str.startswith(("=", "-")).all()  # the formulas reach the export...
    text = to_safe_csv(result.projects.drop(columns="geometry")).decode("utf-8-sig")
    assert "\n=" not in text and ";=" not in text and ";-2+3" not in text  # ...and leave it as text


def test_counts_per_area_split_multi_area_projects_and_skip_other_cities() -> None:
    p = pd.DataFrame({"stadt": ["munich", "munich", "munich", "berlin", "munich"],
                      "area_id_stadtbezirk": ["01,02", "02", "", "01", None],
                      "anzahl_referate": [2, 1, 3, 2, 2]})
    counts = area_project_counts(p, "munich", "stadtbezirk").set_index("area_id")
    assert counts["projects"].to_dict() == {"01": 1, "02": 2}  # a project in two areas counts in both
    assert counts["multi_share"].to_dict() == {"01": 100.0, "02": 50.0}
    assert area_project_counts(p, "munich", "bezirksteil").empty  # no such column
    empty = area_project_counts(p.iloc[[2]], "munich", "stadtbezirk")
    assert empty.empty and list(empty.columns) == ["area_id", "projects", "multi_share"]


def test_per_distinct_calls_once_per_value_and_keeps_the_order():
    from dashboard.projects_view import per_distinct

    calls: list[object] = []

    def label(v: object) -> str:
        calls.append(v)
        return f"<{v}>"

    values = pd.Series(["Wohnen", "Kultur", "Wohnen", None, "Kultur", "Wohnen"], dtype=object)
    made = per_distinct(values, label)
    assert calls == ["Wohnen", "Kultur", None]  # once per distinct value
    assert made == [label(v) for v in values]
    assert per_distinct([], label) == []


def test_marker_rows_escape_and_clean_each_text_like_one_by_one():
    """Texts made once per distinct value give the same tooltips as cleaning and escaping each row."""
    from html import escape

    from dashboard.project_markers import project_rows
    from dashboard.safe_text import clean

    titles = ["<b>A</b>", "Bad\u202eevil", "A & B", "<b>A</b>"]
    projects = gpd.GeoDataFrame({"titel": titles, "thema": ["Kultur", "<i>x</i>", "Kultur", "Kultur"],
                                 "status": ["Idee"] * 4, "federfuehrung": ["RBS", "RBS\u200f", "RBS", "RBS"],
                                 "color": ["#112233", "red", "#112233", "#112233"]},
                                geometry=gpd.points_from_xy([11.5, 11.6, 11.7, 11.8], [48.1, 48.1, 48.2, 48.3]),
                                crs="EPSG:4326")
    rows = project_rows(projects, "de")
    for row, (_, p) in zip(rows, projects.iterrows(), strict=True):
        e = {c: escape(clean(p[c])) for c in ("titel", "thema", "status", "federfuehrung")}
        assert row[2] == f"<b>{e['titel']}</b><br>{e['thema']} · {e['status']}<br>Federführung: {e['federfuehrung']}"
    assert [r[3] for r in rows] == ["#112233", "#777777", "#112233", "#112233"]
    assert "\u202e" not in rows[1][2] and "&lt;b&gt;" in rows[0][2]


def test_marker_columns_send_each_text_once_and_key_what_they_show() -> None:
    """The component's marker columns: each distinct text once, indices per row, a key that follows the content."""
    import json

    from dashboard.project_markers import project_columns, project_rows

    n = 20_000
    projects = gpd.GeoDataFrame({"titel": [f"Projekt {i}" for i in range(n)], "thema": ["Kultur", "Wohnen"] * (n // 2),
                                 "status": ["Idee"] * n, "federfuehrung": ["RBS", "KR", "RBS", "SOZ"] * (n // 4),
                                 "color": ["#112233", "#445566"] * (n // 2)},
                                geometry=gpd.points_from_xy(np.linspace(11.4, 11.7, n), np.full(n, 48.1)),
                                crs="EPSG:4326")
    cols = project_columns(projects, "de")
    assert len(cols["titles"]) == n and len(cols["colors"]) == 2
    pairs = set(zip(projects["thema"], projects["federfuehrung"], strict=True))
    assert sorted(cols["details"]) == sorted(f"{th} · Idee<br>Federführung: {fe}" for th, fe in pairs)
    rows = project_rows(projects, "de")
    for i in (0, 1, 2, 3, n - 1):  # a row's tooltip is its title and detail, looked up
        assert rows[i][2] == f"<b>{cols['titles'][cols['title'][i]]}</b><br>{cols['details'][cols['detail'][i]]}"
        assert rows[i][3] == cols["colors"][cols["color"][i]] and rows[i][:2] == [cols["lat"][i], cols["lon"][i]]
    assert len(json.dumps(cols)) < 0.6 * len(json.dumps(rows))
    assert project_columns(projects.copy(), "de")["key"] == cols["key"]
    for column, value in (("titel", "Projekt X"), ("status", "Planung"), ("color", "#000000")):
        other = projects.copy()
        other.loc[5, column] = value
        assert project_columns(other, "de")["key"] != cols["key"], column
    moved = projects.copy()
    moved.geometry = gpd.points_from_xy(np.linspace(11.4, 11.7, n) + 0.001, np.full(n, 48.1))
    assert project_columns(moved, "de")["key"] != cols["key"]
    assert project_columns(projects, "en")["key"] != cols["key"]  # "Lead" instead of "Federführung"
