"""The shape every project file is read into, whatever its format: header mapped to the schema, rows as text.

CSV, XLSX and GeoJSON readers (:mod:`pipelines.projects.read`) each produce records of text cells;
this module turns them into one :class:`RawTable` and holds the bounds they share, so the three
formats map headers, cut long cells and refuse oversized files in exactly the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipelines.projects.findings import Findings, findings_for
from pipelines.projects.limits import DEFAULT_LIMITS, TableGuard
from pipelines.projects.schema import Problem, ProjectSchema, fail
from pipelines.projects.values import cell_text
from pipelines.registry import slugify


@dataclass
class RawTable:
    """A project file as text: canonical columns + ``_row`` (the planner's row number)."""

    source: str
    format: str
    frame: pd.DataFrame
    row_label: tuple[str, str] = ("Zeile", "Row")
    problems: Findings = field(default_factory=lambda: Findings(DEFAULT_LIMITS["max_findings_per_code"]))
    encoding: str = ""
    delimiter: str = ""

    @property
    def is_template(self) -> bool:
        """True for a header-only file (e.g. ``vorlage.csv``): nothing to validate or join."""
        return len(self.frame) == 0


def table_guard(name: str, schema: ProjectSchema) -> TableGuard:
    """The streaming bounds (rows, columns, cells, characters) for one file, refusing with its name."""
    return TableGuard(schema.limits, lambda code, **params: fail(name, schema, code, **params))


def cut_cell(text: str, max_chars: int) -> str:
    """A cell cut to one character over the limit: the table builder reports and cuts it to the limit."""
    return text if len(text) <= max_chars + 1 else text[: max_chars + 1]


def header_map(header: list[str], name: str, schema: ProjectSchema, table: RawTable | None = None) -> list[str]:
    """Canonical column name per header cell ("" = unknown, reported as info once)."""
    lookup = {alias: c.name for c in schema.columns for alias in c.aliases}
    out: list[str] = []
    for cell in header:
        canon = lookup.get(slugify(cell), "")
        if canon and canon in out:
            raise fail(name, schema, "duplicate_column", column=cell_text(cell, 40), canon=canon)
        if not canon and cell.strip() and table is not None:
            table.problems.append(Problem("info", "unknown_column", None, cell_text(cell, 40),
                                          *schema.message("unknown_column", column=cell_text(cell, 40))))
        out.append(canon)
    return out


def build_table(records: list[tuple[int, list[str]]], name: str, schema: ProjectSchema, fmt: str) -> RawTable:
    """Header = first non-blank record; blank records are skipped but keep their numbers."""
    table = RawTable(source=name, format=fmt, frame=pd.DataFrame(), problems=findings_for(schema))
    nonblank = [(n, c) for n, c in records if any(map(str.strip, c))]
    if not nonblank:
        raise fail(name, schema, "empty_file")
    header = header_map(nonblank[0][1], name, schema, table)
    present = set(header) - {""}
    missing = [c.name for c in schema.columns if c.required and c.name not in present]
    if not ({"lat", "lon"} <= present or "area_id" in present):
        missing.append("lat+lon / area_id")
    if missing:
        accepted = "; ".join(f"{m}: {', '.join(schema.column(m).aliases[:4])}" for m in missing if "/" not in m)
        raise fail(name, schema, "missing_columns", columns=", ".join(missing), accepted=accepted)
    limit = int(schema.limits["max_cell_chars"])
    rows = [cells for _, cells in nonblank[1:]]
    numbers = [number for number, _ in nonblank[1:]]
    data: dict[str, list[Any]] = {c.name: [""] * len(rows) for c in schema.columns}
    for j, canon in enumerate(header):  # column by column: a 100,000-row file has few columns
        if not canon:
            continue
        texts = [cells[j].strip() if j < len(cells) else "" for cells in rows]
        for i in [i for i, text in enumerate(texts) if len(text) > limit]:
            texts[i] = texts[i][:limit]
            table.problems.note("warning", "cell_too_long", numbers[i], canon, schema, limit=limit)
        data[canon] = texts
    data["_row"] = numbers
    table.frame = pd.DataFrame(data).astype({c.name: "str" for c in schema.columns} | {"_row": "int64"})
    return table
