"""One vocabulary: every shared constant is assigned in exactly one module and imported everywhere else.

The scan reads the source (AST) of every module in ``dashboard/`` and ``pipelines/``;
a second assignment of one of these names — even with the same value — is how two
copies start to disagree (the dashboard once had two ``CITIES`` and two ``format_number``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dashboard", "pipelines")

OWNERS: dict[str, str] = {
    # cities, levels, flags, CRS and build outputs: pipelines/config.py
    "CITIES": "pipelines/config.py",
    "CITY_IDS": "pipelines/config.py",
    "CITY_AREA_ID": "",  # the whole city's area_id is config.CITY_IDS
    "COVERAGE_LEVELS": "pipelines/config.py",
    "MAP_LEVELS": "",  # the map levels are config.COVERAGE_LEVELS; no second name
    "FLAGS": "pipelines/config.py",
    "WEB_CRS": "pipelines/config.py",
    "_WGS84": "",
    "AREAS_FILE": "pipelines/config.py",
    "INDICATORS_FILE_OUT": "pipelines/config.py",
    "INDICATOR_TABLE_FILE": "pipelines/config.py",
    "LOCATIONS_FILE": "pipelines/config.py",
    "PROJECTS_FILE": "pipelines/config.py",
    "CATALOG_FILE": "pipelines/config.py",
    "MANIFEST_FILE": "pipelines/config.py",
    "WEB_DIR": "pipelines/config.py",
    # indicator polarity: the registry checks it, the colours use it
    "POLARITIES": "pipelines/registry.py",
    # the dashboard's own vocabulary
    "LANGS": "dashboard/i18n.py",
    "METHODS": "dashboard/classify.py",
    "SCALES": "dashboard/classify.py",
    "SCALE_MODES": "",
    "SCALE_TO_MODE": "",  # scale names are the same in URL, state, colours and legend
    "MIN_K": "dashboard/classify.py",
    "MAX_K": "dashboard/classify.py",
    "K_RANGE": "",
    "LAYERS": "dashboard/state.py",
    "COORD_DECIMALS": "",  # map coordinates are rounded like the web layers: config.WEB_COORD_DECIMALS
    "WEB_COORD_DECIMALS": "pipelines/config.py",
    "FALLBACK_COLOR": "dashboard/projects_view.py",
}
FUNCTION_OWNERS: dict[str, str] = {
    "format_number": "dashboard/i18n.py",  # one number format for tooltips, legends and tables
    "format_value": "dashboard/i18n.py",
    "web_layer_name": "pipelines/config.py",
}


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _assigned(tree: ast.Module) -> set[str]:
    """Names bound at module level by assignment (imports are not definitions)."""
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        for target in targets:
            for n in ast.walk(target):
                if isinstance(n, ast.Name):
                    names.add(n.id)
    return names


def _defined_functions(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def _definitions() -> dict[str, list[str]]:
    """Where each name is defined; the dashboard's own names are looked for in the dashboard only
    (``pipelines`` may use e.g. ``SCALES`` for something else: the number scales of a source)."""
    where: dict[str, list[str]] = {}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT).as_posix()
        for name in (_assigned(tree) & set(OWNERS)) | (_defined_functions(tree) & set(FUNCTION_OWNERS)):
            owner = OWNERS.get(name, FUNCTION_OWNERS.get(name, ""))
            if owner.startswith("dashboard/") and not rel.startswith("dashboard/"):
                continue
            where.setdefault(name, []).append(rel)
    return where


DEFINITIONS = _definitions()


@pytest.mark.parametrize("name", sorted({**OWNERS, **FUNCTION_OWNERS}))
def test_shared_name_is_defined_only_by_its_owner(name: str) -> None:
    owner = OWNERS.get(name, FUNCTION_OWNERS.get(name, ""))
    found = DEFINITIONS.get(name, [])
    allowed = [owner] if owner else []
    assert [f for f in found if f not in allowed] == [], f"{name} is defined outside {owner or 'any module'}"


def test_the_owners_still_define_the_vocabulary() -> None:
    """The scan finds the real definitions (so the test above cannot pass by finding nothing)."""
    for name, owner in {**OWNERS, **FUNCTION_OWNERS}.items():
        if owner and name != "INDICATOR_TABLE_FILE" and name != "INDICATORS_FILE_OUT":
            assert DEFINITIONS.get(name) == [owner], name
    assert {"INDICATOR_TABLE_FILE", "INDICATORS_FILE_OUT"} & set(DEFINITIONS)


def test_no_literal_build_file_names_or_crs_in_the_dashboard() -> None:
    """The dashboard reads the build through config's names (a renamed output then breaks loudly)."""
    literals = ("areas.parquet", "indicators.parquet", "locations.parquet", "projects.parquet", "catalog.json",
                "manifest.json", ".geojson", "EPSG:4326")
    offenders = []
    for path in sorted((ROOT / "dashboard").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and any(lit in node.value for lit in literals) and not _is_docstring_like(node.value):
                offenders.append(f"{path.name}: {node.value!r}")
    assert offenders == []


def _is_docstring_like(text: str) -> bool:
    """Docstrings and messages may name the files; code strings are short and have no spaces."""
    return " " in text.strip()
