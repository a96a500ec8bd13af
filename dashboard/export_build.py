"""The build as ONE export in a new process reads it: only the indicator rows that export draws.

A cold ``raumatlas export-view`` or ``profile`` used to read the whole long indicator table
(~290,000 rows, about 0.1 s) to draw a few hundred of them, and then scanned it again: a
pandas group-by over every row for the URL's choices (the slide, ~0.1 s), a row index of
every area for one area's rows (the profile, ~0.03 s). :class:`OneExportFolder` answers the
same questions from reads that pyarrow filters before pandas sees a row: one indicator's
rows (a slide's maps and fallbacks), one area's and its city's rows (a profile), and the
distinct (indicator, city, period) triples of three dictionary-encoded columns (the choices).

The answers are the frames :class:`~dashboard.build_files.BuildFolder` gives (same rows,
order, columns and dtypes; ``tests/test_export_build.py`` compares them). Once anything has
read the full table, every answer comes from it, as in the parent class. Only a single
export without a given reader uses this folder; the app, the deck and ``profile --all``
(143 areas from one table) keep :class:`BuildFolder`, whose full read pays off there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard.build_files import (
    BuildFolder,
    make_choices,
    select_area_and_city_rows,
    select_rows,
    select_values,
)
from dashboard.deck_data import read_build
from dashboard.state import Choices
from pipelines import config
from pipelines.errors import InputError
from pipelines.io import require_exists

PERIOD_KEYS = ["indicator_id", "city", "period"]
"""The columns :func:`dashboard.build_files.make_choices` reads of the indicator table."""


@dataclass
class OneExportFolder(BuildFolder):
    """A :class:`BuildFolder` that reads only the indicator rows asked for, until the full table is read."""

    def _table(self) -> pd.DataFrame | None:
        """The full indicator table if something has read it already."""
        return self._memo.get("indicators")

    def _of_indicator(self, indicator: str) -> pd.DataFrame:
        """Every row of one indicator (the full table's, once read)."""
        full = self._table()
        if full is not None:
            return full
        return self._once(("indicator", indicator), lambda: read_rows(
            self.out / config.INDICATORS_FILE_OUT, [("indicator_id", "==", indicator)]))

    def indicator_values(self, city: str, level: str, indicator: str, period: str) -> pd.DataFrame:
        """Rows of one map, from that indicator's rows."""
        return self._once(("values", city, level, indicator, period),
                          lambda: select_values(self._of_indicator(indicator), city, level, indicator, period))

    def indicator_rows(self, city: str, indicator: str) -> pd.DataFrame:
        """All levels and periods of one indicator in one city, from that indicator's rows."""
        return select_rows(self._of_indicator(indicator), city, indicator)

    def area_and_city_rows(self, city: str, level: str, area_id: str) -> pd.DataFrame:
        """Every indicator row of one area plus the city rows: a read of just these rows."""
        if self._table() is not None:
            return super().area_and_city_rows(city, level, area_id)
        filters = [[("city", "==", city), ("level", "==", level), ("area_id", "==", area_id)],
                   [("city", "==", city), ("level", "==", "stadt")]]
        rows = self._once(("area", city, level, area_id),
                          lambda: read_rows(self.out / config.INDICATORS_FILE_OUT, filters))
        return select_area_and_city_rows(rows, city, level, area_id)

    def choices(self, stories: int = 0) -> Choices:
        """What a URL may name in this build, from the distinct (indicator, city, period) triples."""
        def make() -> Choices:
            full = self._table()
            triples = full if full is not None else period_triples(self.out / config.INDICATORS_FILE_OUT)
            return make_choices(list(self.catalog().values()), triples, self.areas(), stories)
        return self._once(("choices", stories), make)


def read_one_export(processed: Path | None = None, geodata: Path | None = None) -> OneExportFolder:
    """The build for one export (as :func:`dashboard.deck_data.read_build`, with its errors)."""
    build = read_build(processed, geodata)
    return OneExportFolder(out=build.out, geodata=build.geodata, manifest=build.manifest)


def read_rows(path: Path, filters: list[Any]) -> pd.DataFrame:
    """The rows of a build's parquet that pass ``filters`` (pyarrow's DNF), as ``pd.read_parquet`` types them."""
    import pyarrow.parquet as pq

    return _read(path, lambda: pq.read_table(path, filters=filters).to_pandas())


def period_triples(path: Path) -> pd.DataFrame:
    """The distinct (indicator_id, city, period) rows of the indicator table, in order of first appearance.

    What :func:`dashboard.build_files.make_choices` groups (by indicator and city, in order of
    appearance, periods sorted): the same choices as from the full table. Read dictionary-encoded,
    each row is three small integers, and the distinct triples are one ``np.unique``.
    """
    import pyarrow.parquet as pq

    table = _read(path, lambda: pq.read_table(path, columns=PERIOD_KEYS, read_dictionary=PERIOD_KEYS))
    if table.num_rows == 0 or any(table.column(c).null_count for c in PERIOD_KEYS):
        return _read(path, lambda: pq.read_table(path, columns=PERIOD_KEYS).to_pandas())  # rare: plain and exact
    table = table.unify_dictionaries().combine_chunks()
    codes, words = [], []
    for name in PERIOD_KEYS:
        column = table.column(name).chunk(0)
        codes.append(column.indices.to_numpy().astype(np.int64))
        words.append(column.dictionary.to_numpy(zero_copy_only=False))
    key = (codes[0] * len(words[1]) + codes[1]) * len(words[2]) + codes[2]
    first = np.sort(np.unique(key, return_index=True)[1])
    return pd.DataFrame({name: w[c[first]] for name, w, c in zip(PERIOD_KEYS, words, codes, strict=True)})


def _read(path: Path, read: Any) -> Any:
    """``read()``; a missing or unreadable file is the error ``pipelines.io.read_parquet`` raises."""
    require_exists(path)
    try:
        return read()
    except Exception as err:
        raise InputError(path, f"cannot be read as parquet ({err})",
                         fix="rebuild with 'python -m pipelines build --force'") from err
