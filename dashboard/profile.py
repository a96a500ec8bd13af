"""The area profile ("Steckbrief"): pure data functions over the build's tables.

Nothing here computes a statistic: every number is a published value from
``indicators.parquet`` (or a count of ``locations.parquet`` rows); the only
arithmetic is the index against the city value (city = 100).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class AreaRef:
    """One area as the profile names it."""

    city: str
    level: str
    area_id: str
    name: str


def find_area(areas: pd.DataFrame, city: str, area_id: str) -> pd.Series | None:
    """The areas row of ``(city, area_id)`` or None (ids are unique per city across levels)."""
    rows = areas[(areas["city"] == city) & (areas["area_id"] == area_id)]
    return None if rows.empty else rows.iloc[0]


def comparable_vs_city(indicators: pd.DataFrame, catalog: list[dict[str, Any]], city: str, level: str,
                       area_id: str) -> pd.DataFrame:
    """Every comparable indicator of one area at its latest period, next to the city value.

    Returns columns ``indicator_id, period, value, city_value, index, flag, coverage``;
    ``index`` is ``100 * value / city_value`` (NaN when either is missing, the city value is 0,
    or the indicator is a count (aggregation ``sum``), where an index against the city total is meaningless).
    """
    ids = [c["indicator_id"] for c in catalog if c.get("group") == "comparable"]
    catalog_by = {c["indicator_id"]: c for c in catalog}
    mine = indicators[(indicators["city"] == city) & (indicators["level"] == level)
                      & (indicators["area_id"] == area_id) & (indicators["indicator_id"].isin(ids))]
    city_rows = indicators[(indicators["city"] == city) & (indicators["level"] == "stadt")
                           & (indicators["indicator_id"].isin(ids))]
    rows = []
    for ind in ids:
        m = mine[mine["indicator_id"] == ind]
        if m.empty:
            continue
        latest = m.sort_values("period").iloc[-1]
        c = city_rows[(city_rows["indicator_id"] == ind) & (city_rows["period"] == latest["period"])]
        city_value = float(c["value"].iloc[0]) if not c.empty else float("nan")
        value = float(latest["value"])
        ratio = catalog_by.get(ind, {}).get("aggregation") != "sum"  # a count against the city total says nothing
        index = 100.0 * value / city_value if ratio and city_value and pd.notna(city_value) and pd.notna(value) \
            else float("nan")
        rows.append({"indicator_id": ind, "period": latest["period"], "value": value, "city_value": city_value,
                     "index": index, "flag": latest["flag"], "coverage": float(latest["coverage"])})
    return pd.DataFrame(rows, columns=["indicator_id", "period", "value", "city_value", "index", "flag",
                                       "coverage"])


def time_series(indicators: pd.DataFrame, city: str, level: str, area_id: str, indicator_id: str) -> pd.DataFrame:
    """Values of one area and of its city over all periods (index = period), empty if < 2 periods."""
    sel = indicators[(indicators["city"] == city) & (indicators["indicator_id"] == indicator_id)]
    area = sel[(sel["level"] == level) & (sel["area_id"] == area_id)].set_index("period")["value"]
    whole = sel[sel["level"] == "stadt"].set_index("period")["value"]
    if area.dropna().size < 2:
        return pd.DataFrame(columns=["area", "city"])
    out = pd.DataFrame({"area": area, "city": whole.reindex(area.index)}).sort_index()
    out.index.name = "period"
    return out


def locations_inside(locations: pd.DataFrame, city: str, level: str, area_id: str,
                     limit: int = 15) -> tuple[pd.Series, pd.DataFrame]:
    """Locations in one area: counts per layer and a short list (name, layer, address, provider).

    The build records each location's area at every level (``area_id_<level>``;
    comma-separated for Handlungsräume, which may overlap).
    """
    col = f"area_id_{level}"
    empty = pd.Series(dtype="int64"), pd.DataFrame(columns=["name", "layer", "address", "provider"])
    if locations is None or col not in locations.columns:
        return empty
    loc = locations[locations["city"] == city]
    ids = loc[col].fillna("").astype(str)
    inside = loc[ids.str.split(",").apply(lambda parts: area_id in [p.strip() for p in parts])]
    if inside.empty:
        return empty
    counts = inside.groupby("layer").size().sort_index()
    cols = [c for c in ("name", "layer", "address", "provider") if c in inside.columns]
    listing = pd.DataFrame(inside[cols]).sort_values(["layer", "name"]).head(limit).reset_index(drop=True)
    return counts, listing


def relatives(areas: pd.DataFrame, city: str, area_id: str) -> tuple[AreaRef | None, list[AreaRef], list[AreaRef]]:
    """Parent unit, child units and — for a Munich unit — the Handlungsräume that include it (or part of it)."""
    row = find_area(areas, city, area_id)
    if row is None:
        return None, [], []
    mine = areas[areas["city"] == city]
    parent_row = find_area(areas, city, str(row["parent_id"])) if pd.notna(row.get("parent_id")) else None
    parent = _ref(parent_row) if parent_row is not None else None
    kids = mine[(mine["parent_id"] == area_id) & (mine["level"] != "handlungsraum")]
    children = [_ref(r) for _, r in kids.sort_values("area_id").iterrows()]
    in_hr: list[AreaRef] = []
    if "members" in mine.columns:
        hrs = mine[mine["level"] == "handlungsraum"]
        for _, hr in hrs.iterrows():
            members = split_members(hr.get("members"))
            whole = area_id in members or (row["level"] == "bezirksteil" and str(row["parent_id"]) in members)
            part = row["level"] == "stadtbezirk" and any(m.startswith(f"{area_id}.") for m in members)
            if whole or part:
                in_hr.append(_ref(hr))
    return parent, children, in_hr


def action_area_info(areas: pd.DataFrame, area_id: str) -> dict[str, Any]:
    """Facts about one Handlungsraum: members (with names), population, area, quote, source, note."""
    row = find_area(areas, "munich", area_id)
    if row is None or row["level"] != "handlungsraum":
        return {}
    member_level = str(row.get("member_level") or "")
    members = split_members(row.get("members"))
    muc = areas[(areas["city"] == "munich") & (areas["level"] == member_level)].set_index("area_id")
    names = [(m, str(muc["name"].get(m, m)) if not muc.empty else m) for m in members]
    return {
        "name": row["name"], "status": row.get("status", ""), "status_en": row.get("status_en", ""),
        "approximate": bool(row.get("approximate", False)),
        "member_level": member_level, "members": names,
        "population": row.get("population"), "area_km2": row.get("area_km2"),
        "source_quote": row.get("source_quote", ""), "source_url": row.get("source_url", ""),
        "note_de": row.get("note_de", ""), "note_en": row.get("note_en", ""),
    }


def split_members(members: Any) -> list[str]:
    """Member ids from a comma-separated string (or a list)."""
    if members is None or (isinstance(members, float) and pd.isna(members)):
        return []
    if isinstance(members, list | tuple):
        return [str(m) for m in members]
    return [m.strip() for m in str(members).split(",") if m.strip()]


def _ref(row: pd.Series) -> AreaRef:
    return AreaRef(city=str(row["city"]), level=str(row["level"]), area_id=str(row["area_id"]), name=str(row["name"]))
