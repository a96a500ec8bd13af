"""Errors that a person can act on: each names the file, the row/feature and the fix."""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """Base class; the CLI maps it to exit code 1 and prints ``str(err)``."""


class InputError(PipelineError):
    """A bad input file: missing, truncated, wrong CRS, missing column, duplicate IDs ...

    ``where`` is the row, feature or column ("Zeile 14", "feature 3 (PLR_ID 01100101)",
    "column 'sb_nummer'"); ``fix`` tells the analyst what to do.
    """

    def __init__(self, file: Path | str, problem: str, *, where: str = "", fix: str = "") -> None:
        self.file = str(file)
        self.problem = problem
        self.where = where
        self.fix = fix
        parts = [f"{self.file}"]
        if where:
            parts.append(f"{where}")
        msg = ": ".join(parts) + f": {problem}"
        if fix:
            msg += f" -> {fix}"
        super().__init__(msg)


class RegistryError(InputError):
    """A registry (sources/indicators/action_areas TOML) entry is wrong or incomplete."""


class ChecksumError(InputError):
    """A raw file's bytes differ from the sha256 registered in sources.toml."""
