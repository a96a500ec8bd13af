"""``python -m pipelines …`` runs the command line (see :mod:`pipelines.cli`)."""

import sys

from pipelines.cli import main

sys.exit(main())
