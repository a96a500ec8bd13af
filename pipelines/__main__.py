"""``python -m pipelines …`` runs the command line (see :mod:`pipelines.builder.cli`)."""

import sys

from pipelines.builder.cli import main

sys.exit(main())
