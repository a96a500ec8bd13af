"""The common, simple XML of a worksheet and its shared strings read by regular expressions (issue 12).

Excel, LibreOffice and the Python writers put a cell as ``<c r="B7" s="3" t="s"><v>12</v></c>``
or ``<c r="A2" t="inlineStr"><is><t>text</t></is></c>`` (openpyxl, pandas), a formula as
``<f>`` before ``<v>``, and a shared string as ``<si><t>text</t></si>``. For blocks of complete
rows (or strings) that hold nothing else, one regular-expression match per cell is several
times cheaper than an XML parser's callbacks; :mod:`pipelines.projects.xlsx_stream` uses these
functions for such blocks and gives every other block (rich text, prefixed names, comments,
entities in values, CDATA) to ``pyexpat``. A block is taken only when the matches cover it completely.
"""

from __future__ import annotations

import re
from operator import itemgetter
from xml.sax.saxutils import unescape

_ROW_NUMBER = re.compile(rb' r="(\d{1,7})"')
_TOKEN = re.compile(rb'(\s*(?:<c r="([A-Z]{1,3})(\d{1,7})"(?: s="(\d{1,6})")?(?: t="([a-zA-Z]{1,9})")?'
                    rb'(?: (?![rst]=)[a-zA-Z]+="[^"<>]*")*'
                    rb'(?:/>|>(?:<f((?: [a-zA-Z]+="[^"<>]*")*)\s*(?:/>|>([^<]*)</f>))?'
                    rb'(?:<v>([^<&]*)</v>|<v\s*/>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
                    rb'|(</row>)|(<row)((?: [A-Za-z:]+="[^"<>]*")*)\s*(/?)>))')
"""One token of a block of rows: a cell (groups 2-9), a row's end (10) or a row's start (11-13: ``/`` if empty).
Cells first: they are nearly all of a sheet."""
_CELL = re.compile(rb'(\s*<c r="([A-Z]{1,3})\d{1,7}"(?: s="(\d{1,6})")?(?: t="([a-zA-Z]{1,9})")?'
                   rb'(?:/>|>(?:<v>([^<&]*)</v>|<v\s*/>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>))')
"""A cell without a formula or other attributes: (whole, column letters, style, type, value, inline string)."""
_ROW_START = re.compile(rb'\s*<row((?: [A-Za-z:]+="[^"<>]*")*)\s*(/?)>')
_SI = re.compile(rb'(\s*<si>(?:<t(?: xml:space="preserve")?>([^<]*)</t>|<t/>)</si>)')
_WHOLE = itemgetter(0)
_ENTITIES = {"&quot;": '"', "&apos;": "'"}
_NUMERIC_REF = re.compile(r"&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});")


_ATTR = re.compile(rb' ([a-zA-Z]+)="([^"<>]*)"')


def attributes(raw: bytes) -> dict[str, str]:
    """`` t="shared" si="0"`` -> ``{"t": "shared", "si": "0"}``."""
    return {k.decode(): xml_text(v) for k, v in _ATTR.findall(raw)}


def xml_text(raw: bytes) -> str:
    """Element text as the XML parser would give it: UTF-8, the five entities and numeric references."""
    text = raw.decode("utf-8")
    if "&" not in text:
        return text
    text = _NUMERIC_REF.sub(lambda m: chr(int(m[1][1:], 16) if m[1][0] == "x" else int(m[1])), text)
    return unescape(text, _ENTITIES)


def strings_block(block: bytes) -> list[str] | None:
    """The shared strings of a block of whole ``<si>`` elements; None when it is not all simple strings."""
    found = _SI.findall(block)
    if not _covers(found, block):  # something else in the block
        return None
    if b"&" not in block and b"x005F_" not in block:
        return [raw.decode("utf-8") for _, raw in found]
    return [xml_text(raw).replace("x005F_", "") for _, raw in found]


def rows_block(block: bytes, last_row: int) -> list[tuple[int, list[tuple]]] | None:
    """Rows of a block of whole ``<row>`` elements, or None when it is not all simple rows.

    Each row is ``(row number, [(whole cell, column letters, row digits, style, type, formula attributes,
    formula, value, inline string, …)])``, all raw bytes, ``b""`` when absent (the tuple's last four
    entries are the other kinds of token, empty for a cell); formula attributes are e.g.
    `` t="shared" si="0"`` for a shared formula.

    One regular-expression pass over the whole block finds rows' starts and ends and the cells
    between them; the block is taken only if these tokens make it up completely and nest as rows
    of cells. None: anything in the block is not a simple row of simple cells (the caller then
    parses it as XML).
    """
    found = _TOKEN.findall(block)
    if not _covers(found, block):  # anything else in the block: not simple
        return None
    rows: list[tuple[int, list[tuple]]] = []
    cells: list[tuple] | None = None  # the open row's cells
    for token in found:
        if token[1]:  # a cell
            if cells is None:
                return None
            cells.append(token)
        elif token[9]:  # </row>
            if cells is None:
                return None
            cells = None
        else:  # <row ...> or <row .../>
            if cells is not None:
                return None
            last_row = row_number(token[11], last_row)
            rows.append((last_row, [] if token[12] else (cells := [])))
    return rows if cells is None else None


def plain_rows_block(block: bytes, last_row: int) -> list[tuple[int, list[tuple]]] | None:
    """Rows of a block of whole ``<row>`` elements whose cells have no formula, or None.

    Most sheets (every one the writers above make without formulas) are such blocks. Cut at each
    ``</row>``, a row is its start tag and a run of cells matched by one regular expression of six
    groups, ``(whole, column letters, style, type, value, inline string)``, all raw bytes, ``b""``
    when absent: about half the cost of :func:`rows_block`'s thirteen groups and its loop over every
    token, for the 1.8 million cells of a 10 MB sheet (issue 12: "validated in <= 10 s"). None when
    anything else is in the block: :func:`rows_block` or the XML parser reads it then.
    """
    if b"<f" in block:
        return None
    rows: list[tuple[int, list[tuple]]] = []
    *chunks, tail = block.split(b"</row>")
    for chunk in chunks:  # self-closing rows, then the row that this </row> ends
        at = 0
        while (start := _ROW_START.match(chunk, at)) is not None:
            last_row, at = row_number(start[1], last_row), start.end()
            if not start[2]:
                break
            rows.append((last_row, []))
        else:
            return None
        cells = _CELL.findall(chunk, at)
        if sum(map(len, map(_WHOLE, cells))) != len(chunk.rstrip()) - at:
            return None
        rows.append((last_row, cells))
    at = 0
    while (start := _ROW_START.match(tail, at)) is not None and start[2]:  # self-closing rows at the end
        last_row, at = row_number(start[1], last_row), start.end()
        rows.append((last_row, []))
    return rows if not tail[at:].strip() else None


def row_number(attrs: bytes, last_row: int) -> int:
    """A ``<row>``'s number from its attributes (`` r="7" spans="1:3"``), else the one after ``last_row``."""
    number = _ROW_NUMBER.search(attrs) if attrs else None
    return int(number[1]) if number else last_row + 1


def _covers(matches: list[tuple], text: bytes) -> bool:
    """True when the (non-overlapping) matches, whose first group is the whole match, make up all of ``text``.

    Matches never overlap, so their lengths add up to the text's (trailing blanks aside) only when
    nothing lies between them: one addition per match instead of a second regular-expression pass.
    """
    return sum(map(len, map(_WHOLE, matches))) == len(text.rstrip())
