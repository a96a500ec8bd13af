"""Strict registries (issue 12): an unknown key is an error naming the file, the line and the nearest known key.

TOML readers ignore keys nobody asks for, so ``polarty = "higher_is_worse"`` in
``indicators.toml`` silently left the indicator with its default polarity. Every registry a
planner edits is checked here against the keys the pipeline and the app read:

``sources.toml``, ``indicators.toml``, ``action_areas.toml``, ``stories.toml`` and
``projects/schema.toml``. Tables whose keys are data (messages, vocabularies, colours per
theme ...) are left open. Source file paths must stay inside the geodata folder.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.errors import RegistryError

ANY = None  # a table whose keys are data, not schema
_CITY_MAPPING = frozenset({"from", "source_kind", "numerator", "denominator", "column", "weight", "locations_layer",
                           "per", "scale", "categories", "numerator_indicator", "per_km2", "in_classes",
                           "sum_of_numerators", "period_kind"})
_CATALOG_ENTRY = frozenset({"label_de", "label_en", "unit", "unit_en", "definition_de", "definition_en", "scale",
                            "topic", "polarity", "aggregation", "comparability_note_de", "comparability_note_en"})

# registry file (relative to geodata) -> table path -> allowed keys (ANY: open). "[]" marks array-of-tables items.
KNOWN_KEYS: dict[str, dict[str, frozenset[str] | None]] = {
    "sources.toml": {
        "": frozenset({"source"}),
        "source": frozenset({"id", "kind", "city", "title", "publisher", "licence", "attribution", "url",
                             "reference_date", "reference_date_assumed", "files", "edition", "layer", "topic",
                             "note"}),
        "source.files": frozenset({"path", "sha256", "download_url"}),
    },
    "indicators.toml": {
        "": frozenset({"settings", "indicator_set", "indicator"}),
        "settings": frozenset({"munich_city_values"}),
        "indicator_set": frozenset({"source_kind", "topic", "id_prefix"}),
        "indicator": frozenset({"id", "group", "topic", "label_de", "label_en", "unit", "unit_en", "definition_de",
                                "definition_en", "polarity", "aggregation", "scale", "comparability_note_de",
                                "comparability_note_en", "munich", "berlin"}),
        "indicator.munich": _CITY_MAPPING,
        "indicator.berlin": _CITY_MAPPING,
    },
    "action_areas.toml": {
        "": frozenset({"action_area"}),
        "action_area": frozenset({"id", "number", "name", "short_name", "status", "status_en", "exact",
                                  "member_level", "members", "source_quote", "source_url", "note_de", "note_en",
                                  "perimeter", "perimeter_note_de", "perimeter_note_en"}),
    },
    "stories.toml": {
        "": frozenset({"story"}),
        "story": frozenset({"title_de", "title_en", "text_de", "text_en", "query"}),
    },
    "projects/schema.toml": {
        "": frozenset({"limits", "column", "vocabulary", "city_bounds", "city_names", "messages", "catalog",
                       "labels_en", "theme_colors"}),
        "limits": ANY,  # checked with its own nearest-key message (pipelines.projects.limits)
        "column": frozenset({"name", "type", "required", "aliases", "vocabulary"}),
        "vocabulary": ANY, "vocabulary.*": ANY, "city_bounds": ANY, "city_names": ANY, "messages": ANY,
        "labels_en": ANY, "labels_en.*": ANY, "theme_colors": ANY,
        "catalog": ANY,  # shared fields plus one table per project indicator
        "catalog.*": _CATALOG_ENTRY,
    },
}


def check_registry(path: Path, data: Mapping[str, Any], registry: str) -> None:
    """Raise :class:`RegistryError` for the first unknown key of ``data`` (parsed ``path``) as ``registry``."""
    spec = KNOWN_KEYS[registry]
    text: str | None = None
    for table, key in _walk(data, "", spec):
        if text is None:
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
        allowed = _allowed(spec, table) or frozenset()
        near = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
        line = _line_of(text, table, key)
        where = f"line {line}" if line else (f"[{table}]" if table else "top level")
        fix = (f"did you mean '{near[0]}'?" if near else
               f"known keys{f' in [{table}]' if table else ''}: {', '.join(sorted(allowed))}")
        raise RegistryError(path, f"unknown key '{key}'" + (f" in [{table}]" if table else ""), where=where, fix=fix)


def check_source_paths(path: Path, files: list[tuple[str, str]]) -> None:
    """Every ``(source id, file path)`` must be a relative path that stays inside the geodata folder."""
    for source_id, rel in files:
        norm = posixpath.normpath(str(rel).replace("\\", "/"))
        if not rel or Path(rel).is_absolute() or norm.startswith("../") or norm == ".." or re.match(r"^[A-Za-z]:", rel):
            raise RegistryError(path, f"file path {rel!r} points outside the geodata folder",
                                where=f"source {source_id}",
                                fix="give a path relative to geodata/, e.g. raw/<city>/<file>")


def _allowed(spec: dict[str, frozenset[str] | None], table: str) -> frozenset[str] | None:
    if table in spec:
        return spec[table]
    parent = table.rsplit(".", 1)[0] if "." in table else ""
    return spec.get(f"{parent}.*" if parent else "*", frozenset())


def _walk(data: Mapping[str, Any], table: str, spec: dict[str, frozenset[str] | None]):
    """Yield ``(table, key)`` for every key not allowed in its table (depth first, in file order)."""
    allowed = _allowed(spec, table)
    if allowed is ANY:
        open_children = any(k.startswith(f"{table}.") for k in spec)
        if not open_children:
            return
    for key, value in data.items():
        if allowed is not ANY and key not in allowed:
            yield table, key
            continue
        child = f"{table}.{key}" if table else key
        items = [value] if isinstance(value, dict) else (
            [v for v in value if isinstance(v, dict)] if isinstance(value, list) else [])
        if items and (child in spec or _allowed(spec, child)):
            for item in items:
                yield from _walk(item, child, spec)


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line of ``key`` inside ``[table]``/``[[table]]`` (first match), or of a top-level key."""
    current = ""
    key_re = re.compile(rf"^\s*(?:\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=")
    header_re = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    for number, line in enumerate(text.splitlines(), start=1):
        header = header_re.match(line)
        if header:
            current = header.group(1).replace('"', "").replace("'", "")
            if table and key and current == f"{table}.{key}":
                return number  # a sub-table [indicator.munch]
            continue
        if key_re.match(line) and _same_table(current, table):
            return number
    return None


def _same_table(current: str, table: str) -> bool:
    if current == table:
        return True
    return table.endswith(".*") and current.startswith(table[:-2] + ".")
