"""Check a project list row by row: errors drop a row, warnings keep it (fixed or with the value cleared).

Decisions (documented in ``geodata/projects/README.md``):

* swapped lat/lon are swapped back with a warning when only the swapped point lies in the city;
* a point outside its city is an error (with a hint if it lies in the other city or looks like UTM metres);
* an area ID missing its leading zeros (Excel turned "01.1" into 1.1) is padded with a warning;
* of duplicate IDs the first row is kept, later ones are errors;
* a bad date, budget or link is cleared with a warning; ``ende`` before ``beginn`` is a warning.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines import config
from pipelines.errors import InputError
from pipelines.projects.findings import findings_for
from pipelines.projects.raw_table import RawTable
from pipelines.projects.report import PROJECT_COLUMNS, ValidationReport
from pipelines.projects.schema import Problem, ProjectSchema
from pipelines.projects.values import cell_text, check_link, parse_date, parse_float, split_list
from pipelines.registry import slugify

_TEXT_COLUMNS = ("id", "titel", "federfuehrung", "beteiligte_referate", "partner")
MAX_HINTS = 200
"""Distinct unknown values per column that get a "did you mean" suggestion; the rest are reported with the
allowed values only. A file of 100,000 rows with a different wrong value in each would otherwise spend
~20 s of the server's CPU on fuzzy matching (issue 12: any file under the cap is checked in <= 10 s)."""


def validate_projects(table: RawTable, areas: gpd.GeoDataFrame | None = None,
                      city_bounds: dict[str, tuple[float, float, float, float]] | None = None,
                      *, schema: ProjectSchema) -> ValidationReport:
    """Validate a :class:`RawTable` against the schema and (optionally) the canonical areas.

    ``areas``: canonical areas table (any CRS, must be set); points must lie in the union of
    their city's areas and ``area_id`` must exist at some level of the city. Without areas,
    points are checked against ``city_bounds`` (WGS84 boxes; default from schema.toml) and
    area IDs are not checked (an info line says so).
    """
    if table.is_template:
        return ValidationReport(table.source, pd.DataFrame(columns=list(PROJECT_COLUMNS)),
                                table.problems.problems(schema), 0, table.row_label, True, table.problems.hidden())
    df = table.frame.copy()
    v = _Validator(schema, table, df)
    v.check_read_problems()
    v.check_required()
    v.check_ids()
    for col in ("stadt", "thema", "status"):
        v.check_enum(col)
    v.check_formula_text()
    v.check_location(_city_shapes(areas, city_bounds or schema.city_bounds), _area_index(areas))
    v.check_dates_budget_link()
    valid = df.loc[~v.drop].copy()
    for col in ("beteiligte_referate", "partner"):
        valid[col] = [split_list(t) for t in valid[col]]
    valid["source"], valid["row"] = table.source, valid["_row"]
    projects = valid.reindex(columns=list(PROJECT_COLUMNS)).reset_index(drop=True)
    return ValidationReport(table.source, projects, v.problems.problems(schema), len(df), table.row_label,
                            table.is_template, v.problems.hidden())


@lru_cache(maxsize=65536)
def _slug(text: str) -> str:
    return slugify(text)


