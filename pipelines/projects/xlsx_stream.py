"""The first worksheet of an untrusted .xlsx as a stream of rows, in one pass, at a bounded cost (issue 12).

Any file under the 10 MB upload cap must be judged within the parse sandbox's 10 s of CPU.
openpyxl's readers cost 10-15 µs per cell (an ElementTree element per XML node, and a whole
extra pass over the sheet when it has no ``<dimension>``), i.e. 13 s for 100,000 ordinary
8-column rows. Here:

- the workbook's small parts (content types, workbook, relationships, styles) are first
  *counted* while decompressing (``<`` per part, C speed) and refused above
  :data:`MAX_PART_TAGS`; only then does openpyxl read them (epoch, date styles, sheet order);
- the shared strings and the sheet are read with ``pyexpat`` and a few Python callbacks,
  counting XML elements as they come: more than ``max_elements`` elements, or a row with more
  cells than Excel allows (16,384), stop the read at once (:class:`SheetTooComplex`);
- each row comes out as ``{0-based column: (cached value, formula)}`` holding only the cells
  that exist, with its spreadsheet row number and the number of cell elements in the XML.

No DTD is accepted (no entities of any kind, as defusedxml), formulas are never evaluated;
shared formulas are translated with openpyxl's ``Translator`` like openpyxl does.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from xml.parsers import expat

from pipelines.projects.limits import DEFAULT_LIMITS

MAX_ROW_CELLS = 16_384  # Excel's column limit: no real row has more cells
MAX_PART_TAGS = 200_000  # XML tags in any other part (styles, workbook, ...) read by openpyxl
MAX_ELEMENTS = 3 * DEFAULT_LIMITS["max_cells"]  # XML elements in the sheet (and, separately, the shared strings)
_CHUNK = 1 << 20


class SheetTooComplex(ValueError):
    """The workbook holds more XML than a project list can (counted before it is parsed further)."""


@lru_cache(maxsize=1024)
def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _forbid(*_: Any) -> None:
    raise SheetTooComplex("DTD or entity declarations are not allowed in a workbook")


def _parser(start: Any, end: Any, text: Any) -> Any:
    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, text
    p.StartDoctypeDeclHandler = p.EntityDeclHandler = p.ExternalEntityRefHandler = _forbid
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return p


def _count_tags(zf: zipfile.ZipFile, name: str, limit: int) -> None:
    tags = 0
    with zf.open(name) as src:
        while chunk := src.read(_CHUNK):
            tags += chunk.count(b"<")
            if tags > limit:
                raise SheetTooComplex(f"{name} holds more than {limit:,} XML tags")


class _Budget:
    def __init__(self, limit: int, what: str) -> None:
        self.left, self.limit, self.what = limit, limit, what

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise SheetTooComplex(f"{self.what} holds more than {self.limit:,} XML elements")


def _read_strings(zf: zipfile.ZipFile, name: str, budget: _Budget) -> list[str]:
    """The shared strings: each ``<si>``'s text (plain ``<t>`` and rich-text runs, phonetic hints left out)."""
    strings: list[str] = []
    parts: list[str] = []
    state = {"t": False, "ph": 0}

    def start(tag: str, _attrs: dict) -> None:
        budget.take()
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
            strings.append("".join(parts).replace("x005F_", ""))
            parts.clear()

    def text(data: str) -> None:
        if state["t"]:
            parts.append(data)

    for _ in _feed(zf, name, _parser(start, end, text)):
        pass
    return strings


def _feed(zf: zipfile.ZipFile, name: str, parser: Any, after: Any = None) -> Iterator[Any]:
    with zf.open(name) as src:
        while chunk := src.read(_CHUNK):
            parser.Parse(chunk, False)
            if after is not None:
                yield from after()
        parser.Parse(b"", True)
    if after is not None:
        yield from after()


