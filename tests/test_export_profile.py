"""``raumatlas profile``: A4 area profiles as PDF on the real build (text as a reader sees it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest

from dashboard import cli
from dashboard.build_files import BuildFolder
from dashboard.deck_data import read_build
from dashboard.export_profile import profile_pages, write_pdf
from dashboard.i18n import catalog_text, format_number, format_period
from dashboard.profile import comparable_vs_city
from dashboard.projects_view import process_upload
from pipelines import config
from pipelines.projects import load_project_schema


@pytest.fixture(scope="module")
def reader(processed_build: Path) -> BuildFolder:
    return read_build(processed_build)


def _pdftotext(path: Path) -> str:
    raw = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"[ \t]+", " ", raw)


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.mark.parametrize(("city", "level", "area_id", "lang"), [
    ("berlin", "bezirksregion", "011001", "de"),
    ("munich", "stadtbezirk", "16", "en"),
])
def test_profile_pdf_shows_name_and_values_formatted_as_in_the_app(reader, processed_build, tmp_path, city, level,
                                                                   area_id, lang) -> None:
    out = tmp_path / "p.pdf"
    assert cli.main(["profile", "--city", city, "--level", level, "--area", area_id, "--lang", lang,
                     "--out", str(out)]) == 0
    text = _pdftotext(out)
    areas = reader.areas()
    name = areas[(areas["city"] == city) & (areas["area_id"] == area_id)]["name"].iloc[0]
    assert name in text
    catalog = reader.catalog()
    table = comparable_vs_city(reader.area_and_city_rows(city, level, area_id), list(catalog.values()), city,
                               level, area_id)
    assert len(table) >= 5
    for r in table.itertuples():
        assert not r.flag
        value = f"{format_number(r.value, lang)} {catalog_text(catalog[r.indicator_id], 'unit', lang)}".strip()
        label = catalog_text(catalog[r.indicator_id], "label", lang)[:12]
        # pdftotext may drop the thin gap before a unit ("5 %" -> "5%"): compare without blanks
        line = next((ln for ln in text.splitlines()
                     if value.replace(" ", "") in ln.replace(" ", "") and ln.strip().startswith(label)), None)
        assert line is not None, f"{r.indicator_id}: {value!r} not in the PDF"
        assert format_period(r.period, lang) in line
        if r.index == r.index:  # not NaN
            assert f" {format_number(r.index, lang, 0)} " in line + " "
    decimal = "," if lang == "de" else "."
    assert any(decimal in format_number(v, lang) for v in table["value"])
    assert ("Einwohner*innen" if lang == "de" else "Residents") in text
    assert "Version" in text or "version" in text
    assert _pages(out) >= 2


def test_handlungsraum_profile_has_the_citys_sentence_and_the_approximation_note(reader, tmp_path) -> None:
    out = tmp_path / "hr3.pdf"
    assert cli.main(["profile", "--city", "munich", "--level", "handlungsraum", "--area", "hr3",
                     "--out", str(out)]) == 0
    text = _pdftotext(out)
    areas = reader.areas().set_index("area_id")
    assert "Näherung" in text
    quote = str(areas.loc["hr3", "source_quote"])
    assert quote[:40] in text.replace("\n", " ")
    assert "Balanstraße-West" in text  # a member Bezirksteil by name
    assert "dl-de/by-2-0" in text  # sources and licences


def test_a_project_title_with_html_is_plain_text_in_the_pdf(reader, processed_build, tmp_path) -> None:
    csv = ("id;titel;stadt;lat;lon;area_id;thema;federfuehrung;beteiligte_referate;partner;status;beginn;ende\n"
           'T-1;<b>Treff & "Café"</b> <script>alert(1)</script> $x$;Berlin;52,5040;13,3550;;Soziales;'
           "Bezirksamt Mitte;;;Umsetzung;01.01.2025;31.12.2026\n").encode()
    shapes = gpd.read_parquet(processed_build / "areas.parquet")
    result = process_upload(csv, "html.csv", shapes, load_project_schema(config.GEODATA_DIR))
    assert result.projects is not None and len(result.projects) == 1
    area = str(result.projects["area_id_bezirksregion"].iloc[0])
    out = tmp_path / "proj.pdf"
    write_pdf(profile_pages(reader, "berlin", "bezirksregion", area, "de", projects=result.projects), out, "t")
    text = _pdftotext(out)
    assert "<b>Treff &" in text and "<script>alert(1)</script>" in text and "$x$" in text


def test_all_writes_one_pdf_per_area_of_the_level(reader, processed_build, tmp_path, capsys) -> None:
    out = tmp_path / "hr"
    assert cli.main(["profile", "--city", "munich", "--level", "handlungsraum", "--all", "--out", str(out)]) == 0
    areas = reader.areas()
    ids = sorted(areas.loc[(areas["city"] == "munich") & (areas["level"] == "handlungsraum"), "area_id"])
    files = sorted(out.iterdir())
    assert [f.name.split("_")[0] for f in files] == ids
    assert all(f.suffix == ".pdf" and f.read_bytes()[:5] == b"%PDF-" for f in files)
    assert "Neuperlach" in _pdftotext(next(f for f in files if f.name.startswith("hr6")))
    assert f"{len(ids)} profiles" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "needle"), [
    (["--city", "hamburg", "--level", "bezirk", "--area", "01", "--out", "{d}/a.pdf"], "hamburg"),
    (["--city", "berlin", "--level", "stadtbezirk", "--area", "01", "--out", "{d}/a.pdf"], "stadtbezirk"),
    (["--city", "berlin", "--level", "bezirksregion", "--area", "999999", "--out", "{d}/a.pdf"], "999999"),
    (["--city", "berlin", "--level", "bezirk", "--area", "01", "--out", "{d}/a.docx"], ".docx"),
    (["--city", "berlin", "--level", "bezirk", "--area", "01", "--out", "{d}/no/a.pdf"], "does not exist"),
    (["--city", "berlin", "--level", "bezirk", "--all", "--out", "{d}/file.txt/x"], "cannot create"),
])
def test_bad_input_exits_1_with_one_message_and_no_file(processed_build, tmp_path, capsys, argv, needle) -> None:
    if "file.txt" in " ".join(argv):
        (tmp_path / "file.txt").write_text("x")
    before = sorted(tmp_path.rglob("*"))
    assert cli.main(["profile", *[a.replace("{d}", str(tmp_path)) for a in argv]]) == 1
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("argv", [
    ["profile", "--city", "berlin", "--level", "bezirk", "--out", "a.pdf"],
    ["profile", "--city", "berlin", "--level", "bezirk", "--area", "01", "--all", "--out", "a.pdf"],
    ["profile", "--city", "berlin", "--level", "bezirk", "--area", "01", "--lang", "fr", "--out", "a.pdf"],
])
def test_usage_errors_exit_2(argv) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_locator_paths_stay_bounded_and_are_reused() -> None:
    """Each download in the app reads a fresh copy of a layer: the path cache keeps only the newest."""
    from shapely.geometry import box

    from dashboard import export_locator

    layers = [gpd.GeoDataFrame(geometry=[box(11.5, 48.1, 11.6 + i / 1000, 48.2)], crs="EPSG:4326")
              for i in range(export_locator.PATHS_MAX + 5)]
    first = export_locator.layer_path(layers[0], "EPSG:25832")
    assert export_locator.layer_path(layers[0], "EPSG:25832")[0] is first[0]  # the same layer: reused
    for layer in layers[1:]:
        export_locator.layer_path(layer, "EPSG:25832")
    assert len(export_locator._PATHS) == export_locator.PATHS_MAX
    assert export_locator.layer_path(layers[-1], "EPSG:25832")[0] is export_locator._PATHS[
        (id(layers[-1]), "EPSG:25832")][1]
