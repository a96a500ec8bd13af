"""Planners' project lists: the one public face of reading, validating, joining and exporting them.

Everything outside this package (the build's stage order, the dashboard, the CLI) imports from
here, never from the parts: ``schema`` (schema.toml, findings), ``read`` (files -> text table),
``values`` (single cells), ``validate`` (row rules), ``report`` (the outcome: lines, summary,
exit code), ``join`` (areas, indicators, collaboration), ``stage`` (the build's project stage
and the table shape shared with the app), ``api`` (folder loader, safe CSV export) and the
bounded parsing of untrusted files: ``limits`` (caps counted while reading), ``xlsx_stream``
(one-pass XLSX sheet) and ``sandbox`` (``parse_isolated``, ``check_isolated``: a child process with limits). The
``validate-projects`` command is a line in :mod:`pipelines.builder.cli`.
"""

from __future__ import annotations

from pipelines.projects.api import PROJECT_SUFFIXES, load_project_folder, to_safe_csv
from pipelines.projects.join import collaboration, department_list, join_projects, place_projects
from pipelines.projects.raw_table import RawTable
from pipelines.projects.read import parse_projects, read_projects
from pipelines.projects.report import PROJECT_COLUMNS, ValidationReport, require_usable
from pipelines.projects.sandbox import check_isolated, parse_isolated
from pipelines.projects.schema import Problem, ProjectFileError, ProjectSchema, load_project_schema
from pipelines.projects.stage import placed_projects, project_catalog, project_table_columns, shape_projects
from pipelines.projects.stage import stage as project_stage
from pipelines.projects.validate import validate_projects
from pipelines.projects.values import is_formula_like

__all__ = [
    "PROJECT_COLUMNS", "PROJECT_SUFFIXES", "Problem", "ProjectFileError", "ProjectSchema", "RawTable",
    "ValidationReport", "check_isolated", "collaboration", "department_list", "is_formula_like",
    "join_projects", "load_project_folder", "load_project_schema", "parse_isolated", "parse_projects", "place_projects",
    "placed_projects", "project_catalog",
    "project_stage", "project_table_columns", "read_projects", "require_usable", "shape_projects", "to_safe_csv",
    "validate_projects",
]