class _Validator:
    """Accumulates problems and the drop mask; one method per rule."""

    def __init__(self, schema: ProjectSchema, table: RawTable, df: pd.DataFrame) -> None:
        self.schema, self.table, self.df = schema, table, df
        self.problems = findings_for(schema, table.problems)  # capped per kind, counted exactly
        self.drop = np.zeros(len(df), dtype=bool)
        self.rows = df["_row"].to_numpy() if len(df) else np.array([], dtype="int64")
        self._pos = {int(r): i for i, r in enumerate(self.rows)}

    def add(self, severity: str, code: str, i: int, column: str, **params: object) -> None:
        self.problems.note(severity, code, int(self.rows[i]), column, self.schema, **params)
        if severity == "error":
            self.drop[i] = True

    def add_rows(self, severity: str, code: str, rows: np.ndarray, column: str,
                 params: Callable[[int], dict[str, object]] | None = None) -> None:
        """Findings of one kind at the row positions ``rows`` (ascending): messages only for the listed ones.

        Past the cap the rest are counted in one step and, for errors, dropped in one step: a hostile
        file with a wrong value in each of 100,000 rows costs no per-row Python beyond the cap.
        """
        shown = rows[:self.problems.room_left(code)]
        for i in shown:
            self.add(severity, code, int(i), column, **(params(int(i)) if params else {}))
        self.problems.skip(severity, code, column, len(rows) - len(shown))
        if severity == "error":
            self.drop[rows] = True

    def check_read_problems(self) -> None:
        for p in self.table.problems:
            if p.severity == "error" and p.row in self._pos:
                self.drop[self._pos[p.row]] = True

    def check_required(self) -> None:
        for col in (c.name for c in self.schema.columns if c.required):
            self.add_rows("error", "missing_value", np.flatnonzero(self.df[col].to_numpy() == ""), col)

    def check_ids(self) -> None:
        ids = self.df["id"].to_numpy(dtype=object)
        first: dict[str, int] = {}
        for i, (value, row) in enumerate(zip(ids, self.rows, strict=True)):
            if not value:
                continue
            if value in first:
                self.add("error", "duplicate_id", i, "id", id=cell_text(value, 40), first=first[value])
            else:
                first[value] = int(row)

    def check_enum(self, col: str) -> None:
        """Each distinct value once: its canonical term, or an error with one "did you mean" per distinct value."""
        vocab = self.schema.vocabularies[self.schema.column(col).vocabulary or col]
        lookup = {alias: canon for canon, aliases in vocab.items() for alias in aliases}
        aliases = list(lookup)
        values = self.df[col].to_numpy(dtype=object)
        codes, distinct = pd.factorize(values)
        slugs = [slugify(str(v)) if v else "" for v in distinct]
        canon = np.array([lookup.get(slug, "") for slug in slugs] + [""], dtype=object)
        hints: dict[str, str] = {}  # a fuzzy match costs ~0.2 ms: bounded to MAX_HINTS distinct values
        hint_of = np.full(len(distinct), "", dtype=object)
        for k in np.flatnonzero((canon[:-1] == "") & (np.asarray(distinct, dtype=object) != "")):
            slug = slugs[k]
            if slug not in hints:
                guess = difflib.get_close_matches(slug, aliases, n=1, cutoff=0.5) if len(hints) < MAX_HINTS else []
                hints[slug] = lookup[guess[0]] if guess else ""
            hint_of[k] = hints[slug]
        unknown = np.flatnonzero((canon[codes] == "") & (values != ""))
        with_hint = hint_of[codes[unknown]] != ""
        allowed = ", ".join(vocab)
        for code, rows in ((f"unknown_{col}", unknown[with_hint]), (f"unknown_{col}_nohint", unknown[~with_hint])):
            self.add_rows("error", code, rows, col, lambda i: {
                "value": cell_text(values[i], 40), "suggestion": hint_of[codes[i]], "allowed": allowed})
        self.df[col] = canon[codes]

    def check_formula_text(self) -> None:
        flagged = {(p.row, p.column) for p in self.table.problems if p.code == "formula_cell"}
        for col in _TEXT_COLUMNS:
            for i in np.flatnonzero(self.df[col].str.match(r"^[=@+\-]").to_numpy()):
                text = self.df[col].iloc[i]
                if (int(self.rows[i]), col) not in flagged and parse_float(text) is None:
                    self.add("warning", "formula_text", int(i), col, value=cell_text(text, 40))

    def check_location(self, shapes: dict[str, object], index: dict[str, dict[str, list[str]]] | None) -> None:
        df = self.df
        lat_t, lon_t = df["lat"].to_numpy(), df["lon"].to_numpy()
        lat = np.array([parse_float(t) if t else None for t in lat_t], dtype=float)
        lon = np.array([parse_float(t) if t else None for t in lon_t], dtype=float)
        has_lat, has_lon = lat_t != "", lon_t != ""
        half = has_lat ^ has_lon
        self.add_rows("error", "half_point", np.flatnonzero(half & has_lon), "lat")
        self.add_rows("error", "half_point", np.flatnonzero(half & has_lat), "lon")
        self.add_rows("error", "bad_coordinate", np.flatnonzero((has_lat & np.isnan(lat)) | (has_lon & np.isnan(lon))),
                      "lat/lon", lambda i: {"lat": cell_text(lat_t[i], 20), "lon": cell_text(lon_t[i], 20)})
        point = ~np.isnan(lat) & ~np.isnan(lon)
        city = df["stadt"].to_numpy()
        for c, shape in shapes.items():
            sel = point & (city == c)
            inside = _inside(shape, lat, lon) & sel
            swapped = _inside(shape, lon, lat) & sel & ~inside
            for i in np.flatnonzero(swapped):
                self.add("warning", "swapped", int(i), "lat/lon", lat=_num(lat[i]), lon=_num(lon[i]))
            lat[swapped], lon[swapped] = lon[swapped], lat[swapped].copy()
            for i in np.flatnonzero(sel & ~inside & ~swapped):
                other = [o for o, s in shapes.items() if o != c and _inside(s, lat[i:i + 1], lon[i:i + 1])[0]]
                code = "in_other_city" if other else ("utm_coordinates" if abs(lat[i]) > 1000 else "outside_city")
                names = self.schema.city_names
                self.add("error", code, int(i), "lat/lon", lat=_num(lat[i]), lon=_num(lon[i]), city=names.get(c, c),
                         other=names.get(other[0], other[0]) if other else "")
        df["lat"], df["lon"] = np.where(point, lat, np.nan), np.where(point, lon, np.nan)
        self._check_area_ids(point, has_lat | has_lon, index)

    def _check_area_ids(self, point: np.ndarray, any_coord: np.ndarray,
                        index: dict[str, dict[str, list[str]]] | None) -> None:
        df = self.df
        raw = df["area_id"].to_numpy()
        self.add_rows("error", "no_location", np.flatnonzero((raw == "") & ~any_coord), "lat/lon/area_id")
        ids, levels = list(raw), [""] * len(df)
        if index is None:
            if (raw != "").any():
                self.problems.append(Problem("info", "areas_not_checked", None, "area_id",
                                             *self.schema.message("areas_not_checked")))
            df["area_level"] = levels
            return
        wanted = df["ebene"].map(_slug).to_numpy()
        for i in np.flatnonzero(raw != ""):
            city_ids = index.get(df["stadt"].iloc[i], {})
            aid = raw[i]
            if aid not in city_ids:
                padded = [k for k in city_ids if _unpad(k) == _unpad(aid)]
                if len(padded) == 1:
                    self.add("warning", "area_id_padded", int(i), "area_id", value=cell_text(aid, 20), fixed=padded[0])
                    aid = padded[0]
            found = [lv for lv in city_ids.get(aid, []) if not wanted[i] or lv == wanted[i]]
            sev = "warning" if point[i] else "error"
            if not found:
                near = difflib.get_close_matches(aid, list(city_ids), n=1, cutoff=0.6)
                city = df["stadt"].iloc[i]
                self.add(sev, "unknown_area_id", int(i), "area_id", value=cell_text(aid, 20),
                         city=self.schema.city_names.get(city, city), suggestion=near[0] if near else "-")
                aid = ""
            elif len(found) > 1:
                self.add(sev, "ambiguous_area_id", int(i), "area_id", value=cell_text(aid, 20), levels=", ".join(found))
                aid = ""
            ids[i], levels[i] = aid, (found[0] if aid else "")
        df["area_id"], df["area_level"] = ids, levels

    def check_dates_budget_link(self) -> None:
        df = self.df
        for col in ("beginn", "ende"):
            parsed = [parse_date(t) if t else "" for t in df[col]]
            for i in (i for i, p in enumerate(parsed) if p is None):
                self.add("warning", "bad_date", i, col, value=cell_text(df[col].iloc[i], 20))
            df[col] = [p or "" for p in parsed]
        late = ((df["beginn"] != "") & (df["ende"] != "") & (df["ende"] < df["beginn"])).to_numpy()
        for j in np.flatnonzero(late):
            self.add("warning", "end_before_start", int(j), "ende", start=df["beginn"].iloc[j], end=df["ende"].iloc[j])
        budgets = []
        for i, t in enumerate(df["budget_eur"]):
            value = parse_float(t, True) if t else None
            if t and (value is None or value < 0):
                self.add("warning", "bad_budget", i, "budget_eur", value=cell_text(t, 30))
                value = None
            budgets.append(np.nan if value is None else value)
        df["budget_eur"] = np.array(budgets, dtype=float)
        links = []
        for i, t in enumerate(df["link"]):
            link, verdict = check_link(t) if t else ("", "ok")
            if verdict != "ok":
                self.add("warning", f"link_{verdict}", i, "link", value=cell_text(t, 60), fixed=link)
            links.append(link)
        df["link"] = links


