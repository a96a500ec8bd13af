"""Munich's Handlungsräume as areas, from the planners' registry ``geodata/action_areas.toml``.

The city publishes no perimeter geometry, only sentences saying which Stadtbezirke or
parts of them each Handlungsraum covers. Each registry entry therefore lists member
areas (whole Stadtbezirke, or Bezirksteile where the city speaks of parts), and the
Handlungsraum is their dissolve, marked ``approximate`` unless the city named whole
Stadtbezirke. A planner who has the official perimeter registers the GeoJSON file as
``perimeter`` and it replaces the approximation without a code change.

Statistics that exist only per Stadtbezirk (Indikatorenatlas) reach a Handlungsraum
through :func:`handlungsraum_membership`: a Stadtbezirk counts with the share of its
residents (2022) who live in the member Bezirksteile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipelines import config
from pipelines.errors import InputError, RegistryError
from pipelines.io import read_toml, read_vector
from pipelines.registry_schema import check_registry
from pipelines.stage import BuildContext

STAGE = "action_areas"
CITY = "munich"
CITY_ID = config.CITY_IDS[CITY]
CRS = config.CITY_CRS[CITY]
LEVEL = "handlungsraum"
MEMBER_LEVELS = ("stadtbezirk", "bezirksteil")
REQUIRED = ("id", "name", "short_name", "status", "status_en", "member_level", "members", "exact",
            "source_quote", "source_url", "note_de", "note_en")
EXTRA_COLUMNS = ("short_name", "members", "member_level", "status", "status_en", "source_quote", "source_url",
                 "note_de", "note_en")
PERIMETER_MIN_INSIDE = 0.5  # share of a perimeter's area that must lie in Munich (else: wrong CRS / wrong file)
MEMBER_MIN_INSIDE = 0.5  # a Bezirksteil belongs to a perimeter when at least half its area lies inside


def load_action_areas(geodata: Path, known_ids: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Read and check the registry; ``known_ids`` maps member levels to the valid area ids.

    Raises :class:`RegistryError` naming ``action_areas.toml`` and the entry for a missing field,
    a duplicate or unknown id, or a missing perimeter file.
    """
    path = geodata / config.ACTION_AREAS_FILE
    raw = read_toml(path)
    check_registry(path, raw, "action_areas.toml")
    entries = raw.get("action_area", [])
    if not entries:
        raise RegistryError(path, "no [[action_area]] entries", fix="restore geodata/action_areas.toml from git")
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        where = f"[[action_area]] #{i} ({entry.get('id', '?')})"
        missing = [k for k in REQUIRED if k not in entry or entry[k] in ("", [], None)]
        if missing:
            raise RegistryError(path, f"missing {missing}", where=where,
                                fix="complete the entry; source_quote and source_url must cite the city")
        if entry["id"] in seen:
            raise RegistryError(path, f"duplicate id {entry['id']!r}", where=where, fix="give each entry a unique id")
        seen.add(entry["id"])
        _check_entry(path, where, entry, known_ids)
        if entry.get("perimeter") and not (geodata / entry["perimeter"]).is_file():
            raise RegistryError(path, f"perimeter file {entry['perimeter']!r} not found", where=where,
                                fix="save the GeoJSON under geodata/ and give its path relative to geodata/")
    return entries


def _check_entry(path: Path, where: str, entry: dict[str, Any], known_ids: dict[str, set[str]]) -> None:
    if entry["member_level"] not in MEMBER_LEVELS:
        raise RegistryError(path, f"member_level {entry['member_level']!r} unknown", where=where,
                            fix=f"use one of {MEMBER_LEVELS}")
    members = entry["members"]
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise RegistryError(path, "members must be a list of id strings", where=where,
                            fix='write ids as text with leading zeros, e.g. ["11", "12"] or ["16.4"]')
    if len(set(members)) != len(members):
        raise RegistryError(path, "a member id is listed twice", where=where, fix="list each member once")
    unknown = sorted(set(members) - known_ids.get(entry["member_level"], set()))
    if unknown:
        raise RegistryError(path, f"unknown {entry['member_level']} ids {unknown}", where=where,
                            fix="use ids of geodata/raw/munich (Stadtbezirk '01'..'25', Bezirksteil 'NN.N')")
    if not isinstance(entry["exact"], bool):
        raise RegistryError(path, f"exact must be true or false, not {entry['exact']!r}", where=where,
                            fix="write exact = true only where the city names whole areas")
    if not str(entry["source_url"]).startswith(("https://", "http://")):
        raise RegistryError(path, f"source_url {entry['source_url']!r} is not a web address", where=where,
                            fix="give the address of the page that states the quote")


