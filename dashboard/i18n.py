"""UI texts in German (default) and English from one table: ``geodata/translations.toml`` ``[ui]``.

Each entry is ``key = { de = "…", en = "…" }``; texts may hold ``{name}``
placeholders filled by :func:`t`. Indicator labels, units and notes are not here:
they come from the build's ``catalog.json`` (:func:`catalog_text`).
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines import config

LANGS: tuple[str, ...] = ("de", "en")
"""The UI languages; the first is the default and the fallback of every missing text."""
DEFAULT_LANG = LANGS[0]


@lru_cache(maxsize=4)
def load_ui_table(path: str | None = None) -> dict[str, dict[str, str]]:
    """The ``[ui]`` table; a missing file gives an empty table (keys then show as themselves)."""
    p = Path(path) if path else config.GEODATA_DIR / config.TRANSLATIONS_FILE
    if not p.exists():
        return {}
    with open(p, "rb") as fh:
        data = tomllib.load(fh)
    return {k: v for k, v in data.get("ui", {}).items() if isinstance(v, dict)}


def t(key: str, lang: str = DEFAULT_LANG, **fmt: Any) -> str:
    """Translate ``key``; falls back to German, then to the key itself (visible, never a crash)."""
    entry = load_ui_table().get(key, {})
    text = entry.get(lang) or entry.get(DEFAULT_LANG) or key
    if fmt:
        try:
            return text.format(**fmt)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def catalog_text(entry: dict[str, Any], field: str, lang: str) -> str:
    """A catalog field in ``lang`` (``label`` -> ``label_de``/``label_en``); German as fallback.

    ``unit`` is special: the German unit is stored as ``unit`` and the English one as ``unit_en``.
    """
    if field == "unit":
        return str((entry.get("unit_en") if lang == "en" else None) or entry.get("unit") or "")
    return str(entry.get(f"{field}_{lang}") or entry.get(f"{field}_de") or "")


def format_number(value: float | int | None, lang: str = DEFAULT_LANG, decimals: int | None = None) -> str:
    """The dashboard's one number format, so a tooltip, a legend and a table print a value alike.

    ``1.234,5`` (de) or ``1,234.5`` (en); "–" for NaN/None; a typographic minus for
    negatives, and ``-0,0`` shows as ``0,0``. ``decimals=None`` picks them from the
    magnitude (0 for whole numbers and from 1,000 up, 1 from 10 up, else 2); maps,
    legends and tables pass the decimals of their whole column instead.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if decimals is None:
        decimals = 0 if abs(v) >= 1000 or v == int(v) else (1 if abs(v) >= 10 else 2)
    if round(v, decimals) == 0:
        v = 0.0
    s = f"{abs(v):,.{decimals}f}"
    if lang == "de" or lang not in LANGS:
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return ("\u2212" if v < 0 else "") + s


def format_value(value: float | int | None, unit: str = "", lang: str = DEFAULT_LANG,
                 decimals: int | None = None) -> str:
    """A number with its unit: ``12,3 %`` (de), ``12.3%`` (en), ``1.234 Personen``; "–" for NaN/None."""
    number = format_number(value, lang, decimals)
    if not unit or number == "–":
        return number
    return f"{number}%" if unit == "%" and lang == "en" else f"{number} {unit}"


def format_period(period: str, lang: str) -> str:
    """ISO date ``2024-12-31`` -> ``31.12.2024`` (de) or unchanged (en); empty -> "–"."""
    if not period:
        return "–"
    y, _, rest = period.partition("-")
    m, _, d = rest.partition("-")
    if lang == "de" and y and m and d:
        return f"{d}.{m}.{y}"
    return period
