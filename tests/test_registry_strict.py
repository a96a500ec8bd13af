"""Strict registries (issue 12): unknown keys name the file, the line and the nearest known key; paths stay inside.

Every case edits a copy of the bundled registries; the bundled ones must pass unchanged.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from pipelines import config
from pipelines.errors import RegistryError
from pipelines.registry import load_indicator_registry, load_sources
from pipelines.registry_schema import KNOWN_KEYS, check_registry

GEODATA = config.GEODATA_DIR


@pytest.fixture
def registries(tmp_path: Path) -> Path:
    """The bundled registries (no raw data) in a temp geodata folder."""
    for name in ("sources.toml", "indicators.toml", "action_areas.toml", "stories.toml"):
        shutil.copy2(GEODATA / name, tmp_path / name)
    (tmp_path / "projects").mkdir()
    shutil.copy2(GEODATA / "projects" / "schema.toml", tmp_path / "projects" / "schema.toml")
    return tmp_path


def _replace_nth(path: Path, old: str, new: str, n: int = 1) -> int:
    """Replace the ``n``-th occurrence of the line start ``old``; return its (1-based) line number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.startswith(old)]
    i = hits[n - 1]
    lines[i] = new + lines[i][len(old):]
    path.write_text("".join(lines), encoding="utf-8")
    return i + 1


@pytest.mark.parametrize("registry", sorted(KNOWN_KEYS))
def test_bundled_registries_pass(registry: str) -> None:
    path = GEODATA / registry
    with open(path, "rb") as fh:
        check_registry(path, tomllib.load(fh), registry)


def test_misspelt_indicator_key_names_file_line_and_nearest_key(registries: Path) -> None:
    line = _replace_nth(registries / "indicators.toml", "polarity =", "polarty =", 2)
    with pytest.raises(RegistryError) as err:
        load_indicator_registry(registries)
    msg = str(err.value)
    assert "indicators.toml" in msg and f"line {line}" in msg and "'polarty'" in msg and "'polarity'" in msg


def test_misspelt_city_mapping_table_is_found(registries: Path) -> None:
    line = _replace_nth(registries / "indicators.toml", "[indicator.munich]", "[indicator.munch]", 1)
    with pytest.raises(RegistryError, match=rf"line {line}.*did you mean 'munich'"):
        load_indicator_registry(registries)


def test_misspelt_source_key(registries: Path) -> None:
    line = _replace_nth(registries / "sources.toml", "licence =", "licnece =", 1)
    with pytest.raises(RegistryError, match=rf"sources.toml: line {line}: unknown key 'licnece'.*'licence'"):
        load_sources(registries)


@pytest.mark.parametrize("bad", ["/etc/passwd", "../../etc/passwd", "raw/../../secret.csv", "C:/Windows/win.ini"])
def test_source_paths_must_stay_inside_geodata(registries: Path, bad: str) -> None:
    toml = registries / "sources.toml"
    text = toml.read_text(encoding="utf-8")
    first = re.search(r'path = "([^"]+)"', text).group(1)
    toml.write_text(text.replace(f'path = "{first}"', f'path = "{bad}"', 1), encoding="utf-8")
    with pytest.raises(RegistryError, match="outside the geodata folder"):
        load_sources(registries)


def test_misspelt_action_area_key(registries: Path) -> None:
    from pipelines.registry_schema import check_registry

    line = _replace_nth(registries / "action_areas.toml", "members =", "membres =", 1)
    path = registries / "action_areas.toml"
    with pytest.raises(RegistryError, match=rf"line {line}.*'members'"):
        check_registry(path, tomllib.loads(path.read_text(encoding="utf-8")), "action_areas.toml")


def test_action_area_loader_is_strict(registries: Path) -> None:
    from pipelines.sources import action_areas

    _replace_nth(registries / "action_areas.toml", "members =", "membres =", 1)
    with pytest.raises(RegistryError, match="membres"):
        action_areas.load_action_areas(registries, {})


def test_misspelt_story_key(registries: Path) -> None:
    path = registries / "stories.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^title_de =", "titel_de =", text, count=1), encoding="utf-8")
    with pytest.raises(RegistryError, match="'titel_de'.*'title_de'"):
        check_registry(path, tomllib.loads(path.read_text(encoding="utf-8")), "stories.toml")


def test_misspelt_project_schema_keys(registries: Path) -> None:
    from pipelines.projects.schema import load_project_schema

    schema = registries / "projects" / "schema.toml"
    original = schema.read_text(encoding="utf-8")
    schema.write_text(re.sub(r"(?m)^required = true", "requierd = true", original, count=1), encoding="utf-8")
    with pytest.raises(RegistryError, match="schema.toml: line \\d+: unknown key 'requierd'.*'required'"):
        load_project_schema(registries)
    schema.write_text(original.replace("max_rows = ", "max_row = ", 1), encoding="utf-8")
    with pytest.raises(RegistryError, match="max_row.*did you mean 'max_rows'"):
        load_project_schema(registries)
