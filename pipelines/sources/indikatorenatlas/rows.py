"""One Indikatorenatlas table as numpy blocks, one per indicator (Indikator, Ausprägung).

The stage infers a formula and checks it for each of ~220 indicators; on pandas sub-frames
that cost tens of milliseconds per indicator (selection, ``groupby``, ``set_index`` on
Arrow-backed text columns), on these arrays well under one. The districts' sums per year,
which the checks compare with the city row, are taken in one ``groupby`` for the whole table:
pandas sums each (group, column) in row order with the same compensated summation either
way, so the sums are bit for bit those of a per-indicator ``groupby``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipelines.sources.indikatorenatlas.formula import MAX_BASISWERTE, basis
from pipelines.sources.indikatorenatlas.read import CITY_ID

KEY = ["indikator", "auspraegung"]
SUM_COLUMNS = [f"{p}{i}" for p in "be" for i in range(1, MAX_BASISWERTE + 1)]


@dataclass(frozen=True)
class IndicatorRows:
    """The rows of one indicator, in table order (row positions ``rows``), as arrays.

    ``b``/``e`` are the Basiswerte and their half rounding units (n, 5); ``names`` the first
    name of each Basiswert ("" if it has none); ``is_code`` marks rows whose value text is a
    missing-value code; ``sum_periods``/``sums`` the districts' sums of ``b1..b5, e1..e5`` per year
    (``sum(min_count=1)``: NaN where no district has the Basiswert).
    """

    indikator: str
    auspraegung: str
    rows: np.ndarray
    area_id: np.ndarray
    period: np.ndarray
    value: np.ndarray
    value_text: np.ndarray
    is_code: np.ndarray
    decimals: int
    b: np.ndarray
    e: np.ndarray
    names: list[str]
    sum_periods: dict[str, int]
    sums: np.ndarray

    def with_periods(self, date_of: Callable[[str], str]) -> IndicatorRows:
        """The same rows with every period ``p`` (also those of the district sums) replaced by ``date_of(p)``."""
        dated = {p: date_of(p) for p in {*self.period, *self.sum_periods}}
        return replace(self, period=np.array([dated[p] for p in self.period], dtype=object),
                       sum_periods={dated[p]: k for p, k in self.sum_periods.items()})

    @property
    def is_city(self) -> np.ndarray:
        """True for the "Stadt München" rows."""
        return self.area_id == CITY_ID

    def district_sums(self, periods: np.ndarray) -> np.ndarray:
        """The districts' sums for ``periods`` (rows of NaN for a year without district rows), shape (n, 10)."""
        out = np.full((len(periods), len(SUM_COLUMNS)), np.nan)
        for k, p in enumerate(periods):
            pos = self.sum_periods.get(p)
            if pos is not None:
                out[k] = self.sums[pos]
        return out


def split_indicators(table: pd.DataFrame, missing_codes: tuple[str, ...]) -> Iterator[IndicatorRows]:
    """The table of :func:`~pipelines.sources.indikatorenatlas.read.read_table`, one block per indicator.

    Blocks come in order of first appearance and keep the table's row order, as
    ``table.groupby(KEY, sort=False)`` would give them.
    """
    if table.empty:
        return
    code = table.groupby(KEY, sort=False).ngroup().to_numpy()
    order = np.argsort(code, kind="stable")
    starts = np.flatnonzero(np.diff(code[order])) + 1
    area = table["area_id"].to_numpy(dtype=object)
    period = table["period"].to_numpy(dtype=object)
    value = table["value"].to_numpy(dtype=float)
    text = table["value_text"].to_numpy(dtype=object)
    is_code = table["value_text"].isin(missing_codes).to_numpy(dtype=bool)
    decimals = table["decimals"].to_numpy()
    b, e = basis(table)
    names = [table[f"name{i}"].to_numpy(dtype=object) for i in range(1, MAX_BASISWERTE + 1)]
    has_name = [pd.notna(n) for n in names]
    indikator, auspraegung = table["indikator"].to_numpy(dtype=object), table["auspraegung"].to_numpy(dtype=object)
    sums = _district_sums(table)
    for rows in np.split(order, starts):
        key = (indikator[rows[0]], auspraegung[rows[0]])
        sum_periods, sum_values = sums.get(key, ({}, np.empty((0, len(SUM_COLUMNS)))))
        yield IndicatorRows(
            indikator=key[0], auspraegung=key[1], rows=rows, area_id=area[rows], period=period[rows],
            value=value[rows], value_text=text[rows], is_code=is_code[rows], decimals=int(decimals[rows].max()),
            b=b[rows], e=e[rows], names=[_first(n[rows], h[rows]) for n, h in zip(names, has_name, strict=True)],
            sum_periods=sum_periods, sums=sum_values)


def _first(names: np.ndarray, present: np.ndarray) -> str:
    hit = np.flatnonzero(present)
    return str(names[hit[0]]) if len(hit) else ""


def _district_sums(table: pd.DataFrame) -> dict[tuple[str, str], tuple[dict[str, int], np.ndarray]]:
    """Per indicator: {period: row} and the districts' sums of ``b1..b5, e1..e5`` per period."""
    dist = table[table["area_id"] != CITY_ID]
    summed = dist.groupby([*KEY, "period"], sort=False)[SUM_COLUMNS].sum(min_count=1)
    values = summed.to_numpy(dtype=float)
    positions: dict[tuple[str, str], dict[str, int]] = {}
    for k, (ind, aus, per) in enumerate(summed.index):
        positions.setdefault((ind, aus), {})[per] = k
    out = {}
    for key, periods in positions.items():
        rows = np.fromiter(periods.values(), dtype=np.int64, count=len(periods))
        out[key] = ({p: j for j, p in enumerate(periods)}, values[rows])
    return out
