"""``raumatlas export-view``: slides of a view on the real build (PNG pixels, SVG shapes, PDF text)."""

from __future__ import annotations

import errno
import io
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image
from shapely.ops import polylabel

from dashboard import cli
from dashboard.build_files import BuildFolder
from dashboard.deck_data import read_build
from dashboard.export_data import ExportError
from dashboard.export_render import save_figure
from dashboard.export_slide import parse_size, slide_bytes, slide_figure
from dashboard.export_view import parse_view, query_params, view_model, view_page
from dashboard.state import to_query
from pipelines import config
from tests.deck_helpers import app_view

ROOT = Path(__file__).resolve().parents[1]
VIEW = "ind=unemployment_share&lvl_muc=stadtbezirk&lvl_ber=bezirksregion&cls=quantiles&k=5&scale=own"


@pytest.fixture(scope="module")
def reader(processed_build: Path) -> BuildFolder:
    return read_build(processed_build)


def _model(view: str, reader: BuildFolder):
    return view_model(view_page(parse_view(view, reader), reader))


def _hex(rgb: tuple[int, ...]) -> str:
    return "#" + "".join(f"{v:02x}" for v in rgb[:3])


def _legend_colour(classes: list[str], bounds, value: float, mode_value: float, no_data: str) -> str:
    """The legend colour of the class whose bounds hold the value (independent of the drawing code)."""
    if np.isnan(value):
        return no_data
    for (lo, hi), colour in zip(bounds, classes, strict=True):
        if lo - 1e-9 <= mode_value <= hi + 1e-9:
            return colour
    raise AssertionError(f"value {mode_value} in no class")


