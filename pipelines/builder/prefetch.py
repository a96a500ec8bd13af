"""Read the Munich workbooks in a forked process while the build imports its libraries.

A cold build first spends ~0.5 s importing pandas and geopandas on one core while the other
idles, then ~1 s of Munich's chain reading three workbooks. The CLI forks a reader before
those imports; it reads the sheets the Indikatorenatlas stage will ask for with the function
``read_excel_text`` uses for them (:func:`pipelines.io_excel.plain_sheet_columns`: calamine only,
no pandas, numpy or pyarrow, so the reader imports little) and sends each sheet's text columns
pickled as soon as they are read. ``read_excel_text`` takes a sheet from here instead of reading it;
anything not here (a sheet that is not plain, reader failed, file changed since, sheet not read
ahead) is read as before, so the frames and any error are exactly those of a build without it.

Not started for a build that reuses the stage's cache (the workbooks would not be read), nor
where the build runs serially (``forks.parallel_possible``).
"""

from __future__ import annotations

import multiprocessing
import pickle
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pipelines.builder.forks import debug_children, parallel_possible

Sheet = tuple[Path, str | int]
Stamp = tuple[int, int]  # (size, mtime_ns) of the workbook when it was read


class SheetReader:
    """A forked process reading ``sheets`` in order; :meth:`get` waits for one of them (or None).

    Only a single-threaded process with two cores forks it (``forks.parallel_possible``).
    """

    def __init__(self, sheets: list[Sheet]) -> None:
        self._got: dict[tuple[str, str | int], tuple[Stamp, Any]] = {}
        self._conn: Connection | None = None
        self._child: Any = None
        if not sheets or not parallel_possible():
            return
        mp = multiprocessing.get_context("fork")
        self._conn, send = mp.Pipe(duplex=False)
        self._child = mp.Process(target=_read_sheets, args=(sheets, send), daemon=True)
        self._child.start()
        send.close()

    def get(self, path: Path, sheet: str | int) -> dict[str, Any] | None:
        """The text columns of ``sheet`` if the reader read them from the file as it is now, else None."""
        key = (str(Path(path).resolve()), sheet)
        while key not in self._got and self._conn is not None:
            try:
                k, stamp, columns = pickle.loads(self._conn.recv_bytes())
            except (EOFError, OSError, pickle.UnpicklingError):
                self._stop()  # the reader is done (or failed): keep what it sent
                break
            self._got[k] = (stamp, columns)
        stamp, columns = self._got.pop(key, (None, None))
        return columns if stamp is not None and stamp == _stamp(Path(key[0])) else None

    def close(self) -> None:
        """Stop the reader (if still running) and drop what was not asked for."""
        self._stop()
        self._got.clear()

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._child is not None:
            if self._child.is_alive():
                self._child.kill()
            self._child.join()
            self._child = None


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _read_sheets(sheets: list[Sheet], conn: Connection) -> None:
    """In the forked process: each plain sheet read and sent as ``(key, stamp, columns)``; any other is skipped.

    Without the garbage collector: a sheet's ~1.4 million cells made it run over and over (~0.1 s of the
    ~1 s the largest workbook takes), in a process that lives for three workbooks and makes no cycles.
    """
    import gc

    from pipelines.io_excel import plain_sheet_columns

    gc.disable()

    try:
        for path, sheet in sheets:
            key = (str(Path(path).resolve()), sheet)
            stamp = _stamp(Path(key[0]))
            try:
                columns = plain_sheet_columns(Path(key[0]), sheet)
            except Exception:  # the parent reads it again and raises the error there
                if debug_children():
                    traceback.print_exc(file=sys.stderr)
                continue
            if columns is not None:  # not plain: the parent's pandas reads it
                conn.send_bytes(pickle.dumps((key, stamp, columns), protocol=pickle.HIGHEST_PROTOCOL))
    except (BrokenPipeError, OSError):
        pass  # the parent stopped listening
    finally:
        conn.close()


def start_workbook_reader(geodata: Path | str | None, city: str) -> SheetReader | None:
    """A :class:`SheetReader` for the Indikatorenatlas sheets of a cold build of ``city`` ("all"/"munich")."""
    if city not in ("all", "munich") or not parallel_possible():
        return None
    from pipelines import config
    from pipelines.registry import load_indicator_registry, load_sources
    from pipelines.sources.indikatorenatlas.sheets import sheets_to_read

    paths = config.resolve_paths(geodata)
    if any(paths.cache.glob("indikatorenatlas-*.parquet")):
        return None  # probably reused from the stage cache: reading ahead would only cost CPU
    try:
        sheets = sheets_to_read(paths.geodata, load_sources(paths.geodata), load_indicator_registry(paths.geodata))
    except Exception:  # a registry error is reported by the build itself
        return None
    return SheetReader(sheets)
