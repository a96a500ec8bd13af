"""Planners' projects in the app, pure (no Streamlit): uploads, filters, report tables, counts, collaboration.

An upload is handled entirely in memory (:func:`process_upload` on the file's bytes): read,
validated against the build's areas, joined to every level. Nothing is written to disk; the
view keeps the result in the session. Every cell stays the planner's text: the tables made
here go to ``st.dataframe`` (which renders text, never HTML), and the map escapes its tooltips.
Theme colours and English names of themes and statuses are data in
``geodata/projects/schema.toml`` (``[theme_colors]``, ``[labels_en]``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard.safe_text import file_name
from pipelines import config
from pipelines.errors import InputError
from pipelines.projects import (
    ProjectFileError,
    ProjectSchema,
    ValidationReport,
    check_isolated,
    collaboration,
    parse_projects,
    placed_projects,
    shape_projects,
    validate_projects,
)

FALLBACK_COLOR = "#777777"
UPLOAD_SUFFIXES = ("csv", "txt", "tsv", "xlsx", "xlsm", "geojson", "json")
EXAMPLE_FILE = config.GEODATA_DIR / "projects_examples" / "beispiel_projekte_fiktiv.csv"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
ORIGINS = ("build", "upload", "example")


@dataclass(frozen=True)
class ProjectDisplay:
    """How projects look: colour per theme, English names of themes and statuses, the controlled lists."""

    theme_colors: dict[str, str]
    labels_en: dict[str, dict[str, str]]
    themes: tuple[str, ...]
    statuses: tuple[str, ...]

    def color(self, theme: str) -> str:
        """Marker colour of a theme (grey for an unknown one)."""
        return self.theme_colors.get(str(theme), FALLBACK_COLOR)

    def label(self, kind: str, value: str, lang: str) -> str:
        """A theme or status in the UI language (``kind``: "thema" | "status")."""
        return self.labels_en.get(kind, {}).get(str(value), str(value)) if lang == "en" else str(value)


def project_display(schema: ProjectSchema) -> ProjectDisplay:
    """The display tables of ``schema.toml`` (``[theme_colors]``, ``[labels_en]``, the controlled lists)."""
    vocab = schema.vocabularies
    return ProjectDisplay(theme_colors=dict(schema.theme_colors),
                          labels_en={k: dict(v) for k, v in schema.labels_en.items()},
                          themes=tuple(vocab.get("thema", {})), statuses=tuple(vocab.get("status", {})))


@dataclass
class UploadResult:
    """An uploaded (or example) file after reading, validation and join; ``report`` None if unreadable."""

    name: str
    origin: str
    report: ValidationReport | None
    projects: gpd.GeoDataFrame | None
    error_de: str = ""
    error_en: str = ""

    @property
    def ok(self) -> bool:
        """True when at least one project was accepted."""
        return self.projects is not None and len(self.projects) > 0

    def error(self, lang: str) -> str:
        """Why the file was refused as a whole ("" if it was not)."""
        return self.error_en if lang == "en" else self.error_de


def process_upload(data: bytes, name: str, areas: gpd.GeoDataFrame | Path, schema: ProjectSchema, *,
                   origin: str = "upload") -> UploadResult:
    """Read, validate and join a file's bytes; never raises for a bad file (the result says why).

    ``areas``: the build's canonical areas with geometry (any CRS), or the path of their file
    (``areas.parquet``): then the file is checked in a child process with a memory limit and a
    timeout, one upload at a time (:func:`pipelines.projects.sandbox.check_isolated`) — for files
    from strangers (the app's uploads); the server receives only the report and the placed projects.
    ``schema``: the app's ``projects/schema.toml`` (the view reads it once,
    :func:`dashboard.loaders.project_schema`). Size and row limits come from the schema
    (``[limits]``); a binary, empty, truncated or oversized file gives ``error_de``/``error_en``.
    """
    safe_name = file_name(name)  # no path, control or bidi characters (an RLO would reverse what follows)
    try:
        if isinstance(areas, Path):
            report, placed = check_isolated(data, safe_name, schema, areas)
        else:
            report = validate_projects(parse_projects(data, safe_name, schema), areas, schema=schema)
            placed = placed_projects(report, areas)
    except ProjectFileError as err:
        fix = f" → {err.fix}" if err.fix else ""
        return UploadResult(safe_name, origin, None, None, err.message_de + fix, err.message_en + fix)
    except InputError as err:
        return UploadResult(safe_name, origin, None, None, err.problem, err.problem)
    except Exception as err:  # noqa: BLE001 - an untrusted file must never surface as a traceback
        what = type(err).__name__
        return UploadResult(safe_name, origin, None, None, f"Datei nicht lesbar ({what})",
                            f"file cannot be read ({what})")
    if placed is None:  # no valid row
        return UploadResult(safe_name, origin, report, None)
    return UploadResult(safe_name, origin, report, placed.assign(origin=origin))


class FinishedUploads:
    """Checked uploads not yet stored in their session: the answer to a run interrupted after the check.

    Streamlit stops a run at its next Streamlit call (session state included) when the browser asks
    for a new one meanwhile, e.g. because the planner clicked while a large file was being checked.
    The check (seconds) is done by then; its result waits here, keyed by session and file, and the
    session's next run takes it instead of checking the file again. Bounded: ``max_entries`` results,
    each kept at most ``max_age_s`` seconds (a session that never comes back does not keep one).
    """

    def __init__(self, max_entries: int = 4, max_age_s: float = 300.0) -> None:
        self.max_entries, self.max_age_s = max_entries, max_age_s
        self._items: OrderedDict[str, tuple[str, float, UploadResult]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, session: str, key: str, result: UploadResult) -> None:
        """Keep ``result`` of the file ``key`` for ``session`` (replacing an older one of the session)."""
        with self._lock:
            self._items.pop(session, None)
            self._items[session] = (key, time.monotonic(), result)
            self._expire()

    def take(self, session: str, key: str) -> UploadResult | None:
        """The kept result of ``key`` for ``session`` (removed), or None."""
        with self._lock:
            self._expire()
            item = self._items.get(session)
            if item is None or item[0] != key:
                return None
            del self._items[session]
            return item[2]

    def discard(self, session: str) -> None:
        """Forget what ``session`` has kept (its run stored the result itself)."""
        with self._lock:
            self._items.pop(session, None)

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    def _expire(self) -> None:
        now = time.monotonic()
        for session in [s for s, (_, at, _) in self._items.items() if now - at > self.max_age_s]:
            del self._items[session]
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)


def combine_projects(build: gpd.GeoDataFrame | None, uploads: Iterable[UploadResult]) -> gpd.GeoDataFrame:
    """The build's projects (``origin`` "build") and this session's accepted uploads in one table."""
    frames = []
    if build is not None and len(build):
        frames.append(build.to_crs(config.WEB_CRS).assign(origin="build"))
    frames += [u.projects.to_crs(config.WEB_CRS) for u in uploads if u.ok and u.projects is not None]
    if not frames:
        empty = shape_projects(gpd.GeoDataFrame({"stadt": []}, geometry=[], crs=config.WEB_CRS))
        return empty.assign(origin=pd.Series([], dtype=object))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=config.WEB_CRS)


def departments_of(projects: pd.DataFrame) -> list[str]:
    """Every department named as lead or involved, sorted case-insensitively (first spelling wins)."""
    seen: dict[str, str] = {}
    for names in projects.get("alle_referate", pd.Series([], dtype=object)):
        for n in _as_list(names):
            seen.setdefault(n.casefold(), n)
    return sorted(seen.values(), key=str.casefold)


def filter_projects(projects: gpd.GeoDataFrame, *, city: str | None = None, themes: Collection[str] = (),
                    statuses: Collection[str] = (), departments: Collection[str] = ()) -> gpd.GeoDataFrame:
    """Projects of ``city`` matching every non-empty filter (a department matches lead or involved)."""
    keep = np.ones(len(projects), dtype=bool)
    if city:
        keep &= (projects["stadt"] == city).to_numpy()
    if themes:
        keep &= projects["thema"].isin(list(themes)).to_numpy()
    if statuses:
        keep &= projects["status"].isin(list(statuses)).to_numpy()
    if departments:
        wanted = {d.casefold() for d in departments}
        keep &= np.array([not wanted.isdisjoint(n.casefold() for n in _as_list(v)) for v in projects["alle_referate"]],
                         dtype=bool)
    return projects.loc[keep]


def map_projects(projects: gpd.GeoDataFrame, display: ProjectDisplay, lang: str) -> gpd.GeoDataFrame:
    """Columns the map draws: ``titel``, ``thema`` (UI language), ``status``, ``federfuehrung``, ``color``."""
    return gpd.GeoDataFrame({
        **_labelled_columns(projects, display, lang),
        "color": per_distinct(projects["thema"], display.color),
    }, geometry=projects.geometry.to_numpy(), crs=projects.crs)


def per_distinct(values: Iterable[Any], f: Callable[[Any], Any]) -> list[Any]:
    """``[f(v) for v in values]`` with ``f`` called once per distinct value.

    The project columns the maps show hold few distinct values (themes, statuses, departments) in
    up to 100,000 rows: the labels, colours and escaped tooltip texts are made once each.
    """
    made: dict[Any, Any] = {}
    out = []
    for v in values.tolist() if hasattr(values, "tolist") else values:  # Arrow columns: one conversion, not per value
        try:
            r = made[v]
        except KeyError:
            r = made[v] = f(v)
        except TypeError:  # unhashable (a list)
            r = f(v)
        out.append(r)
    return out


def _labelled_columns(projects: pd.DataFrame, display: ProjectDisplay, lang: str) -> dict[str, Any]:
    """Title, theme and status in the UI language, lead department: what every project view shows first."""
    return {
        "titel": projects["titel"].astype(str).to_numpy(),
        "thema": per_distinct(projects["thema"], lambda v: display.label("thema", v, lang)),
        "status": per_distinct(projects["status"], lambda v: display.label("status", v, lang)),
        "federfuehrung": projects["federfuehrung"].astype(str).to_numpy(),
    }


def report_counts(report: ValidationReport) -> dict[str, int]:
    """Rows read, kept, dropped, and findings per severity."""
    sev = report.severity_counts()
    return {"rows": report.n_rows, "valid": report.n_valid, "dropped": report.n_rows - report.n_valid,
            "errors": sev["error"], "warnings": sev["warning"], "info": sev["info"]}


def report_table(report: ValidationReport, lang: str, severity_labels: dict[str, str],
                 row_word: str, file_word: str) -> pd.DataFrame:
    """One line per finding, errors first within a row: where, severity (translated), column, message."""
    problems = sorted(report.problems, key=lambda p: (p.row or 0, SEVERITY_ORDER.get(p.severity, 3)))
    label = report.row_label[0 if lang == "de" else 1]
    return pd.DataFrame({
        row_word: [f"{label} {p.row}" if p.row is not None else file_word for p in problems],
        "severity": [severity_labels.get(p.severity, p.severity) for p in problems],
        "column": [p.column for p in problems],
        "message": [p.message_en if lang == "en" else p.message_de for p in problems],
    })


def cleaned_table(projects: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows in the schema's columns (for the download; lists become "a; b" in to_safe_csv)."""
    cols = ["id", "titel", "stadt", "lat", "lon", "area_id", "area_level", "thema", "federfuehrung",
            "beteiligte_referate", "partner", "status", "beginn", "ende", "budget_eur", "link"]
    return pd.DataFrame(projects)[[c for c in cols if c in projects.columns]].reset_index(drop=True)


