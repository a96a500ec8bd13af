"""Ranking tables and the "Handlungsräume vs. rest of Munich" summary (pure, no Streamlit).

The summary only subtracts published numerators and denominators (city minus
the union of the Handlungsräume' member units); where that cannot reproduce the
published city value, it shows the Handlungsraum values against the city value only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.i18n import format_number
from dashboard.legend import value_decimals
from dashboard.profile import split_members
from pipelines.config import CITY_IDS

RANK_COLUMNS = ["rank", "area_id", "name", "value", "flag", "coverage", "numerator", "denominator"]


def ranking_table(indicators: pd.DataFrame, areas: pd.DataFrame, city: str, level: str, indicator_id: str,
                  period: str, polarity: str = "neutral") -> pd.DataFrame:
    """All areas of one level with their value and rank (1 = highest value; flagged values unranked).

    ``polarity`` is kept as a column hint only: ranking is by value so that "rank 1"
    means the same in both cities; the view explains what high means.
    """
    sel = indicators[(indicators["city"] == city) & (indicators["level"] == level)
                     & (indicators["indicator_id"] == indicator_id) & (indicators["period"] == period)]
    names = areas[(areas["city"] == city) & (areas["level"] == level)][["area_id", "name"]]
    df = names.merge(sel[["area_id", "value", "flag", "coverage", "numerator", "denominator"]], on="area_id",
                     how="left")
    df["flag"] = df["flag"].fillna("no_data")
    ranked = df["value"].rank(ascending=False, method="min")
    df["rank"] = ranked.astype("Int64")
    df = df.sort_values(["rank", "area_id"], na_position="last").reset_index(drop=True)
    df.attrs["polarity"] = polarity
    return df[RANK_COLUMNS]


def ranking_formatters(table: pd.DataFrame, lang: str, value_column: str,
                       coverage_column: str) -> dict[str, Callable[[object], str]]:
    """How the ranking table prints its numbers: exactly like the map's tooltips of the same values.

    The columns stay numeric (so they sort by value); these formatters only change
    what is shown: the dashboard's one formatter with the decimals of the whole
    value column (:func:`dashboard.legend.value_decimals`), coverage in whole percent.
    """
    decimals = value_decimals(table["value"])
    return {value_column: lambda v: format_number(_as_float(v), lang, decimals),
            coverage_column: lambda v: format_number(_as_float(v), lang, 0)}


def _as_float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


@dataclass
class ActionAreaSummary:
    """Rows ``kind`` ∈ {handlungsraum, union, rest, city} with ``label, value, coverage`` and notes (i18n keys)."""

    rows: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    rest_computed: bool = False


@dataclass(frozen=True)
class ActionAreaLayout:
    """What the summary needs of the areas table: the Handlungsräume, their exact unions, whether they overlap.

    It depends on the build's areas only, so the app computes it once per build
    (:func:`dashboard.page.build_page`) rather than again for every indicator.

    Attributes:
        areas: ``(area_id, name, approximate)`` of every Munich Handlungsraum, by id.
        unions: :func:`candidate_unions` (level -> member unit ids).
        overlap: some unit belongs to more than one Handlungsraum.
    """

    areas: tuple[tuple[str, str, bool], ...]
    unions: dict[str, frozenset[str]]
    overlap: bool


def action_area_layout(areas: pd.DataFrame) -> ActionAreaLayout:
    """The Handlungsräume of ``areas`` as :class:`ActionAreaLayout`."""
    hr_areas = areas[(areas["city"] == "munich") & (areas["level"] == "handlungsraum")]
    listed = tuple((hr["area_id"], hr["name"], bool(hr.get("approximate", False)))
                   for _, hr in hr_areas.sort_values("area_id").iterrows())
    return ActionAreaLayout(areas=listed,
                            unions={k: frozenset(v) for k, v in candidate_unions(hr_areas, areas).items()},
                            overlap=_overlaps(hr_areas, areas))


def action_area_summary(indicators: pd.DataFrame, areas: pd.DataFrame, catalog_entry: dict[str, Any],
                        period: str, layout: ActionAreaLayout | None = None) -> ActionAreaSummary:
    """Handlungsräume, their union and the rest of Munich for one indicator and period.

    Union and rest are ``sum(numerator) / sum(denominator) * scale`` over the
    member units (each counted once even if Handlungsräume overlap) and
    ``(city − union)``; for sum indicators the difference of the values. The
    scale is checked against the published city value; if it does not
    reproduce it, or any member lacks numerator/denominator, no rest is shown.
    ``layout`` is :func:`action_area_layout` of ``areas`` (computed here when not given).
    """
    layout = layout or action_area_layout(areas)
    ind = catalog_entry["indicator_id"]
    muc = indicators[(indicators["city"] == "munich") & (indicators["indicator_id"] == ind)
                     & (indicators["period"] == period)]
    hr_rows = muc[muc["level"] == "handlungsraum"]
    hr_vals = dict(zip(hr_rows["area_id"], zip(hr_rows["value"], hr_rows["coverage"], hr_rows["flag"],
                                               strict=True), strict=True))
    rows: list[dict[str, Any]] = []
    for area_id, name, approximate in layout.areas:
        v = hr_vals.get(area_id)
        rows.append({"kind": "handlungsraum", "area_id": area_id, "label": name,
                     "value": float(v[0]) if v is not None else np.nan,
                     "coverage": float(v[1]) if v is not None else np.nan,
                     "flag": v[2] if v is not None else "no_data",
                     "approximate": approximate})
    city = muc[(muc["level"] == "stadt") & (muc["area_id"] == CITY_IDS["munich"])]
    city_row = city.iloc[0] if not city.empty else None
    notes: list[str] = []
    if any(r["approximate"] for r in rows):
        notes.append("summary_note_approx")
    union, rest, why = _union_and_rest(muc, layout, catalog_entry, city_row)
    if why:
        notes.append(why)
    if layout.overlap:
        notes.append("summary_note_overlap")
    if union is not None and rest is not None:
        rows.append({"kind": "union", "area_id": "", "label": "", "value": union, "coverage": 1.0, "flag": "",
                     "approximate": any(r["approximate"] for r in rows)})
        rows.append({"kind": "rest", "area_id": "", "label": "", "value": rest, "coverage": 1.0, "flag": "",
                     "approximate": any(r["approximate"] for r in rows)})
    rows.append({"kind": "city", "area_id": CITY_IDS["munich"], "label": "",
                 "value": float(city_row["value"]) if city_row is not None else np.nan,
                 "coverage": 1.0, "flag": city_row["flag"] if city_row is not None else "no_data",
                 "approximate": False})
    return ActionAreaSummary(rows=pd.DataFrame(rows), notes=notes, rest_computed=rest is not None)


def _member_lists(hr_areas: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(member_level, member ids) of every Handlungsraum."""
    return [(str(hr.get("member_level") or ""), split_members(hr.get("members"))) for _, hr in hr_areas.iterrows()]


