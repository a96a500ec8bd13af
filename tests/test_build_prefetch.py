"""Workbook sheets read ahead in a forked process (:mod:`pipelines.builder.prefetch`): the same frames, or none.

The build takes a prefetched sheet only if the reader read it from the file as it is now; anything
else (a changed file, a sheet not read ahead, a reader that failed) is read again in the build, so
frames and errors are those of a build without the reader.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines import config, io_excel
from pipelines.builder import forks, prefetch
from pipelines.registry import load_indicator_registry, load_sources
from pipelines.sources.indikatorenatlas.sheets import INHALT_SHEET, TABLE_SHEET, sheets_to_read

pytestmark = pytest.mark.skipif(not forks.parallel_possible(), reason="needs two cores and fork")


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test process may hold other threads (browser fixtures); the reader forks before any work anyway."""
    monkeypatch.setattr(forks.threading, "active_count", lambda: 1)


def _workbook(geodata: Path, tmp_path: Path) -> Path:
    src = min((geodata / "raw/munich/indikatorenatlas").glob("*.xlsx"), key=lambda p: p.stat().st_size)
    return Path(shutil.copy(src, tmp_path / src.name))


def test_prefetched_sheets_equal_a_read_here(geodata: Path, tmp_path: Path) -> None:
    book = _workbook(geodata, tmp_path)
    reader = prefetch.SheetReader([(book, TABLE_SHEET), (book, INHALT_SHEET)])
    try:
        inhalt, table = reader.get(book, INHALT_SHEET), reader.get(book, TABLE_SHEET)  # any order
        assert reader.get(book, "IMPRESSUM") is None  # not read ahead: the caller reads it
    finally:
        reader.close()
    expected = {TABLE_SHEET: io_excel.read_excel_text(book, TABLE_SHEET),
                INHALT_SHEET: io_excel.read_excel_text(book, INHALT_SHEET)}
    pd.testing.assert_frame_equal(io_excel.text_frame(table), expected[TABLE_SHEET], check_exact=True)
    pd.testing.assert_frame_equal(io_excel.text_frame(inhalt), expected[INHALT_SHEET], check_exact=True)


def test_a_workbook_changed_after_reading_is_read_again(geodata: Path, tmp_path: Path) -> None:
    book = _workbook(geodata, tmp_path)
    reader = prefetch.SheetReader([(book, TABLE_SHEET), (book, INHALT_SHEET)])
    try:
        assert reader.get(book, INHALT_SHEET) is not None  # the table was read (and received) before it
        book.write_bytes(book.read_bytes() + b"\0")  # a different size: not the file the reader read
        assert reader.get(book, TABLE_SHEET) is None
    finally:
        reader.close()


def test_a_broken_workbook_is_left_to_the_build(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    reader = prefetch.SheetReader([(broken, TABLE_SHEET)])
    try:
        assert reader.get(broken, TABLE_SHEET) is None  # the build reads it and raises its InputError
    finally:
        reader.close()


def test_read_excel_text_takes_prefetched_sheets_first(geodata: Path, tmp_path: Path) -> None:
    book = _workbook(geodata, tmp_path)
    from array import array

    marker = {"x": (["from the reader", None], array("i", [0, 1, 0]).tobytes())}
    io_excel.use_prefetched(lambda path, sheet: marker if sheet == TABLE_SHEET else None)
    try:
        got = io_excel.read_excel_text(book, TABLE_SHEET)["x"]
        assert got.tolist()[::2] == ["from the reader"] * 2 and got.isna().tolist() == [False, True, False]
        assert "Indikator" in io_excel.read_excel_text(book, INHALT_SHEET).columns  # read here
    finally:
        io_excel.use_prefetched(None)


def test_the_sheets_are_those_the_stage_reads_in_its_order(geodata: Path) -> None:
    sources, registry = load_sources(geodata), load_indicator_registry(geodata)
    sheets = sheets_to_read(geodata, sources, registry)
    topics = [s["topic"] for s in registry["indicator_set"] if s["source_kind"] == "munich_indikatorenatlas"]
    assert [sheet for _, sheet in sheets] == [TABLE_SHEET, INHALT_SHEET] * len(topics)
    assert all(path.exists() for path, _ in sheets)


def test_no_reader_for_berlin_only_or_a_warm_stage_cache(geodata: Path, tmp_path: Path) -> None:
    assert prefetch.start_workbook_reader(geodata, "berlin") is None
    g = tmp_path / "geodata"
    shutil.copytree(geodata, g, ignore=shutil.ignore_patterns("processed", ".cache", "raw"))
    cache = config.resolve_paths(g).cache
    cache.mkdir(parents=True)
    (cache / "indikatorenatlas-0.parquet").write_bytes(b"")
    assert prefetch.start_workbook_reader(g, "all") is None


def test_a_sheet_the_reader_skipped_leaves_the_others_it_sent(geodata: Path, tmp_path: Path) -> None:
    book = _workbook(geodata, tmp_path)
    reader = prefetch.SheetReader([(book, "NO SUCH SHEET"), (book, TABLE_SHEET)])
    try:
        assert reader.get(book, "NO SUCH SHEET") is None  # skipped: the build reads it and raises its error
        assert reader.get(book, TABLE_SHEET) is not None  # received while waiting, kept after the reader ended
    finally:
        reader.close()
