"""Typed views of the registries in ``geodata/`` (sources, indicators, action areas).

The registries are data a planner can edit; this module only reads and checks
them, so that adding a dataset or indicator means adding an entry, not code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.errors import ChecksumError, RegistryError
from pipelines.io import read_toml, sha256_file
from pipelines.registry_schema import check_registry, check_source_paths

SOURCE_REQUIRED = ("id", "kind", "city", "title", "publisher", "licence", "attribution", "url",
                   "reference_date", "files")
INDICATOR_REQUIRED = ("id", "group", "label_de", "label_en", "unit", "definition_de", "polarity",
                      "aggregation")
POLARITIES: tuple[str, ...] = ("higher_is_worse", "higher_is_better", "neutral")
AGGREGATIONS: tuple[str, ...] = ("sum", "ratio", "none")


@dataclass(frozen=True)
class SourceFile:
    """One registered file (path relative to the geodata folder) and its checksum."""

    path: str
    sha256: str
    download_url: str = ""  # optional: where `python -m pipelines fetch` gets the latest edition


@dataclass(frozen=True)
class Source:
    """One dataset: where it comes from, its licence, and the local copy."""

    id: str
    kind: str
    city: str
    title: str
    publisher: str
    licence: str
    attribution: str
    url: str
    reference_date: str
    files: tuple[SourceFile, ...]
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def reference_date_assumed(self) -> bool:
        """True where the file names no reference date and ``reference_date`` is an assumption."""
        return self.extra.get("reference_date_assumed", "").lower() == "true"

    def path(self, geodata: Path, index: int = 0) -> Path:
        """Absolute path of the ``index``-th file (0 = the main file)."""
        return geodata / self.files[index].path


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """ASCII snake_case id part: 'Arbeitslose - Anteil' -> 'arbeitslose_anteil', ä -> ae.

    ASCII text skips the umlaut and Unicode steps (they change nothing there): an upload's
    validator slugs every cell of its vocabulary columns.
    """
    t = text.lower()
    if not t.isascii():
        for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
            t = t.replace(a, b)
        t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("_", t).strip("_")


def load_sources(geodata: Path) -> list[Source]:
    """Read ``sources.toml``; every entry must be complete and its id unique."""
    path = geodata / config.SOURCES_FILE
    data = read_toml(path)
    check_registry(path, data, "sources.toml")  # unknown keys, with line and nearest known key
    check_source_paths(path, [(str(s.get("id", "?")), str(f.get("path", "")))
                              for s in data.get("source", []) for f in s.get("files", []) if isinstance(f, dict)])
    out: list[Source] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("source", []), start=1):
        missing = [k for k in SOURCE_REQUIRED if not raw.get(k)]
        if missing:
            raise RegistryError(path, f"missing {missing}", where=f"[[source]] #{i} ({raw.get('id', '?')})",
                                fix="complete the entry (see the other entries)")
        if raw["id"] in seen:
            raise RegistryError(path, f"duplicate source id {raw['id']!r}", where=f"[[source]] #{i}",
                                fix="give each source a unique id")
        seen.add(raw["id"])
        files = tuple(SourceFile(path=f["path"], sha256=f.get("sha256", ""), download_url=f.get("download_url", ""))
                      for f in raw["files"])
        extra = {k: str(v) for k, v in raw.items() if k not in SOURCE_REQUIRED}
        out.append(Source(**{k: raw[k] for k in SOURCE_REQUIRED if k != "files"}, files=files, extra=extra))
    return out


def sources_by_kind(sources: list[Source], kind: str) -> list[Source]:
    """All sources of one reader kind, newest reference date last."""
    return sorted((s for s in sources if s.kind == kind), key=lambda s: s.reference_date)


def latest_source(sources: list[Source], kind: str, geodata: Path) -> Source:
    """The newest registered edition of one reader kind (by reference date).

    A missing kind is an input error that names sources.toml: the stage cannot run
    without that dataset.
    """
    found = sources_by_kind(sources, kind)
    if not found:
        raise RegistryError(geodata / config.SOURCES_FILE, f"no source of kind {kind!r}",
                            fix="register the dataset in geodata/sources.toml (see docs/architecture.md)")
    return found[-1]


def source_by_id(sources: list[Source], source_id: str) -> Source:
    """Look a source up by id (a registry cross-reference)."""
    for s in sources:
        if s.id == source_id:
            return s
    raise KeyError(f"no source with id {source_id!r} in {config.SOURCES_FILE}")


def verify_checksums(sources: list[Source], geodata: Path) -> list[dict[str, str]]:
    """Check every file exists and matches its sha256; return the input list for the manifest."""
    checked: list[dict[str, str]] = []
    for s in sources:
        for f in s.files:
            p = geodata / f.path
            if not p.exists():
                raise ChecksumError(p, "registered file is missing", where=f"source {s.id}",
                                    fix="restore it (git checkout geodata/raw) or run 'python -m pipelines fetch'")
            actual = sha256_file(p)
            if f.sha256 and actual != f.sha256:
                raise ChecksumError(
                    p, f"sha256 {actual[:12]}… does not match the registered {f.sha256[:12]}…",
                    where=f"source {s.id}",
                    fix="if this is a new edition, register it (update sha256 in geodata/sources.toml); "
                        "otherwise restore the original file")
            checked.append({"source": s.id, "path": f.path, "sha256": actual})
    return checked


def load_indicator_registry(geodata: Path) -> dict[str, Any]:
    """Read ``indicators.toml`` and check each explicit indicator entry.

    Returns the raw dict with keys ``indicator`` (list) and ``indicator_set`` (list).
    """
    path = geodata / config.INDICATORS_FILE
    data = read_toml(path)
    check_registry(path, data, "indicators.toml")
    seen: set[str] = set()
    for i, ind in enumerate(data.get("indicator", []), start=1):
        missing = [k for k in INDICATOR_REQUIRED if k not in ind]
        if missing:
            raise RegistryError(path, f"missing {missing}", where=f"[[indicator]] #{i} ({ind.get('id', '?')})",
                                fix="complete the entry")
        if ind["id"] in seen:
            raise RegistryError(path, f"duplicate indicator id {ind['id']!r}", where=f"[[indicator]] #{i}",
                                fix="give each indicator a unique id")
        if ind["polarity"] not in POLARITIES:
            raise RegistryError(path, f"polarity {ind['polarity']!r} unknown", where=f"indicator {ind['id']}",
                                fix=f"use one of {POLARITIES}")
        if ind["aggregation"] not in AGGREGATIONS:
            raise RegistryError(path, f"aggregation {ind['aggregation']!r} unknown", where=f"indicator {ind['id']}",
                                fix=f"use one of {AGGREGATIONS}")
        seen.add(ind["id"])
    data.setdefault("indicator", [])
    data.setdefault("indicator_set", [])
    return data
