"""Build machinery: stage order, validation, cache, manifest, fetching new editions and the CLI.

``orchestrate.run_build`` is the entry point; ``manifest.is_build_current`` tells whether a build
is up to date without running it. ``derived`` and ``web_layers`` are the build's last stages:
they combine what the sources produced. The command table (``COMMANDS``, ``Command``, ``EXIT_OK``,
``cli_main``) is public too: the ``raumatlas`` script adds its export and deck commands to it.
This module is the package's one face; outside code imports from here, never from the parts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.builder.cli import COMMANDS, EXIT_OK, Command
    from pipelines.builder.cli import main as cli_main
    from pipelines.builder.manifest import is_build_current
    from pipelines.builder.orchestrate import run_build

# name -> (module, attribute); imported lazily: ``is_build_current`` must stay cheap (no geopandas)
# for the app's staleness check, and the CLI must start without loading the stages.
_FACE = {
    "run_build": ("orchestrate", "run_build"),
    "is_build_current": ("manifest", "is_build_current"),
    "COMMANDS": ("cli", "COMMANDS"),
    "Command": ("cli", "Command"),
    "EXIT_OK": ("cli", "EXIT_OK"),
    "cli_main": ("cli", "main"),
}
__all__ = ["COMMANDS", "EXIT_OK", "Command", "cli_main", "is_build_current", "run_build"]


def __getattr__(name: str) -> Any:
    """Resolve a public name on first use (see ``_FACE``)."""
    if name not in _FACE:
        raise AttributeError(name)
    module, attr = _FACE[name]
    return getattr(import_module(f"pipelines.builder.{module}"), attr)
