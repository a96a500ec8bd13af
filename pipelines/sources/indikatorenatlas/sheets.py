"""Which workbook sheets the Indikatorenatlas stage reads, and from which export — light (no pandas).

The CLI asks this before its heavy imports, to start reading the workbooks in a forked process
(``builder/prefetch.py``); the stage asks it for the same answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.registry import Source, sources_by_kind

KIND = "munich_indikatorenatlas"
TABLE_SHEET = 1  # the long table is the second sheet (its name is the topic in capitals)
INHALT_SHEET = "INHALT"


def source_for_topic(sources: list[Source], topic: str) -> Source | None:
    """The newest registered export of one topic (None if there is none)."""
    found = [s for s in sources_by_kind(sources, KIND) if s.extra.get("topic") == topic]
    return found[-1] if found else None


def sheets_to_read(geodata: Path, sources: list[Source], registry: dict[str, Any]) -> list[tuple[Path, str | int]]:
    """(workbook, sheet) in the stage's order: per ``[[indicator_set]]`` its export's long table, then INHALT."""
    out: list[tuple[Path, str | int]] = []
    for iset in registry.get("indicator_set", []):
        src = source_for_topic(sources, iset.get("topic", "")) if iset.get("source_kind") == KIND else None
        if src is not None:
            out += [(src.path(geodata), TABLE_SHEET), (src.path(geodata), INHALT_SHEET)]
    return out
