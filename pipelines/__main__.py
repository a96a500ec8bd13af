"""``python -m pipelines …`` runs the command line (see :mod:`pipelines.build.cli`)."""

import sys

from pipelines.build.cli import main

sys.exit(main())
