"""The house's layering, checked from the code's own imports (AST, nothing is run).

The dashboard reaches the pipeline only through its public faces: the ground floor modules
(``config``, ``errors``, ``io``, ``registry``, ...) and the two package faces ``pipelines.builder``
and ``pipelines.projects``; never a part inside a subpackage, never the source readers. And the
pipeline never imports the dashboard (presentation stays out of ``pipelines/``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = {"builder", "projects", "sources"}
FACES = {"pipelines.builder", "pipelines.projects"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
    return out


def _dashboard_files() -> list[Path]:
    return [*sorted((ROOT / "dashboard").rglob("*.py")), ROOT / "streamlit_app.py"]


def _inside_a_subpackage(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "pipelines" and len(parts) >= 2 and parts[1] in SUBPACKAGES and module not in FACES


@pytest.mark.parametrize("path", _dashboard_files(), ids=lambda p: p.name)
def test_dashboard_uses_only_the_public_faces_of_pipelines(path: Path) -> None:
    wrong = [f"{path.name}:{line} imports {mod}" for line, mod in _imports(path) if _inside_a_subpackage(mod)]
    assert not wrong, "import from the face instead (pipelines.builder / pipelines.projects): " + "; ".join(wrong)


def test_pipelines_never_import_the_dashboard() -> None:
    wrong = [f"{p.relative_to(ROOT)}:{line}" for p in sorted((ROOT / "pipelines").rglob("*.py"))
             for line, mod in _imports(p) if mod.split(".")[0] in ("dashboard", "streamlit")]
    assert not wrong, wrong


def test_the_check_sees_a_part_import() -> None:
    """The rule itself: a part inside a subpackage is caught, a face and the ground floor are not."""
    assert _inside_a_subpackage("pipelines.builder.cli")
    assert _inside_a_subpackage("pipelines.sources.mss")
    assert not _inside_a_subpackage("pipelines.projects")
    assert not _inside_a_subpackage("pipelines.config")
