"""Excel workbooks as text: the Indikatorenatlas is the one workbook source, read fast and exactly.

Apart from ``io`` because it carries its own fast path (calamine cells converted column by column)
and the rules that keep it identical to pandas' ``dtype=str`` reading.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.errors import InputError
from pipelines.io import require_exists

if TYPE_CHECKING:
    import pandas as pd

# A sheet read ahead of time (``builder/prefetch.py``): ``(path, sheet)`` -> its :func:`plain_sheet_columns`,
# or None to read it here.
Prefetched = Callable[[Path, "str | int"], "dict[str, TextColumn] | None"]
_prefetched: Prefetched | None = None


def use_prefetched(source: Prefetched | None) -> None:
    """Let :func:`read_excel_text` take sheets from ``source`` first (None: read every sheet here)."""
    global _prefetched
    _prefetched = source


def read_excel_text(path: Path, sheet: str | int) -> pd.DataFrame:
    """Read one sheet as text with the fast calamine engine (openpyxl takes seconds here).

    The result is exactly ``pd.read_excel(path, sheet_name=sheet, dtype=str, engine="calamine")``;
    plain sheets (a header of distinct names, text and number cells, no blank rows) are
    converted here column by column, which is several times faster than pandas' cell-by-cell
    conversion and text parser (``tests/test_io.py`` compares both on the bundled workbooks).
    """
    import pandas as pd

    ready = _prefetched(path, sheet) if _prefetched is not None else None
    if ready is not None:
        return text_frame(ready)
    require_exists(path)
    try:
        fast = _read_plain_sheet(path, sheet)
        return fast if fast is not None else pd.read_excel(path, sheet_name=sheet, dtype=str, engine="calamine")
    except Exception as err:  # calamine raises its own error types for broken zips
        raise InputError(path, f"cannot be read as an Excel workbook (sheet {sheet!r}: {err})",
                         fix="the file is broken or truncated; download it again") from err


# pandas' default NA strings (``pandas._libs.parsers.STR_NA_VALUES``): read_excel turns these cells into NaN.
_EXCEL_NA_TEXT = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                            "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})


def _read_plain_sheet(path: Path, sheet: str | int) -> pd.DataFrame | None:
    """The sheet as pandas' ``dtype=str`` reading would give it, or None if it is not plain (then pandas reads it)."""
    columns = plain_sheet_columns(path, sheet)
    return text_frame(columns) if columns is not None else None


TextColumn = tuple[list["str | None"], bytes]  # a column's distinct texts; per cell, the position of its text


def plain_sheet_columns(path: Path, sheet: str | int) -> dict[str, TextColumn] | None:
    """A plain sheet's text columns (see :data:`TextColumn`), or None if it is not plain; imports only calamine.

    Cells become text as in pandas' calamine reader: whole floats as integers ("20", not "20.0"),
    other floats by ``str`` ("19.8"), NA strings and empty cells as missing. Needing no pandas,
    numpy or pyarrow, a process forked before those are imported can read the workbooks
    (``builder/prefetch.py``); a column of ~100k cells holds a few thousand distinct texts, so
    it travels as those texts and one machine int per cell.
    """
    from python_calamine import CalamineWorkbook
    book = CalamineWorkbook.from_path(str(path))
    ws = book.get_sheet_by_index(sheet) if isinstance(sheet, int) else book.get_sheet_by_name(sheet)
    rows = ws.to_python(skip_empty_area=False)
    if len(rows) < 2:
        return None
    header, body = rows[0], rows[1:]
    width = len(header)
    if (len(set(header)) != width or not all(type(h) is str and h and h not in _EXCEL_NA_TEXT for h in header)
            or any(len(r) != width for r in body)):
        return None
    columns: dict[str, tuple[list[str | None], array]] = {}
    for name, cells in zip([str(h) for h in header], zip(*body, strict=True), strict=True):
        column = _text_column(cells)
        if column is None:
            return None
        columns[name] = column
    if _has_blank_row(list(columns.values())):
        return None  # pandas' handling of blank rows is left to pandas
    return {n: (distinct, codes.tobytes()) for n, (distinct, codes) in columns.items()}


_PLAIN_CELLS = frozenset({str, float, int})


def _text_column(cells: tuple[Any, ...]) -> tuple[list[str | None], array] | None:
    """A column's distinct texts and, per cell, the position of its text; None if a cell is not text or a number.

    Each distinct cell value is converted once (a column of ~100k cells holds a few thousand):
    the conversion per cell in Python took a third of the time of reading the largest workbook.
    ``20`` and ``20.0`` are one key here and one text ("20") either way; booleans, which would be
    one key with 1 and 0, are refused with dates and errors by their type before.
    """
    if not set(map(type, cells)) <= _PLAIN_CELLS:
        return None  # dates, times, booleans, errors: pandas converts those
    text_of = {v: _cell_text(v) for v in dict.fromkeys(cells)}  # in first-seen order
    distinct = list(dict.fromkeys(text_of.values()))  # so the texts are in first-seen order too
    position = {t: i for i, t in enumerate(distinct)}
    code = {v: position[t] for v, t in text_of.items()}
    return distinct, array("i", map(code.__getitem__, cells))


def _cell_text(v: str | float | int) -> str | None:
    """One cell as pandas' ``dtype=str`` reading gives it: whole floats as integers, NA texts and NaN missing."""
    if type(v) is str:
        return None if v in _EXCEL_NA_TEXT else v
    if type(v) is float:
        return None if v != v else str(int(v)) if v.is_integer() else str(v)
    return str(v)


def _has_blank_row(columns: list[tuple[list[str | None], array]]) -> bool:
    """Whether a row is missing in every column (an empty row, or one of NA texts only)."""
    missing = [distinct.index(None) if None in distinct else -1 for distinct, _ in columns]
    if missing[0] < 0:
        return False
    first = columns[0][1]
    rows = [i for i, c in enumerate(first) if c == missing[0]]
    return any(all(codes[i] == m for (_, codes), m in zip(columns, missing, strict=True)) for i in rows)


def text_frame(columns: dict[str, TextColumn]) -> pd.DataFrame:
    """The frame of :func:`plain_sheet_columns`: one ``str`` column each, as ``pd.array(texts, dtype="str")``.

    Each column is taken from its distinct texts by position as one arrow array: the same
    ``str`` column as converting the list of texts, in a fraction of the time.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    return pd.DataFrame({n: pd.array(pa.array(distinct, type=pa.large_string()).take(
        pa.array(np.frombuffer(codes, dtype=np.intc))), dtype="str") for n, (distinct, codes) in columns.items()})


def excel_sheet_names(path: Path) -> list[str]:
    """Sheet names of a workbook, with a clear error for broken files."""
    import pandas as pd

    require_exists(path)
    try:
        return list(pd.ExcelFile(path, engine="calamine").sheet_names)
    except Exception as err:
        raise InputError(path, f"cannot be read as an Excel workbook ({err})",
                         fix="the file is broken or truncated; download it again") from err