def candidate_unions(hr_areas: pd.DataFrame, areas: pd.DataFrame) -> dict[str, set[str]]:
    """The union of all Handlungsräume expressed at each level where that is exact.

    Bezirksteile tile their Stadtbezirk, so Stadtbezirk members expand exactly
    into Bezirksteile; the Stadtbezirk union exists only if every member is a
    whole Stadtbezirk.
    """
    lists = _member_lists(hr_areas)
    bt = areas[(areas["city"] == "munich") & (areas["level"] == "bezirksteil")]
    out: dict[str, set[str]] = {"bezirksteil": set()}
    for level, members in lists:
        if level == "bezirksteil":
            out["bezirksteil"].update(members)
        elif level == "stadtbezirk":
            out["bezirksteil"].update(bt.loc[bt["parent_id"].isin(members), "area_id"].astype(str))
    if lists and all(level == "stadtbezirk" for level, _ in lists):
        out["stadtbezirk"] = {m for _, members in lists for m in members}
    return {k: v for k, v in out.items() if v}


def _overlaps(hr_areas: pd.DataFrame, areas: pd.DataFrame) -> bool:
    """True if some unit belongs to more than one Handlungsraum (compared at Bezirksteil level)."""
    bt = areas[(areas["city"] == "munich") & (areas["level"] == "bezirksteil")]
    seen: set[str] = set()
    for level, members in _member_lists(hr_areas):
        units = set(members) if level == "bezirksteil" else set(bt.loc[bt["parent_id"].isin(members), "area_id"])
        if seen & units:
            return True
        seen |= units
    return False


def _union_and_rest(muc: pd.DataFrame, layout: ActionAreaLayout, entry: dict[str, Any],
                    city_row: pd.Series | None) -> tuple[float | None, float | None, str]:
    """(union value, rest value, reason key when not computable)."""
    if city_row is None or pd.isna(city_row["value"]):
        return None, None, "summary_note_no_rest"
    for level, ids in layout.unions.items():
        members = muc[(muc["level"] == level) & (muc["area_id"].isin(ids))]
        if len(members) != len(ids):
            continue
        result = _difference(members, city_row, entry)
        if result is not None:
            return result[0], result[1], ""
    # Stadtbezirk-only data and Handlungsräume built from Bezirksteile: the pipeline has
    # apportioned each Stadtbezirk's numerator and denominator to the Handlungsräume by
    # residents. As long as no unit is in two Handlungsräume, those parts add up.
    hr_ids = [area_id for area_id, _, _ in layout.areas]
    hr_rows = muc[(muc["level"] == "handlungsraum") & (muc["area_id"].isin(hr_ids))]
    if len(hr_rows) == len(hr_ids) and not layout.overlap:
        result = _difference(hr_rows, city_row, entry)
        if result is not None:
            return result[0], result[1], "summary_note_apportioned"
    return None, None, "summary_note_no_rest"


def _difference(members: pd.DataFrame, city_row: pd.Series, entry: dict[str, Any]) -> tuple[float, float] | None:
    """Union and rest from published values (sum) or numerators/denominators (ratio); None if not possible."""
    aggregation = entry.get("aggregation")
    if aggregation == "sum":
        if members["value"].isna().any():
            return None
        union = float(members["value"].sum())
        return union, float(city_row["value"]) - union
    if aggregation != "ratio":
        return None
    if members[["numerator", "denominator"]].isna().any().any() or pd.isna(city_row["numerator"]) \
            or pd.isna(city_row["denominator"]) or not city_row["denominator"]:
        return None
    scale = _reproducing_scale(city_row, entry.get("scale"))
    if scale is None:
        return None
    n_u, d_u = float(members["numerator"].sum()), float(members["denominator"].sum())
    n_r, d_r = float(city_row["numerator"]) - n_u, float(city_row["denominator"]) - d_u
    if d_u <= 0 or d_r <= 0 or n_r < 0:
        return None
    return scale * n_u / d_u, scale * n_r / d_r


def _reproducing_scale(city_row: pd.Series, declared: Any) -> float | None:
    """The scale that turns the city's numerator/denominator into its published value (rounding allowed)."""
    raw = float(city_row["numerator"]) / float(city_row["denominator"])
    published = float(city_row["value"])
    candidates = [float(declared)] if declared else []
    candidates += [1.0, 100.0, 1000.0]
    for s in candidates:
        if abs(s * raw - published) <= max(0.06, 0.01 * abs(published)):
            return s
    return None
