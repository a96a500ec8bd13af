"""The exports' error, in a module of its own: raising it needs none of the page code.

:mod:`dashboard.export_data` (the :class:`~dashboard.export_data.ExportData` protocol, which
extends the page's ``BuildData``) re-exports it. A single profile PDF draws without importing
``dashboard.page`` and its comparison and label-layout modules (~15 ms of a cold profile).
"""

from __future__ import annotations

from pipelines.errors import PipelineError


class ExportError(PipelineError):
    """Bad input for an export (unknown indicator, area, extension, unwritable path): exit code 1."""
