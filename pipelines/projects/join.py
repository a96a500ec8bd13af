"""Place validated projects in every area level of their city and count them per area.

* A point project joins the area it lies in at every level (spatial join in the city's
  metric CRS: Munich EPSG:25832, Berlin EPSG:25833). Levels that tile the city (``stadt``
  and ``config.COVERAGE_LEVELS``) give exactly one area (a point on a shared border goes to
  the smallest ID); Handlungsräume may overlap, so a point can be in several.
* An area-based project joins its area and every area above it: the ``parent_id`` chain
  and each Handlungsraum whose ``members`` list contains the area or one of its parents.
* Indicators (canonical long format) for every area of each city that has projects
  (zeros included): ``proj_count``, ``proj_count_thema_<slug>``, ``proj_count_status_<slug>``,
  ``proj_multi_dept_count`` and ``proj_multi_dept_share`` (in %, projects with two or more
  departments = federführung + beteiligte Referate, distinct, case-insensitive).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import combinations
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import config
from pipelines.errors import InputError
from pipelines.projects.schema import ProjectSchema
from pipelines.registry import slugify

_AREA_NEEDS = ("city", "level", "area_id", "parent_id", "geometry")


def department_list(lead: str, involved: Iterable[str]) -> list[str]:
    """Distinct departments of a project (lead first), compared case- and space-insensitively."""
    seen: set[str] = set()
    out: list[str] = []
    for name in [lead, *involved]:
        clean = " ".join(str(name).split())
        if clean and clean.casefold() not in seen:
            seen.add(clean.casefold())
            out.append(clean)
    return out


def join_projects(projects: pd.DataFrame, areas: gpd.GeoDataFrame, period: str | None = None,
                  *, schema: ProjectSchema) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Join validated projects to the canonical areas; return (projects GeoDataFrame, indicators long table).

    ``projects``: :attr:`ValidationReport.projects` (several files concatenated is fine; ``id`` must be
    unique per city). ``areas``: canonical areas (any CRS, must be set). ``period``: ISO date of the
    snapshot (default: today). The projects GeoDataFrame is :func:`place_projects`'.
    """
    p, membership, gdf = _place(projects, areas)
    return gdf, _indicators(p, membership, areas, period or date.today().isoformat(), schema)


def place_projects(projects: pd.DataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validated projects placed in the areas, without the indicators (an upload shows its projects, not counts).

    The GeoDataFrame (EPSG:4326) gets ``alle_referate`` (list), ``anzahl_referate``, ``location_kind``
    ("punkt" | "gebiet"; an area-based project is drawn at a point inside its area) and
    ``area_id_<level>`` for every level (comma-separated if several).
    """
    return _place(projects, areas)[2]


def _place(projects: pd.DataFrame, areas: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    _check_areas(areas)
    p = projects.reset_index(drop=True).copy()
    p["alle_referate"] = _department_lists(p["federfuehrung"].tolist(), p["beteiligte_referate"].tolist())
    p["anzahl_referate"] = p["alle_referate"].map(len).astype("int64")
    is_point = p["lat"].notna().to_numpy() & p["lon"].notna().to_numpy()
    membership = pd.concat([_join_points(p, is_point, areas), _join_area_ids(p, ~is_point, areas)],
                           ignore_index=True)
    return p, membership, _projects_frame(p, is_point, areas, membership)


def _department_lists(leads: list[Any], involved: list[Any]) -> list[list[str]]:
    """:func:`department_list` per project; a file repeats few combinations, so each is worked out once."""
    seen: dict[tuple[Any, ...], list[str]] = {}
    out = []
    for lead, inv in zip(leads, involved, strict=True):
        key = (lead, *inv)
        found = seen.get(key)
        if found is None:
            found = seen[key] = department_list(lead, inv)
        out.append(list(found))
    return out


def _check_areas(areas: gpd.GeoDataFrame) -> None:
    missing = [c for c in _AREA_NEEDS if c not in areas.columns]
    if missing:
        raise InputError("areas", f"areas table lacks columns {missing}", fix="use the canonical areas table")
    if areas.crs is None:
        raise InputError("areas", "areas table has no CRS", fix="set it (canonical areas are written as EPSG:4326)")


def _join_points(p: pd.DataFrame, is_point: np.ndarray, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Spatial join per city in its metric CRS; one area per partition level, all overlapping Handlungsräume."""
    parts = []
    for city, crs in config.CITY_CRS.items():
        sel = np.flatnonzero(is_point & (p["stadt"].to_numpy() == city))
        city_areas = areas[areas["city"] == city]
        if len(sel) == 0 or city_areas.empty:
            continue
        pts = gpd.GeoDataFrame({"_i": sel}, crs=config.WEB_CRS,
                               geometry=gpd.points_from_xy(p["lon"].to_numpy()[sel], p["lat"].to_numpy()[sel]))
        pts, polys = pts.to_crs(crs), city_areas[["level", "area_id", "geometry"]].to_crs(crs)
        if not (pts.crs.equals(crs) and polys.crs.equals(crs)):
            raise InputError("areas", f"reprojection to {crs} failed", fix="check the areas CRS")
        # polygons on the left: each is prepared once and tested against the points' tree (fast)
        hit = gpd.sjoin(polys, pts, how="inner", predicate="intersects")[["_i", "level", "area_id"]]
        partition = hit["level"].isin(("stadt", *config.COVERAGE_LEVELS[city]))
        hit = pd.concat([hit[partition].sort_values("area_id").drop_duplicates(["_i", "level"]), hit[~partition]])
        parts.append(hit.assign(city=city))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["_i", "level", "area_id", "city"])


