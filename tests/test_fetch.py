"""``fetch`` against a local HTTP server on 127.0.0.1 (never the internet).

A good new edition is validated, installed and registered; a broken or
wrong-CRS download, or an HTTP error, leaves raw/ and sources.toml untouched.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import pytest

from pipelines.builder.fetch import fetch_sources, register_checksums, rewrite_url
from pipelines.io import sha256_file
from pipelines.registry import load_sources, verify_checksums
from tests.cli_helpers import copy_geodata, run_cli, snapshot

SB = "raw/munich/stadtbezirke.geojson"
PLR = tuple(f"raw/berlin/lor_2021/lor_planungsraeume_2021.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg"))
SB_URL = "https://geoportal.example.org/wfs/stadtbezirke.geojson?service=WFS&request=GetFeature"
PLR_URL = "https://gdi.example.org/wfs/plr.geojson?typeNames=lor_2021:a_lor_plr_2021"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder it serves): a throwaway HTTP server bound to 127.0.0.1 only."""
    root = tmp_path / "www"
    (root / "wfs").mkdir(parents=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def gd(geodata: Path, tmp_path: Path) -> Path:
    """A geodata copy whose Stadtbezirke and PLR files are real copies with test download addresses."""
    g = copy_geodata(geodata, tmp_path / "geodata", real=(SB, *PLR))
    toml = g / "sources.toml"
    lines = []
    for line in toml.read_text(encoding="utf-8").split("\n"):
        if ", download_url" in line:
            line = line[: line.index(", download_url")] + " },"
        if f'path = "{SB}"' in line:
            line = line.replace(" },", f', download_url = "{SB_URL}" }},')
        if f'path = "{PLR[0]}"' in line:
            line = line.replace(" },", f', download_url = "{PLR_URL}" }},')
        lines.append(line)
    toml.write_text("\n".join(lines), encoding="utf-8")
    return g


def _new_edition(geodata: Path) -> bytes:
    doc = json.loads((geodata / SB).read_bytes())
    doc["features"][0]["properties"]["name"] += " (neu)"
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def test_good_download_is_installed_and_registered(gd: Path, server: tuple[str, Path]) -> None:
    base, root = server
    new = _new_edition(gd)
    (root / "wfs" / "stadtbezirke.geojson").write_bytes(new)
    header = (gd / "sources.toml").read_text(encoding="utf-8").split("[[source]]")[0]
    res = run_cli("fetch", "--source", "muc_stadtbezirke", "--geodata", str(gd), "--base-url", base)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 updated" in res.stdout
    assert (gd / SB).read_bytes() == new
    text = (gd / "sources.toml").read_text(encoding="utf-8")
    assert text.startswith(header)  # comments and layout kept
    src = next(s for s in load_sources(gd) if s.id == "muc_stadtbezirke")
    assert src.files[0].sha256 == sha256_file(gd / SB) and src.files[0].download_url == SB_URL
    verify_checksums([src], gd)
    assert not (gd / "staging" / "muc_stadtbezirke").exists()


@pytest.mark.parametrize("kind", ["truncated", "wrong_crs", "missing_id_column"])
def test_broken_download_is_rejected_and_nothing_changes(gd: Path, server: tuple[str, Path], kind: str) -> None:
    base, root = server
    good = _new_edition(gd)
    if kind == "truncated":
        body = good[: len(good) // 2]
    else:
        gdf = gpd.read_file(gd / SB)
        gdf = gdf.to_crs("EPSG:4326") if kind == "wrong_crs" else gdf.drop(columns=["sb_nummer"])
        body = gdf.to_json().encode("utf-8")
    (root / "wfs" / "stadtbezirke.geojson").write_bytes(body)
    before = snapshot(gd / "raw"), (gd / "sources.toml").read_bytes()
    res = run_cli("fetch", "--source", "muc_stadtbezirke", "--geodata", str(gd), "--base-url", base)
    assert res.returncode == 1
    expected = {"truncated": "cannot be read", "wrong_crs": "expected EPSG:25832", "missing_id_column": "sb_nummer"}
    assert expected[kind] in res.stderr and "unchanged" in res.stderr and "Traceback" not in res.stderr
    assert (snapshot(gd / "raw"), (gd / "sources.toml").read_bytes()) == before


def test_http_404_is_a_clear_error(gd: Path, server: tuple[str, Path]) -> None:
    base, _ = server
    before = snapshot(gd / "raw"), (gd / "sources.toml").read_bytes()
    res = run_cli("fetch", "--source", "muc_stadtbezirke", "--geodata", str(gd), "--base-url", base)
    assert res.returncode == 1
    assert "HTTP 404" in res.stderr and "127.0.0.1" in res.stderr and "download_url" in res.stderr
    assert (snapshot(gd / "raw"), (gd / "sources.toml").read_bytes()) == before


def test_same_edition_is_unchanged(gd: Path, server: tuple[str, Path]) -> None:
    base, root = server
    (root / "wfs" / "stadtbezirke.geojson").write_bytes((gd / SB).read_bytes())
    before = (gd / "sources.toml").read_bytes()
    results = fetch_sources(gd, ["muc_stadtbezirke"], base, log=lambda m: None)
    assert [r.status for r in results] == ["unchanged"]
    assert (gd / "sources.toml").read_bytes() == before


def test_wfs_geojson_replaces_a_registered_shapefile_set(gd: Path, server: tuple[str, Path]) -> None:
    base, root = server
    plr = gpd.read_file(gd / PLR[0])
    plr.loc[0, "PLR_NAME"] = "Neuer Name"
    (root / "wfs" / "plr.geojson").write_bytes(plr.to_json().encode("utf-8"))
    results = fetch_sources(gd, ["ber_lor_planungsraeume"], base, log=lambda m: None)
    assert [r.status for r in results] == ["updated"], results[0].message
    src = next(s for s in load_sources(gd) if s.id == "ber_lor_planungsraeume")
    verify_checksums([src], gd)  # every sidecar re-registered
    new = gpd.read_file(gd / PLR[0])
    assert len(new) == 542 and new.crs.equals("EPSG:25833") and new.loc[0, "PLR_NAME"] == "Neuer Name"
    assert new["PLR_ID"].str.len().eq(8).all()


def test_source_without_download_address(gd: Path) -> None:
    res = run_cli("fetch", "--source", "ber_kitas", "--geodata", str(gd), "--base-url", "http://127.0.0.1:9")
    assert res.returncode == 1 and "no download address registered for ber_kitas" in res.stderr


def test_unknown_source_id(gd: Path) -> None:
    res = run_cli("fetch", "--source", "nope", "--geodata", str(gd), "--base-url", "http://127.0.0.1:9")
    assert res.returncode == 1 and "unknown source id" in res.stderr


def test_register_checksums_is_a_targeted_edit() -> None:
    text = ('# keep me\n[[source]]\nid = "a"\nfiles = [\n  { path = "raw/a.csv", sha256 = "aa" },\n'
            '  { path = "raw/b.csv", sha256 = "bb", download_url = "https://x/b" },\n]\n')
    out = register_checksums(text, {"raw/b.csv": "cc"})
    assert out == text.replace('"bb"', '"cc"')
    with pytest.raises(Exception, match="raw/z.csv"):
        register_checksums(text, {"raw/z.csv": "cc"})


def test_rewrite_url_keeps_path_and_query() -> None:
    url = "https://geoportal.muenchen.de/geoserver/ows?service=WFS&typeName=x"
    assert rewrite_url(url, "http://127.0.0.1:8000") == "http://127.0.0.1:8000/geoserver/ows?service=WFS&typeName=x"
    assert rewrite_url(url, None) == url