def stage(ctx: BuildContext, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Build the ``handlungsraum`` rows (EPSG:25832) from the registry and the Munich areas.

    ``areas`` must hold the Munich stadt, stadtbezirk and bezirksteil rows (from
    :func:`pipelines.sources.areas_munich.stage`). Returns the canonical area columns plus
    ``EXTRA_COLUMNS``; ``approximate = not exact``; ``population`` is left empty.
    """
    muc = _munich(areas)
    known = {lvl: set(muc.loc[muc["level"] == lvl, "area_id"]) for lvl in MEMBER_LEVELS}
    entries = load_action_areas(ctx.paths.geodata, known)
    rows = [_row(ctx, entry, muc) for entry in entries]
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS)
    out["area_km2"] = out.geometry.area / 1e6  # EPSG:25832 is metric
    for col in ("city", "level", "area_id", "name", "parent_id"):
        out[col] = out[col].astype("string")
    approx = out.loc[out["approximate"], "area_id"].tolist()
    if approx:
        ctx.add("info", STAGE, "Handlungsräume approximated from official areas (no official perimeter published)",
                where=", ".join(approx), count=len(approx))
    return out[list(config.AREA_COLUMNS) + list(EXTRA_COLUMNS)].reset_index(drop=True)


def _munich(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    muc = areas[areas["city"] == CITY] if "city" in areas.columns else areas
    if muc.crs is None or not muc.crs.equals(CRS):
        raise ValueError(f"areas must be in {CRS} (the Munich stage output), got {muc.crs}")
    return muc


def _row(ctx: BuildContext, entry: dict[str, Any], muc: gpd.GeoDataFrame) -> dict[str, Any]:
    members, member_level, exact = list(entry["members"]), entry["member_level"], bool(entry["exact"])
    note_de, note_en = entry["note_de"], entry["note_en"]
    if entry.get("perimeter"):
        geom = _read_perimeter(ctx.paths.geodata, entry, muc)
        members, member_level, exact = _bezirksteile_inside(muc, geom), "bezirksteil", True
        note_de = entry.get("perimeter_note_de") or f"Offizielle Abgrenzung aus der Datei {entry['perimeter']}."
        note_en = entry.get("perimeter_note_en") or f"Official perimeter from the file {entry['perimeter']}."
        ctx.add("info", STAGE, f"Handlungsraum {entry['id']}: official perimeter replaces the approximation",
                source=entry["perimeter"])
    else:
        parts = muc[(muc["level"] == member_level) & muc["area_id"].isin(members)]
        geom = shapely.union_all(parts.geometry.values)
    return {
        "city": CITY, "level": LEVEL, "area_id": entry["id"], "name": entry["name"], "parent_id": CITY_ID,
        "population": np.nan, "approximate": not exact, "geometry": geom,
        "short_name": entry["short_name"], "members": ",".join(members), "member_level": member_level,
        "status": entry["status"], "status_en": entry["status_en"], "source_quote": entry["source_quote"],
        "source_url": entry["source_url"], "note_de": note_de, "note_en": note_en,
    }


def _read_perimeter(geodata: Path, entry: dict[str, Any], muc: gpd.GeoDataFrame) -> shapely.Geometry:
    """Read a registered perimeter, reproject it explicitly and check that it lies in Munich."""
    path = geodata / entry["perimeter"]
    registry = geodata / config.ACTION_AREAS_FILE
    gdf = read_vector(path)  # raises InputError for a missing CRS or a broken file
    if gdf.empty or gdf.geometry.isna().all():
        raise InputError(path, "perimeter has no geometry", where=f"{registry.name}: action_area {entry['id']}",
                         fix="export the perimeter polygon(s) again")
    where = f"{registry.name}: action_area {entry['id']}"
    try:
        geoms = gdf.to_crs(CRS).geometry.values
    except Exception as err:  # pyproj raises on coordinates outside the CRS domain
        raise InputError(path, f"cannot be reprojected from {gdf.crs.to_string()} to {CRS} ({err})", where=where,
                         fix="check the file's CRS declaration") from err
    if not np.isfinite(shapely.get_coordinates(geoms)).all():
        raise InputError(path, f"cannot be reprojected from {gdf.crs.to_string()} to {CRS} (coordinates out of range)",
                         where=where, fix="the file's CRS declaration is probably wrong (e.g. metres labelled WGS84)")
    geom = shapely.make_valid(shapely.union_all(geoms))
    city = shapely.union_all(muc.loc[muc["level"] == "stadt"].geometry.values)
    area = shapely.area(geom) if geom is not None else 0.0
    inside = shapely.area(shapely.intersection(geom, city)) / area if area and np.isfinite(area) else 0.0
    if not geom.geom_type.endswith("Polygon") or inside < PERIMETER_MIN_INSIDE:
        raise InputError(path, f"perimeter ({gdf.crs.to_string()}) lies {inside:.0%} inside Munich", where=where,
                         fix="the file's CRS declaration is probably wrong (coordinates in another CRS), "
                             "or it is not a polygon of this Handlungsraum")
    return geom


def _bezirksteile_inside(muc: gpd.GeoDataFrame, geom: shapely.Geometry) -> list[str]:
    """Bezirksteile with at least half their area inside ``geom`` (used to apportion statistics)."""
    bt = muc[muc["level"] == "bezirksteil"]
    share = shapely.area(shapely.intersection(bt.geometry.values, geom)) / shapely.area(bt.geometry.values)
    return sorted(bt.loc[share >= MEMBER_MIN_INSIDE, "area_id"].tolist())


def handlungsraum_membership(areas: pd.DataFrame, bt_population: pd.DataFrame) -> pd.DataFrame:
    """Map Stadtbezirke to Handlungsräume with the share of each Stadtbezirk that lies inside.

    Columns ``child_id`` (Stadtbezirk), ``level`` ("handlungsraum"), ``area_id``, ``share`` (0..1):
    1.0 for a whole-Stadtbezirk member; for Bezirksteil members, residents of the member
    Bezirksteile in that Stadtbezirk / residents of the Stadtbezirk (``bt_population``:
    rows of :func:`pipelines.sources.areas_munich.bezirksteil_population`). With this share,
    :func:`pipelines.aggregate.aggregate_long` estimates Handlungsraum values from Stadtbezirk ones.
    """
    hr = areas[areas["level"] == LEVEL]
    if hr.empty:
        raise ValueError("areas has no handlungsraum rows: pass the output of action_areas.stage (or areas with it)")
    pop = bt_population.loc[bt_population["level"] == "bezirksteil"].set_index("area_id")["value"].astype(float)
    sb_total = pop.groupby(pop.index.str[:2]).sum()
    rows: list[dict[str, Any]] = []
    for hr_id, level, members in zip(hr["area_id"], hr["member_level"], hr["members"], strict=True):
        ids = [m for m in str(members).split(",") if m]
        if level == "stadtbezirk":
            rows += [{"child_id": m, "level": LEVEL, "area_id": hr_id, "share": 1.0} for m in ids]
            continue
        missing = sorted(set(ids) - set(pop.index))
        if missing:
            raise ValueError(f"Handlungsraum {hr_id}: no 2022 population for Bezirksteile {missing}")
        inside = pop.loc[ids].groupby(pd.Index(ids).str[:2]).sum()
        for sb, residents in inside.items():
            share = float(residents / sb_total[sb]) if sb_total[sb] > 0 else 0.0
            rows.append({"child_id": sb, "level": LEVEL, "area_id": hr_id, "share": min(share, 1.0)})
    out = pd.DataFrame(rows, columns=["child_id", "level", "area_id", "share"])
    return out.astype({"child_id": "string", "level": "string", "area_id": "string", "share": float})
