"""Reading single query-string values that anyone can type: never raise, fall back and say so.

The URL is user input (shared links, hand edits, hostile permalinks); every reader here returns
a usable value and appends a :class:`Notice` for what it had to ignore, so the page can tell the
visitor instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    """A value from the URL that was not usable: i18n key of the message and the bad value."""

    key: str
    value: str


def first_value(params: Mapping[str, object], key: str) -> str | None:
    """A query value as text; repeated keys (lists) keep the last one, like st.query_params."""
    v = params.get(key)
    if v is None:
        return None
    if isinstance(v, list | tuple):
        return str(v[-1]) if v else None
    return str(v)


def pick(raw: str | None, allowed: tuple[str, ...], default: str, notice: str, out: list[Notice]) -> str:
    """``raw`` if allowed, the default if absent, else the default and a notice."""
    if raw is None or raw == "":
        return default
    if raw in allowed:
        return raw
    out.append(Notice(notice, raw))
    return default


def parse_list(raw: str, allowed: tuple[str, ...], notice: str, out: list[Notice]) -> tuple[str, ...]:
    """Comma-separated allowed values, first occurrence kept; each unknown one gets a notice."""
    items: list[str] = []
    for x in (x.strip() for x in raw.split(",") if x.strip()):
        if x not in allowed:
            out.append(Notice(notice, x))
        elif x not in items:
            items.append(x)
    return tuple(items)


def parse_int(raw: str | None, bounds: tuple[int, int], default: int, notice: str, out: list[Notice]) -> int:
    """An integer within ``bounds`` (inclusive); anything else is the default and a notice."""
    if raw is None or raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        out.append(Notice(notice, raw))
        return default
    if bounds[0] <= v <= bounds[1]:
        return v
    out.append(Notice(notice, raw))
    return default
