"""Benchmark: read, validate and join 50,000 SYNTHETIC projects (timing only; target validation + join <= 5 s).

The projects are random points/areas generated here into a temp dir, titled "SYNTHETISCH …";
they are not data and are deleted afterwards. Areas: ``geodata/processed/areas.parquet`` if a build
exists, else the raw Munich Stadtbezirke and Berlin Bezirke.

    .venv/bin/python benchmarks/bench_projects.py [--rows 50000] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import config  # noqa: E402
from pipelines.projects.api import join_projects, load_project_schema, read_projects, validate_projects  # noqa: E402


def _areas() -> gpd.GeoDataFrame:
    built = config.resolve_paths().out / config.AREAS_FILE
    if built.exists():
        return gpd.read_parquet(built)
    raw = config.GEODATA_DIR / "raw"
    sb = gpd.read_file(raw / "munich" / "stadtbezirke.geojson").dissolve("sb_nummer", as_index=False)
    bz = gpd.read_file(raw / "berlin" / "bezirke" / "bezirksgrenzen.shp")
    m = gpd.GeoDataFrame({"city": "munich", "level": "stadtbezirk", "area_id": sb["sb_nummer"], "parent_id": ""},
                         geometry=sb.geometry, crs=sb.crs).to_crs(4326)
    b = gpd.GeoDataFrame({"city": "berlin", "level": "bezirk", "area_id": bz["Gemeinde_s"].str[-2:],
                          "parent_id": ""}, geometry=bz.geometry, crs=bz.crs).to_crs(4326)
    return gpd.GeoDataFrame(pd.concat([m, b], ignore_index=True), crs=4326)


def _synthetic_csv(path: Path, n: int, areas: gpd.GeoDataFrame, seed: int) -> None:
    """German-Excel-style CSV (cp1252, ';', decimal commas, dd.mm.yyyy) with ~2 % problem rows."""
    rng = np.random.default_rng(seed)
    schema = load_project_schema()
    themes, statuses = list(schema.vocabularies["thema"]), list(schema.vocabularies["status"])
    depts = [f"Referat {c}" for c in "ABCDEFGHIJ"]
    cities = rng.choice(["munich", "berlin"], size=n, p=[0.6, 0.4])
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    for city in ("munich", "berlin"):
        outline = shapely.union_all(areas[areas["city"] == city].geometry.values)
        idx = np.flatnonzero(cities == city)
        x0, y0, x1, y1 = outline.bounds
        xs, ys = rng.uniform(x0, x1, 3 * len(idx)), rng.uniform(y0, y1, 3 * len(idx))
        inside = shapely.contains_xy(outline, xs, ys)
        lon[idx], lat[idx] = xs[inside][: len(idx)], ys[inside][: len(idx)]
    area_ids = np.array([rng.choice(areas.loc[areas["city"] == c, "area_id"].to_numpy()) for c in ("munich", "berlin")])
    area_based = rng.random(n) < 0.1
    swapped = rng.random(n) < 0.01
    rows = ["id;titel;stadt;lat;lon;area_id;thema;federfuehrung;beteiligte_referate;partner;status;beginn;ende;"
            "budget_eur;link"]
    for i in range(n):
        la, lo = (lon[i], lat[i]) if swapped[i] else (lat[i], lon[i])
        coords = ";" if area_based[i] else f"{la:.6f};{lo:.6f}".replace(".", ",")
        aid = area_ids[0 if cities[i] == "munich" else 1] if area_based[i] else ""
        theme = themes[i % len(themes)] if i % 97 else "Wohen"
        others = ", ".join(rng.choice(depts, size=int(rng.integers(0, 3)), replace=False))
        name = "München" if cities[i] == "munich" else "Berlin"
        rows.append(f"S-{i:06d};SYNTHETISCH {i} (kein echtes Projekt);{name};"
                    f"{coords};{aid};{theme};{depts[i % 10]};{others};Testpartner {i % 50};{statuses[i % 4]};"
                    f"01.0{1 + i % 9}.2024;31.12.2026;{i * 10 % 100000},50;https://example.org/{i}")
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    areas = _areas()
    schema = load_project_schema()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetisch.csv"
        _synthetic_csv(path, args.rows, areas, args.seed)
        size = path.stat().st_size
        t0 = time.perf_counter()
        table = read_projects(path, schema)
        t1 = time.perf_counter()
        report = validate_projects(table, areas, schema=schema)
        t2 = time.perf_counter()
        gdf, ind = join_projects(report.projects, areas, period="2025-01-01", schema=schema)
        t3 = time.perf_counter()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"projects: {args.rows} synthetic rows ({size / 1e6:.1f} MB CSV), {len(areas)} areas")
    print(f"read      {t1 - t0:6.2f} s")
    print(f"validate  {t2 - t1:6.2f} s  ({report.n_valid} valid, {len(report.problems)} problems)")
    print(f"join      {t3 - t2:6.2f} s  ({len(gdf)} projects, {len(ind)} indicator rows)")
    total = t3 - t1
    print(f"validate + join {total:.2f} s (target <= 5 s: {'OK' if total <= 5 else 'SLOW'}); "
          f"read + validate + join {t3 - t0:.2f} s")
    print(f"peak memory (max RSS) {rss1:.0f} MB (before the run {rss0:.0f} MB)")


if __name__ == "__main__":
    main()