def _join_area_ids(p: pd.DataFrame, is_area: np.ndarray, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """An area-based project to its area, the ``parent_id`` chain, and Handlungsräume listing any of them."""
    keys = list(zip(areas["city"], areas["area_id"].astype(str), strict=True))
    parent = dict(zip(keys, areas["parent_id"].fillna("").astype(str), strict=True))
    levels: dict[tuple[str, str], list[str]] = {}
    for key, level in zip(keys, areas["level"], strict=True):
        levels.setdefault(key, []).append(str(level))
    hr_members: list[tuple[str, str, set[str]]] = []
    if "members" in areas.columns:
        hr = areas[areas["level"] == "handlungsraum"]
        hr_members = [(str(c), str(a), {m.strip() for m in str(mem or "").split(",") if m.strip()})
                      for c, a, mem in zip(hr["city"], hr["area_id"], hr["members"], strict=True)]
    rows: list[tuple[int, str, str, str]] = []
    cities, area_ids, area_levels = (p[c].fillna("").astype(str).tolist() for c in ("stadt", "area_id", "area_level"))
    for i in np.flatnonzero(is_area):
        city, aid, wanted = cities[i], area_ids[i], area_levels[i]
        if not aid or (city, aid) not in levels:
            continue
        level = wanted if wanted in levels[(city, aid)] else levels[(city, aid)][0]
        chain, seen = [(level, aid)], {aid}
        cur = parent.get((city, aid), "")
        while cur and cur not in seen and (city, cur) in levels:
            seen.add(cur)
            chain.append((levels[(city, cur)][0], cur))
            cur = parent.get((city, cur), "")
        chain += [("handlungsraum", h) for c, h, mem in hr_members if c == city and h not in seen and mem & seen]
        rows += [(int(i), lv, a, city) for lv, a in chain]
    return pd.DataFrame(rows, columns=["_i", "level", "area_id", "city"])


def _projects_frame(p: pd.DataFrame, is_point: np.ndarray, areas: gpd.GeoDataFrame,
                    membership: pd.DataFrame) -> gpd.GeoDataFrame:
    """Projects as points (EPSG:4326) with ``area_id_<level>`` columns like the locations table."""
    lon, lat = p["lon"].to_numpy(dtype=float).copy(), p["lat"].to_numpy(dtype=float).copy()
    wgs = areas.to_crs(config.WEB_CRS) if not areas.crs.equals(config.WEB_CRS) else areas
    rep = dict(zip(zip(wgs["city"], wgs["area_id"].astype(str), strict=True),
                   wgs.geometry.representative_point(), strict=True))
    for i in np.flatnonzero(~is_point):
        pt = rep.get((p.at[i, "stadt"], str(p.at[i, "area_id"] or "")))
        if pt is not None:
            lon[i], lat[i] = pt.x, pt.y
    out = p.assign(location_kind=np.where(is_point, "punkt", "gebiet"))
    mem = pd.DataFrame({"_i": membership["_i"].to_numpy(dtype="int64"), "level": membership["level"].astype(str),
                        "area_id": membership["area_id"].astype(str)}).sort_values(["_i", "area_id"], kind="stable")
    by_level = dict(tuple(mem.groupby("level", sort=False)))
    for level in dict.fromkeys([lv for city in config.CITIES for lv in config.LEVELS[city]] + list(by_level)):
        out[f"area_id_{level}"] = _joined_ids(by_level.get(level), len(out))
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon, lat), crs=config.WEB_CRS)


def _joined_ids(found: pd.DataFrame | None, n: int) -> np.ndarray:
    """Per project, its areas of one level (sorted, comma-separated; "" for none); ``found`` sorted by ``_i``, id."""
    col = np.full(n, "", dtype=object)
    if found is None or found.empty:
        return col
    rows = found["_i"].to_numpy()
    several = found["_i"].duplicated(keep=False).to_numpy()
    col[rows[~several]] = found["area_id"].to_numpy()[~several]  # a partition level: one area each
    if several.any():  # overlapping Handlungsräume
        joined = found[several].groupby("_i", sort=False)["area_id"].agg(",".join)
        col[joined.index.to_numpy()] = joined.to_numpy()
    return col


