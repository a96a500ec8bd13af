"""Hostile project files (issue 12): bounds counted while streaming, cut cells, mixed encodings, the sandbox.

The amplification files are generated here, small enough to run fast. The ones that blew up
the old reader (minutes, gigabytes) go through :func:`pipelines.projects.sandbox.parse_isolated`,
so even a regression is stopped by the child's memory limit and timeout instead of taking
the test machine down.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from pipelines.errors import RegistryError
from pipelines.projects import load_project_schema, parse_projects, validate_projects
from pipelines.projects.limits import DEFAULT_LIMITS, TableGuard, checked_limits
from pipelines.projects.schema import ProjectFileError
from tests.hostile_files import HEAD, ROW
from tests.hostile_files import raw_xlsx as _raw_xlsx


@pytest.fixture(scope="module")
def schema():
    return load_project_schema()


@pytest.fixture(autouse=True)
def _own_spare(monkeypatch):
    """No child started ahead by another test module's app (views_projects warms one) reaches these tests."""
    from pipelines.projects import sandbox

    spare = sandbox._Spare(idle_s=30)
    monkeypatch.setattr(sandbox, "_SPARE", spare)
    yield
    spare.stop()


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(";".join(r) for r in [HEAD, *rows]).encode("utf-8")


def _xlsx_rows(n: int) -> list[list[tuple[int, str]]]:
    head = list(enumerate(HEAD))
    return [head] + [list(enumerate([f"P{i}", *ROW[1:]])) for i in range(n)]


# ----------------------------------------------------------------- bounds while streaming

def test_csv_header_with_a_million_columns_is_refused_with_one_line(schema):
    data = (";".join(HEAD) + ";" + ";".join(f"x{i}" for i in range(1_000_000)) + "\n").encode()
    with pytest.raises(ProjectFileError) as err:
        parse_projects(data, "breit.csv", schema)
    assert "mehr als 200 Spalten" in err.value.message_de and "Zeile 1" in err.value.message_de
    assert "more than 200 columns" in err.value.message_en


def test_csv_with_250_unknown_columns_is_refused_not_reported_per_column(schema):
    data = _csv([ROW]).replace(b"\n", b";" + b";".join(f"x{i}".encode() for i in range(250)) + b"\n", 1)
    with pytest.raises(ProjectFileError, match="200"):
        parse_projects(data, "breit.csv", schema)


def test_trailing_empty_cells_are_not_columns(schema):
    data = _csv([ROW + [""] * 5000])
    table = parse_projects(data, "leerzellen.csv", schema)
    assert list(table.frame["id"]) == ["P1"]


def test_total_cells_are_capped(schema):
    small = dataclasses.replace(schema, limits={**schema.limits, "max_cells": 50})
    with pytest.raises(ProjectFileError, match="mehr als 50 Zellen"):
        parse_projects(_csv([ROW] * 10), "viele.csv", small)


def test_geojson_distinct_keys_refused_past_200(schema):
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [11.57, 48.13]},
                 "properties": {f"k{i}": "x"}} for i in range(5000)]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    with pytest.raises(ProjectFileError) as err:
        parse_projects(data, "schluessel.geojson", schema)
    assert re.search(r"\(Feature \d+\)", err.value.message_de) and "more than 200 columns" in err.value.message_en


def test_geojson_keys_are_collected_in_order(schema):
    props = dict(zip(HEAD, ROW, strict=True))
    props.pop("lat"), props.pop("lon")
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [11.575, 48.137]},
                 "properties": {**props, "id": f"G{i}", **({"extra": "e"} if i == 1 else {})}} for i in range(3)]
    table = parse_projects(json.dumps({"type": "FeatureCollection", "features": features}).encode(), "g.geojson",
                           schema)
    assert list(table.frame["id"]) == ["G0", "G1", "G2"] and list(table.frame["lat"]) == ["48.137"] * 3
    assert [p.column for p in table.problems if p.code == "unknown_column"] == ["extra"]


def test_xlsx_declared_as_16384_columns_is_not_padded(schema):
    rows = _xlsx_rows(50)
    table = parse_projects(_raw_xlsx(rows, dimension="A1:XFD1048576"), "dim.xlsx", schema)
    assert len(table.frame) == 50 and not [p for p in table.problems if p.code == "unknown_column"]


def test_xlsx_with_a_cell_in_column_300_is_refused(schema):
    rows = _xlsx_rows(3)
    rows[2].append((299, "weit rechts"))
    with pytest.raises(ProjectFileError, match="mehr als 200 Spalten.*Zeile 3"):
        parse_projects(_raw_xlsx(rows), "weit.xlsx", schema)


# ----------------------------------------------------------------- cells cut, encodings

