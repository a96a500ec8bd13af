"""The first worksheet of an untrusted .xlsx as a stream of rows, in one pass, at a bounded cost (issue 12).

Any file under the 10 MB upload cap must get its verdict within the parse sandbox's 10 s of CPU
and 500 MB. openpyxl's readers cost 10-15 µs per cell (an ElementTree element per XML node, and
a whole extra pass over a sheet without ``<dimension>``): 13 s for 100,000 ordinary 8-column
rows. Here:

- the workbook's small parts (content types, workbook, relationships, styles) are *counted*
  while decompressing (``<`` per part, C speed) and refused above :data:`MAX_PART_TAGS`; only
  then does openpyxl read them (epoch, date styles, sheet order);
- the shared strings and the sheet's ``<sheetData>`` are decompressed in 1 MB chunks and cut
  into blocks of whole ``<si>``/``<row>`` elements. A block of simple strings or cells (what
  Excel and the Python writers produce) is read by :mod:`pipelines.projects.xlsx_fast`, one
  regular-expression match per cell; any other block is counted first (its tags against
  :data:`MAX_SLOW_TAGS` for the whole file) and then parsed by ``pyexpat`` with a few Python
  callbacks. A row with more cells than Excel allows (16,384) or a block that never ends stops
  the read (:class:`SheetTooComplex`), as do rows, cells and columns counted by the caller's guard;
- each row comes out as ``{0-based column: (cached value, formula)}`` holding only the cells
  that exist, with its spreadsheet row number and the number of cell elements in the XML.

No DTD is accepted (no entities of any kind, as defusedxml); formulas are never evaluated;
shared formulas are translated with openpyxl's ``Translator`` like openpyxl does.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from pipelines.projects.limits import DEFAULT_LIMITS
from pipelines.projects.xlsx_cells import Row, SheetReader, SheetTooComplex, parse_xml, strings_xml
from pipelines.projects.xlsx_fast import strings_block

__all__ = ["MAX_PART_TAGS", "MAX_SLOW_TAGS", "SheetTooComplex", "iter_first_sheet"]
MAX_PART_TAGS = 200_000  # XML tags in any other part (styles, workbook, ...) read by openpyxl
MAX_SLOW_TAGS = DEFAULT_LIMITS["max_cells"]  # tags of the blocks that need the XML parser, per file
MAX_BLOCK_BYTES = 64 << 20  # a <row> or <si> longer than this is not a project list
_CHUNK = 1 << 20


class _Slow:
    """The tag budget of the blocks that go to the XML parser (one per file)."""

    def __init__(self, limit: int) -> None:
        self.left, self.limit = limit, limit

    def take(self, block: bytes, what: str) -> None:
        self.left -= block.count(b"<")
        if self.left < 0:
            raise SheetTooComplex(f"{what}: more than {self.limit:,} XML tags outside the simple cell layout")


def _blocks(zf: zipfile.ZipFile, name: str, open_tag: bytes, item_end: bytes,
            close_tag: bytes) -> Iterator[bytes | None]:
    """The content of ``open_tag ... close_tag`` in blocks that end with ``item_end`` (whole elements).

    Bytes before ``open_tag`` and after ``close_tag`` are skipped unparsed. A part without
    ``open_tag`` as written (an XML prefix such as ``<x:sheetData>``) yields itself whole, as one
    block ``None`` followed by nothing: the caller then parses the whole part as XML.
    """
    buf, inside = b"", False
    with zf.open(name) as src:
        while chunk := src.read(_CHUNK):
            buf += chunk
            if not inside:
                at = buf.find(open_tag)
                if at < 0 or buf.find(b">", at) < 0:
                    if b":" + open_tag[1:] in buf:  # prefixed element names
                        yield None
                        return
                    buf = buf[-len(open_tag) - 256:]
                    continue
                gt = buf.find(b">", at)
                if buf[gt - 1:gt] == b"/":  # <sheetData/>: nothing in it
                    return
                buf, inside = buf[gt + 1:], True
            stop = buf.find(close_tag)
            if stop >= 0:
                yield buf[:stop]
                return
            cut = _last_end(buf, item_end)
            if cut < 0:
                if len(buf) > MAX_BLOCK_BYTES:
                    raise SheetTooComplex(f"{name}: an element longer than {MAX_BLOCK_BYTES >> 20} MB")
                continue
            yield buf[:cut]
            buf = buf[cut:]
    if inside and buf.strip():
        yield buf  # an unterminated part: the XML parser names the problem


def _last_end(buf: bytes, item_end: bytes) -> int:
    """Where the last whole item in ``buf`` ends: after its ``item_end``, or after a self-closing ``<row .../>``."""
    end = buf.rfind(item_end)
    end = end + len(item_end) if end >= 0 else -1
    opening = buf.rfind(b"<" + item_end[2:-1])  # </row> -> <row
    if opening > end:
        gt = buf.find(b">", opening)
        if gt > 0 and buf[gt - 1:gt] == b"/":
            end = gt + 1
    return end


def _read_strings(zf: zipfile.ZipFile, name: str, slow: _Slow) -> list[str]:
    """The shared strings: each ``<si>``'s text (plain ``<t>`` and rich-text runs, phonetic hints left out)."""
    strings: list[str] = []
    for block in _blocks(zf, name, b"<sst", b"</si>", b"</sst>"):
        if block is None:
            return strings_xml(_whole(zf, name, slow), wrap=False)
        fast = strings_block(block)
        if fast is not None:
            strings += fast
        else:
            slow.take(block, name)
            strings += strings_xml(block)
    return strings


