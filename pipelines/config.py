"""The one place that knows paths, CRSs and the canonical vocabulary.

Every other module asks this one instead of building paths or repeating
constants, so that a copy of the geodata folder anywhere builds the same
(``--geodata DIR``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT: Path = Path(__file__).resolve().parents[1]
GEODATA_DIR: Path = ROOT / "geodata"
PROCESSED_DIRNAME = "processed"
CACHE_DIRNAME = ".cache"
STATIC_DIR: Path = ROOT / "static"
STATIC_URL = "/app/static"
"""Where Streamlit serves :data:`STATIC_DIR` (``server.enableStaticServing``)."""

SOURCES_FILE = "sources.toml"
INDICATORS_FILE = "indicators.toml"
ACTION_AREAS_FILE = "action_areas.toml"
STORIES_FILE = "stories.toml"
TRANSLATIONS_FILE = "translations.toml"
PROJECTS_DIRNAME = "projects"
PROJECT_SCHEMA_FILE = "schema.toml"  # inside PROJECTS_DIRNAME
# Registries the pipeline reads (their edits make a build stale); stories.toml is the app's.
PIPELINE_REGISTRIES: tuple[str, ...] = (SOURCES_FILE, INDICATORS_FILE, ACTION_AREAS_FILE, TRANSLATIONS_FILE)

# Build outputs in ``processed/`` (the contract between pipeline and dashboard; docs/architecture.md).
AREAS_FILE = "areas.parquet"
INDICATORS_FILE_OUT = "indicators.parquet"
LOCATIONS_FILE = "locations.parquet"
PROJECTS_FILE = "projects.parquet"
CATALOG_FILE = "catalog.json"
MANIFEST_FILE = "manifest.json"
WEB_DIR = "web"


def web_layer_name(city: str, level: str) -> str:
    """File name of one simplified web layer inside ``processed/web/``."""
    return f"{city}_{level}.geojson"


WEB_CRS = "EPSG:4326"
CITY_CRS: dict[str, str] = {"munich": "EPSG:25832", "berlin": "EPSG:25833"}
CITIES: tuple[str, ...] = ("munich", "berlin")
# ``area_id`` of the whole city (level "stadt"); also the prefix of per-city indicator ids.
CITY_IDS: dict[str, str] = {"munich": "muc", "berlin": "ber"}
CITY_CHOICES: tuple[str, ...] = ("all", *CITIES)  # what a build may be limited to (``--city``)

# Levels from coarse to fine, per city. "stadt" is the whole city.
LEVELS: dict[str, tuple[str, ...]] = {
    "munich": ("stadt", "handlungsraum", "stadtbezirk", "bezirksteil"),
    "berlin": ("stadt", "bezirk", "prognoseraum", "bezirksregion", "planungsraum"),
}
# Levels that tile the whole city (a partition): used for web layers and joins.
COVERAGE_LEVELS: dict[str, tuple[str, ...]] = {
    "munich": ("stadtbezirk", "bezirksteil"),
    "berlin": ("bezirk", "prognoseraum", "bezirksregion", "planungsraum"),
}
# Expected official counts per level (golden checks and validation findings).
EXPECTED_COUNTS: dict[tuple[str, str], int] = {
    ("munich", "stadt"): 1,
    ("munich", "stadtbezirk"): 25,
    ("munich", "bezirksteil"): 108,
    ("berlin", "stadt"): 1,
    ("berlin", "bezirk"): 12,
    ("berlin", "prognoseraum"): 58,
    ("berlin", "bezirksregion"): 143,
    ("berlin", "planungsraum"): 542,
}

# Canonical table columns (see docs/architecture.md).
AREA_COLUMNS: tuple[str, ...] = (
    "city", "level", "area_id", "name", "parent_id", "population", "area_km2",
    "approximate", "geometry",
)
INDICATOR_COLUMNS: tuple[str, ...] = (
    "city", "level", "area_id", "indicator_id", "period", "value", "numerator",
    "denominator", "coverage", "flag",
)
LOCATION_COLUMNS: tuple[str, ...] = (
    "city", "layer", "location_id", "name", "category", "address", "provider",
    "geometry",
)

# Why a value is missing or suppressed (column ``flag``); empty string = valid.
FLAGS: tuple[str, ...] = ("", "no_data", "under_300", "outlier", "not_rated", "zero_denominator")

# Web layers: rounding and size budgets from the pipeline issue.
WEB_COORD_DECIMALS = 5
WEB_TOTAL_MAX_BYTES = 3_000_000
WEB_PLR_MAX_BYTES = 1_200_000


@dataclass(frozen=True)
class Paths:
    """Resolved folders of one build: where registries and raw files live, where output goes."""

    geodata: Path
    out: Path

    @property
    def cache(self) -> Path:
        """Parsed-input cache keyed by checksum (speeds up cold-ish rebuilds)."""
        return self.geodata / CACHE_DIRNAME

    @property
    def projects(self) -> Path:
        """Folder of the planners' own project lists."""
        return self.geodata / PROJECTS_DIRNAME

    @property
    def project_schema(self) -> Path:
        """The project-list schema (columns, vocabularies, messages, catalog texts)."""
        return self.projects / PROJECT_SCHEMA_FILE

    @property
    def sources_registry(self) -> Path:
        """``sources.toml``: every registered raw file with licence and checksum."""
        return self.geodata / SOURCES_FILE

    @property
    def indicators_registry(self) -> Path:
        """``indicators.toml``: labels, units and aggregation rules of every indicator."""
        return self.geodata / INDICATORS_FILE

    @property
    def action_areas_registry(self) -> Path:
        """``action_areas.toml``: Munich's Handlungsräume and their members."""
        return self.geodata / ACTION_AREAS_FILE

    @property
    def translations(self) -> Path:
        """``translations.toml``: the glossary the pipeline uses for English labels."""
        return self.geodata / TRANSLATIONS_FILE


def resolve_paths(geodata: Path | str | None = None, out: Path | str | None = None) -> Paths:
    """Resolve ``--geodata``/``--out`` with the repository defaults."""
    g = Path(geodata).resolve() if geodata else GEODATA_DIR
    o = Path(out).resolve() if out else g / PROCESSED_DIRNAME
    return Paths(geodata=g, out=o)