def projects_in_area(projects: pd.DataFrame, city: str, level: str, area_id: str) -> pd.DataFrame:
    """Projects whose ``area_id_<level>`` names the area (comma-separated lists allowed)."""
    col = f"area_id_{level}"
    if col not in projects.columns or projects.empty:
        return projects.iloc[0:0]
    hit = [str(area_id) in str(v or "").split(",") for v in projects[col]]
    return projects.loc[np.array(hit, dtype=bool) & (projects["stadt"] == city).to_numpy()]


def area_collaboration(projects: pd.DataFrame, city: str, level: str, area_id: str) -> dict[str, Any]:
    """:func:`pipelines.projects.collaboration` for one area (departments, partners, matrix, share)."""
    return collaboration(projects, [area_id], level=level, city=city)


def matrix_frame(collab: dict[str, Any]) -> pd.DataFrame:
    """Department × department matrix as a table (diagonal: the department's projects)."""
    labels = list(collab["labels"])
    return pd.DataFrame(collab["matrix"], index=labels, columns=labels)


def matrix_styles(matrix: pd.DataFrame) -> pd.DataFrame:
    """CSS per cell for a heatmap of the matrix (white -> dark blue by count; white text on dark cells)."""
    top = float(matrix.to_numpy().max()) if matrix.size else 0.0
    low, high = np.array([247, 251, 255]), np.array([8, 81, 156])

    def css(v: float) -> str:
        f = float(v) / top if top > 0 else 0.0
        r, g, b = (low + (high - low) * f).round().astype(int)
        return f"background-color: #{r:02x}{g:02x}{b:02x}; color: {'#ffffff' if f > 0.55 else '#111111'}"

    return matrix.map(css)


