"""Golden check of the Indikatorenatlas stage against the published "Stadt München" values.

Two questions per (indicator, year) where the city row has the Basiswerte the formula needs:

* formula check — does the inferred formula, applied to the city's own Basiswerte,
  give the published city value at its published precision? (Is the formula right?)
* aggregation check — does the sum of the 25 districts' Basiswerte give it? (Is the
  aggregation the city's?) It fails where the city total includes people without a
  Stadtbezirk (e.g. unemployed persons without an assignable address), which the
  relative ``residual`` between the city's and the summed Basiswerte shows.

Both allow for the rounding of the Basiswerte (interval arithmetic, see ``interval``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.sources.indikatorenatlas.formula import MAX_BASISWERTE, Formula, interval, matches
from pipelines.stage import BuildContext

CHECK_COLUMNS = ("indicator_id", "period", "aggregation", "published", "formula_value", "aggregated",
                 "formula_ok", "aggregate_ok", "residual")
TARGET_SHARE = 0.99


def city_check(period: np.ndarray, published: np.ndarray, cb: np.ndarray, ce: np.ndarray, summed: np.ndarray,
               f: Formula | None, decimals: int, iid: str, aggregation: str) -> dict[str, np.ndarray]:
    """One row per city year with Basiswerte: published, recomputed and aggregated value and the two verdicts.

    The city rows (``period``, ``published``, Basiswerte ``cb`` and half-units ``ce``) are those with
    every Basiswert the formula needs (with ``b1`` when there is no formula); ``summed`` holds the
    districts' sums of ``b1..b5, e1..e5`` for the same years (NaN rows where no district has data).
    Returns the columns of :data:`CHECK_COLUMNS` as arrays; :func:`check_table` joins them.
    """
    n_rows = len(period)
    nan = np.full(n_rows, np.nan)
    if f is None:
        return _columns(iid, period, aggregation, published, nan, nan, np.zeros(n_rows, dtype=bool), nan, nan)
    n = MAX_BASISWERTE
    sb, se = summed[:, :n], np.where(np.isnan(summed[:, n:]), 0.0, summed[:, n:])
    idx = [i - 1 for i in f.needs]
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = np.nanmax(np.abs(cb[:, idx] - sb[:, idx]) / np.where(cb[:, idx] != 0, np.abs(cb[:, idx]), np.nan),
                             axis=1, initial=0.0)
    additive = aggregation != "none"
    return _columns(iid, period, aggregation, published, f.value(cb, ce), f.value(sb, se) if additive else nan,
                    matches(*interval(f, cb, ce), published, decimals),
                    matches(*interval(f, sb, se), published, decimals) if additive else nan, residual)


def _columns(iid: str, period: np.ndarray, aggregation: str, published: np.ndarray, formula_value: np.ndarray,
             aggregated: np.ndarray, formula_ok: np.ndarray, aggregate_ok: np.ndarray,
             residual: np.ndarray) -> dict[str, np.ndarray]:
    n = len(period)
    ok = np.empty(n, dtype=object)  # verdicts where the indicator is aggregated, NaN where it is not
    ok[:] = list(aggregate_ok)
    return {"indicator_id": np.full(n, iid, dtype=object), "period": np.asarray(period, dtype=object),
            "aggregation": np.full(n, aggregation, dtype=object), "published": np.asarray(published, dtype=float),
            "formula_value": np.asarray(formula_value, dtype=float), "aggregated": np.asarray(aggregated, dtype=float),
            "formula_ok": np.asarray(formula_ok, dtype=bool), "aggregate_ok": ok,
            "residual": np.asarray(residual, dtype=float)}


def check_table(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """The checks of many indicators as one table (columns :data:`CHECK_COLUMNS`)."""
    if not parts:
        return pd.DataFrame({c: [] for c in CHECK_COLUMNS})
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in CHECK_COLUMNS})


def summarize(checks: pd.DataFrame) -> dict[str, Any]:
    """Shares of (indicator, year) pairs that reproduce the published city value."""
    agg = checks[checks["aggregation"] != "none"]
    n, n_agg = len(checks), len(agg)
    formula_ok, agg_ok = int(checks["formula_ok"].sum()), int(agg["aggregate_ok"].astype(bool).sum())
    return {"pairs": n, "formula_matched": formula_ok, "formula_share": round(formula_ok / n, 4) if n else None,
            "aggregated_pairs": n_agg, "aggregate_matched": agg_ok,
            "aggregate_share": round(agg_ok / n_agg, 4) if n_agg else None, "target_share": TARGET_SHARE}


def exceptions(checks: pd.DataFrame) -> list[dict[str, Any]]:
    """Pairs whose aggregate (or formula) misses the published city value, with the likely reason."""
    agg = checks["aggregation"] != "none"
    bad = checks[~checks["formula_ok"].astype(bool) | (agg & ~checks["aggregate_ok"].fillna(True).astype(bool))]
    out = []
    for r in bad.itertuples(index=False):
        if not r.formula_ok:
            reason = "the formula does not reproduce the city value from the city's own Basiswerte"
        elif r.residual > 0:
            reason = f"city Basiswerte differ from the sum of the districts by {r.residual:.4%}"
        else:
            reason = "rounding of the district Basiswerte"
        out.append({"indicator_id": r.indicator_id, "period": r.period, "published": _num(r.published),
                    "aggregated": _num(r.aggregated), "formula_value": _num(r.formula_value), "reason": reason})
    return out


def record_check(ctx: BuildContext, stage: str, checks: pd.DataFrame, catalog: list[dict[str, Any]]) -> None:
    """Write the summary and exceptions to findings, ``ctx.notes`` and each catalog row's ``city_check``."""
    summary = summarize(checks)
    exc = exceptions(checks)
    ctx.notes["indikatorenatlas_city_check"] = {**summary, "exceptions": exc}
    ctx.add("info" if (summary["formula_share"] or 0) >= TARGET_SHARE else "warning", stage,
            f"published city values reproduced: formula on the city's Basiswerte {summary['formula_matched']}/"
            f"{summary['pairs']} ({summary['formula_share']:.1%}); aggregation of the 25 Stadtbezirke "
            f"{summary['aggregate_matched']}/{summary['aggregated_pairs']} ({summary['aggregate_share']:.1%}) "
            "(indicator-year pairs with Basiswerte, at the published precision)", count=summary["pairs"])
    by_id: dict[str, list[dict[str, Any]]] = {}
    for e in exc:
        by_id.setdefault(e["indicator_id"], []).append(e)
    for iid, rows in by_id.items():
        explained = all(r["reason"].startswith("city Basiswerte differ") for r in rows)
        ctx.add("info" if explained else "warning", stage,
                f"{iid}: city value not reproduced in {len(rows)} year(s): {rows[0]['reason']}",
                where=", ".join(f"{r['period'][:4]} (published {r['published']}, ours {r['aggregated']})"
                                for r in rows[:8]), count=len(rows))
    per_indicator = dict(iter(checks.groupby("indicator_id", sort=False)))
    for c in catalog:
        mine = per_indicator.get(c["indicator_id"])
        s = summarize(mine) if mine is not None and len(mine) else {"pairs": 0}
        c["city_check"] = {k: s.get(k) for k in ("pairs", "formula_matched", "aggregate_matched")}
        c["city_check"]["exceptions"] = [
            {k: e[k] for k in ("period", "published", "aggregated")} for e in by_id.get(c["indicator_id"], [])]


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 6)
