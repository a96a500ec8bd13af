"""What the exports read of a build, and their error.

There is one plain reader of a build folder, :class:`dashboard.build_files.BuildFolder`
(``raumatlas deck`` and ``profile --all`` open it with :func:`dashboard.deck_data.read_build`; a single
``export-view``/``profile`` with :func:`dashboard.export_build.read_one_export`, a subclass that reads
only the rows it draws), and one cached reader in the app,
:class:`dashboard.loaders.BuildReader`. Both are the page context's
:class:`dashboard.page.BuildData` plus the three things a file needs beyond the page:
the manifest (build date and version), the sources (attribution) and one area's rows
(the profile). :class:`ExportData` names that interface; the drawing code does not know
which reader it got.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

from dashboard.export_errors import ExportError
from dashboard.page import BuildData
from dashboard.projects_view import ProjectDisplay

__all__ = ["ExportData", "ExportError"]


class ExportData(BuildData, Protocol):
    """A build as the exports read it: the page's data plus manifest, sources and one area's rows."""

    @property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json`` (``build_version``, ``created``)."""

    def sources(self) -> list[dict[str, Any]]:
        """Every registered source (publisher, licence, attribution, reference dates)."""

    def area_and_city_rows(self, city: str, level: str, area_id: str) -> pd.DataFrame:
        """Every indicator row of one area plus the city rows."""

    def project_display(self) -> ProjectDisplay:
        """Theme colours and English labels of the project lists (``projects/schema.toml`` of the build's geodata)."""