def area_project_counts(projects: pd.DataFrame, city: str, level: str) -> pd.DataFrame:
    """Per area of one level: ``projects`` (count) and ``multi_share`` (% with ≥ 2 departments, NaN if none)."""
    col = f"area_id_{level}"
    empty = pd.DataFrame({"area_id": pd.Series([], dtype=object), "projects": pd.Series([], dtype="int64"),
                          "multi_share": pd.Series([], dtype=float)})
    if col not in projects.columns or not len(projects):
        return empty
    sel = projects.loc[(projects["stadt"] == city).to_numpy(), [col, "anzahl_referate"]]
    ids = sel[col].fillna("").astype(str).str.split(",").explode()  # an area project may name several areas
    ids = ids[ids != ""]
    if ids.empty:
        return empty
    multi = (sel["anzahl_referate"].to_numpy() >= 2)[sel.index.get_indexer(ids.index)]
    grouped = pd.DataFrame({"area_id": ids.to_numpy(dtype=object), "multi": multi}).groupby("area_id", sort=False)
    out = pd.DataFrame({"projects": grouped.size(), "multi": grouped["multi"].sum()}).reset_index()
    out["multi_share"] = 100.0 * out["multi"] / out["projects"]
    return out[["area_id", "projects", "multi_share"]].astype({"area_id": object, "projects": "int64",
                                                               "multi_share": float})


def with_project_counts(table: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """``table`` (one row per ``area_id``) with ``projects`` (0 where none) and ``multi_share`` joined."""
    out = table.merge(counts, on="area_id", how="left")
    out["projects"] = out["projects"].fillna(0).astype("int64")
    return out


def area_listing(projects: pd.DataFrame, display: ProjectDisplay, lang: str) -> pd.DataFrame:
    """Projects of an area as plain text columns (lists joined with "; ")."""
    return pd.DataFrame({
        **_labelled_columns(projects, display, lang),
        "beteiligte_referate": ["; ".join(_as_list(v)) for v in projects["beteiligte_referate"]],
        "partner": ["; ".join(_as_list(v)) for v in projects["partner"]],
        "beginn": projects["beginn"].astype(str).to_numpy(),
        "ende": projects["ende"].astype(str).to_numpy(),
    })


def _as_list(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if hasattr(value, "tolist"):
        return [str(v) for v in value.tolist()]
    return []
