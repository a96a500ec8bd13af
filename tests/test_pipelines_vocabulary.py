"""One vocabulary in pipelines/: shared constants are defined once and imported everywhere else.

Reads the source text of every module, so a copy pasted back in (a private ``_WGS84``, an output
file name spelled out, a second ``POLARITIES``) fails here instead of drifting apart later.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipelines import config, registry

PIPELINES = Path(config.ROOT) / "pipelines"
MODULES = sorted(PIPELINES.rglob("*.py"))

# literal -> the only modules allowed to spell it (relative to pipelines/)
OWNED_LITERALS: dict[str, tuple[str, ...]] = {
    config.WEB_CRS: ("config.py",),
    config.CITY_CRS["munich"]: ("config.py",),
    config.CITY_CRS["berlin"]: ("config.py",),
    config.AREAS_FILE: ("config.py",),
    config.INDICATORS_FILE_OUT: ("config.py",),
    config.LOCATIONS_FILE: ("config.py",),
    config.PROJECTS_FILE: ("config.py",),
    config.CATALOG_FILE: ("config.py",),
    config.MANIFEST_FILE: ("config.py",),
    config.PROJECT_SCHEMA_FILE: ("config.py",),
}
# constant name -> the module that defines it
OWNED_NAMES: dict[str, str] = {
    "POLARITIES": "registry.py", "AGGREGATIONS": "registry.py", "WEB_CRS": "config.py", "CITY_CRS": "config.py",
    "CITIES": "config.py", "CITY_IDS": "config.py", "CITY_CHOICES": "config.py", "FLAGS": "config.py",
    "LEVELS": "config.py", "COVERAGE_LEVELS": "config.py", "MAX_BASISWERTE": "sources/indikatorenatlas/formula.py",
    "EXPECTATIONS": "sources/expectations.py", "MANIFEST_FILE": "config.py", "PROJECTS_FILE": "config.py",
}


def _string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    """String literals that are code, not docstrings or f-string fragments in messages."""
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


@pytest.mark.parametrize("literal", list(OWNED_LITERALS))
def test_shared_literal_is_spelled_only_by_its_owner(literal: str) -> None:
    found = [f"{p.relative_to(PIPELINES)}:{line}" for p in MODULES
             for line, text in _string_constants(ast.parse(p.read_text(encoding="utf-8")))
             if text == literal and p.relative_to(PIPELINES).as_posix() not in OWNED_LITERALS[literal]]
    assert found == [], f"{literal!r} spelled outside {OWNED_LITERALS[literal]}: import it instead"


def _assigned_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        for t in targets:
            names |= {e.id for e in ast.walk(t) if isinstance(e, ast.Name)}
    return names


@pytest.mark.parametrize("name", list(OWNED_NAMES))
def test_shared_constant_is_defined_once(name: str) -> None:
    defined = [p.relative_to(PIPELINES).as_posix() for p in MODULES
               if name in _assigned_names(ast.parse(p.read_text(encoding="utf-8")))]
    assert defined == [OWNED_NAMES[name]]


def test_no_private_copy_of_the_web_crs() -> None:
    pattern = re.compile(r"^_?WGS84\s*=", re.MULTILINE)
    assert [p.name for p in MODULES if pattern.search(p.read_text(encoding="utf-8"))] == []


def test_polarities_owner_is_the_registry() -> None:
    assert registry.POLARITIES == ("higher_is_worse", "higher_is_better", "neutral")
