"""Raumatlas data pipeline: official boundaries + indicators + locations -> one versioned build.

Nothing in this package imports streamlit. Stages are pure functions
(DataFrame/GeoDataFrame in -> out); only :mod:`pipelines.io` touches the disk and
only :mod:`pipelines.config` knows paths.
"""

__version__ = "0.1.0"