class _SheetReader:
    """Expat callbacks that collect rows of ``{column: (value, formula)}`` (see :func:`iter_first_sheet`)."""

    def __init__(self, strings: list[str], wb: Any, budget: _Budget) -> None:
        self.strings, self.budget, self.elements = strings, budget, budget.limit
        self.date_styles, self.timedelta_styles = set(wb._date_formats), set(wb._timedelta_formats)  # noqa: SLF001
        self.epoch = wb.epoch
        self.rows: list[tuple[int, int, dict[int, tuple[Any, str | None]]]] = []
        self.row, self.in_xml, self.col = 0, 0, 0
        self.cells: dict[int, tuple[Any, str | None]] = {}
        self.shared: dict[str, Any] = {}
        self.cell: dict[str, Any] = {}
        self.buf: list[str] | None = None
        self.inline: list[str] | None = None
        self.phonetic = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements -= 1
        if self.elements < 0:
            self.budget.left = -1
            self.budget.take()
        local = _local(tag)
        if local == "c":
            self.in_xml += 1
            if self.in_xml > MAX_ROW_CELLS:
                raise SheetTooComplex(f"row {self.row} holds more than {MAX_ROW_CELLS:,} cells")
            ref = attrs.get("r")
            self.col = _column(ref) if ref else self.col + 1
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
            value, formula = self._value(), self._formula()
            if value is not None or formula is not None:
                self.cells[self.col - 1] = (value, formula)
        elif local == "row":
            self.rows.append((self.row, self.in_xml, self.cells))

    def text(self, data: str) -> None:
        if self.buf is not None:
            self.buf.append(data)

    def _value(self) -> Any:
        c = self.cell
        kind = c["t"]
        if kind == "inlineStr":
            return c.get("is")
        value = c["v"] or None
        if value is None:
            return None
        if kind == "n":
            return self._number(value, int(c["s"]) if c["s"] and c["s"].isdigit() else 0)
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return from_ISO8601(value)
        return value  # str (a formula's text result), e (an error such as #DIV/0!)

    def _number(self, text: str, style: int) -> Any:
        number: Any = float(text) if any(ch in text for ch in ".eE") else int(text)
        if style in self.date_styles:
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(number, self.epoch, timedelta=style in self.timedelta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number

    def _formula(self) -> str | None:
        attrs = self.cell.get("fa")
        if attrs is None:
            return None
        text = "=" + (self.cell["f"] or "")
        kind = attrs.get("t")
        if kind == "shared":
            from openpyxl.formula.translate import Translator

            index = attrs.get("si")
            if index in self.shared:
                return self.shared[index].translate_formula(self.cell["r"])
            if text != "=" and self.cell["r"]:
                self.shared[index] = Translator(text, self.cell["r"])
        elif kind == "dataTable":
            return "="
        return text


def _column(ref: str) -> int:
    return _column_index(ref.rstrip("0123456789"))


@lru_cache(maxsize=MAX_ROW_CELLS)
def _column_index(letters: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(letters)  # raises ValueError for nonsense


def _workbook(data: bytes, zf: zipfile.ZipFile) -> tuple[Any, str, str | None]:
    """(openpyxl workbook with epoch and date styles, the first worksheet's part, the shared strings' part)."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import SHARED_STRINGS

    for info in zf.infolist():
        if not info.filename.startswith("xl/worksheets/") and not info.filename.endswith("sharedStrings.xml"):
            _count_tags(zf, info.filename, MAX_PART_TAGS)
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    sheet = next((rel.target for _, rel in reader.parser.find_sheets()
                  if rel.target in reader.valid_files and "chartsheet" not in rel.Type), None)
    if sheet is None:
        raise KeyError("the workbook has no worksheet")
    strings = reader.package.find(SHARED_STRINGS)
    reader.archive.close()
    return reader.wb, sheet, strings.PartName[1:] if strings is not None else None


def iter_first_sheet(data: bytes, max_elements: int = MAX_ELEMENTS,
                     ) -> Iterator[tuple[int, int, dict[int, tuple[Any, str | None]]]]:
    """Yield ``(row number, cells in the XML, {0-based column: (value, formula)})`` for each row present.

    ``cells in the XML`` counts empty cell elements too (they cost reading time). Raises
    :class:`SheetTooComplex` as soon as a bound is passed, and the underlying zip/XML/openpyxl
    errors for a broken workbook.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb, sheet, strings_part = _workbook(data, zf)
        strings = _read_strings(zf, strings_part, _Budget(max_elements, "the shared strings")) \
            if strings_part and strings_part in zf.namelist() else []
        reader = _SheetReader(strings, wb, _Budget(max_elements, "the worksheet"))

        def drain() -> Iterator[tuple[int, int, dict[int, tuple[Any, str | None]]]]:
            rows, reader.rows = reader.rows, []
            yield from rows

        yield from _feed(zf, sheet, _parser(reader.start, reader.end, reader.text), drain)
