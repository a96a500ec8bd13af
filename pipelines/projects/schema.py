"""The project-list schema as data (``geodata/projects/schema.toml``), findings and file-level errors.

Columns, aliases, controlled lists, limits and the German/English messages live in the TOML
file, so a planner adds an alias or a theme without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.errors import InputError
from pipelines.io import read_toml
from pipelines.projects.limits import DEFAULT_MESSAGES, checked_limits
from pipelines.registry import slugify
from pipelines.registry_schema import check_registry


@dataclass(frozen=True)
class ColumnSpec:
    """One schema column: canonical German name, type, required flag, accepted aliases (slugified)."""

    name: str
    type: str
    required: bool
    aliases: tuple[str, ...]
    vocabulary: str = ""


@dataclass(frozen=True)
class ProjectSchema:
    """The project schema as loaded from ``schema.toml``.

    Besides the validation rules it carries the display and catalog texts (``catalog``,
    ``labels_en``, ``theme_colors``), so the build's catalog and the app's legend read the same
    parsed file instead of parsing the TOML again.
    """

    columns: tuple[ColumnSpec, ...]
    vocabularies: dict[str, dict[str, tuple[str, ...]]]
    limits: dict[str, int]
    city_bounds: dict[str, tuple[float, float, float, float]]
    messages: dict[str, tuple[str, str]]
    fixes: dict[str, str] = field(default_factory=dict)
    city_names: dict[str, str] = field(default_factory=dict)
    catalog: dict[str, Any] = field(default_factory=dict)  # [catalog]: texts of the project indicators
    labels_en: dict[str, dict[str, str]] = field(default_factory=dict)  # [labels_en.<vocabulary>]
    theme_colors: dict[str, str] = field(default_factory=dict)  # [theme_colors]: marker colour per theme

    def column(self, name: str) -> ColumnSpec:
        """Spec of a canonical column."""
        return next(c for c in self.columns if c.name == name)

    def message(self, code: str, **params: Any) -> tuple[str, str]:
        """German and English text of a message; user values arrive only as format arguments."""
        return self.texts(code, **params)[:2]

    def texts(self, code: str, **params: Any) -> tuple[str, str, str]:
        """German text, English text and fix of a message: schema.toml's, else the built-in one of a bound.

        A schema.toml written before a bound existed lacks its message; the bound's own text
        (:data:`~pipelines.projects.limits.DEFAULT_MESSAGES`) stands in, its fix too. Unknown codes raise KeyError.
        """
        default = DEFAULT_MESSAGES.get(code)
        de, en = self.messages[code] if code in self.messages or default is None else default[:2]
        fix = self.fixes.get(code, default[2] if default else "")
        return de.format(**params), en.format(**params), fix.format(**params)


class ProjectFileError(InputError):
    """A project file that cannot be used at all; carries the German and English message for the app."""

    def __init__(self, file: str, message_de: str, message_en: str, *, where: str = "", fix: str = "") -> None:
        super().__init__(file, f"{message_de} / {message_en}", where=where, fix=fix)
        self.message_de, self.message_en = message_de, message_en


def fail(name: str, schema: ProjectSchema, code: str, *, where: str = "", **params: Any) -> ProjectFileError:
    """The error for a whole file, with the message (and fix) from schema.toml."""
    de, en, fix = schema.texts(code, **params)
    return ProjectFileError(name, de, en, where=where, fix=fix)


@dataclass(frozen=True)
class Problem:
    """One finding. ``row``: spreadsheet row (header = 1) or feature number; None = the whole file."""

    severity: str  # "error" (row dropped) | "warning" (row kept) | "info"
    code: str
    row: int | None
    column: str
    message_de: str
    message_en: str


def load_project_schema(geodata: Path | None = None) -> ProjectSchema:
    """Read ``<geodata>/projects/schema.toml`` (``None``: the repository's geodata folder).

    Call it once where the geodata folder is known (build stage, CLI, app loader) and pass the
    schema down: the pure functions of this package take it as a required argument.
    """
    path = config.resolve_paths(geodata).project_schema
    raw = read_toml(path)
    check_registry(path, raw, "projects/schema.toml")
    cols = tuple(ColumnSpec(name=c["name"], type=c["type"], required=bool(c.get("required", False)),
                            aliases=tuple(slugify(a) for a in [c["name"], *c.get("aliases", [])]),
                            vocabulary=c.get("vocabulary", ""))
                 for c in raw["column"])
    vocab = {k: {canon: tuple(slugify(a) for a in [canon, *aliases]) for canon, aliases in v.items()}
             for k, v in raw["vocabulary"].items()}
    messages = {k: (v[0], v[1]) for k, v in raw["messages"].items()}
    fixes = {k: v[2] for k, v in raw["messages"].items() if len(v) > 2}
    bounds = {k: (float(v[0]), float(v[1]), float(v[2]), float(v[3])) for k, v in raw["city_bounds"].items()}
    return ProjectSchema(columns=cols, vocabularies=vocab, limits=checked_limits(raw.get("limits"), path),
                         city_bounds=bounds, messages=messages, fixes=fixes, city_names=dict(raw.get("city_names", {})),
                         catalog=dict(raw.get("catalog", {})),
                         labels_en={k: dict(v) for k, v in raw.get("labels_en", {}).items()},
                         theme_colors=dict(raw.get("theme_colors", {})))
