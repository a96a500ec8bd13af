"""Tables as files for German Excel: CSV (UTF-8 with BOM, ``;``, decimal comma, CRLF) and XLSX.

Pure (no Streamlit). Every table the app offers for download goes through :func:`csv_bytes`
and :func:`xlsx_bytes`, so the rules hold everywhere:

* numbers are rounded exactly as on screen (the app's number formatter decides the decimals,
  see :func:`shown_number`), written with a decimal comma and without thousands separators;
* ids stay text: ``081005`` or ``01.1`` would become 81005 or a date in Excel, so a CSV writes
  them as ``="081005"`` (Excel's own notation for a text constant; the content is digits and dots
  we generate, never user text) and an XLSX writes string cells;
* text cells that start like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) get a leading ``'``
  (CSV) or are stored as plain strings (XLSX), so nothing from the data can run in Excel;
* headers are whatever the caller passes (German in German mode).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dashboard.i18n import format_number
from pipelines.projects import is_formula_like

_ID_SAFE = re.compile(r"^[0-9A-Za-z._\-]*$")


@dataclass(frozen=True)
class ExportTable:
    """One table to export.

    Attributes:
        frame: the rows with the headers as shown (already translated).
        id_columns: columns whose values are identifiers (kept as text, leading zeros and dots intact).
        number_columns: numeric columns -> decimals (None: as the screen shows them, i.e. the app's
            formatter picks the decimals per value).
        sheet: XLSX sheet name (max. 31 characters).
        notes: lines written under the table in the XLSX (sources, approximations, reference dates).
    """

    frame: pd.DataFrame
    id_columns: tuple[str, ...] = ()
    number_columns: Mapping[str, int | None] = field(default_factory=dict)
    sheet: str = "Tabelle"
    notes: tuple[str, ...] = ()


def number_text(value: Any, lang: str, decimals: int | None = None) -> str:
    """A number as the app writes it ("16,9", "1.235", "−3,3", "–"): :func:`dashboard.i18n.format_number`.

    The one call from the exports into the dashboard's one number formatter, so a file and the
    screen (tooltips, rankings, the comparison) round a value alike.
    """
    return format_number(value, lang, decimals)


def shown_number(value: Any, decimals: int | None = None) -> tuple[float | None, int]:
    """(value rounded as on screen, its number of decimals); (None, 0) for a missing value.

    Goes through the app's one number formatter (German notation) so that a file never
    shows more or other digits than the screen.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None, 0
    try:
        if pd.isna(value):
            return None, 0
    except (TypeError, ValueError):
        pass
    text = number_text(float(value), "de", decimals).replace("\u2212", "-")  # the formatter's typographic minus
    whole, _, frac = text.replace(".", "").partition(",")
    return float(f"{whole}.{frac}" if frac else whole), len(frac)


def shown_text(value: Any, lang: str, decimals: int | None = None) -> str:
    """The screen text of a number, rounded exactly like the files (:func:`shown_number`); "–" when missing."""
    number, places = shown_number(value, decimals)
    return "–" if number is None else number_text(number, lang, places)


def _csv_number(value: Any, decimals: int | None) -> str:
    number, places = shown_number(value, decimals)
    if number is None:
        return ""
    return f"{number:.{places}f}".replace(".", ",")


def _csv_id(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = str(value)
    if not text:
        return ""
    if _ID_SAFE.match(text) and not is_formula_like(text):
        return f'="{text}"'
    return _csv_text(text)


def _csv_text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def _quote(cell: str) -> str:
    if any(ch in cell for ch in ';"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_bytes(table: ExportTable) -> bytes:
    """The table as a CSV German Excel opens cleanly (UTF-8 BOM, ``;``, decimal comma, CRLF)."""
    df = table.frame
    lines = [";".join(_quote(_csv_text(c)) for c in df.columns)]
    for _, row in df.iterrows():
        cells = []
        for col in df.columns:
            v = row[col]
            if col in table.id_columns:
                cell = _csv_id(v)  # ="081005" must reach Excel unquoted to stay a text constant
                cells.append(cell if cell.startswith('="') else _quote(cell))
            elif col in table.number_columns:
                cells.append(_csv_number(v, table.number_columns[col]))
            else:
                cells.append(_quote(_csv_text(v)))
        lines.append(";".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def xlsx_bytes(table: ExportTable | Sequence[ExportTable]) -> bytes:
    """The table(s) as an XLSX workbook: ids and texts as string cells, numbers rounded as shown.

    Each table gets its own sheet with a bold, frozen header row and its notes below the rows.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    tables = [table] if isinstance(table, ExportTable) else list(table)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for t in tables:
        name = _sheet_name(t.sheet, used)
        ws = wb.create_sheet(name)
        df = t.frame
        for j, col in enumerate(df.columns, start=1):
            cell = ws.cell(row=1, column=j)
            _set_text(cell, str(col))
            cell.font = Font(bold=True)
        for i, (_, row) in enumerate(df.iterrows(), start=2):
            for j, col in enumerate(df.columns, start=1):
                cell = ws.cell(row=i, column=j)
                v = row[col]
                if col in t.number_columns:
                    number, places = shown_number(v, t.number_columns[col])
                    if number is not None:
                        cell.value = number
                        cell.number_format = "0" if places == 0 else "0." + "0" * places
                elif v is not None and v is not pd.NA and not (isinstance(v, float) and math.isnan(v)):
                    _set_text(cell, str(v))
        ws.freeze_panes = "A2"
        for j, col in enumerate(df.columns, start=1):
            longest = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, longest + 2), 60)
        start = len(df) + 3
        for k, note in enumerate(t.notes):
            _set_text(ws.cell(row=start + k, column=1), note)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _set_text(cell: Any, text: str) -> None:
    """A string cell that Excel never evaluates (openpyxl would read a leading ``=`` as a formula)."""
    cell.value = text
    cell.data_type = "s"


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name or "Tabelle")[:31] or "Tabelle"
    out, n = base, 2
    while out in used:
        suffix = f" ({n})"
        out, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(out)
    return out
