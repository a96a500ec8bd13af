"""``raumatlas export-view`` and ``raumatlas profile``: slides and area profiles from the command line.

Thin wrappers (datasette's ``cli.py``): parse the arguments, call
:func:`dashboard.export_slide.export_view` / :mod:`dashboard.export_profile`, print what
was written. Bad input raises :class:`dashboard.export_data.ExportError` (a
``PipelineError``), which the shared ``main`` turns into one line and exit code 1;
argparse's usage errors exit 2.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.builder import EXIT_OK, Command


@contextmanager
def one_file() -> Iterator[None]:
    """No cyclic garbage collection while ONE file is made (imports included); the collector is restored after.

    Importing pandas, geopandas and matplotlib, reading the build and drawing allocate some
    150,000 objects; the collector walks the young ones every 700 allocations (about 450 passes,
    0.1-0.2 s of a one-second export) and finds next to nothing: the pages become garbage only
    at the end, a few MB. ``profile --all`` (143 files in one process) keeps collecting.

    Restored, the collector would walk all those objects at the next allocation, as one
    generation (~50 ms); freezing and unfreezing first moves them to the oldest generation, whose
    next full collection frees what is garbage. A command-line run freezes them for good right
    after (:func:`dashboard.cli.main`).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _size(raw: str) -> tuple[int, int]:
    from dashboard.export_slide import parse_size

    try:
        return parse_size(raw)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def _configure_export_view(p: argparse.ArgumentParser) -> None:
    p.add_argument("view", metavar="VIEW",
                   help="the app's URL or its query string, e.g. 'ind=unemployment_share&lvl_ber=bezirksregion'")
    p.add_argument("--out", type=Path, required=True, help="output file: .png, .svg or .pdf")
    p.add_argument("--size", type=_size, default=(1920, 1080), metavar="WxH",
                   help="pixels (default 1920x1080; also 1280x720, 1024x768, 1600x1200)")
    p.add_argument("--lang", choices=("de", "en"), default=None, help="language (default: the view's lang, else de)")


def _run_export_view(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    with one_file():
        from dashboard.export_slide import export_view

        out = export_view(args.view, args.out, args.size, lang=args.lang)
    print(f"{out} ({args.size[0]}x{args.size[1]}, {time.perf_counter() - t0:.1f} s)")
    return EXIT_OK


def _configure_profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--city", required=True, metavar="CITY", help="munich or berlin")
    p.add_argument("--level", required=True, metavar="LEVEL",
                   help="e.g. stadtbezirk, bezirksteil, handlungsraum, bezirk, prognoseraum, bezirksregion")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--area", metavar="ID", help="the area's id, e.g. 01 or 08010101")
    which.add_argument("--all", action="store_true", help="every area of the level (--out is then a folder)")
    p.add_argument("--lang", choices=("de", "en"), default="de", help="language (default de)")
    p.add_argument("--out", type=Path, required=True, help="FILE.pdf, or a folder with --all")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="with --all: processes drawing in parallel (default: the CPUs, at most 4)")


def _run_profile(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if args.all:
        from dashboard.export_batch import export_profiles  # multiprocessing: not for one profile

        written = export_profiles(args.out, args.city, args.level, args.lang, jobs=args.jobs)
        print(f"{len(written)} profiles -> {args.out} ({time.perf_counter() - t0:.1f} s)")
    else:
        with one_file():
            from dashboard.export_profile import export_profile

            out = export_profile(args.out, args.city, args.level, args.area, args.lang)
        print(f"{out} ({time.perf_counter() - t0:.1f} s)")
    return EXIT_OK


EXPORT_COMMANDS: dict[str, Command] = {
    "export-view": Command("draw a view of the app (its URL) as one slide: PNG, SVG or PDF",
                           _configure_export_view, _run_export_view),
    "profile": Command("an area's profile (Steckbrief) as an A4 PDF; --all for every area of a level",
                       _configure_profile, _run_profile),
}