def _whole(zf: zipfile.ZipFile, name: str, slow: _Slow) -> bytes:
    """A whole part for the XML parser, its tags counted against the budget first (chunk by chunk)."""
    out = bytearray()
    with zf.open(name) as src:
        while chunk := src.read(_CHUNK):
            slow.take(chunk, name)
            out += chunk
    return bytes(out)


def _workbook(data: bytes, zf: zipfile.ZipFile) -> tuple[Any, str, str | None]:
    """(openpyxl workbook with epoch and date styles, the first worksheet's part, the shared strings' part)."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import SHARED_STRINGS

    for info in zf.infolist():
        if not info.filename.startswith("xl/worksheets/") and not info.filename.endswith("sharedStrings.xml"):
            _count_tags(zf, info.filename)
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


def _count_tags(zf: zipfile.ZipFile, name: str) -> None:
    tags = 0
    with zf.open(name) as src:
        while chunk := src.read(_CHUNK):
            tags += chunk.count(b"<")
            if tags > MAX_PART_TAGS:
                raise SheetTooComplex(f"{name} holds more than {MAX_PART_TAGS:,} XML tags")


def iter_first_sheet(data: bytes, max_slow_tags: int = MAX_SLOW_TAGS) -> Iterator[Row]:
    """Yield ``(row number, cells in the XML, {0-based column: (value, formula)})`` for each row present.

    ``cells in the XML`` counts empty cell elements too (they cost reading time). Raises
    :class:`SheetTooComplex` as soon as a bound is passed, and the underlying zip/XML/openpyxl
    errors for a broken workbook.
    """
    slow = _Slow(max_slow_tags)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb, sheet, strings_part = _workbook(data, zf)
        names = set(zf.namelist())
        reader = SheetReader(_read_strings(zf, strings_part, slow) if strings_part in names else [], wb)
        for block in _blocks(zf, sheet, b"<sheetData", b"</row>", b"</sheetData>"):
            if block is None:  # prefixed names: the whole part through the XML parser
                parse_xml(_whole(zf, sheet, slow), reader.start, reader.end, reader.text)
            elif not reader.fast(block):
                slow.take(block, sheet)
                parse_xml(b"<sheetData>" + block + b"</sheetData>", reader.start, reader.end, reader.text)
            rows, reader.rows = reader.rows, []
            yield from rows
