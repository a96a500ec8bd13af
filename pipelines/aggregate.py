"""Aggregate indicator values from small areas to larger ones, correctly.

Rules (``aggregation`` in ``indicators.toml``):

* ``sum`` — counts: value = sum of the children's values.
* ``ratio`` — shares, rates, densities: value = scale * sum(numerator) / sum(denominator),
  never a mean of percentages.

Children whose value is flagged (not rated, under 300 residents, outlier, no data)
are left out, and ``coverage`` (0..1) records the share of the parent's population
living in children that did count, so a reader can see how complete an aggregate is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MEMBERSHIP_COLUMNS = ("child_id", "level", "area_id")


def aggregate_long(
    values: pd.DataFrame,
    membership: pd.DataFrame,
    *,
    rule: str,
    scale: float = 1.0,
    weights: pd.Series | None = None,
    weight_column: str | None = None,
) -> pd.DataFrame:
    """Aggregate base-level rows to every parent listed in ``membership``.

    ``values``: one row per (indicator_id, period, area_id) at the base level with
    ``value, numerator, denominator, flag`` (flag "" = valid). For ``rule="sum"`` the
    numerator may be empty (the value is summed). ``membership``: columns
    ``child_id, level, area_id`` mapping each base unit to each parent (every level).
    ``weights``: population per base ``area_id`` for the coverage share (defaults
    to the denominator, or 1 per unit); ``weight_column`` names a column of ``values`` holding
    each row's weight instead (rows of several tables, each weighted by its own population).
    An optional ``share`` column in ``membership`` (0..1) apportions a child to a
    parent that contains only part of it (e.g. a Stadtbezirk partly inside an
    approximated Handlungsraum, by the share of its residents living in the member
    Bezirksteile): the child's
    numerator, denominator and weight are multiplied by it.

    Returns rows with the canonical columns minus ``city`` (level, area_id,
    indicator_id, period, value, numerator, denominator, coverage, flag).
    """
    _check_columns(values, ("indicator_id", "period", "area_id", "value", "flag"), "values")
    _check_columns(membership, MEMBERSHIP_COLUMNS, "membership")
    if rule not in ("sum", "ratio"):
        raise ValueError(f"unknown aggregation rule {rule!r}; use 'sum' or 'ratio'")
    # Only the columns used below travel through the merge (copying the others cost most of the time);
    # a "share" column of ``values`` is kept because the merge would pick it up like the original frame.
    used = ["indicator_id", "period", "area_id", "value", "flag", "numerator", "denominator", "share"]
    v = values[[c for c in used if c in values.columns]].copy()
    for col in ("numerator", "denominator"):
        if col not in v.columns:
            v[col] = np.nan
    v["flag"] = v["flag"].fillna("")
    if weight_column is not None:
        v["_w"] = values[weight_column].astype(float).fillna(0.0)
    elif weights is not None:
        v["_w"] = v["area_id"].map(weights).astype(float).fillna(0.0)
    elif v["denominator"].notna().any():
        v["_w"] = v["denominator"].astype(float).fillna(0.0)
    else:
        v["_w"] = 1.0
    valid = (v["flag"] == "") & v["value"].notna()
    if rule == "ratio":
        valid &= v["numerator"].notna() & v["denominator"].notna()
    v["_valid"] = valid
    v["_num"] = np.where(valid, v["numerator"] if rule == "ratio" else v["value"], 0.0).astype(float)
    v["_den"] = np.where(valid, v["denominator"], 0.0).astype(float)
    v["_wv"] = np.where(valid, v["_w"], 0.0)

    joined = v.merge(membership, left_on="area_id", right_on="child_id", suffixes=("_child", ""))
    if "share" in joined.columns:
        share = joined["share"].astype(float).fillna(1.0)
        for col in ("_num", "_den", "_wv", "_w"):
            joined[col] = joined[col] * share
    keys = ["indicator_id", "period", "level", "area_id"]
    grouped = joined.groupby(keys, sort=False, observed=True)
    # one cythonized sum over the five columns (the same per-column sums as named aggregations, less overhead)
    g = grouped[["_num", "_den", "_wv", "_w", "_valid"]].sum().reset_index().rename(columns={
        "_num": "numerator", "_den": "denominator", "_wv": "w_valid", "_w": "w_all", "_valid": "n_valid"})
    g["first_flag"] = _first_nonempty(joined["flag"], grouped.ngroup(), len(g))
    if rule == "sum":
        g["value"] = g["numerator"]
        g["denominator"] = np.nan
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            g["value"] = np.where(g["denominator"] > 0, scale * g["numerator"] / g["denominator"], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["coverage"] = np.where(g["w_all"] > 0, g["w_valid"] / g["w_all"], np.where(g["n_valid"] > 0, 1.0, 0.0))
    g["flag"] = ""
    none_valid = g["n_valid"] == 0
    g.loc[none_valid, ["value", "numerator", "denominator"]] = np.nan
    g.loc[none_valid, "flag"] = g.loc[none_valid, "first_flag"].replace("", "no_data")
    g.loc[(~none_valid) & (rule == "ratio") & g["value"].isna(), "flag"] = "zero_denominator"
    return g[["level", "area_id", "indicator_id", "period", "value", "numerator", "denominator", "coverage", "flag"]]


def _first_nonempty(flags: pd.Series, group: pd.Series, n_groups: int) -> np.ndarray:
    """Per group (numbered 0..n_groups-1 in order of appearance), its first non-empty flag, else ""."""
    flag = flags.to_numpy(dtype=object, na_value="")
    gid = group.to_numpy(dtype=float, na_value=np.nan)  # NaN: a row in no group (a missing key)
    rows = np.flatnonzero((flag != "") & ~np.isnan(gid))
    gid_rows = gid[rows].astype(np.int64)
    first = np.unique(gid_rows, return_index=True)[1]  # first row of every group that has a flag
    out = np.full(n_groups, "", dtype=object)
    out[gid_rows[first]] = [str(f) for f in flag[rows[first]]]
    return out


def _check_columns(df: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing columns {missing}")


def membership_from_parents(units: pd.DataFrame, parent_columns: dict[str, str]) -> pd.DataFrame:
    """Build a membership table from a base-unit table with one parent-id column per level.

    ``units`` has ``area_id`` plus e.g. ``{"bezirksregion": "bzr_id", "stadt": "city_id"}``.
    """
    parts = [
        pd.DataFrame({"child_id": units["area_id"], "level": level, "area_id": units[col]})
        for level, col in parent_columns.items()
    ]
    return pd.concat(parts, ignore_index=True).dropna(subset=["area_id"])
