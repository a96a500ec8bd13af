"""Map legends as self-contained HTML (pure, no Streamlit, no branca).

branca's colormap legend loads d3 from a CDN, which leaves maps blank offline;
this module writes the legend as plain HTML with inline styles instead, readable
on a projector (large font, generous swatches). Every text from data or callers
is HTML-escaped. Number formatting (German decimal comma / English point) lives
here too, so tooltips and legends agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from dashboard.classify import NO_DATA_COLOR, Classification

LANGS: tuple[str, ...] = ("de", "en")

FLAG_LABELS: dict[str, dict[str, str]] = {
    "no_data": {"de": "keine Daten", "en": "no data"},
    "under_300": {
        "de": "unterdrückt: weniger als 300 Einwohner:innen",
        "en": "suppressed: fewer than 300 residents",
    },
    "outlier": {"de": "unterdrückt: Ausreißer", "en": "suppressed: outlier"},
    "not_rated": {"de": "nicht bewertet", "en": "not rated"},
    "zero_denominator": {
        "de": "nicht berechenbar (Bezugsgröße 0)",
        "en": "not computable (denominator is 0)",
    },
}
"""Why a value is missing, per ``flag`` of the indicators table, in both languages."""

_TEXT: dict[str, dict[str, str]] = {
    "no_data": {"de": "keine Daten / unterdrückt", "en": "no data / suppressed"},
    "city": {"de": "Klassen je Stadt", "en": "classes per city"},
    "common": {"de": "gemeinsame Skala beider Städte", "en": "common scale for both cities"},
    "relative": {"de": "relativ zum Stadtwert (Stadt = 100)", "en": "relative to the city value (city = 100)"},
    "quantiles": {"de": "Quantile", "en": "quantiles"},
    "equal_interval": {"de": "gleiche Intervalle", "en": "equal intervals"},
    "natural_breaks": {"de": "natürliche Brüche", "en": "natural breaks"},
    "areas": {"de": "Gebiete", "en": "areas"},
    "index": {"de": "Index", "en": "index"},
    "dark": {"de": "dunkel = mehr Handlungsbedarf", "en": "dark = more need for action"},
    "dark_neutral": {"de": "dunkel = höherer Wert", "en": "dark = higher value"},
    "city_value": {"de": "Stadtwert", "en": "city value"},
    "rank": {"de": "Rang {rank} von {total}", "en": "rank {rank} of {total}"},
    "coverage": {"de": "Wert deckt {pct} % der Bevölkerung ab", "en": "value covers {pct}% of residents"},
    "approximation": {"de": "Näherung", "en": "approximation"},
    "source": {"de": "Quelle", "en": "source"},
    "status": {"de": "Status", "en": "status"},
    "locations": {"de": "Standorte", "en": "locations"},
    "kita": {"de": "Kita", "en": "day-care centre"},
    "youth_centre": {"de": "Jugendfreizeiteinrichtung", "en": "youth centre"},
}


def text(key: str, lang: str) -> str:
    """A fixed UI phrase of the map layer in ``lang`` (``de``/``en``); used by maps.py too."""
    return _TEXT[key][_lang(lang)]


def flag_label(flag: str, lang: str) -> str:
    """Translated reason for a missing/suppressed value; falls back to "no data"."""
    return FLAG_LABELS.get(flag or "no_data", FLAG_LABELS["no_data"])[_lang(lang)]


def format_number(value: float | None, lang: str = "de", decimals: int = 1) -> str:
    """Format a number for people: ``1.234,5`` (de) or ``1,234.5`` (en); "–" for NaN/None.

    A typographic minus is used for negatives; ``-0,0`` is shown as ``0,0``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if round(value, decimals) == 0:
        value = 0.0
    s = f"{abs(value):,.{decimals}f}"
    if _lang(lang) == "de":
        s = s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return ("\u2212" if value < 0 else "") + s


def format_value(value: float | None, unit: str = "", lang: str = "de", decimals: int = 1) -> str:
    """A number with its unit: ``12,3 %`` (de), ``12.3%`` (en), ``1.234 Personen``; "–" for NaN."""
    number = format_number(value, lang, decimals)
    if not unit or number == "–":
        return number
    return f"{number}%" if unit == "%" and _lang(lang) == "en" else f"{number} {unit}"


