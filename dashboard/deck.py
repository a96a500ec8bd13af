"""The talk deck: the stories as ONE self-contained HTML file (pure: stories + build in, HTML out).

A speaker may have no network and no Python at the venue, so everything travels in
the file: the vendored Leaflet (``static/vendor/``) inlined, the data as JSON in a
``<script type="application/json">`` block, no request to anything outside the file.
Each map level's geometry is sent once; every story only adds its per-area style
index and tooltip, so five stories cost little more than one.

Every string from data reaches the page escaped: the tooltips, legends and popups
are the app's own escaped HTML, titles and texts are escaped here, and the JSON
block escapes ``<``, ``>`` and ``&`` so that no ``</script>`` can end it early.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from dashboard.attribution import group_sources
from dashboard.build_files import BuildFolder
from dashboard.deck_view import CityView, story_page, story_state, story_views
from dashboard.i18n import LANGS, format_period, t
from dashboard.map_frame import inline_safe
from dashboard.map_texts import Note, comparability_note
from dashboard.projects_view import project_display
from pipelines import config
from pipelines.config import CITIES
from pipelines.projects import load_project_schema

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "deck_template.html"
SCRIPT = HERE / "deck.js"
MAP_CSS = HERE / "map_component" / "raumatlas_map.css"  # the app's map look, shared instead of copied
VENDOR = config.STATIC_DIR / "vendor"
LEAFLET_FILES = ("leaflet/leaflet.css", "leaflet/leaflet.js")
CLUSTER_FILES = ("leaflet.markercluster/MarkerCluster.css", "leaflet.markercluster/MarkerCluster.Default.css",
                 "leaflet.markercluster/leaflet.markercluster.js")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


@dataclass
class Deck:
    """A built deck: the HTML and, per story, both cities' views (for checks and tests)."""

    html: str
    views: list[dict[str, CityView]]


