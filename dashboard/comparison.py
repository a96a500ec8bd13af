"""The comparison table ("Vergleich"): pinned areas of both cities against chosen indicators (pure).

A pin is ``"<city>:<area_id>"`` as in the URL (``munich:hr6``, ``berlin:08``), the city totals
are ``munich:muc`` / ``berlin:ber`` and "übriges München" (Munich without its Handlungsräume)
is ``munich:rest``. Nothing is computed here that the app does not compute elsewhere: values are
the build's rows, "übriges München" is :func:`dashboard.ranking.action_area_summary`'s rest, the
index is ``100 * value / city value`` as in the profile (not for counts).

:func:`comparison_rows` gives one row per (indicator, pin) with ``period``, ``value``,
``city_value``, ``index``, ``coverage``, ``flag`` and ``notes`` (i18n keys: approximation,
estimate, rest not computable); :func:`comparison_export` turns it into the table shown on
screen and written to CSV/XLSX (:mod:`dashboard.table_export`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.i18n import catalog_text, t
from dashboard.legend import flag_label
from dashboard.period_labels import gap_years, nearest_period, period_kind, period_label
from dashboard.ranking import action_area_summary
from dashboard.state import CMP_REST
from dashboard.table_export import ExportTable, shown_text
from pipelines.config import CITIES, CITY_IDS

REST_ID = CMP_REST  # "übriges München": Munich minus the union of its Handlungsräume
# The columns of the table as shown and downloaded (headers: ``cmp_col_<name>`` in the translations).
EXPORT_COLUMNS = ("indicator", "area", "city", "level", "area_id", "period", "value", "unit", "city_value", "index",
                  "coverage", "note")
ROW_COLUMNS = ["pin", "city", "level", "area_id", "name", "indicator_id", "period", "period_kind", "value",
               "city_value", "index", "coverage", "flag", "notes"]


@dataclass(frozen=True)
class Pin:
    """One pinned area."""

    city: str
    area_id: str

    @property
    def text(self) -> str:
        """The pin as written in the URL."""
        return f"{self.city}:{self.area_id}"


def parse_pin(text: str) -> Pin | None:
    """``"munich:hr6"`` -> Pin; None for anything that is not ``<city>:<id>``."""
    city, sep, area_id = str(text).strip().partition(":")
    if not sep or city not in CITIES or not area_id:
        return None
    return Pin(city, area_id)


def choose_periods(indicator_ids: Iterable[str], periods: Mapping[tuple[str, str], Sequence[str]],
                   align: bool) -> dict[tuple[str, str], str]:
    """The period of each (indicator, city): the latest, or with ``align`` Munich's nearest Berlin's."""
    out: dict[tuple[str, str], str] = {}
    for ind in indicator_ids:
        for city in CITIES:
            ps = list(periods.get((ind, city), ()))
            out[(ind, city)] = ps[-1] if ps else ""
        if align and out[(ind, "munich")] and out[(ind, "berlin")]:
            out[(ind, "munich")] = nearest_period(periods.get((ind, "munich"), ()), out[(ind, "berlin")])
    return out


def is_estimate(catalog: Mapping[str, Mapping[str, Any]], indicator_id: str, city: str, level: str) -> bool:
    """Berlin MSS values above the Planungsraum are estimates (PLR values weighted by a population group)."""
    if city != "berlin" or level == "planungsraum":
        return False
    seen: set[str] = set()
    todo = [indicator_id]
    while todo:
        iid = todo.pop()
        if iid in seen:
            continue
        seen.add(iid)
        if iid.startswith("ber_mss_"):
            return True
        todo += list((catalog.get(iid, {}).get("derived_from") or {}).get(city, []))
    return False


def comparison_rows(pins: Sequence[Pin], indicator_ids: Sequence[str], rows: pd.DataFrame, areas: pd.DataFrame,
                    catalog: Mapping[str, Mapping[str, Any]],
                    periods: Mapping[tuple[str, str], str]) -> pd.DataFrame:
    """One row per (indicator, pin) in the given orders; see the module docstring for the columns.

    ``rows``: the build's indicator rows of these indicators (both cities, all levels and periods);
    ``areas``: the areas table without geometry; ``periods``: from :func:`choose_periods`.
    """
    out: list[dict[str, Any]] = []
    for ind in indicator_ids:
        entry = catalog.get(ind)
        if entry is None:
            continue
        for pin in pins:
            period = periods.get((ind, pin.city), "")
            out.append(_one(pin, ind, entry, period, rows, areas, catalog))
    return pd.DataFrame(out, columns=ROW_COLUMNS)


def _one(pin: Pin, ind: str, entry: Mapping[str, Any], period: str, rows: pd.DataFrame, areas: pd.DataFrame,
         catalog: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    city_id = CITY_IDS[pin.city]
    mine = rows[(rows["city"] == pin.city) & (rows["indicator_id"] == ind) & (rows["period"] == period)]
    city_row = mine[(mine["level"] == "stadt") & (mine["area_id"] == city_id)]
    city_value = float(city_row["value"].iloc[0]) if len(city_row) else np.nan
    base = {"pin": pin.text, "city": pin.city, "indicator_id": ind, "period": period,
            "period_kind": period_kind(entry, pin.city), "city_value": city_value}
    notes: list[str] = []
    if not period:
        return base | {"level": _level(areas, pin), "area_id": pin.area_id, "name": _name(areas, pin),
                       "value": np.nan, "index": np.nan, "coverage": np.nan, "flag": "no_data",
                       "notes": ("cmp_not_in_city",)}
    if pin.area_id == REST_ID:
        value, coverage, flag, notes = _rest(mine, areas, entry, period)
        level = "rest"
    else:
        level = _level(areas, pin)
        hit = mine[(mine["level"] == level) & (mine["area_id"] == pin.area_id)]
        value = float(hit["value"].iloc[0]) if len(hit) else np.nan
        coverage = float(hit["coverage"].iloc[0]) if len(hit) else np.nan
        flag = str(hit["flag"].iloc[0] or "") if len(hit) else "no_data"
        if len(hit) == 0:
            notes.append("cmp_not_at_level")
        if _approximate(areas, pin):
            notes.append("cmp_note_approx")
        if is_estimate(catalog, ind, pin.city, level):
            notes.append("cmp_note_estimate")
    ratio = entry.get("aggregation") != "sum"  # a count against the city total says nothing
    index = 100.0 * value / city_value if ratio and pd.notna(value) and pd.notna(city_value) and city_value \
        else np.nan
    return base | {"level": level, "area_id": pin.area_id, "name": _name(areas, pin), "value": value,
                   "index": index, "coverage": coverage, "flag": flag, "notes": tuple(notes)}


def _rest(muc_rows: pd.DataFrame, areas: pd.DataFrame, entry: Mapping[str, Any],
          period: str) -> tuple[float, float, str, list[str]]:
    summary = action_area_summary(muc_rows, areas, dict(entry), period)
    rest = summary.rows[summary.rows["kind"] == "rest"]
    notes = ["cmp_note_rest"]
    if rest.empty:
        return np.nan, np.nan, "", [*notes, "cmp_rest_not_computable"]
    if "summary_note_apportioned" in summary.notes:
        notes.append("cmp_note_rest_estimate")
    return float(rest["value"].iloc[0]), float(rest["coverage"].iloc[0]), "", notes


def _area_row(areas: pd.DataFrame, pin: Pin) -> pd.Series | None:
    sel = areas[(areas["city"] == pin.city) & (areas["area_id"] == pin.area_id)]
    return None if sel.empty else sel.iloc[0]


def _level(areas: pd.DataFrame, pin: Pin) -> str:
    if pin.area_id == REST_ID:
        return "rest"
    row = _area_row(areas, pin)
    return str(row["level"]) if row is not None else ("stadt" if pin.area_id == CITY_IDS[pin.city] else "")


def _name(areas: pd.DataFrame, pin: Pin) -> str:
    row = _area_row(areas, pin)
    return str(row["name"]) if row is not None else ""


def _approximate(areas: pd.DataFrame, pin: Pin) -> bool:
    row = _area_row(areas, pin)
    return bool(row is not None and "approximate" in row.index and bool(row["approximate"]))


def pin_label(pin: Pin, areas: pd.DataFrame, lang: str) -> str:
    """How a pin reads in pickers and tables: "Neukölln (Berlin, Bezirk)", "Übriges München"."""
    if pin.area_id == REST_ID:
        return t("summary_rest", lang)
    if pin.area_id == CITY_IDS[pin.city]:
        return t(f"city_total_{pin.city}", lang)
    row = _area_row(areas, pin)
    if row is None:
        return pin.text
    return f"{row['name']} ({t(f'city_{pin.city}', lang)}, {t('level_one_' + str(row['level']), lang)})"


def period_gaps(table: pd.DataFrame) -> dict[str, tuple[str, str, float]]:
    """Per indicator with both cities in the table: (Munich period, Berlin period, gap in years) if they differ."""
    out = {}
    for ind, g in table.groupby("indicator_id", sort=False):
        p = {c: g.loc[g["city"] == c, "period"].iloc[0] for c in CITIES if (g["city"] == c).any()}
        if p.get("munich") and p.get("berlin") and p["munich"] != p["berlin"]:
            out[str(ind)] = (p["munich"], p["berlin"], gap_years(p["munich"], p["berlin"]))
    return out


def comparison_export(table: pd.DataFrame, catalog: Mapping[str, Mapping[str, Any]], areas: pd.DataFrame,
                      lang: str) -> ExportTable:
    """The table as shown and downloaded: translated headers, one line per (indicator, area)."""
    col = {k: t(f"cmp_col_{k}", lang) for k in EXPORT_COLUMNS}
    notes_text = []
    for r in table.itertuples():
        parts = [flag_label(r.flag, lang)] if r.flag else []
        parts += [t(note, lang) for note in r.notes]  # the cmp_note_* keys made above
        notes_text.append("; ".join(parts))
    frame = pd.DataFrame({
        col["indicator"]: [catalog_text(dict(catalog[i]), "label", lang) for i in table["indicator_id"]],
        col["area"]: [pin_label(Pin(c, a), areas, lang) if a in (REST_ID,) or not n else n
                      for c, a, n in zip(table["city"], table["area_id"], table["name"], strict=True)],
        col["city"]: [t(f"city_{c}", lang) for c in table["city"]],
        col["level"]: [t(f"level_one_{lv}", lang) if lv else "" for lv in table["level"]],
        col["area_id"]: ["" if a == REST_ID else a for a in table["area_id"]],
        col["period"]: [period_label(p, k, lang) for p, k in zip(table["period"], table["period_kind"], strict=True)],
        col["value"]: table["value"].astype(float),
        col["unit"]: [catalog_text(dict(catalog[i]), "unit", lang) for i in table["indicator_id"]],
        col["city_value"]: table["city_value"].astype(float),
        col["index"]: table["index"].astype(float),
        col["coverage"]: 100.0 * table["coverage"].astype(float),
        col["note"]: notes_text,
    })
    return ExportTable(frame=frame, id_columns=(col["area_id"],),
                       number_columns={col["value"]: None, col["city_value"]: None, col["index"]: 0,
                                       col["coverage"]: 0},
                       sheet=t("cmp_sheet", lang))


def screen_frame(table: ExportTable, lang: str) -> pd.DataFrame:
    """The export table with its numbers written as the app writes them (same rounding as the files)."""
    df = table.frame.copy()
    for c, decimals in table.number_columns.items():
        df[c] = [shown_text(v, lang, decimals) for v in df[c]]
    return df
