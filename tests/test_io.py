"""The disk boundary (:mod:`pipelines.io`): text-preserving readers, CRS checks, atomic staging."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from pipelines import io
from pipelines.errors import InputError


def test_read_csv_keeps_leading_zeros_and_strips_bom(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes("\ufeffPLR_ID,EW\n01100101,3419\n".encode())
    df = io.read_csv_text(p)
    assert list(df.columns) == ["PLR_ID", "EW"] and df.loc[0, "PLR_ID"] == "01100101"


def test_read_vector_checks_crs_and_id_columns(tmp_path: Path) -> None:
    p = tmp_path / "pts.geojson"
    gpd.GeoDataFrame({"code": ["01"]}, geometry=[Point(11.5, 48.1)], crs="EPSG:4326").to_file(p)
    assert io.read_vector(p, expected_crs="EPSG:4326", id_columns=("code",)).loc[0, "code"] == "01"
    with pytest.raises(InputError, match="expected EPSG:25832"):
        io.read_vector(p, expected_crs="EPSG:25832")
    with pytest.raises(InputError, match="missing column 'sb_nummer'"):
        io.read_vector(p, id_columns=("sb_nummer",))


def test_read_vector_truncated_file(tmp_path: Path) -> None:
    p = tmp_path / "t.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Po')
    with pytest.raises(InputError, match="cannot be read as a vector file"):
        io.read_vector(p)


def test_staging_dir_keeps_previous_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "processed"
    out.mkdir()
    (out / "old.txt").write_text("good")
    with pytest.raises(RuntimeError), io.staging_dir(out) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("stage failed")
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".processed")]
    with io.staging_dir(out) as tmp:
        (tmp / "new.txt").write_text("done")
    assert [p.name for p in out.iterdir()] == ["new.txt"]