def _indicators(p: pd.DataFrame, membership: pd.DataFrame, areas: gpd.GeoDataFrame, period: str,
                schema: ProjectSchema) -> pd.DataFrame:
    """Counts per area in the canonical long format; zero rows for every area of cities with projects."""
    cities = sorted(set(p["stadt"]))
    grid = areas.loc[areas["city"].isin(cities), ["city", "level", "area_id"]].astype(str).drop_duplicates()
    m = membership.astype({"_i": "int64"}).merge(
        p[["thema", "status"]].assign(multi=p["anzahl_referate"] >= 2), left_on="_i", right_index=True)
    key = ["city", "level", "area_id"]
    counts: dict[str, pd.Series] = {"proj_count": m.groupby(key).size()}
    for vocab, col in (("thema", "thema"), ("status", "status")):
        for value in schema.vocabularies[vocab]:
            counts[f"proj_count_{col}_{slugify(value)}"] = m[m[col] == value].groupby(key).size()
    counts["proj_multi_dept_count"] = m[m["multi"]].groupby(key).size()
    idx = pd.MultiIndex.from_frame(grid)
    frames = []
    for ind, series in counts.items():
        frames.append(grid.assign(indicator_id=ind, value=series.reindex(idx, fill_value=0).to_numpy(dtype=float),
                                  numerator=np.nan, denominator=np.nan, flag=""))
    num = counts["proj_multi_dept_count"].reindex(idx, fill_value=0).to_numpy(dtype=float)
    den = counts["proj_count"].reindex(idx, fill_value=0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(den > 0, 100.0 * num / den, np.nan)
    frames.append(grid.assign(indicator_id="proj_multi_dept_share", value=share, numerator=num, denominator=den,
                              flag=np.where(den > 0, "", "zero_denominator")))
    out = pd.concat(frames, ignore_index=True).assign(period=period, coverage=1.0)
    return out[list(config.INDICATOR_COLUMNS)]


def collaboration(projects: pd.DataFrame, area_ids: Iterable[str], *, level: str | None = None,
                  city: str | None = None) -> dict[str, Any]:
    """Who works together in an area (or Handlungsraum): departments, partners, co-occurrence, share.

    ``projects``: the joined projects from :func:`join_projects`; a project counts when any of
    its ``area_id_<level>`` columns (only ``level`` if given; only ``city`` if given) names one
    of ``area_ids``. ``matrix[i][j]`` = projects shared by departments i and j (the diagonal:
    projects department i takes part in). ``share_multi_department_pct`` is None without projects.
    """
    wanted = {str(a) for a in area_ids}
    cols = [f"area_id_{level}"] if level else [c for c in projects.columns if c.startswith("area_id_")]
    sel = np.zeros(len(projects), dtype=bool)
    for col in (c for c in cols if c in projects.columns):
        ids = projects[col].fillna("").astype(str).str.split(",")
        sel |= ids.map(lambda xs: not wanted.isdisjoint(xs)).to_numpy(dtype=bool)
    if city:
        sel &= (projects["stadt"] == city).to_numpy()
    chosen = projects.loc[sel]
    depts = chosen["alle_referate"] if "alle_referate" in chosen else pd.Series(
        [department_list(a, b) for a, b in zip(chosen["federfuehrung"], chosen["beteiligte_referate"], strict=True)])
    labels: dict[str, str] = {}
    lead: dict[str, int] = {}
    total: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for names, head in zip(depts, chosen["federfuehrung"], strict=True):
        keys = [n.casefold() for n in names]
        for n, k in zip(names, keys, strict=True):
            labels.setdefault(k, n)
            total[k] = total.get(k, 0) + 1
        lead_key = " ".join(str(head).split()).casefold()
        lead[lead_key] = lead.get(lead_key, 0) + 1
        for a, b in combinations(sorted(keys), 2):
            pairs[(a, b)] = pairs.get((a, b), 0) + 1
    order = sorted(total, key=lambda k: (-total[k], labels[k].casefold()))
    pos = {k: i for i, k in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for k in order:
        matrix[pos[k]][pos[k]] = total[k]
    for (a, b), n in pairs.items():
        matrix[pos[a]][pos[b]] = matrix[pos[b]][pos[a]] = n
    partners: dict[str, list[Any]] = {}
    for names in chosen["partner"]:
        for n in names:
            partners.setdefault(n.casefold(), [n, 0])[1] += 1
    n_multi = int(sum(len(d) >= 2 for d in depts))
    return {
        "n_projects": int(len(chosen)),
        "departments": [{"name": labels[k], "projects": total[k], "lead": lead.get(k, 0)} for k in order],
        "partners": sorted(({"name": v[0], "projects": v[1]} for v in partners.values()),
                           key=lambda d: (-d["projects"], d["name"].casefold())),
        "labels": [labels[k] for k in order],
        "matrix": matrix,
        "pairs": sorted(({"a": labels[a], "b": labels[b], "projects": n} for (a, b), n in pairs.items()),
                        key=lambda d: -d["projects"]),
        "n_multi_department": n_multi,
        "share_multi_department_pct": 100.0 * n_multi / len(chosen) if len(chosen) else None,
    }