def test_a_one_megabyte_cell_is_cut_not_refused(schema):
    row = list(ROW)
    row[1] = "TESTDATEN " + "x" * 1_000_000
    table = parse_projects(_csv([row, ROW[:1] + ["kurz"] + ROW[2:]]), "lang.csv", schema)
    assert len(table.frame["titel"].iloc[0]) == 2_000
    cut = [p for p in table.problems if p.code == "cell_too_long"]
    assert [(p.row, p.column) for p in cut] == [(2, "titel")]


def test_long_cell_in_geojson_is_cut_with_a_warning(schema):
    props = {"id": "G1", "titel": "y" * 5000, "stadt": "München", "thema": "Wohnen", "federfuehrung": "X",
             "status": "Idee"}
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [11.575, 48.137]}, "properties": props}]}
    table = parse_projects(json.dumps(doc).encode(), "g.geojson", schema)
    assert len(table.frame["titel"].iloc[0]) == 2_000
    assert [p.code for p in table.problems] == ["cell_too_long"]


def test_utf8_file_with_one_windows1252_byte_names_the_row(schema):
    rows = [["P1", "Grünanlage", "München", "48,137", "11,575", "Wohnen", "Sozialreferat", "Idee"],
            ["P2", "Spielplatz", "München", "48,137", "11,575", "Wohnen", "Sozialreferat", "Idee"],
            ["P3", "Straße", "München", "48,137", "11,575", "Wohnen", "Sozialreferat", "Idee"]]
    data = _csv(rows).replace(b"Spielplatz", "Spielplätz".encode("cp1252"))
    with pytest.raises(ProjectFileError) as err:
        parse_projects(data, "gemischt.csv", schema)
    assert "Zeile 3" in err.value.message_de and "0xE4" in err.value.message_de
    assert "row 3" in err.value.message_en and "UTF-8" in err.value.fix


def test_pure_windows1252_still_reads(schema):
    data = _csv([["P1", "Grünanlage Süd", "München", "48,137", "11,575", "Wohnen", "Sozialreferat", "Idee"]])
    table = parse_projects(data.decode("utf-8").encode("cp1252"), "win.csv", schema)
    assert table.encoding == "cp1252" and table.frame["titel"].iloc[0] == "Grünanlage Süd"
    assert validate_projects(table, schema=schema).n_valid == 1


# ----------------------------------------------------------------- the limits themselves

def test_limits_default_missing_keys_and_reject_unknown_ones(tmp_path):
    assert checked_limits({"max_bytes": 5})["max_rows"] == DEFAULT_LIMITS["max_rows"]
    with pytest.raises(RegistryError, match="did you mean 'max_rows'"):
        checked_limits({"max_row": 5}, tmp_path / "schema.toml")
    with pytest.raises(RegistryError, match="positive whole number"):
        checked_limits({"max_rows": -1})
    with pytest.raises(RegistryError, match="positive whole number"):
        checked_limits({"max_rows": "viele"})


def test_schema_without_max_rows_loads_with_the_default(tmp_path):
    from pipelines import config

    src = config.GEODATA_DIR / "projects" / "schema.toml"
    (tmp_path / "projects").mkdir()
    text = src.read_text(encoding="utf-8").replace("max_rows = 100_000", "")
    (tmp_path / "projects" / "schema.toml").write_text(text, encoding="utf-8")
    assert load_project_schema(tmp_path).limits["max_rows"] == 100_000


def test_guard_refuses_before_the_next_record():
    seen: list[str] = []

    def refuse(code: str, **params: object) -> Exception:
        seen.append(code)
        return ValueError(code)

    guard = TableGuard({"max_columns": 3, "max_rows": 10, "max_cells": 100, "max_cell_chars": 5}, refuse)
    assert guard.row(["a", "b" * 9, "", ""], "Zeile 1", "row 1") == ["a", "b" * 6]
    with pytest.raises(ValueError):
        guard.row(["a", "b", "c", "d"], "Zeile 2", "row 2")
    assert seen == ["too_many_columns"]


# ----------------------------------------------------------------- the sandbox: memory limit, timeout

def test_sandbox_parses_a_good_file(schema):
    from pipelines.projects.sandbox import parse_isolated

    table = parse_isolated(_csv([ROW]), "gut.csv", schema)
    assert list(table.frame["id"]) == ["P1"]


def test_sandbox_passes_on_a_refusal_as_the_same_error(schema):
    from pipelines.projects.sandbox import parse_isolated

    with pytest.raises(ProjectFileError, match="mehr als 200 Spalten"):
        parse_isolated((";".join(f"c{i}" for i in range(5000)) + "\n").encode(), "breit.csv", schema)


def test_amplifying_xlsx_is_parsed_within_the_memory_limit(schema):
    """Dimension A1:XFD1048576 and 5,000 rows: the old reader padded to 164 million cells (gigabytes)."""
    from pipelines.projects.sandbox import parse_isolated

    data = _raw_xlsx(_xlsx_rows(5_000), dimension="A1:XFD1048576")
    assert len(data) < 200_000
    table = parse_isolated(data, "bombe.xlsx", schema, timeout_s=60, memory_mb=300)
    assert len(table.frame) == 5_000


