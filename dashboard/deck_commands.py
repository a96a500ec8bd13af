"""``raumatlas deck``: the stories as one self-contained HTML file for talks without a server."""

from __future__ import annotations

from pipelines.builder.cli import Command

DECK_COMMANDS: dict[str, Command] = {}
