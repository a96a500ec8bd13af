"""Tiny hand-made areas and indicator tables shared by the profile and ranking tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

AREAS = pd.DataFrame([
    # city, level, area_id, name, parent_id, population, members, member_level, approximate
    ("munich", "stadt", "muc", "München", None, 300.0, None, None, False),
    ("munich", "stadtbezirk", "01", "Altstadt", "muc", 100.0, None, None, False),
    ("munich", "stadtbezirk", "02", "Ludwigsvorstadt", "muc", 120.0, None, None, False),
    ("munich", "stadtbezirk", "03", "Maxvorstadt", "muc", 80.0, None, None, False),
    ("munich", "bezirksteil", "01.1", "Graggenau", "01", 40.0, None, None, False),
    ("munich", "bezirksteil", "01.2", "Angerviertel", "01", 60.0, None, None, False),
    ("munich", "bezirksteil", "02.1", "Glockenbach", "02", 120.0, None, None, False),
    ("munich", "bezirksteil", "03.1", "Maxvorstadt-Uni", "03", 80.0, None, None, False),
    ("munich", "handlungsraum", "hrA", "HR A", "muc", 40.0, "01.1", "bezirksteil", True),
    ("munich", "handlungsraum", "hrB", "HR B", "muc", 120.0, "02", "stadtbezirk", False),
    ("berlin", "stadt", "ber", "Berlin", None, 1000.0, None, None, False),
    ("berlin", "bezirk", "08", "Neukölln", "ber", 1000.0, None, None, False),
], columns=["city", "level", "area_id", "name", "parent_id", "population", "members", "member_level", "approximate"])
AREAS["source_quote"] = ""
AREAS["source_url"] = ""
AREAS["note_de"] = ""
AREAS["note_en"] = ""
AREAS["status"] = ""
AREAS["area_km2"] = 1.0

CATALOG = [
    {"indicator_id": "share", "group": "comparable", "aggregation": "ratio", "scale": 100},
    {"indicator_id": "pop", "group": "comparable", "aggregation": "sum"},
    {"indicator_id": "muc_x", "group": "munich", "aggregation": "none"},
]


def _row(level: str, area_id: str, ind: str, period: str, value: float, num: float = np.nan, den: float = np.nan,
         flag: str = "", city: str = "munich", coverage: float = 1.0) -> dict:
    return {"city": city, "level": level, "area_id": area_id, "indicator_id": ind, "period": period, "value": value,
            "numerator": num, "denominator": den, "coverage": coverage, "flag": flag}


IND = pd.DataFrame([
    _row("stadt", "muc", "share", "2024-12-31", 10.0, 30, 300),
    _row("stadt", "muc", "share", "2023-12-31", 12.0, 36, 300),
    _row("stadtbezirk", "01", "share", "2024-12-31", 20.0, 20, 100),
    _row("stadtbezirk", "01", "share", "2023-12-31", 25.0, 25, 100),
    _row("stadtbezirk", "02", "share", "2024-12-31", 5.0, 6, 120),
    _row("stadtbezirk", "03", "share", "2024-12-31", np.nan, flag="under_300"),
    _row("handlungsraum", "hrA", "share", "2024-12-31", 20.0, coverage=0.4),
    _row("handlungsraum", "hrB", "share", "2024-12-31", 5.0, 6, 120),
    _row("stadt", "muc", "pop", "2024-12-31", 300.0),
    _row("stadtbezirk", "01", "pop", "2024-12-31", 100.0),
    _row("bezirksteil", "01.1", "pop", "2024-12-31", 40.0),
    _row("bezirksteil", "01.2", "pop", "2024-12-31", 60.0),
    _row("bezirksteil", "02.1", "pop", "2024-12-31", 120.0),
    _row("bezirksteil", "03.1", "pop", "2024-12-31", 80.0),
    _row("handlungsraum", "hrA", "pop", "2024-12-31", 40.0),
    _row("handlungsraum", "hrB", "pop", "2024-12-31", 120.0),
])
