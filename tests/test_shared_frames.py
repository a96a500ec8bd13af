"""The whole-build tables the server shares between sessions stay as the files say after a tour of the app.

``dashboard.loaders`` hands every session the same areas table, web layers, locations and
projects (``cache_resource``: no copy per call). That is only safe while no view changes them
in place, so this drives the real app through the views that read them (default page, an
indicator and level change, a clicked area's profile, a Handlungsraum profile, English,
presentation mode, an uploaded project list) and then compares each shared table with a fresh
read of the build. A view that sorts, fills or adds a column in place fails here.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from dashboard import build_files, loaders
from dashboard.projects_view import process_upload
from dashboard.views_projects import UPLOAD_KEY
from pipelines import config
from pipelines.projects import load_project_schema
from tests.app_helpers import run_app

PROCESSED = config.resolve_paths().out
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "projects"

pytestmark = pytest.mark.usefixtures("processed_build")  # builds the data first on a fresh clone


def _tour() -> None:
    at = run_app()
    at.session_state["map_berlin"] = {"area_id": "081001", "nonce": "tour-1"}
    at.run()
    for query in ({"ind": "foreign_share", "lvl_ber": "planungsraum", "lang": "en"},
                  {"area": "munich:hr3"}, {"present": "1"}):
        assert not run_app(query).exception, query
    upload = process_upload((FIXTURES / "html_titel.csv").read_bytes(), "html_titel.csv",
                            gpd.read_parquet(PROCESSED / config.AREAS_FILE), load_project_schema(config.GEODATA_DIR))
    at = run_app({"area": "munich:01"})
    at.session_state[UPLOAD_KEY] = upload
    assert not at.run().exception


def test_shared_tables_are_shared_and_unchanged_by_the_views() -> None:
    _tour()
    version = loaders.build_version()
    assert loaders.load_areas(version) is loaders.load_areas(version)  # one object per process, not a copy
    pd.testing.assert_frame_equal(loaders.load_areas(version), build_files.read_areas(PROCESSED))
    for city in config.CITIES:
        for level in (*config.COVERAGE_LEVELS[city], "handlungsraum"):
            shared = loaders.load_web_layer(version, city, level)
            fresh = build_files.read_web_layer(PROCESSED, city, level)
            if fresh is None:
                assert shared is None
                continue
            pd.testing.assert_frame_equal(pd.DataFrame(shared), pd.DataFrame(fresh), obj=f"{city}_{level}")
    for shared, fresh in ((loaders.load_locations(version), build_files.read_locations(PROCESSED)),
                          (loaders.load_projects(version), build_files.read_projects(PROCESSED))):
        assert (shared is None) == (fresh is None)
        if fresh is not None:
            pd.testing.assert_frame_equal(pd.DataFrame(shared), pd.DataFrame(fresh))