def test_amplifying_geojson_is_refused_within_the_memory_limit(schema):
    """One new key per feature: the old reader built an N x N matrix (24k features: 4.8 GB)."""
    from pipelines.projects.sandbox import parse_isolated

    features = [{"type": "Feature", "geometry": None, "properties": {f"k{i}": 1, "area_id": "01"}}
                for i in range(24_000)]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    with pytest.raises(ProjectFileError, match=r"mehr als 200 Spalten \(Feature \d+\)"):
        parse_isolated(data, "schluessel.geojson", schema, timeout_s=60, memory_mb=300)


@pytest.mark.usefixtures("processed_build")
@pytest.mark.parametrize("fixture", ["probleme.csv", "projekte.geojson", "gebiete.csv", "leer.csv"])
def test_an_upload_checked_in_the_child_gives_what_the_server_would(schema, fixture, monkeypatch):
    """Parse, validation and placing of an upload run in the child: the same report and the same placed projects.

    The server's own validator and spatial join are made to fail, so the child must have done the work.
    """
    import geopandas as gpd
    import pandas as pd

    from dashboard import projects_view
    from pipelines import config

    areas_file = config.resolve_paths(None).out / config.AREAS_FILE
    data = (Path(__file__).parent / "fixtures" / "projects" / fixture).read_bytes()
    here = projects_view.process_upload(data, fixture, gpd.read_parquet(areas_file), schema)

    def not_here(*_a, **_k):
        raise AssertionError("checked in the server")

    for name in ("parse_projects", "validate_projects", "placed_projects"):
        monkeypatch.setattr(projects_view, name, not_here)
    there = projects_view.process_upload(data, fixture, areas_file, schema)
    assert (there.error_de, there.error_en) == (here.error_de, here.error_en)
    assert (there.report is None) == (here.report is None)
    if here.report is not None:
        assert there.report.problems == here.report.problems and there.report.n_valid == here.report.n_valid
        assert there.report.status == here.report.status and there.report.summary() == here.report.summary()
        # the kept rows travel once, as the placed projects; the report comes without them
        assert there.report.projects.empty and list(there.report.projects.columns) == list(here.report.projects.columns)
    assert (there.projects is None) == (here.projects is None)
    if here.projects is not None:
        assert here.report.n_valid > 0
        pd.testing.assert_frame_equal(pd.DataFrame(there.projects), pd.DataFrame(here.projects))


@pytest.mark.usefixtures("processed_build")
def test_a_good_file_is_checked_within_a_memory_limit_of_what_it_uses(schema):
    """20,000 valid rows need ~120 MB to check; allocators that reserve address space ahead (Arrow's jemalloc, a
    malloc arena per thread) made the child's address-space limit refuse them even at 200 MB (100,000 rows: 500)."""
    from pipelines import config
    from pipelines.projects.sandbox import check_isolated

    report, placed = check_isolated(_csv([[f"P{i}", *ROW[1:]] for i in range(20_000)]), "gut.csv", schema,
                                    config.resolve_paths(None).out / config.AREAS_FILE, memory_mb=250)
    assert report.n_valid == 20_000 and len(placed) == 20_000
    # what the server unpickles and holds: one list object per distinct list, not 60,000
    for column in ("beteiligte_referate", "partner", "alle_referate"):
        assert len({id(v) for v in placed[column]}) == len({tuple(v) for v in placed[column]}) <= 2


def test_sandbox_stops_a_parse_that_needs_too_much_memory(schema):
    from pipelines.projects.sandbox import parse_isolated

    huge = dataclasses.replace(schema, limits={**schema.limits, "max_cells": 10**9})
    data = _csv([ROW[:1] + ["t" * 40 + str(i)] + ROW[2:] for i in range(60_000)])
    with pytest.raises(ProjectFileError, match="Speicher|Prüfung abgebrochen"):
        parse_isolated(data, "gross.csv", huge, memory_mb=5)


def test_sandbox_stops_a_parse_after_the_timeout(schema, monkeypatch):
    from pipelines.projects import sandbox

    monkeypatch.setattr(sandbox.sys, "executable", "/bin/sleep")
    monkeypatch.setattr(sandbox, "_child_args", lambda: ["5"])
    with pytest.raises(ProjectFileError, match="abgebrochen"):
        sandbox.parse_isolated(_csv([ROW]), "langsam.csv", schema, timeout_s=0.5)


