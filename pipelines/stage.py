"""What every stage receives and reports: the build context and validation findings.

Stages are pure functions of (context, upstream tables); they never write files.
They append :class:`Finding` objects for anything a reader of ``manifest.json``
should know (exceptions to golden checks, dropped rows, approximations).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.config import Paths
from pipelines.registry import Source


@dataclass(frozen=True)
class Finding:
    """One validation finding for the manifest (severity: info | warning | error)."""

    severity: str
    stage: str
    message: str
    source: str = ""
    where: str = ""
    count: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


@dataclass
class BuildContext:
    """Inputs shared by all stages of one build.

    ``paths`` is the one resolved set of folders (``--geodata``/``--out``), so a stage asks it for a
    registry or raw file instead of joining names onto a bare folder itself.
    """

    paths: Paths
    sources: list[Source]
    indicator_registry: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)  # e.g. which population table weighted MSS
    # a file's rows as read, for a later stage that needs them again (the derived stage re-reads facility
    # lists the locations stage read): keyed by the reader, handed out as copies; never in the manifest
    reads: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def add(self, severity: str, stage: str, message: str, **kw: Any) -> None:
        """Record a finding."""
        self.findings.append(Finding(severity, stage, message, **kw))


@dataclass(frozen=True)
class SourceTable:
    """One registered file as read from disk, untouched: the boundary between reading and transforming.

    A stage's ``read_*`` function returns these; its pure part turns them into canonical tables, so
    unit tests can hand-build ``frame`` (text cells, ``None`` for empty) instead of writing files.
    ``path`` is only used to name the file in error messages.
    """

    source: Source
    path: Path
    frame: pd.DataFrame
