"""The ``raumatlas`` console script: the pipeline's commands plus the exports for reports and talks.

``pipelines/`` stays free of presentation code, so the pipeline's own command table
(:data:`pipelines.builder.cli.COMMANDS`: build, check, fetch, validate-projects) is
extended here with the commands that draw: ``export-view`` and ``profile``
(:mod:`dashboard.export_commands`) and ``deck`` (:mod:`dashboard.deck_commands`).
``python -m pipelines ...`` keeps offering the pipeline commands alone.
"""

from __future__ import annotations

import gc
import sys

from dashboard.deck_commands import DECK_COMMANDS
from dashboard.export_commands import EXPORT_COMMANDS
from pipelines.builder import COMMANDS as PIPELINE_COMMANDS
from pipelines.builder import Command
from pipelines.builder import cli_main as pipeline_main

ALL_COMMANDS: dict[str, Command] = {**PIPELINE_COMMANDS, **EXPORT_COMMANDS, **DECK_COMMANDS}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``raumatlas``; exit codes as the pipeline's (0 ok, 1 input problem, 2 usage).

    Run from the command line (``argv`` None), the process ends with the command: its objects
    are frozen so that the interpreter's exit does not walk them all in its garbage collections
    (~150,000 objects of pandas, matplotlib and the drawn pages; 0.1-0.2 s of a one-second
    export) only to free memory that the operating system takes back anyway. Every file was
    closed by then. Called with ``argv`` (tests, scripts), the caller's process goes on: nothing is frozen.
    """
    code = pipeline_main(argv, ALL_COMMANDS, "Raumatlas: data pipeline and exports for reports and talks")
    if argv is None:
        gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(main())