def _num(x: float) -> str:
    """Coordinate for a message: degrees as typed (11.57), metres without exponent (5334000)."""
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:g}"


def _unpad(area_id: str) -> str:
    """ID without leading zeros per dot-separated part ("01.1" -> "1.1"); what Excel leaves of it."""
    return ".".join(p.lstrip("0") or "0" for p in re.sub(r"\.0+$", "", area_id).split("."))


def _inside(shape: object, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Vectorised point-in-city test: a shapely geometry (WGS84) or a (lat_min, lat_max, lon_min, lon_max) box."""
    ok = ~np.isnan(lat) & ~np.isnan(lon)
    if isinstance(shape, tuple):
        return ok & (lat >= shape[0]) & (lat <= shape[1]) & (lon >= shape[2]) & (lon <= shape[3])
    res = np.zeros(len(lat), dtype=bool)
    res[ok] = shapely.contains_xy(shape, lon[ok], lat[ok])
    return res


def _city_shapes(areas: gpd.GeoDataFrame | None, bounds: dict[str, tuple[float, float, float, float]]
                 ) -> dict[str, object]:
    """Per city the WGS84 outline (level "stadt", else the union of its areas); else the bounds box."""
    shapes: dict[str, object] = dict(bounds)
    if areas is None:
        return shapes
    if areas.crs is None:
        raise InputError("areas", "areas table has no CRS", fix="set the CRS (canonical areas are EPSG:4326)")
    wgs = areas.to_crs(config.WEB_CRS) if not areas.crs.equals(config.WEB_CRS) else areas
    for city, grp in wgs.groupby("city"):
        top = grp[grp["level"] == "stadt"]
        geom = shapely.union_all((top if len(top) else grp).geometry.values)
        shapely.prepare(geom)
        shapes[str(city)] = geom
    return shapes


def _area_index(areas: gpd.GeoDataFrame | None) -> dict[str, dict[str, list[str]]] | None:
    """City -> area_id -> levels it occurs at."""
    if areas is None:
        return None
    index: dict[str, dict[str, list[str]]] = {}
    for city, level, aid in zip(areas["city"], areas["level"], areas["area_id"].astype(str), strict=True):
        index.setdefault(str(city), {}).setdefault(aid, []).append(str(level))
    return index
