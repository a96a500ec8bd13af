"""Whole project folders and safe exports: the two jobs that combine the package's parts.

:func:`load_project_folder` reads, validates and joins every list in ``geodata/projects/`` (the
build's project stage calls it); :func:`to_safe_csv` writes a table Excel cannot run formulas
from. The ``validate-projects`` command lives in :mod:`pipelines.builder.cli`. The schema is data:
``geodata/projects/schema.toml``; the user documentation: ``geodata/projects/README.md``.
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipelines import config
from pipelines.errors import InputError
from pipelines.io import list_files
from pipelines.projects.join import join_projects
from pipelines.projects.read import read_projects
from pipelines.projects.report import PROJECT_COLUMNS, ValidationReport, require_usable
from pipelines.projects.schema import Problem, ProjectSchema
from pipelines.projects.validate import validate_projects
from pipelines.projects.values import is_formula_like

__all__ = ["PROJECT_SUFFIXES", "load_project_folder", "to_safe_csv"]

PROJECT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".geojson", ".json")


def load_project_folder(geodata: Path | None, areas: gpd.GeoDataFrame, schema: ProjectSchema, *,
                        period: str | None = None,
                        strict: bool = True) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[ValidationReport]]:
    """Read, validate and join every project file in ``<geodata>/projects/`` (the build's stage).

    Header-only files (``vorlage.csv``, ``vorlage.xlsx``) are templates: reported as such and
    skipped without error. ``strict``: an unreadable file or one without any valid row raises
    :class:`InputError`; otherwise it is skipped and its report kept. The same ``id`` in two files
    of one city: the later row is dropped (error in that file's report).
    """
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
