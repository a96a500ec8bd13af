"""``raumatlas export-view`` and ``raumatlas profile``: slides and area profiles from the command line."""

from __future__ import annotations

from pipelines.builder.cli import Command

EXPORT_COMMANDS: dict[str, Command] = {}