def _probe_areas(panel, city: str, avoid: list[shapely.Point], n: int = 6) -> list[tuple[str, shapely.Point, float]]:
    """Areas whose pole of inaccessibility is deep inside (no border line or label near the probed pixel)."""
    metric = panel.frame.to_crs(config.CITY_CRS[city])
    out = []
    for (_, row), (_, row_m) in zip(panel.frame.iterrows(), metric.iterrows(), strict=True):
        geom = shapely.make_valid(row_m.geometry)
        poly = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        pole = polylabel(poly, tolerance=10)
        depth = poly.exterior.distance(pole)
        if depth < 600 or any(pole.distance(a) < 1500 for a in avoid):
            continue
        lonlat = gpd.GeoSeries([pole], crs=config.CITY_CRS[city]).to_crs("EPSG:4326").iloc[0]
        out.append((str(row["area_id"]), lonlat, float(row["value"])))
    out.sort(key=lambda x: x[0])
    return out[:: max(1, len(out) // n)][:n]


@pytest.mark.parametrize(("view", "size"), [
    (VIEW, (1280, 720)),
    ("ind=sgb2_children_share&lvl_muc=stadtbezirk&lvl_ber=prognoseraum&scale=relative&k=5", (1024, 768)),
    ("ind=unemployment_share&lvl_ber=bezirk&scale=common&cls=equal_interval&k=4&lang=en", (1280, 720)),
])
def test_png_has_the_size_and_each_area_the_colour_of_its_legend_class(reader, tmp_path, view, size) -> None:
    state = parse_view(view, reader)
    model = view_model(view_page(state, reader))
    slide = slide_figure(model, reader, size)
    _, app_fills = app_view(urlencode(to_query(state)), state.lang)  # the app's own page: cached loaders, build_page
    out = save_figure(slide.fig, tmp_path / "view.png", "png", slide.dpi)
    img = Image.open(out).convert("RGB")
    assert img.size == size
    hr = reader.web_layer("munich", "handlungsraum").to_crs(config.CITY_CRS["munich"])
    labels = [g.representative_point().buffer(1000) for g in hr.geometry] + [g.boundary for g in hr.geometry]
    checked = 0
    for city in ("munich", "berlin"):
        panel = model.panels[city]
        assert panel.frame is not None, city
        classes, fills = app_fills[city]
        for area_id, lonlat, value in _probe_areas(panel, city, labels if city == "munich" else []):
            classed = 100 * value / panel.city_value if model.mode == "relative" else value
            x, y = slide.pixel_of(city, lonlat.x, lonlat.y)
            got = _hex(img.getpixel((round(x), round(y))))
            assert got == fills[area_id], f"{city} {area_id} at ({x:.0f}, {y:.0f})"
            assert got == _legend_colour(classes, panel.classification.bounds, value, classed,
                                         panel.legend[-1].color)
            checked += 1
    assert checked >= 5


def test_cli_png_default_size_1920x1080(processed_build, tmp_path, capsys) -> None:
    out = tmp_path / "slide.png"
    assert cli.main(["export-view", f"http://127.0.0.1:8501/?{VIEW}", "--out", str(out)]) == 0
    assert Image.open(out).size == (1920, 1080)
    assert str(out) in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["slide.png"]  # no temporary file left


def test_svg_has_one_shape_per_area_and_real_text(reader, processed_build, tmp_path) -> None:
    out = tmp_path / "slide.svg"
    assert cli.main(["export-view", VIEW + "&lvl_ber=planungsraum", "--out", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    muc = reader.web_layer("munich", "stadtbezirk")
    ber = reader.web_layer("berlin", "planungsraum")
    assert len(set(re.findall(r'id="area-munich-([^"]+)"', svg))) == len(muc) == 25
    assert len(re.findall(r'id="area-berlin-([^"]+)"', svg)) == len(ber) == 542
    assert "<text" in svg and "Arbeitslosenanteil" in svg and "Planungsräume" in svg
    model = _model(VIEW, reader)
    assert model.panels["munich"].legend[0].label in svg  # German decimal comma, as in the app's legend


def test_pdf_text_and_embedded_fonts(reader, processed_build, tmp_path) -> None:
    out = tmp_path / "slide.pdf"
    assert cli.main(["export-view", VIEW + "&lang=en", "--out", str(out)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    model = _model(VIEW + "&lang=en", reader)
    first = model.panels["berlin"].legend[0].label
    assert "." in first and "," not in first  # English decimal point
    assert first in text
    assert "Unemployment share" in text and "Munich" in text and "Berlin" in text
    assert "approximation" in text  # Handlungsraum labels
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    rows = [r.split() for r in fonts.splitlines()[2:] if r.strip()]
    assert rows and all("yes" in r[-5:-3] for r in rows), fonts


def test_german_and_english_number_formats_differ(reader) -> None:
    de = _model(VIEW, reader).panels["munich"].legend[0].label
    en = _model(VIEW + "&lang=en", reader).panels["munich"].legend[0].label
    assert "," in de and "." in en and de.replace(",", ".") == en


@pytest.mark.parametrize(("argv", "needle"), [
    (["export-view", "ind=nope", "--out", "{d}/a.png"], "nope"),
    (["export-view", VIEW + "&lvl_ber=kiez", "--out", "{d}/a.png"], "kiez"),
    (["export-view", VIEW + "&area=berlin:99", "--out", "{d}/a.png"], "berlin:99"),
    (["export-view", VIEW, "--out", "{d}/a.gif"], ".gif"),
    (["export-view", VIEW, "--out", "{d}/missing/a.png"], "does not exist"),
])
def test_bad_input_exits_1_with_one_message_and_no_file(processed_build, tmp_path, capsys, argv, needle) -> None:
    args = [a.replace("{d}", str(tmp_path)) for a in argv]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert list(tmp_path.rglob("*")) == []


@pytest.mark.parametrize("argv", [
    ["export-view", VIEW, "--out", "x.png", "--size", "big"],
    ["export-view", VIEW, "--out", "x.png", "--size", "10x10"],
    ["export-view", VIEW],
])
def test_usage_errors_exit_2(argv) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_disk_full_leaves_no_half_written_file(reader, processed_build, tmp_path, monkeypatch) -> None:
    from matplotlib.figure import Figure

    def full(self, fname, **kwargs):
        Path(fname).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full)
    (tmp_path / "old.png").write_bytes(b"previous")
    with pytest.raises(ExportError, match="No space left"):
        from dashboard.export_slide import export_view

        export_view(VIEW, tmp_path / "old.png", (640, 360), reader)
    assert [p.name for p in tmp_path.iterdir()] == ["old.png"]
    assert (tmp_path / "old.png").read_bytes() == b"previous"


def test_query_params_accepts_url_query_and_question_mark() -> None:
    expected = {"ind": "a", "k": "5"}
    assert query_params("http://host:8501/?ind=a&k=5") == expected
    assert query_params("?ind=a&k=5") == expected
    assert query_params("ind=a&k=5") == expected
    assert parse_size("1280x720") == (1280, 720)


def test_console_script_runs_without_traceback(processed_build, tmp_path) -> None:
    res = subprocess.run([sys.executable, "-m", "dashboard.cli", "export-view", "ind=zzz", "--out",
                          str(tmp_path / "a.svg")], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 1
    assert "zzz" in res.stderr and "Traceback" not in res.stderr


def test_a_presentation_url_shows_its_story_as_the_app_does(reader) -> None:
    state = parse_view("http://127.0.0.1:8501/?present=1&step=1&lang=en", reader)
    assert (state.indicator, state.scale, state.lang) == ("sgb2_children_share", "relative", "en")


def test_unwritable_folder_exits_1_without_traceback(processed_build, tmp_path, capsys, monkeypatch) -> None:
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # root ignores chmod: refuse the way a read-only folder does
    assert cli.main(["export-view", VIEW, "--out", str(tmp_path / "a.png")]) == 1
    err = capsys.readouterr().err
    assert "cannot write here" in err and "Permission denied" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_apps_download_draws_the_apps_page(processed_build) -> None:
    """The in-app button's path: this run's page from the cached loaders, no second reading of the view."""
    from dashboard import loaders
    from dashboard.page import build_page
    from dashboard.state import parse_query

    version = loaders.build_version()
    choices = loaders.load_choices(version)
    state, notices = parse_query(dict(query_params(VIEW + "&present=1&step=0")), choices)
    assert not notices
    data = loaders.BuildReader(version)
    page = build_page(state, choices, data)
    png = slide_bytes(page, data, "png")
    assert Image.open(io.BytesIO(png)).size == (1920, 1080)
    assert slide_bytes(page, data, "pdf")[:5] == b"%PDF-"


def test_panel_heading_labels_the_period_as_the_app(reader: BuildFolder) -> None:
    """A yearly mean reads "Jahresmittel 2024" on the slide, as in the app's period picker, not its stored date."""
    from dashboard.export_view import panel_heading
    from dashboard.period_labels import entry_period_label

    model = _model("ind=unemployment_share&lvl_muc=stadtbezirk&lvl_ber=bezirksregion", reader)
    for city in ("munich", "berlin"):
        period = model.panels[city].period
        assert panel_heading(model, city).endswith(entry_period_label(model.page.entry, city, period, "de"))
    assert panel_heading(model, "munich").endswith("Jahresmittel 2024")