def decimals_for_values(values: Sequence[float]) -> int:
    """Decimals for showing values of this size: 0 if the largest magnitude is ≥ 100, 1 if ≥ 10, else 2."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    return 0 if top >= 100 else 1 if top >= 10 else 2


def decimals_for(classification: Classification) -> int:
    """Enough decimals to tell the breaks apart: 0 for magnitudes ≥ 100, 1 for ≥ 10, else 2 (max 3)."""
    if classification.k == 0:
        return 1
    decimals = decimals_for_values([classification.lower, *classification.breaks])
    # Add a decimal while two neighbouring breaks would print the same.
    while decimals < 3 and len({round(b, decimals) for b in classification.breaks}) < classification.k:
        decimals += 1
    return decimals


def class_labels(classification: Classification, lang: str = "de", decimals: int | None = None) -> list[str]:
    """One label per class, e.g. ``"12,5 – 17,0"``; a single-value class shows one number."""
    d = decimals_for(classification) if decimals is None else decimals
    labels = []
    for lo, hi in classification.bounds:
        a, b = format_number(lo, lang, d), format_number(hi, lang, d)
        labels.append(a if a == b else f"{a} – {b}")
    return labels


def legend_html(
    classification: Classification,
    colors: Sequence[str],
    *,
    title: str,
    unit: str = "",
    lang: str = "de",
    mode: str = "city",
    polarity: str = "higher_is_worse",
    no_data_count: int = 0,
    counts: Sequence[int] | None = None,
    decimals: int | None = None,
) -> str:
    """The legend of one choropleth map as an HTML fragment (inline styles, escaped text).

    Args:
        classification: breaks of the map (``k`` classes).
        colors: one hex colour per class, lowest class first (``len == k``).
        title: indicator label (plain text; escaped here).
        unit: unit shown after the title, e.g. ``%`` (escaped). In ``relative``
            mode the unit is replaced by "Index (Stadt = 100)".
        lang: ``de`` or ``en`` (number format and fixed phrases).
        mode: ``city``, ``common`` or ``relative``: shown as a note under the classes.
        polarity: adds the reading hint ("dark = more need for action"); for
            ``neutral`` indicators "dark = higher value".
        no_data_count: number of areas without a value (the grey entry always shows).
        counts: areas per class to print next to the labels (optional).
        decimals: decimals of the break labels (default: :func:`decimals_for`).

    Returns:
        ``<details open class="ra-legend">…</details>`` (the title is the
        ``<summary>``, so a click folds it) with one ``ra-legend-class`` row per
        class and one ``ra-legend-nodata`` row.
    """
    if len(colors) != classification.k:
        raise ValueError(f"legend needs {classification.k} colours, got {len(colors)}")
    lang = _lang(lang)
    unit_txt = f"{text('index', lang)} ({'Stadt' if lang == 'de' else 'city'} = 100)" if mode == "relative" else unit
    # <details>/<summary>: a click on the title folds the legend away (no JS), e.g. when it hides areas.
    head = f'<summary style="font-weight:700;margin-bottom:2px;cursor:pointer">{escape(title)}</summary>'
    if unit_txt:
        head += f'<div style="color:#444;margin-bottom:6px">{escape(unit_txt)}</div>'
    rows = []
    for i, (label, colour) in enumerate(zip(class_labels(classification, lang, decimals), colors, strict=True)):
        n = f' <span style="color:#555">({counts[i]})</span>' if counts is not None and i < len(counts) else ""
        rows.append(_row("ra-legend-class", colour, escape(label) + n))
    rows.append(_row("ra-legend-nodata", NO_DATA_COLOR, f"{escape(text('no_data', lang))} ({int(no_data_count)})"))
    hint = text("dark_neutral" if polarity == "neutral" else "dark", lang)
    method = text(classification.method, lang) if classification.method in _TEXT else classification.method
    note = f"{text(mode, lang) if mode in _TEXT else mode} · {method}"
    foot = (
        f'<div class="ra-legend-note" style="margin-top:4px;font-size:0.82em;color:#333">'
        f"{escape(hint)}<br>{escape(note)}</div>"
    )
    return (
        '<details open class="ra-legend" style="background:rgba(255,255,255,0.94);padding:8px 10px;'
        "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,0.35);font:15px/1.3 system-ui,sans-serif;"
        f'color:#1f2328;max-width:280px">{head}{"".join(rows)}{foot}</details>'
    )


def _row(css_class: str, colour: str, label_html: str) -> str:
    swatch = (
        f'<span style="display:inline-block;width:22px;height:16px;background:{escape(colour)};'
        'border:1px solid #777;margin-right:8px;vertical-align:-2px"></span>'
    )
    return f'<div class="{css_class}" style="white-space:nowrap">{swatch}{label_html}</div>'


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "de"
