"""Build machinery: stage order, validation, cache, manifest, fetching new editions and the CLI.

``orchestrate.run_build`` is the entry point; ``manifest.is_build_current`` tells whether a build
is up to date without running it. ``derived`` and ``web_layers`` are the build's last stages:
they combine what the sources produced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.build.manifest import is_build_current
    from pipelines.build.orchestrate import run_build

__all__ = ["is_build_current", "run_build"]


def __getattr__(name: str) -> Any:
    """Import lazily: ``is_build_current`` must stay cheap (no geopandas) for the app's staleness check."""
    if name == "run_build":
        from pipelines.build.orchestrate import run_build
        return run_build
    if name == "is_build_current":
        from pipelines.build.manifest import is_build_current
        return is_build_current
    raise AttributeError(name)
