"""Cells and shared strings of a worksheet's XML, for :mod:`pipelines.projects.xlsx_stream` (issue 12).

:class:`SheetReader` turns both kinds of block into rows of ``{0-based column: (value, formula)}``:
the simple ones matched by :mod:`pipelines.projects.xlsx_fast`, the others through ``pyexpat``
callbacks (:func:`parse_xml`: no DTD, no entities). Values come out as openpyxl gives them
(numbers, dates by the cell's style, shared strings, booleans); formulas as their text, shared
formulas translated with openpyxl's ``Translator``, never evaluated.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from xml.parsers import expat

from pipelines.projects.schema import ProjectFileError
from pipelines.projects.xlsx_fast import attributes, plain_rows_block, rows_block, xml_text

MAX_ROW_CELLS = 16_384  # Excel's column limit: no real row has more cells
Row = tuple[int, int, dict[int, tuple[Any, str | None]]]


class SheetTooComplex(ProjectFileError):
    """The workbook holds more XML than a project list can (counted before it is parsed further).

    A file-level refusal like the reader's own (its file name is set by the caller that knows it:
    the sandbox; the command line shows "xlsx").
    """

    def __init__(self, reason: str) -> None:
        super().__init__("xlsx", f"Datei zu aufwendig aufgebaut ({reason})", f"file too complex ({reason})",
                         fix="Datei aufteilen oder als CSV speichern / split the file or save it as CSV")


@lru_cache(maxsize=1024)
def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _forbid(*_: Any) -> None:
    raise SheetTooComplex("DTD or entity declarations are not allowed in a workbook")


def parse_xml(xml: bytes, start: Any, end: Any, text: Any) -> None:
    """Parse ``xml`` with these callbacks; a DTD or entity declaration raises :class:`SheetTooComplex`."""
    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, text
    p.StartDoctypeDeclHandler = p.EntityDeclHandler = p.ExternalEntityRefHandler = _forbid
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    p.Parse(xml, True)


def strings_xml(block: bytes, wrap: bool = True) -> list[str]:
    """The texts of the ``<si>`` elements in ``block`` (wrapped in ``<sst>`` unless it is a whole part)."""
    out: list[str] = []
    parts: list[str] = []
    state = {"t": False, "ph": 0}

    def start(tag: str, _attrs: dict) -> None:
        local = _local(tag)
        if local == "t" and not state["ph"]:
            state["t"] = True
        elif local == "rPh":
            state["ph"] += 1

    def end(tag: str) -> None:
        local = _local(tag)
        if local == "t":
            state["t"] = False
        elif local == "rPh":
            state["ph"] -= 1
        elif local == "si":
            out.append("".join(parts).replace("x005F_", ""))
            parts.clear()

    def text(data: str) -> None:
        if state["t"]:
            parts.append(data)

    parse_xml(b"<sst>" + block + b"</sst>" if wrap else block, start, end, text)
    return out


class SheetReader:
    """Rows of ``{column: (value, formula)}`` from fast blocks and from XML-parser callbacks."""

    def __init__(self, strings: list[str], wb: Any) -> None:
        self.strings = strings
        self.date_styles, self.timedelta_styles = set(wb._date_formats), set(wb._timedelta_formats)  # noqa: SLF001
        self.epoch = wb.epoch
        self.rows: list[Row] = []
        self.row, self.in_xml, self.col = 0, 0, 0
        self.cells: dict[int, tuple[Any, str | None]] = {}
        self.shared: dict[str, Any] = {}
        self.cell: dict[str, Any] = {}
        self.buf: list[str] | None = None
        self.inline: list[str] | None = None
        self.phonetic = 0
        self.columns: dict[bytes, int] = {}

    def fast(self, block: bytes) -> bool:
        """Read a block of simple rows; False when it is not one (nothing read)."""
        plain = plain_rows_block(block, self.row)
        rows = plain if plain is not None else rows_block(block, self.row)
        if rows is None:
            return False
        strings, columns = self.strings, self.columns
        texts: dict[bytes, str] = {}  # this block's inline strings, each decoded once
        for number, cells in rows:
            if len(cells) > MAX_ROW_CELLS:
                raise SheetTooComplex(f"row {number} holds more than {MAX_ROW_CELLS:,} cells")
            out: dict[int, tuple[Any, str | None]] = {}
            if plain is not None:  # (whole, letters, style, type, value, inline): no formulas
                for _, letters, style, kind, raw, inline in cells:
                    col = columns.get(letters) or _column_bytes(letters, columns)
                    value = strings[int(raw)] if kind == b"s" and raw else self.value(kind, style, raw, inline, texts)
                    if value is not None:
                        out[col - 1] = (value, None)
            else:
                for _, letters, digits, style, kind, f_attrs, f_text, raw, inline, _e, _r, _a, _s in cells:
                    col = columns.get(letters) or _column_bytes(letters, columns)
                    value = strings[int(raw)] if kind == b"s" and raw else self.value(kind, style, raw, inline, texts)
                    if f_attrs or f_text:
                        ref = (letters + digits).decode()
                        out[col - 1] = (value, self.formula(attributes(f_attrs), xml_text(f_text), ref))
                    elif value is not None:
                        out[col - 1] = (value, None)
            self.rows.append((number, len(cells), out))
            self.row = number
        return True

    def value(self, kind: bytes, style: bytes, raw: bytes, inline: bytes, texts: dict[bytes, str]) -> Any:
        """A matched cell's value (raw bytes, ``b""`` when absent) as openpyxl gives it; ``texts``: decoded inlines."""
        if kind == b"inlineStr":  # writers such as openpyxl repeat a column's text in every row
            value = texts.get(inline)
            if value is None:
                value = texts[inline] = xml_text(inline)
            return value
        if not raw:
            return None
        if kind in (b"", b"n") and not (style and int(style) in self.date_styles):
            return float(raw) if b"." in raw or b"e" in raw or b"E" in raw else int(raw)
        return self.convert(kind.decode() if kind else "n", int(style) if style else 0, raw.decode())

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        """Expat callback: an element opens."""
        local = _local(tag)
        if local == "c":
            self.in_xml += 1
            if self.in_xml > MAX_ROW_CELLS:
                raise SheetTooComplex(f"row {self.row} holds more than {MAX_ROW_CELLS:,} cells")
            ref = attrs.get("r")
            self.col = _column_index(ref.rstrip("0123456789")) if ref else self.col + 1
            self.cell = {"r": ref, "t": attrs.get("t", "n"), "s": attrs.get("s"), "v": None, "f": None}
        elif local == "v" or local == "f":
            self.buf = []
            if local == "f":
                self.cell["fa"] = attrs
        elif local == "is":
            self.inline = []
        elif local == "t" and self.inline is not None and not self.phonetic:
            self.buf = []
        elif local == "rPh":
            self.phonetic += 1
        elif local == "row":
            r = attrs.get("r")
            self.row = int(r) if r and r.isdigit() else self.row + 1
            self.in_xml, self.col, self.cells = 0, 0, {}

    def end(self, tag: str) -> None:
        """Expat callback: an element closes (a cell or a row is complete)."""
        local = _local(tag)
        if local == "v" or local == "f":
            self.cell[local] = "".join(self.buf or ())
            self.buf = None
        elif local == "t" and self.buf is not None and self.inline is not None:
            self.inline.append("".join(self.buf))
            self.buf = None
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "is":
            self.cell["is"], self.inline = "".join(self.inline or ()), None
        elif local == "c":
            c = self.cell
            style = int(c["s"]) if c["s"] and c["s"].isdigit() else 0
            value = c.get("is") if c["t"] == "inlineStr" else self.convert(c["t"], style, c["v"] or None)
            formula = None if c.get("fa") is None else self.formula(c["fa"], c["f"] or "", c["r"])
            if value is not None or formula is not None:
                self.cells[self.col - 1] = (value, formula)
        elif local == "row":
            self.rows.append((self.row, self.in_xml, self.cells))

    def text(self, data: str) -> None:
        """Expat callback: text inside ``<v>``, ``<f>`` or an inline string's ``<t>``."""
        if self.buf is not None:
            self.buf.append(data)

    def convert(self, kind: str, style: int, value: str | None) -> Any:
        """A cell's value as openpyxl gives it (numbers, dates by style, shared strings, booleans)."""
        if value is None or kind == "inlineStr":
            return None
        if kind == "n":
            number: Any = float(value) if any(ch in value for ch in ".eE") else int(value)
            if style not in self.date_styles:
                return number
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(number, self.epoch, timedelta=style in self.timedelta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return from_ISO8601(value)
        return value  # str (a formula's text result), e (an error such as #DIV/0!)

    def formula(self, attrs: dict[str, str], body: str, ref: str | None) -> str:
        """A formula's text as openpyxl gives it: shared formulas translated to this cell, never evaluated."""
        text = "=" + body
        kind = attrs.get("t")
        if kind == "shared":
            from openpyxl.formula.translate import Translator

            index = attrs.get("si")
            if index in self.shared and ref:
                return self.shared[index].translate_formula(ref)
            if text != "=" and ref:
                self.shared[index] = Translator(text, ref)
        elif kind == "dataTable":
            return "="
        return text


def _column_bytes(letters: bytes, columns: dict[bytes, int]) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    columns[letters] = col
    return col


@lru_cache(maxsize=MAX_ROW_CELLS)
def _column_index(letters: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(letters)  # raises ValueError for nonsense
