"""The build folder read without Streamlit gives the app's choices and the app's page (one way of reading)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dashboard.build_files import BuildFolder, make_choices
from dashboard.deck_data import read_build
from dashboard.page import build_page
from dashboard.state import parse_query
from pipelines import config
from pipelines.config import CITIES
from pipelines.errors import InputError

logging.getLogger("streamlit").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def folder(processed_build: Path) -> BuildFolder:
    return read_build(processed_build)


def test_choices_and_page_are_the_apps(folder: BuildFolder) -> None:
    from dashboard import loaders

    version = loaders.build_version()
    assert folder.version == version
    app_choices = loaders.load_choices(version)
    assert folder.choices(app_choices.stories) == app_choices
    state, notices = parse_query({"ind": "kitas_per_1000_u6", "loc": "kita", "focus": "08"}, app_choices)
    assert not notices
    ours, app = build_page(state, app_choices, folder), build_page(state, app_choices, loaders.BuildReader(version))
    for city in CITIES:
        a, b = ours.cities[city], app.cities[city]
        assert a.frame.drop(columns="geometry").equals(b.frame.drop(columns="geometry")), city
        assert (a.classification, a.colors, a.focus_ids, a.city_value) == (b.classification, b.colors, b.focus_ids,
                                                                           b.city_value)
        assert len(a.locations) == len(b.locations)


def test_each_file_is_read_once(folder: BuildFolder) -> None:
    assert folder.web_layer("munich", "stadtbezirk") is folder.web_layer("munich", "stadtbezirk")
    assert folder.areas() is folder.areas()


def test_make_choices_orders_comparable_first_and_keeps_map_levels() -> None:
    import pandas as pd

    catalog = [{"indicator_id": "b", "group": "berlin", "label_de": "B"},
               {"indicator_id": "a", "group": "comparable", "label_de": "A"}]
    rows = pd.DataFrame({"indicator_id": ["a", "a", "b"], "city": ["munich", "munich", "berlin"],
                         "period": ["2024-12-31", "2023-12-31", "2024-06-30"]})
    areas = pd.DataFrame({"city": ["munich", "munich", "berlin"], "level": ["stadtbezirk", "stadt", "bezirk"],
                          "area_id": ["01", "muc", "08"]})
    c = make_choices(catalog, rows, areas, stories=3)
    assert c.indicators == ("a", "b") and c.periods[("a", "munich")] == ("2023-12-31", "2024-12-31")
    assert c.areas["munich"] == {"01": "stadtbezirk"} and c.districts == ("08",) and c.stories == 3


def test_a_broken_build_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"build_version": "x"}', encoding="utf-8")
    (tmp_path / config.INDICATORS_FILE_OUT).write_bytes(b"not parquet")
    with pytest.raises(InputError, match="cannot be read as parquet"):
        read_build(tmp_path).indicator_values("munich", "stadtbezirk", "a", "2024-12-31")


def test_value_index_lookup_equals_the_scan(folder: BuildFolder) -> None:
    import pandas as pd

    from dashboard.build_files import select_values, value_row_index

    table = folder.indicator_table()
    index = value_row_index(table)
    keys = [k for k in index if k[2] in ("unemployment_share", "foreign_share")][::7]
    assert len(keys) > 10
    for key in [*keys, ("berlin", "bezirk", "no_such_indicator", "2023-12-31")]:
        pd.testing.assert_frame_equal(select_values(table, *key, index=index), select_values(table, *key))
    assert sum(len(v) for v in index.values()) == len(table)  # every row belongs to exactly one map


def test_text_columns_are_read_in_one_chunk_with_the_same_values(tmp_path: Path, folder: BuildFolder) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dashboard.build_files import one_chunk_columns

    def chunks(series: pd.Series) -> int:
        return getattr(pa.array(series.array), "num_chunks", 1)  # one chunk comes back as a plain Array

    path = tmp_path / "groups.parquet"  # three row groups: pandas reads each text column in three chunks
    frame = pd.DataFrame({"city": ["munich", "berlin", None] * 3, "value": [1.0, 2.0, float("nan")] * 3})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=3)
    read = pd.read_parquet(path)
    assert chunks(read["city"]) == 3
    one = one_chunk_columns(read.copy())
    assert chunks(one["city"]) == 1
    pd.testing.assert_frame_equal(one, read)
    table = folder.indicator_table()  # the app's table: every text column in one chunk
    texts = [c for c in table.columns if hasattr(table[c].array, "__arrow_array__")]
    assert texts and all(chunks(table[c]) == 1 for c in texts)


def test_indicator_index_lookup_equals_the_scan(folder: BuildFolder) -> None:
    import pandas as pd

    from dashboard.build_files import indicator_row_index, select_rows

    table = folder.indicator_table()
    index = indicator_row_index(table)
    keys = list(index)[::23]
    assert len(keys) > 10
    for city, indicator in [*keys, ("berlin", "no_such_indicator")]:
        pd.testing.assert_frame_equal(select_rows(table, city, indicator, index), select_rows(table, city, indicator))
    assert sum(len(v) for v in index.values()) == len(table)
