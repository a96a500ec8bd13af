"""Bounds on an untrusted project file, counted while it is streamed (issue 12).

A hostile file can be small on disk and huge once parsed: an ``.xlsx`` whose sheet
declares 16,384 columns, a GeoJSON whose every feature brings a new property key, a CSV
header with a million cells. The readers in :mod:`pipelines.projects.read` feed every
record through a :class:`TableGuard` *as it is read*, so such a file is refused with one
clear line before its rows pile up in memory:

- rows (``max_rows``), distinct columns (``max_columns``) and cells in total
  (``max_cells``) refuse the file;
- characters per cell (``max_cell_chars``) do not: a long cell is cut (with a warning
  row in the report, as ``geodata/projects/README.md`` documents).

The limits are data (``[limits]`` in ``schema.toml``); :func:`checked_limits` fills in the
defaults below and rejects unknown keys and non-positive values, naming the file.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.errors import RegistryError

DEFAULT_LIMITS: dict[str, int] = {
    "max_bytes": 10_000_000,  # per file
    "max_rows": 100_000,  # data rows per file
    "max_xlsx_unpacked_bytes": 200_000_000,  # zip-bomb guard for .xlsx
    "max_cell_chars": 2_000,  # longer cells are cut (warning)
    "max_columns": 200,  # distinct columns (CSV/XLSX header width, GeoJSON property keys)
    "max_cells": 2_000_000,  # cells in the whole file (100,000 rows x 20 columns)
    "parse_timeout_s": 10,  # an upload is parsed in a child process stopped after this many CPU seconds
    "parse_memory_mb": 500,  # ... and limited to this much extra address space
    "max_findings_per_code": 1_000,  # findings listed per kind; the rest are counted in one summary line
}

# Used when a schema.toml of an older layout lacks these messages (German, English, fix).
DEFAULT_MESSAGES: dict[str, tuple[str, str, str]] = {
    "too_many_columns": ("mehr als {limit} Spalten ({at})", "more than {limit} columns ({at_en})",
                         "überzählige Spalten löschen / delete the extra columns"),
    "too_many_cells": ("mehr als {limit} Zellen ({at})", "more than {limit} cells ({at_en})",
                       "Datei aufteilen oder leere Spalten löschen / split the file or delete empty columns"),
    "mixed_encoding": ("Datei ist UTF-8, aber Zeile {row} enthält ein Zeichen in anderer Kodierung "
                       "(Byte 0x{byte:02X})",
                       "file is UTF-8 but row {row} holds a character in another encoding (byte 0x{byte:02X})",
                       "Zeile {row} korrigieren oder in Excel als 'CSV UTF-8' speichern / "
                       "fix row {row} or save as 'CSV UTF-8' in Excel"),
    "parse_timeout": ("Prüfung nach {seconds} s Rechenzeit abgebrochen (Datei zu aufwendig)",
                      "check stopped after {seconds} s of computing (file too complex)",
                      "Datei aufteilen oder als CSV speichern / split the file or save it as CSV"),
    "parse_memory": ("Prüfung abgebrochen: Datei braucht mehr als {mb} MB Speicher",
                     "check stopped: the file needs more than {mb} MB of memory",
                     "Datei aufteilen oder als CSV speichern / split the file or save it as CSV"),
    "parse_busy": ("Server prüft gerade eine andere Datei – bitte gleich noch einmal hochladen",
                   "the server is checking another file – please upload again in a moment",
                   ""),
    "parse_failed": ("Datei nicht lesbar ({detail})", "file cannot be read ({detail})",
                     "Datei neu exportieren / export the file again"),
    "more_findings": ("{n} weitere Befunde dieser Art nicht einzeln aufgeführt (die ersten {shown} stehen im "
                      "Bericht), z. B.: {example}",
                      "{n_en} more findings of this kind not listed (the first {shown} are in the report), "
                      "e.g.: {example_en}", ""),
}


def checked_limits(raw: Any, file: Path | str = config.PROJECT_SCHEMA_FILE,
                   line_of: dict[str, int] | None = None) -> dict[str, int]:
    """``[limits]`` of schema.toml merged over :data:`DEFAULT_LIMITS`; unknown keys and bad values raise.

    A missing key takes its default (no KeyError deep in a reader); an unknown key names the
    nearest known one (``max_row`` -> ``max_rows``); values must be positive integers.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise RegistryError(file, "[limits] must be a table", fix="write '[limits]' followed by key = value lines")
    out = dict(DEFAULT_LIMITS)
    for key, value in raw.items():
        where = f"line {line_of[key]}" if line_of and key in line_of else "[limits]"
        if key not in DEFAULT_LIMITS:
            near = difflib.get_close_matches(key, list(DEFAULT_LIMITS), n=1, cutoff=0.5)
            hint = f"did you mean '{near[0]}'?" if near else f"known keys: {', '.join(DEFAULT_LIMITS)}"
            raise RegistryError(file, f"unknown key '{key}' in [limits]", where=where, fix=hint)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise RegistryError(file, f"[limits] {key} = {value!r} is not a positive whole number", where=where,
                                fix=f"e.g. {key} = {DEFAULT_LIMITS[key]}")
        out[key] = value
    return out


