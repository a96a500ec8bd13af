"""Facility lists as published: Munich's day-care CSV and Berlin's WFS exports, read into one row shape.

Reading is kept apart from validation and counting (``locations.py``, ``location_counts.py``) so
each publisher's quirks (decimal commas, WGS84 text coordinates, a CRS to check) sit in one place.
Rows come back as ``location_id, name, category, provider, address, x, y`` in the city's metric
CRS, plus ``_row`` (where the row is in the file) and ``_reason`` ("" when usable).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import config
from pipelines.errors import InputError
from pipelines.io import read_csv_text, read_vector
from pipelines.sources.expectations import EXPECTATIONS

DISTRICT_COLUMN = "Stadtbezirknr."  # Munich: the Stadtbezirk number of each facility, also without coordinates
MUNICH_COLUMNS = {"location_id": "ID Einrichtung", "name": "Name Einrichtung", "category": "Einrichtungsart",
                  "provider": "Trägerschaft", "lat": "Geokoordinaten Breite", "lon": "Geokoordinaten Länge"}

def read_munich_kitas(path: Any) -> pd.DataFrame:
    """Munich day-care CSV (UTF-8 with BOM, WGS84 lat/lon, decimal comma tolerated) in EPSG:25832."""
    raw = read_csv_text(path)
    missing = [c for c in EXPECTATIONS["munich_kitas"].columns if c not in raw.columns]
    if missing:
        raise InputError(path, f"missing column(s) {missing}", where=f"columns {list(raw.columns)}",
                         fix="use the official export of 'Kindertagesbetreuungseinrichtungen in München'")
    out = pd.DataFrame({k: raw[v].fillna("").str.strip() for k, v in MUNICH_COLUMNS.items()})
    house = raw["Haus-nr."].fillna("") + raw.get("Hausnummernzusatz", pd.Series("", index=raw.index)).fillna("")
    out["address"] = _address(raw["Straße"], house, raw["PLZ"], raw["Ort"])
    out["_row"] = [f"Zeile {i + 2}" for i in range(len(raw))]  # CSV line (header is line 1)
    district = raw.get(DISTRICT_COLUMN, pd.Series("", index=raw.index)).fillna("").str.strip()
    out["district"] = district.where(~district.str.fullmatch(r"\d{1,2}"), district.str.zfill(2))
    lat, lon, reason = _parse_latlon(out.pop("lat"), out.pop("lon"))
    xy = gpd.GeoSeries(gpd.points_from_xy(lon.fillna(0), lat.fillna(0)), crs=config.WEB_CRS).to_crs(
        config.CITY_CRS["munich"])
    out["x"], out["y"] = np.where(reason == "", xy.x, np.nan), np.where(reason == "", xy.y, np.nan)
    out["_reason"] = np.where(out["location_id"] == "", "missing_id", reason)
    return out


def read_berlin_locations(path: Any) -> pd.DataFrame:
    """Berlin WFS export (kita / jfe GeoJSON) reprojected to EPSG:25833 after an explicit CRS check."""
    id_column, *required_columns = EXPECTATIONS["berlin_locations"].columns
    gdf = read_vector(path, id_columns=(id_column,))
    for required in required_columns:
        if required not in gdf.columns:
            raise InputError(path, f"missing column '{required}'", where=f"columns {list(gdf.columns)}",
                             fix="use the official WFS export (kita / jfe)")
    target = config.CITY_CRS["berlin"]
    if not gdf.crs.equals(target):
        gdf = gdf.to_crs(target)
    def col(name: str) -> pd.Series:
        return gdf[name].fillna("").astype(str).str.strip() if name in gdf.columns else pd.Series("", index=gdf.index)

    zusatz = col("e_zusatz") if "e_zusatz" in gdf.columns else col("e_zus")
    out = pd.DataFrame({"location_id": col("e_nr"), "name": col("e_name"), "category": col("e_art"),
                        "provider": col("t_name"),
                        "address": _address(col("e_strasse"), col("e_hnr") + zusatz, col("e_plz"), col("e_ort"))})
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    point = ~empty & (geom.geom_type == "Point")
    out["_row"] = [f"feature {i + 1}" for i in range(len(gdf))]
    out["x"] = np.where(point, geom.x.where(point), np.nan)
    out["y"] = np.where(point, geom.y.where(point), np.nan)
    reason = np.where(empty, "missing_coordinates", np.where(point, "", "unparsable_coordinates"))
    out["_reason"] = np.where(out["location_id"] == "", "missing_id", reason)
    return out


def _address(street: pd.Series, house: pd.Series, plz: pd.Series, town: pd.Series) -> pd.Series:
    first = (street.fillna("").str.strip() + " " + house.fillna("").str.strip()).str.strip()
    second = (plz.fillna("").str.strip() + " " + town.fillna("").str.strip()).str.strip()
    return (first + ", " + second).str.strip(", ")


def _parse_latlon(lat: pd.Series, lon: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Floats from text ("48,13" accepted) and a reason per row ("" when fine)."""
    def num(s: pd.Series) -> pd.Series:
        return pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce")
    la, lo = num(lat), num(lon)
    blank = (lat == "") | (lon == "")
    bad = la.isna() | lo.isna() | ~la.between(-90, 90) | ~lo.between(-180, 180)
    reason = np.where(blank, "missing_coordinates", np.where(bad, "unparsable_coordinates", ""))
    return la.where(reason == ""), lo.where(reason == ""), reason
