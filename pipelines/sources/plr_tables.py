"""Steps shared by the stages that read Berlin tables keyed by Planungsraum (PLR).

The population tables (:mod:`pipelines.sources.berlin_population`) and the MSS tables
(:mod:`pipelines.sources.mss`) are both CSVs with one row per LOR 2021 Planungsraum, tied to
indicators by the ``[indicator.berlin]`` mapping of ``indicators.toml``. Which
registry entries a stage owns, which PLR ids a table may hold and the shape of the
long output are the same rules for both, so they are written once here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import config
from pipelines.errors import InputError
from pipelines.io import read_csv_text
from pipelines.registry import Source
from pipelines.stage import BuildContext, SourceTable

CITY = "berlin"
_PLR_ID = re.compile(r"^\d{8}$")


def plr_ids(areas: pd.DataFrame) -> list[str]:
    """Sorted ids (text) of the Berlin Planungsräume in an areas table (with or without a ``city`` column)."""
    sel = areas[(areas["level"] == "planungsraum") & (areas["city"] == CITY if "city" in areas else True)]
    return sorted(sel["area_id"].astype(str))


def berlin_mappings(ctx: BuildContext, kinds: Iterable[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Registry entries whose Berlin mapping reads a source of one of ``kinds``, as (entry, mapping) pairs.

    A stage computes exactly the indicators whose ``berlin.source_kind`` it reads, so
    adding an indicator is a registry edit, not code.
    """
    wanted = set(kinds)
    out: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for ind in ctx.indicator_registry.get("indicator", []):
        ber = ind.get("berlin") or {}
        if ber.get("source_kind") in wanted:
            out.append((ind, ber))
    return out


def check_plr_ids(path: Path, ids: pd.Series, known: Iterable[str], *, column: str, fix: str) -> None:
    """Every row must name a known LOR 2021 Planungsraum (8 digits, text), each once.

    A wrong id (e.g. leading zero lost in a spreadsheet) would silently drop a row
    from every aggregate, so it is an error naming the CSV line (header = line 1).
    ``ids`` are the stripped cells of ``column``; ``fix`` is named for an unknown id.

    Raises:
        InputError: an unknown or malformed id, or an id that appears twice.
    """
    known_ids = set(known)
    for i, pid in enumerate(ids):
        if not _PLR_ID.match(pid) or pid not in known_ids:
            raise InputError(path, f"{column} {pid!r} is not a LOR 2021 Planungsraum", where=f"Zeile {i + 2}",
                             fix=fix)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(path, f"{column} {dup.iloc[0]} appears twice", where=f"Zeile {int(dup.index[0]) + 2}",
                         fix="download the file again")


def long_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate a stage's indicator rows into the canonical long table for Berlin (empty if no frames)."""
    if not frames:
        return pd.DataFrame(columns=list(config.INDICATOR_COLUMNS))
    long = pd.concat(frames, ignore_index=True)
    long.insert(0, "city", CITY)
    return long[list(config.INDICATOR_COLUMNS)].reset_index(drop=True)


def read_csv_source(ctx: BuildContext, src: Source) -> SourceTable:
    """The main file of a registered Berlin CSV source as text (the only disk access of these stages)."""
    path = src.path(ctx.paths.geodata)
    return SourceTable(src, path, read_csv_text(path))