def build_deck(stories: list[dict[str, Any]], build: BuildFolder, lang: str = "de",
               source: str = "stories.toml") -> Deck:
    """The deck of ``stories`` on ``build`` in ``lang``.

    Raises:
        InputError: a story names something the build does not offer (``source`` names the file).
        ValueError: an unknown language.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    choices = build.choices(len(stories))
    states = [story_state(s, i, choices, lang, source) for i, s in enumerate(stories, start=1)]
    pages = [story_page(build, choices, state) for state in states]
    display = project_display(load_project_schema(build.geodata))
    views = [story_views(page, display) for page in pages]
    shared: dict[str, Any] = {"levels": {}, "outlines": {}, "locations": {}}
    story_data = []
    for story, page, by_city in zip(stories, pages, views, strict=True):
        story_data.append({
            "title": escape(_story_field(story, "title", lang)),
            "text": markdown_inline(_story_field(story, "text", lang)),
            "note": _note_payload(comparability_note(page.entry, lang)),
            "maps": {city: _city_payload(by_city[city], shared) for city in CITIES},
        })
    data = {**shared, "stories": story_data, "texts": _texts(lang)}
    needs_cluster = bool(shared["locations"])
    return Deck(html=_render(lang, build, data, needs_cluster), views=views)


def markdown_inline(text: str) -> str:
    """A story text (one or two sentences of Markdown) as escaped HTML: ``**bold**``, ``*italic*``, links.

    Only ``http(s)`` links become anchors; everything else stays text.
    """
    html = escape(text)
    html = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html)
    html = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", html)
    return re.sub(r"\[([^\]]+)\]\((https?://[^)\s\"]+)\)", r'<a href="\2" rel="noopener">\1</a>', html)


def script_json(obj: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (``<``, ``>``, ``&`` as JSON unicode escapes)."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _story_field(story: dict[str, Any], name: str, lang: str) -> str:
    return str(story.get(f"{name}_{lang}") or story.get(f"{name}_de") or "")


def _note_payload(note: Note | None) -> dict[str, str]:
    """The note under the maps as the app words it ("Vergleichbarkeit: …"), escaped; empty for none."""
    if note is None:
        return {"kind": "", "text": ""}
    return {"kind": note.kind, "text": escape(f"{note.lead}: {note.text}" if note.lead else note.text)}


def _city_payload(view: CityView, shared: dict[str, Any]) -> dict[str, Any]:
    """One map of one story; geometry, outlines and locations go to ``shared`` once."""
    out: dict[str, Any] = {"header": view.header_html, "message": escape(view.message)}
    if view.message or not view.area_ids:
        return out
    key = f"{view.city}/{view.level}"
    level = shared["levels"].setdefault(key, {"ids": list(view.geometry), "geoms": list(view.geometry.values()),
                                              "outline": view.city_outline})
    index = {area_id: i for i, area_id in enumerate(view.area_ids)}
    style = [view.style_index[index[a]] if a in index else -1 for a in level["ids"]]
    tips = [view.tooltips[index[a]] if a in index else "" for a in level["ids"]]
    out.update({"level": key, "styles": view.styles, "s": style, "tt": tips, "suffix": view.tooltip_suffix,
                "legend": view.legend_html, "bounds": view.bounds, "projects": view.projects,
                "projectLegend": view.project_legend_html})
    # The app draws the selected area last so that no neighbour covers its outline.
    out["front"] = level["ids"].index(view.selected) if view.selected in level["ids"] else -1
    if view.outlines:
        shared["outlines"].setdefault(view.city, view.outlines)
        out["outlines"] = view.city
    if view.locations:
        loc_key = f"{view.city}/{','.join(view.location_layers)}"
        shared["locations"].setdefault(loc_key, view.locations)
        out["locations"] = loc_key
    return out


def _texts(lang: str) -> dict[str, str]:
    return {"position": t("story_position", lang, i="{i}", n="{n}"), "approx": t("hr_notice", lang)}


def _sources_html(build: BuildFolder, lang: str) -> tuple[str, str]:
    """(one line for the slide foot, the full list for the sources panel), both escaped."""
    groups = group_sources(build.sources())
    publishers: list[str] = []
    for g in groups:
        item = f"{g['publisher']} ({g['licence']})"
        if item not in publishers:
            publishers.append(item)
    created = str(build.manifest.get("created", "")).replace("T", " ")[:16] or "–"
    stand = t("deck_stand", lang, created=created, version=str(build.manifest.get("build_version", "–")))
    line = f"{escape(t('deck_sources', lang))}: {escape('; '.join(publishers))}. {escape(stand)}"
    rows = []
    for city in CITIES:
        items = []
        for g in (x for x in groups if x["city"] == city):
            dates = [format_period(d, lang) for d in g["reference_dates"]]
            when = " – ".join([dates[0], dates[-1]]) if len(dates) > 2 else ", ".join(dates)
            if g["reference_date_assumed"]:
                when = t("footer_date_assumed", lang, date=when)
            items.append(f"<li><b>{escape(g['title'])}</b> — {escape(g['attribution'])}. "
                         f"{escape(t('licence', lang))}: {escape(g['licence'])}. "
                         f"{escape(t('reference_date', lang))}: {escape(when or '–')}. "
                         f"<span class=\"url\">{escape(g['url'])}</span></li>")
        rows.append(f"<h3>{escape(t(f'city_{city}', lang))}</h3><ul>{''.join(items)}</ul>")
    full = "".join(rows) + f"<p>{escape(stand)}</p><p>{escape(t('footer_approx', lang))}</p>"
    return line, full


def _vendor(names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in names:
        text = (VENDOR / name).read_text(encoding="utf-8")
        if name.endswith(".css"):  # no image requests: the deck draws no default markers or layer control
            text = re.sub(r"url\(images/[^)]*\)", "none", text)
        out[name] = inline_safe(text)
    return out


def _render(lang: str, build: BuildFolder, data: dict[str, Any], needs_cluster: bool) -> str:
    assets = _vendor(LEAFLET_FILES + (CLUSTER_FILES if needs_cluster else ()))
    css = "\n".join(v for k, v in assets.items() if k.endswith(".css"))
    js = "\n".join(v for k, v in assets.items() if k.endswith(".js"))
    source_line, sources_full = _sources_html(build, lang)
    values = {
        "LANG": lang,
        "TITLE": escape(t("deck_title", lang)),
        "VENDOR_CSS": css,
        "VENDOR_JS": js,
        "MAP_CSS": inline_safe(MAP_CSS.read_text(encoding="utf-8")),
        "DECK_JS": inline_safe(SCRIPT.read_text(encoding="utf-8")),
        "DATA": script_json(data),
        "BACK": escape(t("story_back", lang)),
        "NEXT": escape(t("story_next", lang)),
        "KEYS": escape(t("deck_keys", lang)),
        "SOURCES_BUTTON": escape(t("deck_sources", lang)),
        "SOURCES_TITLE": escape(t("footer_sources", lang)),
        "SOURCES_LINE": source_line,
        "SOURCES_FULL": sources_full,
        "CLOSE": escape(t("deck_close", lang)),
        "CITY_MUNICH": escape(t("city_munich", lang)),
        "CITY_BERLIN": escape(t("city_berlin", lang)),
    }
    template = TEMPLATE.read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)  # one pass: inserted text is never re-read
