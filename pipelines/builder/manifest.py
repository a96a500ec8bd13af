"""The build manifest: what went in, what came out, how long it took, what was found.

``manifest.json`` makes a build reproducible and auditable: the sha256 of every
input and output, the pipeline code version, the library versions, the time per
stage and every validation finding. Its ``input_version`` (a hash of all inputs
and the code) also decides whether a rebuild is needed at all.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.errors import PipelineError
from pipelines.io import list_files, read_json, read_toml, sha256_file
from pipelines.registry import load_sources, verify_checksums

MANIFEST_SCHEMA = 1
LIBRARIES = ("geopandas", "shapely", "pandas", "pyarrow", "pyogrio", "folium", "streamlit")
PIPELINE_DIR = Path(__file__).resolve().parents[1]


def code_version() -> str:
    """sha256 over the pipeline's own ``*.py`` sources (a code change invalidates the build)."""
    h = hashlib.sha256()
    for p in sorted(PIPELINE_DIR.rglob("*.py")):
        h.update(p.relative_to(PIPELINE_DIR).as_posix().encode())
        h.update(b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


def registry_hashes(geodata: Path) -> list[dict[str, str]]:
    """sha256 of every registry a stage reads (not the app's own stories.toml).

    ``translations.toml`` counts only by its ``[glossary]`` table (English indicator
    labels made by the pipeline): editing a UI label must not make the build stale.
    """
    out = []
    for name in config.PIPELINE_REGISTRIES:
        p = geodata / name
        if not p.exists():
            continue
        if name == config.TRANSLATIONS_FILE:
            glossary = read_toml(p).get("glossary", {})
            digest = hashlib.sha256(json.dumps(glossary, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
            out.append({"path": f"{name}[glossary]", "sha256": digest})
        else:
            out.append({"path": name, "sha256": sha256_file(p)})
    return out


def project_hashes(geodata: Path) -> list[dict[str, str]]:
    """sha256 of every file in ``geodata/projects/`` (lists, templates, schema.toml; not the ``*.md`` docs).

    Planners' project lists are build inputs without a sources.toml entry: adding, editing or
    removing one must make the build stale.
    """
    folder = config.resolve_paths(geodata).projects
    return [{"path": f"{config.PROJECTS_DIRNAME}/{p.name}", "sha256": sha256_file(p)}
            for p in list_files(folder) if p.suffix.lower() != ".md"]


def input_state(geodata: Path) -> dict[str, Any]:
    """Hash everything a build depends on, without parsing any data file.

    Verifies every registered sha256 (a mismatch raises
    :class:`~pipelines.errors.ChecksumError`), hashes the registries and the code,
    hashes the project lists (:func:`project_hashes`) and folds them into one ``input_version``.
    """
    sources = load_sources(geodata)
    inputs = verify_checksums(sources, geodata)
    registries = registry_hashes(geodata)
    projects = project_hashes(geodata)
    code = code_version()
    blob = json.dumps({"inputs": inputs, "registries": registries, "code": code, "projects": projects},
                      sort_keys=True)
    return {
        "input_version": hashlib.sha256(blob.encode()).hexdigest(),
        "inputs": inputs,
        "registries": registries,
        "projects": projects,
        "code_version": code,
        "sources": sources,
    }


def library_versions() -> dict[str, str]:
    """Versions of python and the libraries that shape the outputs (no imports needed)."""
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def output_entry(out_dir: Path, path: Path, rows: int | None = None) -> dict[str, Any]:
    """One output row of the manifest: relative path, sha256, bytes and (for tables) rows."""
    entry: dict[str, Any] = {"path": path.relative_to(out_dir).as_posix(), "sha256": sha256_file(path),
                             "bytes": path.stat().st_size}
    if rows is not None:
        entry["rows"] = int(rows)
    return entry


def make_manifest(
    *,
    state: dict[str, Any],
    city_versions: dict[str, str],
    city_built: str,
    outputs: list[dict[str, Any]],
    stage_seconds: dict[str, float],
    findings: list[dict[str, Any]],
    notes: dict[str, Any],
    counts: dict[str, Any],
    web_layers: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the manifest dict (JSON-ready).

    ``build_version`` hashes the input version per city plus the outputs, so two
    builds with equal inputs and code get the same version (the dashboard keys its
    caches on it).
    """
    build_blob = json.dumps({"cities": city_versions, "outputs": [o["sha256"] for o in outputs]}, sort_keys=True)
    return {
        "schema": MANIFEST_SCHEMA,
        "build_version": hashlib.sha256(build_blob.encode()).hexdigest()[:16],
        "input_version": state["input_version"],
        "city_versions": city_versions,
        "city_built": city_built,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": state["code_version"],
        "inputs": state["inputs"],
        "registries": state["registries"],
        "project_files": state.get("projects", []),
        "outputs": outputs,
        "stage_seconds": {k: round(v, 3) for k, v in stage_seconds.items()},
        "findings": findings,
        "findings_by_severity": _count_by(findings, "severity"),
        "notes": notes,
        "libraries": library_versions(),
        "counts": counts,
        "web_layers": web_layers,
    }


def _count_by(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[str(r.get(key, ""))] = out.get(str(r.get(key, "")), 0) + 1
    return out


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The previous build's manifest, or None if there is none (or it is unreadable)."""
    path = out / config.MANIFEST_FILE
    if not path.exists():
        return None
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def outputs_present(out: Path, manifest: dict[str, Any]) -> bool:
    """Every output the manifest lists still exists with its recorded size (cheap: no hashing)."""
    for o in manifest.get("outputs", []):
        p = out / o["path"]
        if not p.exists() or p.stat().st_size != o.get("bytes", -1):
            return False
    return bool(manifest.get("outputs"))


def is_current(manifest: dict[str, Any] | None, out: Path, input_version: str, cities: tuple[str, ...]) -> bool:
    """True if ``manifest`` was built from ``input_version`` for every city in ``cities``."""
    if not manifest or manifest.get("schema") != MANIFEST_SCHEMA:
        return False
    versions = manifest.get("city_versions", {})
    if any(versions.get(c) != input_version for c in cities):
        return False
    return outputs_present(out, manifest)


def build_status(geodata: Path | str | None, out: Path | str | None,
                 city: str = "all") -> tuple[config.Paths, dict[str, Any], dict[str, Any] | None, bool]:
    """(paths, :func:`input_state`, previous manifest, whether it is current for ``city``).

    Hashes only (no data file parsed, no pandas/geopandas imported), so a no-op build stays cheap.
    """
    paths = config.resolve_paths(geodata, out)
    state = input_state(paths.geodata)  # verifies every sha256
    previous = read_manifest(paths.out)
    cities = config.CITIES if city == "all" else (city,)
    return paths, state, previous, is_current(previous, paths.out, state["input_version"], cities)


def is_build_current(geodata: Path | str | None = None, out: Path | str | None = None) -> bool:
    """For the dashboard: is there a build, and was it made from the current inputs and code?

    Returns False when the build is missing, incomplete, older than the inputs, or
    when an input no longer matches its registered checksum.
    """
    paths = config.resolve_paths(geodata, out)
    manifest = read_manifest(paths.out)
    if manifest is None:
        return False
    try:
        state = input_state(paths.geodata)
    except PipelineError:
        return False
    return is_current(manifest, paths.out, state["input_version"], config.CITIES)
