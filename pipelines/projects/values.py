"""Parse single cells of planners' project lists: German numbers and dates, lists, links, untrusted text.

Pure functions on strings, no pandas: they are called per cell (cached where values
repeat) and are easy to test exhaustively.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

# C0/C1 controls, zero-width and bidi-override characters: never echoed to a terminal or report.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_NUMBER = re.compile(r"[+-]?(\d[\d.,]*|[.,]\d+)([eE][+-]?\d+)?")
_DE_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.+Z-]*)?")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: object, limit: int = 80) -> str:
    """A cell value made safe to quote in a message: no control/bidi characters, one line, clipped."""
    text = _CONTROL.sub("", str(value)).replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=65536)
def parse_float(text: str, thousands: bool = False) -> float | None:
    """Number from a German or English cell; None if it is not a number.

    ``thousands=False`` (coordinates): one ``,`` or ``.`` is the decimal mark ("48,137" = 48.137).
    ``thousands=True`` (budget, EUR): with both marks the last one is decimal ("1.234,50",
    "1,234.50"); a lone ``.`` followed by groups of exactly three digits is a German thousands
    separator ("12.500" = 12500); a lone ``,`` is a decimal comma ("1234,5"), unless it separates
    several groups of three ("1,234,567"). "€", "EUR" and spaces are ignored.
    """
    t = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if thousands:
        t = re.sub(r"(?i)(eur|€|euro)$", "", t).replace("'", "")
    if not _NUMBER.fullmatch(t):
        return None
    if "," in t and "." in t:
        dec, other = ("," , ".") if t.rfind(",") > t.rfind(".") else (".", ",")
        t = t.replace(other, "").replace(dec, ".")
    elif "," in t:
        if thousands and re.fullmatch(r"[+-]?\d{1,3}(,\d{3}){2,}", t):
            t = t.replace(",", "")
        else:
            t = t.replace(",", ".")
    elif "." in t and thousands and re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", t):
        t = t.replace(".", "")
    try:
        value = float(t)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


@lru_cache(maxsize=65536)
def parse_date(text: str) -> str | None:
    """ISO date ``YYYY-MM-DD`` from "31.12.2025", "1.2.2025" or "2025-12-31" (Excel dates arrive as ISO)."""
    t = text.strip()
    m = _DE_DATE.fullmatch(t)
    if m:
        d, mo, y = (int(g) for g in m.groups())
    else:
        m = _ISO_DATE.fullmatch(t)
        if not m:
            return None
        y, mo, d = (int(g) for g in m.groups())
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def split_list(text: str) -> list[str]:
    """Split a list cell: by ``;`` or line breaks if the cell has any, else by ``,``; trimmed, de-duplicated.

    Names containing commas ("Caritas, Kreisverband München") therefore survive when the
    list uses semicolons.
    """
    if not text.strip():
        return []
    parts = re.split(r"[;\n\r]", text) if re.search(r"[;\n\r]", text) else text.split(",")
    seen: set[str] = set()
    out: list[str] = []
    for part in parts:
        item = " ".join(part.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out


def is_formula_like(text: str) -> bool:
    """True for text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first)."""
    return text.startswith(FORMULA_PREFIXES)


def check_link(text: str) -> tuple[str, str]:
    """(link, verdict) with verdict "ok", "fixed" (``www.`` got ``https://``) or "bad" (link is "").

    Only http and https are kept: ``javascript:``, ``data:``, ``file:`` and the like never reach the app.
    """
    t = text.strip()
    if t.lower().startswith("www.") and " " not in t:
        t, verdict = "https://" + t, "fixed"
    else:
        verdict = "ok"
    if any(ch in t for ch in " \"'<>`") or _CONTROL.search(t):
        return "", "bad"
    try:
        parts = urlsplit(t)
    except ValueError:
        return "", "bad"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "", "bad"
    return t, verdict
