"""``raumatlas profile``: an area's profile ("Steckbrief") as an A4 PDF to attach to a report.

(``--all``, every area of a level, is :mod:`dashboard.export_batch`.)

The contents are the app's profile (:mod:`dashboard.profile` computes them, the
numbers are formatted by :mod:`dashboard.i18n` as the app's profile table formats
them): name and level, parents, children and members, a locator map, the comparable
indicators against the city with the index (city = 100) and their reference dates,
time series, facilities, the projects in the area, for a Handlungsraum the city's own
sentence and the approximation note, the sources and licences, and the build version.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dashboard.attribution import group_sources
from dashboard.export_build import read_one_export
from dashboard.export_errors import ExportError
from dashboard.export_locator import draw_locator
from dashboard.export_render import INK, MUTED, Flow, check_target, rc_for, write_atomic
from dashboard.i18n import catalog_text, format_number, format_period, t
from dashboard.legend import flag_label
from dashboard.profile import action_area_info, comparable_vs_city, find_area, locations_inside, relatives, time_series
from dashboard.projects_view import area_listing, projects_in_area
from pipelines import config
from pipelines.config import CITIES

if TYPE_CHECKING:  # a profile draws without the page code that ExportData's module imports
    from dashboard.export_data import ExportData

MAX_SERIES = 6
WARN = "#9a3412"


def check_area(data: ExportData, city: str, level: str, area_id: str | None) -> pd.Series | None:
    """The areas row of the request; unknown city, level or area is an ExportError naming the choices."""
    if city not in CITIES:
        raise ExportError(f"unknown city '{city}' — use one of: {', '.join(CITIES)}")
    if level not in config.LEVELS[city]:
        raise ExportError(f"unknown level '{level}' for {city} — use one of: {', '.join(config.LEVELS[city])}")
    if area_id is None:
        return None
    areas = data.areas()
    row = find_area(areas, city, area_id)
    if row is None or row["level"] != level:
        ids = areas.loc[(areas["city"] == city) & (areas["level"] == level), "area_id"].astype(str).sort_values()
        hint = ", ".join(ids.head(5)) + (", …" if len(ids) > 5 else "")
        raise ExportError(f"unknown area '{area_id}' at level {level} in {city} — ids look like: {hint}")
    return row


def export_profile(out: Path, city: str, level: str, area_id: str, lang: str = "de",
                   data: ExportData | None = None) -> Path:
    """Write the profile of one area to ``out`` (.pdf), atomically."""
    check_target(out, ("pdf",))
    data = data or read_one_export()
    check_area(data, city, level, area_id)
    pages = profile_pages(data, city, level, area_id, lang)
    return write_atomic(out, lambda tmp: write_pdf(pages, tmp, _title(data, city, area_id, lang)))


def profile_pdf_bytes(data: ExportData, city: str, level: str, area_id: str, lang: str,
                      projects: gpd.GeoDataFrame | None = None) -> bytes:
    """The profile PDF as bytes (the app's "Steckbrief als PDF", with the session's projects)."""
    import io

    buf = io.BytesIO()
    write_pdf(profile_pages(data, city, level, area_id, lang, projects), buf, _title(data, city, area_id, lang))
    return buf.getvalue()


def write_pdf(pages: list[Figure], target: Any, title: str) -> None:
    """Pages into one PDF (fonts embedded as TrueType, text searchable)."""
    with matplotlib.rc_context(rc_for("pdf")), PdfPages(target, metadata={"Title": title, "Creator": "Raumatlas",
                                                        "CreationDate": None}) as pdf:
        for fig in pages:
            pdf.savefig(fig)


def _title(data: ExportData, city: str, area_id: str, lang: str) -> str:
    row = find_area(data.areas(), city, area_id)
    return t("profile_title", lang, name=row["name"] if row is not None else area_id)


def profile_pages(data: ExportData, city: str, level: str, area_id: str, lang: str = "de",
                  projects: gpd.GeoDataFrame | None = None) -> list[Figure]:
    """The profile's A4 pages (``projects`` default: the build's project lists)."""
    row = check_area(data, city, level, area_id)
    assert row is not None
    man = data.manifest
    created = str(man.get("created", "")).replace("T", " ")[:16] or "–"
    doc = Flow(f"Raumatlas · {row['name']} · "
               + t("export_stand", lang, created=created, version=str(man.get("build_version", "–")))[:110])
    doc.para(_title(data, city, area_id, lang), 20, weight="bold")
    doc.para(f"{t(f'city_{city}', lang)} · {t(f'level_{level}', lang)} · {area_id}", 11, MUTED)
    doc.space(0.1)
    if level == "handlungsraum":
        _action_area(doc, data, area_id, lang)
    _facts(doc, data, row, city, level, area_id, lang)
    _relatives(doc, data, city, area_id, lang)
    draw_locator(doc, data, city, level, area_id)
    catalog = data.catalog()
    rows = data.area_and_city_rows(city, level, area_id)
    table = comparable_vs_city(rows, list(catalog.values()), city, level, area_id)
    _comparable(doc, table, catalog, lang)
    _series(doc, rows, table, catalog, city, level, area_id, lang)
    _projects(doc, data, projects, city, level, area_id, lang)
    _sources(doc, data, city, lang)
    return doc.pages


def _action_area(doc: Flow, data: ExportData, area_id: str, lang: str) -> None:
    info = action_area_info(data.areas(), area_id)
    if not info:
        return
    note = info["note_de"] if lang == "de" else info["note_en"]
    if info["approximate"]:
        doc.para(f"{t('approx_label', lang)} — {note}", 10, WARN, weight="bold")
    elif note:
        doc.para(str(note), 10)
    member_level = t("level_short_" + str(info["member_level"]), lang)
    members = ", ".join(f"{m} {n}" for m, n in info["members"])
    doc.para(f"{t('hr_members', lang)} ({member_level}): {members}", 9.5)
    status = (lang == "en" and info.get("status_en")) or info["status"]
    doc.para(f"{t('hr_status', lang)}: {status}", 9.5)
    if info["source_quote"]:
        doc.para(f"„{info['source_quote']}“", 9.5, style="italic", indent=0.2)
        doc.para(f"{t('source', lang)}: {info['source_url']}", 8.5, MUTED, indent=0.2)
    doc.space(0.08)


def _facts(doc: Flow, data: ExportData, row: pd.Series, city: str, level: str, area_id: str, lang: str) -> None:
    counts, _ = locations_inside(data.locations(), city, level, area_id)
    facts = [f"{t('population', lang)}: {format_number(row.get('population'), lang, 0)}",
             f"{t('area_km2', lang)}: {format_number(row.get('area_km2'), lang, 1)}"]
    doc.para(" · ".join(facts), 11, weight="bold")
    places = " · ".join(f"{t(f'layer_{layer}', lang)}: {int(n)}" for layer, n in counts.items())
    doc.para(f"{t('profile_locations', lang)}: {places or t('profile_no_locations', lang)}", 9.5)


def _relatives(doc: Flow, data: ExportData, city: str, area_id: str, lang: str) -> None:
    parent, children, in_hr = relatives(data.areas(), city, area_id)
    groups = [(t("profile_parent", lang), [parent] if parent and parent.level != "stadt" else []),
              (t("profile_children", lang), children), (t("profile_in_hr", lang), in_hr)]
    for label, refs in groups:
        if refs:
            doc.para(f"{label}: " + ", ".join(f"{r.name} ({r.area_id})" for r in refs if r is not None), 9.5)


def _comparable(doc: Flow, table: pd.DataFrame, catalog: Mapping[str, dict[str, Any]], lang: str) -> None:
    doc.heading(t("profile_comparable", lang))
    if table.empty:
        doc.para(t("profile_no_values", lang), 9.5, MUTED)
        return
    header = [t("col_indicator", lang), t("col_period", lang), t("col_value", lang), t("col_city_value", lang),
              t("col_index", lang), t("col_coverage", lang)]
    rows = [[catalog_text(catalog[r.indicator_id], "label", lang), format_period(r.period, lang),
             value_text(r.value, r.flag, catalog[r.indicator_id], lang), format_number(r.city_value, lang),
             format_number(r.index, lang, 0), format_number(100 * r.coverage, lang, 0) + " %"]
            for r in table.itertuples()]
    doc.table(header, rows, (0.33, 0.12, 0.19, 0.12, 0.12, 0.12), ("left", "left", "right", "right", "right",
                                                                     "right"))
    doc.para(t("profile_index_help", lang), 8, MUTED)


def value_text(value: float, flag: str, entry: dict[str, Any], lang: str) -> str:
    """A value with its unit, or why it is missing (as the app's profile table)."""
    if flag:
        return flag_label(flag, lang)
    return f"{format_number(value, lang)} {catalog_text(entry, 'unit', lang)}".strip()


def _series(doc: Flow, rows: pd.DataFrame, table: pd.DataFrame, catalog: Mapping[str, dict[str, Any]], city: str,
            level: str, area_id: str, lang: str) -> None:
    """Small multiples: the area (and its city, for ratios) over every published period.

    ``rows`` are the area's and the city's rows (``area_and_city_rows``): all that
    :func:`dashboard.profile.time_series` reads of the indicator table.
    """
    charts = []
    for ind in table["indicator_id"]:
        series = time_series(rows, city, level, area_id, ind)
        if not series.empty:
            charts.append((ind, series))
            if len(charts) == MAX_SERIES:  # the rest would not be drawn
                break
    if not charts:
        return
    doc.heading(t("profile_series_all", lang))
    fmt = FuncFormatter(lambda v, _pos: format_number(v, lang))
    for i in range(0, min(len(charts), MAX_SERIES), 2):
        doc.need(2.25)
        top = doc.y
        for j, (ind, series) in enumerate(charts[i:i + 2]):
            doc.y = top + 0.3  # room for the chart's title
            ax = doc.axes(1.65, left=j * doc.width / 2 + 0.45, width=doc.width / 2 - 0.6)
            entry = catalog[ind]
            years = pd.to_datetime(pd.Series(series.index)).to_numpy()  # half-years stay apart (Berlin)
            ax.plot(years, series["area"].to_numpy(), color="#0b3d91", linewidth=1.8, marker="o", markersize=2.5,
                    label=t("series_area", lang))
            if entry.get("aggregation") != "sum":
                ax.plot(years, series["city"].to_numpy(), color="#9a3412", linewidth=1.2, linestyle="--",
                        label=t(f"city_{city}", lang))
            unit = catalog_text(entry, "unit", lang)
            ax.set_title(f"{catalog_text(entry, 'label', lang)}" + (f" ({unit})" if unit else ""), fontsize=8.5,
                         loc="left", color=INK, parse_math=False)
            ax.yaxis.set_major_formatter(fmt)
            span = int(str(series.index[-1])[:4]) - int(str(series.index[0])[:4])
            ax.xaxis.set_major_locator(mdates.YearLocator(base=max(1, -(-span // 5))))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
            ax.tick_params(labelsize=7, colors=MUTED)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            ax.legend(fontsize=7, frameon=False, loc="best")
        doc.y = top + 2.25


def _projects(doc: Flow, data: ExportData, projects: gpd.GeoDataFrame | None, city: str, level: str,
              area_id: str, lang: str) -> None:
    """The projects of the loaded lists in the area (titles as plain text; nothing when no list is loaded).

    ``projects``: the app's projects of this session (build + uploads); None: the build's own.
    """
    source = projects if projects is not None else data.projects()
    if source is None or source.empty:
        return
    inside = projects_in_area(source, city, level, area_id)
    doc.heading(t("proj_area_title", lang))
    if inside.empty:
        doc.para(t("proj_area_none", lang), 9.5, MUTED)
        return
    listing = area_listing(inside, data.project_display(), lang)
    cols = [c for c in ("titel", "thema", "status", "federfuehrung", "partner") if c in listing.columns]
    widths = {"titel": 0.34, "thema": 0.15, "status": 0.13, "federfuehrung": 0.18, "partner": 0.2}
    doc.table([t(f"proj_col_{c}", lang) for c in cols], listing[cols].astype(str).to_numpy().tolist(),
              [widths[c] for c in cols], ["left"] * len(cols))


def _sources(doc: Flow, data: ExportData, city: str, lang: str) -> None:
    doc.heading(t("footer_sources", lang))
    for s in group_sources(data.sources()):
        if s["city"] != city:
            continue
        dates = [format_period(d, lang) for d in s["reference_dates"]]
        stand = " – ".join([dates[0], dates[-1]]) if len(dates) > 2 else ", ".join(dates)
        doc.para(f"{s['title']} — {s['attribution']}. {t('licence', lang)}: {s['licence']}. "
                 f"{t('reference_date', lang)}: {stand or '–'}. {s['url']}", 8)
    doc.space(0.05)
    doc.para(t("footer_approx", lang) if city == "munich" else "", 8, MUTED)