def test_xlsx_with_millions_of_empty_cells_is_refused_while_reading(schema):
    small = dataclasses.replace(schema, limits={**schema.limits, "max_cells": 1_000})
    rows = _xlsx_rows(200)
    for r in rows[1:]:
        r.extend((j, "") for j in range(8, 48))  # empty cells: no columns, but they cost reading time
    with pytest.raises(ProjectFileError, match="mehr als 2000 Zellen"):
        parse_projects(_raw_xlsx(rows), "leer.xlsx", small)


def test_one_parse_at_a_time_per_server(schema, monkeypatch):
    import threading
    import time

    import pandas as pd

    from pipelines.projects import RawTable, sandbox

    spans: list[tuple[float, float]] = []

    def slow_child(data, name, schema, geodata, timeout, memory, areas_file=None):
        start = time.monotonic()
        time.sleep(0.3)
        spans.append((start, time.monotonic()))
        return RawTable(name, "csv", pd.DataFrame())

    monkeypatch.setattr(sandbox, "_run_child", slow_child)
    threads = [threading.Thread(target=sandbox.parse_isolated, args=(b"x", f"{i}.csv", schema)) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    spans.sort()
    assert len(spans) == 3 and all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_a_waiting_upload_is_told_to_retry_when_the_server_stays_busy(schema, monkeypatch):
    from pipelines.projects import sandbox

    assert sandbox._LOCK.acquire()
    try:
        with pytest.raises(ProjectFileError, match="andere Datei"):
            sandbox.parse_isolated(b"x", "warten.csv", schema, timeout_s=0.2)
    finally:
        sandbox._LOCK.release()


# ----------------------------------------------------------------- the spare child: started ahead, stopped when idle

def test_a_warmed_child_takes_the_next_file_and_a_dead_or_idle_one_is_replaced(schema, monkeypatch):
    from pipelines.projects import sandbox

    started = []
    real_start = sandbox._start_child

    def counted():
        started.append(real_start())
        return started[-1]

    spare = sandbox._Spare(idle_s=30)
    monkeypatch.setattr(sandbox, "_SPARE", spare)
    monkeypatch.setattr(sandbox, "_start_child", counted)
    import threading

    threads = threading.active_count()
    for _ in range(20):  # every run of a session that has uploaded asks for one
        sandbox.warm()
    assert len(started) == 1, "one spare at most"
    assert threading.active_count() <= threads + 1, "one watcher per spare, not one per call"
    table = sandbox.parse_isolated(_csv([ROW]), "gut.csv", schema)
    assert list(table.frame["id"]) == ["P1"] and len(started) == 1, "the spare parsed it: no second start"
    assert started[0].returncode == 0

    sandbox.warm()
    started[-1].kill()
    started[-1].wait()
    table = sandbox.parse_isolated(_csv([ROW]), "gut.csv", schema)  # the spare died: a new child
    assert list(table.frame["id"]) == ["P1"] and len(started) == 3

    idle = sandbox._Spare(idle_s=0.3)
    monkeypatch.setattr(sandbox, "_SPARE", idle)
    sandbox.warm()
    proc = started[-1]
    proc.wait(timeout=10)  # killed once idle
    assert proc.returncode is not None and idle.take() is None


def test_a_warmed_child_is_held_to_the_same_memory_limit(schema, monkeypatch):
    """The limits are set after the file is read, so a child started ahead is bounded the same way."""
    from pipelines.projects import sandbox

    sandbox.warm()
    huge = dataclasses.replace(schema, limits={**schema.limits, "max_cells": 10**9})
    data = _csv([ROW[:1] + ["t" * 40 + str(i)] + ROW[2:] for i in range(60_000)])
    with pytest.raises(ProjectFileError, match="Speicher|Prüfung abgebrochen"):
        sandbox.parse_isolated(data, "gross.csv", huge, memory_mb=5)


def test_a_message_missing_from_schema_toml_falls_back_to_the_bounds_own_text_and_fix(schema):
    """One rule for every file-level message (reader, sandbox, summary lines): schema.toml's, else the default."""
    import dataclasses

    from pipelines.projects.limits import DEFAULT_MESSAGES
    from pipelines.projects.schema import fail

    code = "parse_timeout"
    de, en, fix = DEFAULT_MESSAGES[code]
    bare = dataclasses.replace(schema, messages={k: v for k, v in schema.messages.items() if k != code},
                               fixes={k: v for k, v in schema.fixes.items() if k != code})
    assert bare.texts(code, seconds=7) == (de.format(seconds=7), en.format(seconds=7), fix.format(seconds=7))
    own = dataclasses.replace(bare, messages={**bare.messages,
                                              code: ("zu langsam ({seconds} s)", "slow ({seconds} s)")})
    err = fail("a.xlsx", own, code, seconds=7)
    assert (err.message_de, err.message_en, err.fix) == ("zu langsam (7 s)", "slow (7 s)", fix.format(seconds=7))
    with pytest.raises(KeyError):
        bare.texts("no_such_code")
