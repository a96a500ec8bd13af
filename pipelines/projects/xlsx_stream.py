"""The first worksheet of an untrusted .xlsx as a stream of rows, in one pass (issue 12).

openpyxl's read-only worksheet pads every row to the sheet's declared width (a hostile
``<dimension ref="A1:XFD1048576"/>`` means 16,384 cells a row) and yields an empty row for
every missing one; and the cached value and the formula of a cell need two workbooks, i.e.
two passes. Here openpyxl's own cell parser (defusedxml, shared strings, date styles) reads
the sheet XML once; each row comes out as ``{column index: (cached value, formula)}`` holding
only the cells that exist, with its spreadsheet row number. Formulas are never evaluated.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

from openpyxl.utils import coordinate_to_tuple
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

_TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"
_PHONETIC_TAG = f"{{{SHEET_MAIN_NS}}}rPh"


class _CachedValueAndFormula(WorkSheetParser):
    """The cell's cached value (``data_only``) plus its formula text, if any, from the same element."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        if element.get("t") == "inlineStr":  # openpyxl's Text.from_tree is slow; the plain text is all we need
            cell = self._inline_string(element)
        else:
            cell = super().parse_cell(element)
        if element.find(FORMULA_TAG) is None:
            cell["formula"] = None
        else:  # shared formulas are translated, array/data-table formulas give their text
            formula = self.parse_formula(element)
            cell["formula"] = formula if isinstance(formula, str) else str(getattr(formula, "text", "") or "=")
        return cell

    def _inline_string(self, element: Any) -> dict[str, Any]:
        coordinate = element.get("r")
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        child = element.find(INLINE_STRING)
        value = None
        if child is not None:  # plain <t> and rich-text runs <r><t>, without phonetic hints <rPh>
            value = "".join(t.text or "" for t in child.iter(_TEXT_TAG) if t not in _phonetic_texts(child))
        return {"row": row, "column": column, "value": value, "data_type": "s", "style_id": 0}


def _phonetic_texts(inline: Any) -> set[Any]:
    return {t for ph in inline.iter(_PHONETIC_TAG) for t in ph.iter(_TEXT_TAG)} if inline.find(
        f".//{_PHONETIC_TAG}") is not None else set()


def iter_first_sheet(data: bytes) -> Iterator[tuple[int, int, dict[int, tuple[Any, str | None]]]]:
    """Yield ``(row number, cells in the XML, {0-based column: (value, formula)})`` for each row present.

    ``cells in the XML`` counts empty cell elements too (they cost reading time). Raises the
    underlying openpyxl/zip/XML errors for a broken workbook.
    """
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        with ws._get_source() as src:  # noqa: SLF001 - the sheet's XML part, as openpyxl itself opens it
            parser = _CachedValueAndFormula(src, ws._shared_strings, data_only=True, epoch=wb.epoch,  # noqa: SLF001
                                            date_formats=wb._date_formats,  # noqa: SLF001
                                            timedelta_formats=wb._timedelta_formats)  # noqa: SLF001
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for number, cells in parser.parse():
                    row: dict[int, tuple[Any, str | None]] = {}
                    for c in cells:
                        if c["value"] is not None or c["formula"] is not None:
                            row[c["column"] - 1] = (c["value"], c["formula"])
                    yield number, len(cells), row
    finally:
        wb.close()
