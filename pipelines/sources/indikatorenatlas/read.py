"""Read one Indikatorenatlas export into a checked, numeric long table.

The traps are handled here, at the boundary: ``Indikatorwert`` is text with a German
decimal comma ("6,6", "-,9") whose number of decimals is the published precision;
Basiswerte use a decimal point and carry their own rounding; ``Raumbezug`` is joined on
its two-digit number (the names are spelled differently from the geometry), never on
the name. Every bad cell raises :class:`InputError` naming the file, sheet and row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines import config
from pipelines.errors import InputError
from pipelines.io_excel import excel_sheet_names, read_excel_text
from pipelines.sources.expectations import EXPECTATIONS
from pipelines.sources.indikatorenatlas.formula import MAX_BASISWERTE
from pipelines.sources.indikatorenatlas.sheets import INHALT_SHEET, KIND, TABLE_SHEET

CITY_ID = config.CITY_IDS["munich"]
CITY_LABEL = "Stadt München"
TABLE_COLUMNS = EXPECTATIONS[KIND].columns  # required columns: one table with fetch (sources/expectations.py)
INHALT_COLUMNS = EXPECTATIONS[KIND].sheet_columns(INHALT_SHEET)
_GERMAN_NUMBER = r"^-?(\d+|\d*,\d+)$"
_RAUM = r"^(\d{2})\s+\S"


def read_table(path: Path, district_ids: set[str]) -> pd.DataFrame:
    """The long table with ``area_id`` ("muc" or "01".."25"), ``period``, ``value`` and ``decimals``.

    ``b1..b5`` are the Basiswerte (NaN where absent), ``e1..e5`` half their rounding unit
    (0.05 for "19.8" and for "20" among values with one decimal; 0 where all are whole
    numbers, i.e. counts), ``name1..name5`` their names.
    """
    sheets = excel_sheet_names(path)
    if len(sheets) <= TABLE_SHEET:
        raise InputError(path, f"has sheets {sheets}, expected INHALT and the long table as sheet 2",
                         fix="use the Indikatorenatlas export (Export -> Excel) of one topic")
    sheet = sheets[TABLE_SHEET]
    raw = read_excel_text(path, TABLE_SHEET)
    _require_columns(raw, TABLE_COLUMNS, path, sheet)
    rows = lambda mask: f"sheet {sheet!r}, Zeile {int(np.flatnonzero(mask)[0]) + 2}"  # noqa: E731
    out = pd.DataFrame({
        "indikator": raw["Indikator"].str.strip(), "auspraegung": raw["Ausprägung"].str.strip(),
        "value_text": raw["Indikatorwert"].str.strip(),
    })
    for col in ("indikator", "auspraegung"):
        if out[col].isna().any():
            raise InputError(path, f"empty '{col}'", where=rows(out[col].isna()), fix="download the export again")
    year = pd.to_numeric(raw["Jahr"], errors="coerce")
    if year.isna().any() or (year % 1 != 0).any():
        raise InputError(path, f"'Jahr' {raw['Jahr'][year.isna()].iloc[0]!r} is not a year",
                         where=rows(year.isna() | (year % 1 != 0)), fix="download the export again")
    out["period"] = year.astype(int).astype(str) + "-12-31"
    out["area_id"] = _area_ids(raw["Raumbezug"], district_ids, path, rows)
    out["value"], out["decimals"] = _german_numbers(out["value_text"], path, rows)
    group = out.groupby(["indikator", "auspraegung"], sort=False).ngroup()
    for i in range(1, MAX_BASISWERTE + 1):
        col = f"Basiswert {i}"
        text = raw[col].str.strip() if col in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="string")
        number = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & (text != "") & number.isna()
        if bad.any():
            raise InputError(path, f"'{col}' {text[bad].iloc[0]!r} is not a number", where=rows(bad),
                             fix="Basiswerte use a decimal point; download the export again")
        out[f"b{i}"] = number.astype(float)
        dot = text.str.find(".").fillna(-1)
        decimals = np.where(dot >= 0, text.str.len().fillna(0) - dot - 1, 0).astype(float)
        # rounding unit: the most decimals of this Basiswert within the indicator; whole numbers are exact counts
        places = pd.Series(decimals, index=out.index).groupby(group).transform("max")
        out[f"e{i}"] = np.where(number.notna() & (places > 0), 0.5 * 10.0 ** -places, 0.0)
        out[f"name{i}"] = raw.get(f"Name Basiswert {i}", pd.Series(pd.NA, index=raw.index))
    key = ["indikator", "auspraegung", "period", "area_id"]
    dup = out.duplicated(key)
    if dup.any():
        raise InputError(path, f"the row {tuple(out.loc[dup, key].iloc[0])} appears twice", where=rows(dup),
                         fix="each Indikator, Ausprägung, Jahr and Raumbezug must appear once")
    return out


def read_inhalt(path: Path) -> pd.DataFrame:
    """The definitions sheet: Beschreibung, Zeitbezug and Datenquelle per Indikator and Ausprägung."""
    inhalt = read_excel_text(path, INHALT_SHEET)
    _require_columns(inhalt, INHALT_COLUMNS, path, INHALT_SHEET)
    return inhalt.assign(**{c: inhalt[c].str.strip() for c in ("Indikator", "Ausprägung")})


def _require_columns(df: pd.DataFrame, cols: tuple[str, ...], path: Path, sheet: object) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(path, f"missing column(s) {missing}", where=f"sheet {sheet!r}, columns {list(df.columns)}",
                         fix="use an unmodified Indikatorenatlas export (Export -> Excel)")


def _area_ids(raum: pd.Series, district_ids: set[str], path: Path, rows) -> pd.Series:
    """'Stadt München' -> 'muc'; 'NN Name - Name' -> 'NN' (must be a known Stadtbezirk)."""
    codes, uniques = pd.factorize(raum, use_na_sentinel=False)  # ~30 distinct texts in ~100k rows
    names = pd.Series(uniques, dtype=raum.dtype).str.strip()
    labels = names.str.extract(_RAUM)[0].where(names != CITY_LABEL, CITY_ID)
    text = pd.Series(names.to_numpy(dtype=object)[codes], index=raum.index)
    ids = pd.Series(labels.to_numpy(dtype=object)[codes], index=raum.index)
    if ids.isna().any():
        raise InputError(path, f"Raumbezug {text[ids.isna()].iloc[0]!r} is neither {CITY_LABEL!r} nor 'NN Name'",
                         where=rows(ids.isna()), fix="the export must be at Stadtbezirk level (Gliederung)")
    unknown = (ids != CITY_ID) & ~ids.isin(district_ids)
    if unknown.any():
        raise InputError(path, f"Raumbezug {text[unknown].iloc[0]!r}: Stadtbezirk number "
                         f"{ids[unknown].iloc[0]!r} is not one of the {len(district_ids)} Stadtbezirke",
                         where=rows(unknown), fix="check the Raumbezug or the Stadtbezirk geometry edition")
    return ids.astype(str)


def _german_numbers(text: pd.Series, path: Path, rows) -> tuple[pd.Series, pd.Series]:
    """Parse "6,6", "-,9", "51" -> floats; empty -> NaN; returns values and their decimals."""
    present = text.notna() & (text != "")
    ok = text.str.match(_GERMAN_NUMBER).fillna(False).astype(bool)
    bad = present & ~ok
    if bad.any():
        raise InputError(path, f"'Indikatorwert' {text[bad].iloc[0]!r} is not a number with decimal comma",
                         where=rows(bad), fix="download the export again")
    value = pd.to_numeric(text.where(present).str.replace(",", ".", regex=False), errors="coerce").astype(float)
    comma = text.str.find(",").fillna(-1)
    decimals = pd.Series(np.where(comma >= 0, text.str.len().fillna(0) - comma - 1, 0), index=text.index).astype(int)
    return value, decimals
