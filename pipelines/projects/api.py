"""Planners' project lists: read, validate, join to areas, export safely, and the ``validate-projects`` command.

The work is split by job: :mod:`pipelines.projects_schema` (schema.toml, findings),
:mod:`pipelines.projects_read` (files -> text table),
:mod:`pipelines.projects_values` (single cells), :mod:`pipelines.projects_validate`
(row rules -> report) and :mod:`pipelines.projects_join` (areas, indicators,
collaboration). This module is the public face: it re-exports them and adds the folder
loader for the build, the safe CSV export and the CLI command. The schema is data:
``geodata/projects/schema.toml``; the user documentation: ``geodata/projects/README.md``.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import config
from pipelines.errors import InputError
from pipelines.io import list_files, read_geoparquet
from pipelines.projects.join import collaboration, department_list, join_projects
from pipelines.projects.read import RawTable, parse_projects, read_projects
from pipelines.projects.schema import Problem, ProjectFileError, ProjectSchema, load_project_schema
from pipelines.projects.validate import PROJECT_COLUMNS, ValidationReport, require_usable, validate_projects
from pipelines.projects.values import is_formula_like

__all__ = [
    "PROJECT_COLUMNS", "PROJECT_SUFFIXES", "Problem", "ProjectFileError", "ProjectSchema", "RawTable",
    "ValidationReport", "add_validate_projects_parser", "collaboration", "configure_validate_projects",
    "department_list", "join_projects", "load_project_folder", "load_project_schema", "parse_projects",
    "read_projects", "require_usable", "to_safe_csv", "validate_projects", "validate_projects_command",
]

PROJECT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".geojson", ".json")


def load_project_folder(geodata: Path | None, areas: gpd.GeoDataFrame, *, period: str | None = None,
                        strict: bool = True) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[ValidationReport]]:
    """Read, validate and join every project file in ``<geodata>/projects/`` (the build's stage).

    Header-only files (``vorlage.csv``, ``vorlage.xlsx``) are templates: reported as such and
    skipped without error. ``strict``: an unreadable file or one without any valid row raises
    :class:`InputError`; otherwise it is skipped and its report kept. The same ``id`` in two files
    of one city: the later row is dropped (error in that file's report).
    """
    schema = load_project_schema(geodata)
    folder = config.resolve_paths(geodata).projects
    reports: list[ValidationReport] = []
    for path in (p for p in list_files(folder) if p.suffix.lower() in PROJECT_SUFFIXES):
        try:
            report = validate_projects(read_projects(path, schema), areas, schema=schema)
        except InputError as err:
            if strict:
                raise
            report = ValidationReport(path.name, pd.DataFrame(columns=list(PROJECT_COLUMNS)),
                                      [Problem("error", "unreadable", None, "", str(err), str(err))], 0)
        if strict:
            require_usable(report)
        reports.append(report)
    _drop_cross_file_duplicates(reports)
    frames = [r.projects for r in reports if r.n_valid]
    projects = (pd.concat(frames, ignore_index=True) if frames
                else pd.DataFrame({c: pd.Series(dtype=float if c in ("lat", "lon", "budget_eur") else object)
                                   for c in PROJECT_COLUMNS}))
    gdf, indicators = join_projects(projects, areas, period=period, schema=schema)
    return gdf, indicators, reports


def _drop_cross_file_duplicates(reports: list[ValidationReport]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for r in reports:
        keys = list(zip(r.projects["stadt"], r.projects["id"], strict=True))
        dup = np.array([k in seen for k in keys], dtype=bool)
        for k, row in zip(np.array(keys, dtype=object)[dup], r.projects.loc[dup, "row"], strict=True):
            text = f"ID '{k[1]}' schon in {seen[tuple(k)]} / ID '{k[1]}' already in {seen[tuple(k)]}"
            r.problems.append(Problem("error", "duplicate_id_other_file", int(row), "id", text, text))
        seen.update({k: r.source for k in keys if k not in seen})
        r.projects = r.projects.loc[~dup].reset_index(drop=True)


def to_safe_csv(df: pd.DataFrame) -> bytes:
    """CSV for German Excel (UTF-8 with BOM, ``;``, decimal comma) that cannot run formulas.

    Rule: every cell of a text column (and every header) that starts with ``=``, ``+``, ``-``,
    ``@``, tab or CR gets a leading ``'`` so Excel shows it as text; numeric columns (int,
    float, bool dtypes) are written as numbers, so a real negative number stays a number
    (-3,5). Lists become "a; b". A geometry column is dropped (lat/lon carry the position).
    """
    geometry = [df.geometry.name] if isinstance(df, gpd.GeoDataFrame) else []
    out = pd.DataFrame(df).drop(columns=geometry)
    for col in out.columns:
        if pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            continue
        out[col] = [_safe_cell(v) for v in out[col]]
    out.columns = [_safe_cell(str(c)) for c in out.columns]
    buf = io.StringIO()
    out.to_csv(buf, sep=";", decimal=",", index=False, lineterminator="\r\n")
    return buf.getvalue().encode("utf-8-sig")


def _safe_cell(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        value = "; ".join(str(v) for v in value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    return "'" + text if is_formula_like(text) else text


# ------------------------------------------------------------------------- CLI

def configure_validate_projects(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``validate-projects`` (for the COMMANDS registry of :mod:`pipelines.cli`)."""
    parser.add_argument("file", type=Path, help="project list: .csv, .xlsx or .geojson")
    parser.add_argument("--geodata", type=Path, default=None,
                        help="geodata folder (areas from GEODATA/processed/areas.parquet if built)")
    parser.add_argument("--lang", choices=("de", "en"), default="de", help="language of the report")
    parser.set_defaults(func=validate_projects_command)


def add_validate_projects_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``validate-projects`` to an argparse subparsers object."""
    p = subparsers.add_parser("validate-projects", help="check a project list row by row (exit 0 ok, 1 problems)")
    configure_validate_projects(p)
    return p


def validate_projects_command(args: argparse.Namespace) -> int:
    """Print the row-level report; exit 0 all rows valid, 1 input problems (rows dropped, file unusable).

    Exit code 2 is left to argparse: a usage error (missing file argument, unknown option).
    """
    lang = getattr(args, "lang", "de")
    paths = config.resolve_paths(args.geodata)
    try:
        schema = load_project_schema(paths.geodata if (paths.projects / "schema.toml").exists() else None)
        areas_file = paths.out / "areas.parquet"
        areas = read_geoparquet(areas_file) if areas_file.exists() else None
        report = validate_projects(read_projects(args.file, schema), areas, schema=schema)
    except ProjectFileError as err:
        print(f"{'FEHLER' if lang == 'de' else 'ERROR'}: {err.file}: "
              f"{err.message_de if lang == 'de' else err.message_en}" + (f" -> {err.fix}" if err.fix else ""))
        return 1
    except InputError as err:
        print(f"{'FEHLER' if lang == 'de' else 'ERROR'}: {err}")
        return 1
    for line in report.lines(lang):
        print(line)
    print(report.summary(lang))
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.projects validate-projects FILE`` (same as ``python -m pipelines ...``)."""
    parser = argparse.ArgumentParser(prog="pipelines.projects")
    add_validate_projects_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