def limit(limits: dict[str, Any], key: str) -> int:
    """One limit, falling back to the default (schemas built by hand in tests may lack new keys)."""
    return int(limits.get(key, DEFAULT_LIMITS[key]))


class TableGuard:
    """Counts rows, columns, cells and characters of one file while it is read.

    ``refuse(code, **params)`` builds the file-level error (the caller's ``fail``); it is called
    as soon as a bound is passed, before the next record is read.
    """

    def __init__(self, limits: dict[str, Any], refuse: Any) -> None:
        self.max_rows = limit(limits, "max_rows")
        self.max_columns = limit(limits, "max_columns")
        self.max_cells = limit(limits, "max_cells")
        self.max_chars = limit(limits, "max_cell_chars")
        self._refuse = refuse
        self.records = 0
        self.cells = 0
        self.raw_cells = 0

    def row(self, cells: Sequence[str], where: str, where_en: str) -> list[str]:
        """Check one record (header included) and return it with trailing blanks dropped and long cells cut.

        Cells are cut to ``max_cell_chars + 1`` characters, so the table builder still sees
        that the cell was too long and reports it with its row and column.
        """
        self.records += 1
        if self.records > self.max_rows + 1:
            raise self._refuse("too_many_rows", limit=self.max_rows)
        width = len(cells)
        while width and not (cells[width - 1] or "").strip():
            width -= 1
        if width > self.max_columns:
            raise self._refuse("too_many_columns", limit=self.max_columns, at=where, at_en=where_en)
        self.cells += width
        if self.cells > self.max_cells:
            raise self._refuse("too_many_cells", limit=self.max_cells, at=where, at_en=where_en)
        cut = self.max_chars + 1
        kept = list(cells[:width])
        if width and max(map(len, kept)) > cut:
            return [c if len(c) <= cut else c[:cut] for c in kept]
        return kept

    def raw(self, width: int, where: str, where_en: str) -> None:
        """Count the cells a row holds in the file, empty ones included (an .xlsx can hold millions of them).

        They cost parsing time even when they carry nothing; more than twice ``max_cells`` refuses
        the file (so that any file under the size cap is judged within the parse's CPU limit).
        """
        self.raw_cells += width
        if self.raw_cells > 2 * self.max_cells:
            raise self._refuse("too_many_cells", limit=2 * self.max_cells, at=where, at_en=where_en)

    def keys(self, known: dict[str, None], new: Sequence[str], where: str, where_en: str) -> None:
        """Add a GeoJSON feature's property keys to ``known`` (a dict: O(1) lookups, insertion order kept)."""
        for k in new:
            if k not in known:
                known[k] = None
                if len(known) > self.max_columns:
                    raise self._refuse("too_many_columns", limit=self.max_columns, at=where, at_en=where_en)
