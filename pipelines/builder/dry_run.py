"""``check`` runs every check ``build`` runs (issue 12): the whole build into a folder that is then deleted.

``check_inputs`` (registries, checksums, readability) passed files that the build then
rejected: a missing column, an unknown ``from``, a schema error in a project list. Running
the real stages is the only way not to drift apart from the build. Nothing is written to the
geodata folder: the output and the stage cache go to a temporary folder.
"""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

from pipelines import config
from pipelines.builder.orchestrate import BuildResult, run_build
from pipelines.errors import RegistryError
from pipelines.registry_schema import check_registry


def dry_build(geodata: Path) -> BuildResult:
    """Run every build stage and validation on ``geodata`` into a temporary folder; raise what the build raises."""
    check_stories(geodata)
    with tempfile.TemporaryDirectory(prefix="raumatlas-check-") as tmp:
        previous = config.CACHE_DIRNAME
        config.CACHE_DIRNAME = str(Path(tmp) / "cache")  # Paths.cache = geodata / CACHE_DIRNAME: absolute wins
        try:
            return run_build(geodata, Path(tmp) / "out", force=True)
        finally:
            config.CACHE_DIRNAME = previous


def check_stories(geodata: Path) -> None:
    """``stories.toml`` (read only by the app, which shows the maps without it when it is broken) checked strictly."""
    path = geodata / config.STORIES_FILE
    if not path.is_file():
        return
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise RegistryError(path, f"not valid TOML ({err})", fix="fix the syntax at the line named") from None
    check_registry(path, data, "stories.toml")
