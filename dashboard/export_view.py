"""A view of the app (its URL) as data for a slide: the app's page context, plus per city fills and legend rows.

Pure (no Streamlit, no drawing). The view is read by the app's own
:func:`dashboard.state.parse_query`; the page is the app's :func:`dashboard.page.build_page`
(frame, classification, colours, city value, focus, outlines, locations), so a slide
has the same classes and colours as the app for the same URL. What the slide adds is
only taken apart from that page with the maps' and legends' own functions: the fill of
each area (:func:`dashboard.classify.map_classes`), the legend rows
(:func:`dashboard.legend.class_labels`, :func:`dashboard.legend.class_counts`) and the
legend's title and note (:mod:`dashboard.legend`), the notes of :mod:`dashboard.city_map`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd

from dashboard.build_files import BuildFolder
from dashboard.classify import NO_DATA_COLOR, Classification, map_classes
from dashboard.deck_data import read_stories
from dashboard.export_data import ExportError
from dashboard.i18n import LANGS, catalog_text, t
from dashboard.legend import class_counts, class_labels, legend_note, text, unit_text
from dashboard.map_texts import comparability_note, map_message
from dashboard.page import CityPage, PageContext, build_page
from dashboard.period_labels import entry_period_label
from dashboard.state import (
    Q_IND,
    Q_LANG,
    Q_PRESENT,
    Q_STEP,
    ViewState,
    merge_story,
    parse_query,
    story_query,
)
from pipelines import config
from pipelines.config import CITIES


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: swatch colour, label (formatted as in the app), number of areas."""

    color: str
    label: str
    count: int


@dataclass(frozen=True)
class CityPanel:
    """One city's map of a view: the app's :class:`CityPage` with the fill of every area and the legend rows.

    ``note`` says why there is no map ("" when there is one: then ``frame`` is set).
    """

    page: CityPage
    fills: tuple[str, ...] = ()
    legend: tuple[LegendEntry, ...] = ()
    note: str = ""

    @property
    def city(self) -> str:  # noqa: D102
        return self.page.city

    @property
    def level(self) -> str:  # noqa: D102
        return self.page.level

    @property
    def period(self) -> str:  # noqa: D102
        return self.page.period

    @property
    def frame(self) -> gpd.GeoDataFrame | None:
        """The web layer with values (None when there is no map)."""
        return self.page.frame if not self.note else None

    @property
    def classification(self) -> Classification | None:  # noqa: D102
        return self.page.classification

    @property
    def colors(self) -> tuple[str, ...]:  # noqa: D102
        return self.page.colors

    @property
    def city_value(self) -> float | None:  # noqa: D102
        return self.page.city_value


@dataclass(frozen=True)
class ViewModel:
    """Everything a slide shows of one view: the app's page and one panel per city."""

    page: PageContext
    panels: dict[str, CityPanel]

    @property
    def state(self) -> ViewState:  # noqa: D102
        return self.page.state

    @property
    def entry(self) -> dict[str, Any]:  # noqa: D102
        return self.page.entry

    @property
    def mode(self) -> str:
        """The colour scale: ``own``, ``common`` or ``relative``."""
        return self.page.state.scale


def query_params(view: str) -> dict[str, str]:
    """The parameters of an app URL or a bare query string (``ind=...&k=5``; a leading ``?`` is fine)."""
    raw = view.strip()
    if "://" in raw or raw.startswith("/"):
        raw = urlsplit(raw).query
    raw = raw.lstrip("?")
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _stories(data: BuildFolder) -> list[dict[str, Any]]:
    path = Path(data.geodata) / config.STORIES_FILE
    return read_stories(path) if path.is_file() else []


