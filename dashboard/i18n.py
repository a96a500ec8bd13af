"""UI texts in German (default) and English from one table: ``geodata/translations.toml`` ``[ui]``.

Each entry is ``key = { de = "…", en = "…" }``; texts may hold ``{name}``
placeholders filled by :func:`t`. Indicator labels, units and notes are not here:
they come from the build's ``catalog.json`` (:func:`catalog_text`).
"""

from __future__ import annotations

import logging
import math
import tomllib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines import config

LANGS: tuple[str, ...] = ("de", "en")
"""The UI languages; the first is the default and the fallback of every missing text."""
DEFAULT_LANG = LANGS[0]


TRANSLATIONS_BROKEN: dict[str, str] = {  # built in: shown exactly when the table itself cannot be trusted
    "de": "Die Übersetzungstabelle translations.toml ist fehlerhaft ({reason}); fehlende Texte erscheinen als "
          "Schlüssel (z. B. app_title).",
    "en": "The translation table translations.toml is broken ({reason}); missing texts show as their keys "
          "(e.g. app_title).",
}


@lru_cache(maxsize=4)
def _read_ui(path: str | None = None) -> tuple[dict[str, dict[str, str]], str]:
    """(the ``[ui]`` table, what is wrong with the file or "").

    A TOML syntax error does not lose the whole table: every ``[ui]`` entry is one line
    (``key = { de = "…", en = "…" }``), so the lines that still parse are kept and the first
    broken line is named. The problem text holds the file's name, never its folder.
    """
    p = Path(path) if path else config.GEODATA_DIR / config.TRANSLATIONS_FILE
    if not p.exists():
        return {}, ""
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as err:
        logging.getLogger("raumatlas").error("%s: %s", p, err)
        return {}, f"{p.name}: {type(err).__name__}"
    except tomllib.TOMLDecodeError as err:
        logging.getLogger("raumatlas").error("%s: %s", p, err)
        table, first_bad = _salvage_ui(text)
        where = f"Zeile/line {first_bad}" if first_bad else str(err).split("(", 1)[-1].rstrip(")")
        return table, f"{p.name}: {where}"
    raw = data.get("ui")
    if not isinstance(raw, dict):
        return {}, f"{p.name}: [ui] ?"
    table = {k: v for k, v in raw.items() if isinstance(v, dict)}
    bad = [k for k, v in table.items() if not isinstance(v.get(DEFAULT_LANG) or v.get("en"), str)]
    bad += [k for k, v in raw.items() if not isinstance(v, dict)]
    return table, (f"{p.name}: {', '.join(sorted(bad)[:3])}" if bad else "")


def _salvage_ui(text: str) -> tuple[dict[str, dict[str, str]], int]:
    """The ``[ui]`` entries of a file that does not parse as a whole, line by line; and the first bad line."""
    table: dict[str, dict[str, str]] = {}
    section, first_bad = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            section = stripped.split("#", 1)[0].strip()
            continue
        if section != "[ui]":
            continue
        try:
            entry = tomllib.loads(stripped)
        except tomllib.TOMLDecodeError:
            first_bad = first_bad or number
            continue
        table.update({k: v for k, v in entry.items() if isinstance(v, dict)})
    return table, first_bad


def load_ui_table(path: str | None = None) -> dict[str, dict[str, str]]:
    """The ``[ui]`` table; a missing or broken file gives what can be read (missing keys then show as themselves)."""
    return _read_ui(path)[0]


def translations_problem(lang: str = DEFAULT_LANG, quote: Callable[[str], str] = str) -> str:
    """A visible warning when ``translations.toml`` is broken ("" when it is fine); its text is built in.

    ``quote`` escapes the reason for where it is shown (the page passes ``safe_text.md``).
    """
    problem = _read_ui()[1]
    text = TRANSLATIONS_BROKEN.get(lang, TRANSLATIONS_BROKEN[DEFAULT_LANG])
    return text.format(reason=quote(problem)) if problem else ""


def t(key: str, lang: str = DEFAULT_LANG, **fmt: Any) -> str:
    """Translate ``key``; falls back to German, then to the key itself (visible, never a crash)."""
    entry = load_ui_table().get(key, {})
    text = entry.get(lang) or entry.get(DEFAULT_LANG) or key
    if not isinstance(text, str):  # a number or a table where a text belongs: show the key
        text = key
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
