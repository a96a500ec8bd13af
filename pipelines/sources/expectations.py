"""What a readable raw file of each source kind looks like: its reader, CRS and required columns.

One table for two users: the stages read their files with these columns and CRSs, and
``fetch``/``check`` accept a new download only if it passes the same test. Keeping them in one
place means a download the build could not read is refused before it replaces a good file.
Columns are the ones a stage cannot do without (more may be present); CRS ``None`` means any
CRS is accepted and the stage reprojects explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines import config
from pipelines.sources.indikatorenatlas.read import TABLE_COLUMNS


@dataclass(frozen=True)
class Expect:
    """What a readable file of one source kind looks like (``reader``: vector | csv | excel | document)."""

    reader: str
    crs: str | None = None
    columns: tuple[str, ...] = ()


MUNICH_CRS, BERLIN_CRS = config.CITY_CRS["munich"], config.CITY_CRS["berlin"]
MSS = Expect("csv", columns=("PLR_ID", "KOM"))  # plus the indicator columns the registry maps
POPULATION = Expect("csv", columns=("id", "inhabitants"))  # plus the registry's numerator/denominator columns
DOCUMENT = Expect("document")
EXPECTATIONS: dict[str, Expect] = {
    "munich_stadtbezirke": Expect("vector", MUNICH_CRS, ("sb_nummer", "name")),
    "munich_bezirksteile": Expect("vector", MUNICH_CRS, ("bt_nummer",)),
    "munich_bezirksteile_population": Expect("csv", columns=("Räumliche Gliederung", "Indikatorwert")),
    "munich_indikatorenatlas": Expect("excel", columns=(*TABLE_COLUMNS, "Basiswert 1", "Basiswert 2")),
    "munich_kitas": Expect("csv", columns=(
        "ID Einrichtung", "Name Einrichtung", "Einrichtungsart", "Trägerschaft", "Geokoordinaten Breite",
        "Geokoordinaten Länge", "Straße", "Haus-nr.", "PLZ", "Ort")),
    "berlin_lor_plr": Expect("vector", BERLIN_CRS, ("PLR_ID", "PLR_NAME")),
    "berlin_lor_bzr": Expect("vector", BERLIN_CRS, ("BZR_ID", "BZR_NAME")),
    "berlin_lor_pgr": Expect("vector", BERLIN_CRS, ("PGR_ID", "PGR_NAME")),
    "berlin_bezirke": Expect("vector", config.WEB_CRS, ("Gemeinde_s", "Gemeinde_n")),  # ALKIS ships EPSG:4326
    "berlin_mss_indizes": MSS,
    "berlin_mss_index_indikatoren": MSS,
    "berlin_mss_kontext_indikatoren": MSS,
    "berlin_population_t1": POPULATION,
    "berlin_population_t2": POPULATION,
    "berlin_locations": Expect("vector", None, ("e_nr", "e_name", "e_art")),
    "document": DOCUMENT,
}


def expectation(kind: str) -> Expect:
    """The expectation of a source kind; an unknown kind is treated as a document (bytes checked only)."""
    return EXPECTATIONS.get(kind, DOCUMENT)