def parse_view(view: str | Mapping[str, object], data: BuildFolder, lang: str | None = None) -> ViewState:
    """The app's view state of a URL/query string; any value the app would replace is an ExportError.

    The app falls back to defaults with a notice; an export made unattended must not
    silently show something else, so the first notice becomes the error message.
    """
    params: dict[str, object] = dict(query_params(view) if isinstance(view, str) else view)
    stories = _stories(data)
    if params.get(Q_PRESENT) in ("1", "true") and Q_IND not in params:  # a story's URL, as the app reads it
        params = merge_story(params, story_query(stories, params.get(Q_STEP, "0")))
    if lang:
        params[Q_LANG] = lang
    msg_lang = str(params.get(Q_LANG)) if params.get(Q_LANG) in LANGS else "de"
    state, notices = parse_query(params, data.choices(len(stories)))
    if notices:
        raise ExportError("view: " + "; ".join(t(n.key, msg_lang, value=n.value) for n in notices))
    if state.indicator not in data.catalog():
        raise ExportError(f"view: unknown indicator '{state.indicator}'")
    return state


def view_page(state: ViewState, data: BuildFolder) -> PageContext:
    """The app's page of ``state`` on a build folder (the build's projects, no uploads, no filters).

    Built as the app's projector page (``present``): a slide shows neither the comparison table nor the
    Handlungsraum summary, which the desk page computes for all ~900 pinnable areas (most of a cold
    slide's time). Maps, classes, colours and legends do not depend on ``present``; the label layout of
    the outlines does, but the slide places its labels itself (``export_slide._draw_outlines``).
    """
    page = build_page(replace(state, present=True), data.choices(len(_stories(data))), data)
    return page.with_state(state)


def view_model(page: PageContext) -> ViewModel:
    """The slide's model of an app page: per city the fills and legend rows of the app's classes."""
    return ViewModel(page=page, panels={city: _panel(page, page.cities[city]) for city in CITIES})


def _panel(page: PageContext, city: CityPage) -> CityPanel:
    note = map_message(page, city)
    if note or city.frame is None or city.classification is None:
        return CityPanel(city, note=note or t("not_available_city", page.state.lang))
    cls, colors, lang, scale = city.classification, city.colors, page.state.lang, page.state.scale
    fills = tuple(colors[i] if i >= 0 else NO_DATA_COLOR
                  for i in map_classes(city.frame["value"], cls, scale, city.city_value))
    counts, no_data = class_counts(city.frame["value"], cls, scale, city.city_value)
    legend = [LegendEntry(c, label, n)
              for c, label, n in zip(colors, class_labels(cls, lang), counts, strict=True)]
    legend.append(LegendEntry(NO_DATA_COLOR, text("no_data", lang), no_data))
    return CityPanel(city, fills, tuple(legend))


def legend_title(model: ViewModel) -> str:
    """Indicator label with its unit, or "Index (Stadt = 100)" in relative mode (as the app's legend)."""
    lang = model.state.lang
    unit = unit_text(catalog_text(model.entry, "unit", lang), model.mode, lang)
    label = catalog_text(model.entry, "label", lang)
    return f"{label} ({unit})" if unit else label


def panel_legend_note(model: ViewModel, panel: CityPanel) -> str:
    """The reading hint · scale · method line under the legend (as the app's legend)."""
    assert panel.classification is not None
    return legend_note(panel.classification, model.mode, model.page.polarity, model.state.lang)


def panel_heading(model: ViewModel, city: str) -> str:
    """``München · Stadtbezirke · Jahresmittel 2024`` (city, level, reference date labelled as in the app)."""
    lang, panel = model.state.lang, model.panels[city]
    return (f"{t(f'city_{city}', lang)} · {t(f'level_short_{panel.level}', lang)} · "
            f"{entry_period_label(model.page.entry, city, panel.period, lang)}")


def comparability_text(model: ViewModel) -> str:
    """The note under the app's maps (comparability, or which city alone has the indicator) as one line."""
    note = comparability_note(model.entry, model.state.lang)
    if note is None:
        return ""
    return f"{note.lead}: {note.text}" if note.lead else note.text
