"""``raumatlas profile --all``: the profile of every area of a level, drawn by several processes."""

from __future__ import annotations

import gc
import multiprocessing
import os
from pathlib import Path

from dashboard.deck_data import read_build
from dashboard.export_data import ExportData, ExportError
from dashboard.export_profile import check_area, export_profile
from pipelines.registry import slugify


def export_profiles(out_dir: Path, city: str, level: str, lang: str = "de", data: ExportData | None = None,
                    jobs: int | None = None) -> list[Path]:
    """One PDF per area of a level into ``out_dir`` (created if missing): ``<area_id>_<name>.pdf``.

    ``jobs`` processes draw in parallel (default: the CPUs, at most 4); each file is
    written atomically, so an interrupted run leaves only complete PDFs.
    """
    data = data or read_build()
    check_area(data, city, level, None)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"{out_dir}: cannot create the folder ({err.strerror or err})") from err
    if not out_dir.is_dir():
        raise ExportError(f"{out_dir}: is not a folder")
    areas = data.areas()
    rows = areas[(areas["city"] == city) & (areas["level"] == level)].sort_values("area_id")
    tasks = [(out_dir / f"{r.area_id}_{slugify(str(r.name))[:60]}.pdf", str(r.area_id)) for r in rows.itertuples()]
    jobs = max(1, min(jobs or min(os.cpu_count() or 1, 4), len(tasks)))
    if jobs == 1:
        return [export_profile(out, city, level, area_id, lang, data) for out, area_id in tasks]
    global _WORKER_DATA
    _WORKER_DATA = data  # inherited by the forked workers: the tables are read once
    # The first profile here: the workers inherit warm tables, layer paths and font caches.
    first = export_profile(tasks[0][0], city, level, tasks[0][1], lang, data)
    # The tables, paths and fonts read so far never change: freezing them keeps the workers' garbage
    # collector from walking (and, by touching, copying) the inherited heap in every process.
    gc.freeze()
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            rest = pool.starmap(_export_one, [(out, city, level, a, lang) for out, a in tasks[1:]], chunksize=4)
        return [first, *rest]
    finally:
        _WORKER_DATA = None
        gc.unfreeze()


_WORKER_DATA: ExportData | None = None


def _export_one(out: Path, city: str, level: str, area_id: str, lang: str) -> Path:
    return export_profile(out, city, level, area_id, lang, _WORKER_DATA)
