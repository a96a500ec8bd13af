"""Map legends as self-contained HTML (pure, no Streamlit, no branca).

branca's colormap legend loads d3 from a CDN, which leaves maps blank offline;
this module writes the legend as plain HTML with inline styles instead, readable
on a projector (large font, generous swatches). Every text from data or callers
is HTML-escaped. Numbers go through :func:`dashboard.i18n.format_number`, the one
formatter of the dashboard, so legends, tooltips and tables agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import pandas as pd

from dashboard.classify import METHODS, NO_DATA_COLOR, SCALES, Classification, map_classes
from dashboard.i18n import LANGS, format_number, t
from pipelines.config import FLAGS

_NOTE_KEYS: frozenset[str] = frozenset({*SCALES, *METHODS})
_RELATIVE_HINTS: dict[str, str] = {"higher_is_worse": "rel_worse_above", "higher_is_better": "rel_worse_below"}


def text(key: str, lang: str, **fmt: object) -> str:
    """A fixed phrase of the map layer (``map_<key>`` in the one translations table)."""
    return t(f"map_{key}", _lang(lang), **fmt)


def flag_label(flag: str, lang: str) -> str:
    """Translated reason for a missing/suppressed value; unknown (or empty) flags read as "no data".

    The flags (``pipelines.config.FLAGS``) have labels ``flag_<flag>`` in translations.toml.
    """
    return t(f"flag_{flag if flag and flag in FLAGS else 'no_data'}", _lang(lang))


def decimals_for_values(values: Sequence[float]) -> int:
    """Decimals for showing values of this size: 0 if the largest magnitude is ≥ 100, 1 if ≥ 10, else 2."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    return 0 if top >= 100 else 1 if top >= 10 else 2


def value_decimals(values: Sequence[float] | pd.Series) -> int:
    """Decimals of one value column, so its map tooltips and its ranking table print a value alike.

    0 for whole numbers (counts), else at least 1 (2 while every magnitude is below 10).
    """
    finite = [float(v) for v in pd.to_numeric(pd.Series(values), errors="coerce") if math.isfinite(float(v))]
    if finite and all(math.isclose(v, round(v), rel_tol=1e-5, abs_tol=1e-8) for v in finite):
        return 0
    return max(1, decimals_for_values(finite))


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
    mode: str = "own",
    polarity: str = "higher_is_worse",
    no_data_count: int = 0,
    counts: Sequence[int] | None = None,
    decimals: int | None = None,
) -> str:
    """The legend of one choropleth map as an HTML fragment (inline styles, escaped text).

    One line of swatches drawn under the map, not on it: on a projector every area
    must stay visible.

    Args:
        classification: breaks of the map (``k`` classes).
        colors: one hex colour per class, lowest class first (``len == k``).
        title: indicator label (plain text; escaped here).
        unit: unit shown after the title, e.g. ``%`` (escaped). In ``relative``
            mode the unit is replaced by "Index (Stadt = 100)".
        lang: ``de`` or ``en`` (number format and fixed phrases).
        mode: the scale, ``own``, ``common`` or ``relative``: shown as a note under the classes.
        polarity: adds the reading hint ("dark = more need for action"); for
            ``neutral`` indicators "dark = higher value".
        no_data_count: number of areas without a value (the grey entry always shows).
        counts: areas per class to print next to the labels (optional).
        decimals: decimals of the break labels (default: :func:`decimals_for`).

    Returns:
        ``<div class="ra-legend ra-legend-row">…</div>`` with one ``ra-legend-class``
        entry per class and one ``ra-legend-nodata`` entry.
    """
    if len(colors) != classification.k:
        raise ValueError(f"legend needs {classification.k} colours, got {len(colors)}")
    lang = _lang(lang)
    unit_txt = unit_text(unit, mode, lang)
    rows = []
    for i, (label, colour) in enumerate(zip(class_labels(classification, lang, decimals), colors, strict=True)):
        n = f' <span style="color:#555">({counts[i]})</span>' if counts is not None and i < len(counts) else ""
        rows.append(_row("ra-legend-class", colour, escape(label) + n))
    rows.append(_row("ra-legend-nodata", NO_DATA_COLOR, f"{escape(text('no_data', lang))} ({int(no_data_count)})"))
    note = legend_note(classification, mode, polarity, lang)
    title_txt = escape(title) + (f' <span style="font-weight:400;color:#444">({escape(unit_txt)})</span>'
                                 if unit_txt else "")
    return (
        '<div class="ra-legend ra-legend-row" style="font:inherit;color:#1f2328;line-height:1.5">'
        f'<div style="font-weight:700">{title_txt}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:2px 18px">{"".join(rows)}</div>'
        f'<div class="ra-legend-note" style="font-size:0.85em;color:#444">{escape(note)}</div>'
        "</div>"
    )


def unit_text(unit: str, mode: str, lang: str) -> str:
    """The unit shown after the legend's title; "Index (Stadt = 100)" on the relative scale."""
    lang = _lang(lang)
    return f"{text('index', lang)} ({'Stadt' if lang == 'de' else 'city'} = 100)" if mode == "relative" else unit


def reading_hint(mode: str, polarity: str, lang: str) -> str:
    """How to read the colours: sequential "dark = more need", or the two sides of 100."""
    if mode == "relative":
        return text(_RELATIVE_HINTS.get(polarity, "rel_neutral"), lang)
    return text("dark_neutral" if polarity == "neutral" else "dark", lang)


def legend_note(classification: Classification, mode: str, polarity: str, lang: str) -> str:
    """The line under the classes: reading hint · scale · method (plain text)."""
    lang = _lang(lang)
    method = text(classification.method, lang) if classification.method in _NOTE_KEYS else classification.method
    return f"{reading_hint(mode, polarity, lang)} · {text(mode, lang) if mode in _NOTE_KEYS else mode} · {method}"


def class_counts(values: pd.Series, classification: Classification, mode: str = "own",
                 city_value: float | None = None) -> tuple[list[int], int]:
    """Areas per class and areas without a value, counted as the map colours them."""
    assigned = list(map_classes(values, classification, mode, city_value))
    return [assigned.count(i) for i in range(classification.k)], assigned.count(-1)


def legend_for_values(
    values: pd.Series,
    classification: Classification,
    colors: Sequence[str],
    *,
    city_value: float | None = None,
    mode: str = "own",
    **kwargs: object,
) -> str:
    """Legend of a map of ``values`` (raw indicator values of the drawn areas).

    Counts the areas per class and without a value the same way the map colours
    them (relative mode: classes of ``100 * value / city_value``), then calls
    :func:`legend_html` with ``kwargs`` (title, unit, lang, polarity, decimals).
    """
    counts, no_data = class_counts(values, classification, mode, city_value)
    return legend_html(classification, colors, mode=mode, no_data_count=no_data, counts=counts,
                       **kwargs)  # type: ignore[arg-type]


def _row(css_class: str, colour: str, label_html: str) -> str:
    swatch = (
        f'<span style="display:inline-block;width:22px;height:16px;background:{escape(colour)};'
        'border:1px solid #777;margin-right:8px;vertical-align:-2px"></span>'
    )
    return f'<span class="{css_class}" style="white-space:nowrap">{swatch}{label_html}</span>'


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "de"
