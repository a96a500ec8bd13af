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


@dataclass(frozen=True)
class Expect:
    """What a readable file of one source kind looks like (``reader``: vector | csv | excel | document).

    For a workbook, ``columns`` are those of its data sheet and ``sheets`` names further sheets
    that must be there, each with its own required columns.
    """

    reader: str
    crs: str | None = None
    columns: tuple[str, ...] = ()
    sheets: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def sheet_columns(self, sheet: str) -> tuple[str, ...]:
        """The required columns of the named further sheet (``()`` when it is not one of ``sheets``)."""
        return dict(self.sheets).get(sheet, ())


MUNICH_CRS, BERLIN_CRS = config.CITY_CRS["munich"], config.CITY_CRS["berlin"]
MSS = Expect("csv", columns=("PLR_ID", "KOM"))  # plus the indicator columns the registry maps
POPULATION = Expect("csv", columns=("id", "inhabitants"))  # plus the registry's numerator/denominator columns
DOCUMENT = Expect("document")
# Indikatorenatlas export: the long table (sheet 2) and the definitions sheet INHALT
INDIKATORENATLAS_TABLE = ("Indikator", "Ausprägung", "Jahr", "Raumbezug", "Indikatorwert", "Basiswert 1",
                          "Basiswert 2")
INDIKATORENATLAS_INHALT = ("Indikator", "Ausprägung", "Beschreibung", "Zeitbezug", "Datenquelle")
EXPECTATIONS: dict[str, Expect] = {
    "munich_stadtbezirke": Expect("vector", MUNICH_CRS, ("sb_nummer", "name")),
    "munich_bezirksteile": Expect("vector", MUNICH_CRS, ("bt_nummer",)),
    "munich_bezirksteile_population": Expect("csv", columns=("Räumliche Gliederung", "Indikatorwert")),
    "munich_indikatorenatlas": Expect("excel", columns=INDIKATORENATLAS_TABLE,
                                      sheets=(("INHALT", INDIKATORENATLAS_INHALT),)),
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
