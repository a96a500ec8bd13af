"""Command line: ``python -m pipelines build|check|fetch|validate-projects`` (console script ``raumatlas``).

A thin wrapper: parse arguments, call a function that returns data, print a
summary. Exit codes: 0 built / nothing to do, 1 input or validation error (the
message names file, row and fix; no traceback), 2 usage error (argparse).

Subcommands live in :data:`COMMANDS`; adding one is one entry (a help text, a
function adding its arguments, a function running it and returning the exit code).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from pipelines import config, io
from pipelines.errors import InputError, PipelineError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
NOOP_MESSAGE = "Nichts zu tun – Eingaben unverändert / nothing to do — inputs unchanged"


class Command(NamedTuple):
    """One subcommand: ``configure(parser)`` adds its arguments, ``run(args)`` returns the exit code."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _add_geodata(p: argparse.ArgumentParser) -> None:
    p.add_argument("--geodata", type=Path, default=None,
                   help=f"folder with sources.toml, indicators.toml and raw/ (default {config.GEODATA_DIR})")


def _configure_build(p: argparse.ArgumentParser) -> None:
    _add_geodata(p)
    p.add_argument("--out", type=Path, default=None, help="output folder (default GEODATA/processed)")
    p.add_argument("--city", choices=config.CITY_CHOICES, default="all",
                   help="build only this city; the other city's previous output is kept")
    p.add_argument("--force", action="store_true", help="rebuild even if the inputs are unchanged")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _run_build(args: argparse.Namespace) -> int:
    """Build, or say "nothing to do": that decision takes hashes only, before pandas/geopandas are imported."""
    from pipelines.builder.manifest import build_status

    t0 = time.perf_counter()
    if not args.force:
        _, _, current_manifest, current = build_status(args.geodata, args.out, args.city)
        if current and current_manifest is not None:
            out = config.resolve_paths(args.geodata, args.out).out
            print(f"{NOOP_MESSAGE} (build {current_manifest.get('build_version', '?')}, {out}, "
                  f"{time.perf_counter() - t0:.2f} s)")
            return EXIT_OK

    from pipelines import io_excel
    from pipelines.builder.prefetch import start_workbook_reader

    reader = start_workbook_reader(args.geodata, args.city)  # forked before pandas is imported (prefetch.py)
    if reader is not None:
        io_excel.use_prefetched(reader.get)
    try:
        return _build_and_report(args)
    finally:
        if reader is not None:
            io_excel.use_prefetched(None)
            reader.close()


def _build_and_report(args: argparse.Namespace) -> int:
    from pipelines.builder.orchestrate import run_build

    bar: Any = None

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, file=sys.stderr, unit="stage", leave=False, dynamic_ncols=True)
        bar.set_description(stage)
        bar.update(done - bar.n)

    try:
        result = run_build(args.geodata, args.out, city=args.city, progress=progress, force=args.force)
    finally:
        if bar is not None:
            bar.close()
    if result.status == "noop":
        print(f"{NOOP_MESSAGE} (build {result.manifest.get('build_version', '?')}, {result.out}, "
              f"{result.seconds:.2f} s)")
        return EXIT_OK
    print(format_summary(result.manifest, result.out, result.seconds))
    return EXIT_OK


def format_summary(man: dict[str, Any], out: Path, seconds: float) -> str:
    """Human summary of a build: counts per city/level, indicators, locations, findings, output, time."""
    counts = man.get("counts", {})
    lines = [f"Build fertig / build complete: {out} (build {man.get('build_version')}, {seconds:.1f} s, "
             f"city={man.get('city_built')})"]
    for city, levels in counts.get("areas", {}).items():
        lines.append(f"  areas {city}: " + ", ".join(f"{lvl} {n}" for lvl, n in levels.items()))
    for city, c in counts.get("indicators", {}).items():
        lines.append(f"  indicators {city}: {c['indicator_ids']} indicators, {c['rows']} values "
                     f"({c['flagged']} flagged)")
    for city, layers in counts.get("locations", {}).items():
        lines.append(f"  locations {city}: " + ", ".join(f"{k} {v}" for k, v in layers.items()))
    sev = man.get("findings_by_severity", {})
    lines.append("  findings: " + (", ".join(f"{k} {v}" for k, v in sorted(sev.items())) or "none")
                 + " (details in manifest.json)")
    slow = sorted(man.get("stage_seconds", {}).items(), key=lambda kv: -kv[1])[:4]
    lines.append("  slowest stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in slow))
    return "\n".join(lines)


def _run_check(args: argparse.Namespace) -> int:
    from pipelines.builder.fetch import check_inputs

    geodata = config.resolve_paths(args.geodata).geodata
    t0 = time.perf_counter()
    res = check_inputs(geodata)
    from pipelines.builder.dry_run import dry_build

    dry = dry_build(geodata)  # every stage and check of the build, output discarded
    print(f"OK: {res['sources']} sources, {res['files']} files match their sha256, {res['read']} files readable, "
          f"all {len(dry.stage_seconds)} build stages and checks pass ({geodata}, {time.perf_counter() - t0:.1f} s)")
    return EXIT_OK


def _configure_fetch(p: argparse.ArgumentParser) -> None:
    _add_geodata(p)
    p.add_argument("--source", action="append", metavar="ID", dest="sources",
                   help="fetch only this source (repeatable); default: every source with a download_url")
    p.add_argument("--base-url", default=None, help="replace the host of every download_url (local mirrors, tests)")


def _run_fetch(args: argparse.Namespace) -> int:
    from pipelines.builder.fetch import fetch_sources

    geodata = config.resolve_paths(args.geodata).geodata
    results = fetch_sources(geodata, args.sources, args.base_url)
    failed = [r for r in results if r.status == "failed"]
    updated = [r for r in results if r.status == "updated"]
    print(f"fetch: {len(updated)} updated, {len(failed)} failed, "
          f"{len(results) - len(updated) - len(failed)} unchanged/skipped")
    for r in failed:
        print(f"Fehler / error: {r.message}", file=sys.stderr)
    return EXIT_INPUT if failed else EXIT_OK


def _configure_validate_projects(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="project list: .csv, .xlsx or .geojson")
    p.add_argument("--geodata", type=Path, default=None,
                   help="geodata folder (areas from GEODATA/processed/areas.parquet if built)")
    p.add_argument("--lang", choices=("de", "en"), default="de", help="language of the report")


def _run_validate_projects(args: argparse.Namespace) -> int:
    """Print the row-level report; exit 0 all rows valid, 1 input problems (rows dropped, file unusable).

    Exit code 2 stays a usage error (argparse: missing file argument, unknown option), as for every
    command. A geodata copy without its own ``projects/schema.toml`` is checked against the
    repository's schema.
    """
    from pipelines.projects import ProjectFileError, load_project_schema, read_projects, validate_projects

    lang = args.lang
    paths = config.resolve_paths(args.geodata)
    label = "FEHLER" if lang == "de" else "ERROR"
    try:
        schema = load_project_schema(paths.geodata if paths.project_schema.exists() else None)
        areas_file = paths.out / config.AREAS_FILE
        areas = io.read_geoparquet(areas_file) if areas_file.exists() else None
        report = validate_projects(read_projects(args.file, schema), areas, schema=schema)
    except ProjectFileError as err:
        print(f"{label}: {err.file}: {err.message_de if lang == 'de' else err.message_en}"
              + (f" -> {err.fix}" if err.fix else ""))
        return EXIT_INPUT
    except InputError as err:
        print(f"{label}: {err}")
        return EXIT_INPUT
    for line in report.lines(lang):
        print(line)
    print(report.summary(lang))
    return report.exit_code


COMMANDS: dict[str, Command] = {
    "build": Command("build geodata/processed from the registered inputs", _configure_build, _run_build),
    "check": Command("validate inputs and run every build check without writing", _add_geodata,
                     _run_check),
    "fetch": Command("download the latest editions, validate, then register them", _configure_fetch, _run_fetch),
    "validate-projects": Command("check a project list row by row (exit 0 all valid, 1 rows dropped or unusable)",
                                 _configure_validate_projects, _run_validate_projects),
}


def make_parser(commands: dict[str, Command] | None = None,
                description: str = "Raumatlas data pipeline") -> argparse.ArgumentParser:
    """The argument parser with one subparser per entry of ``commands`` (default :data:`COMMANDS`)."""
    parser = argparse.ArgumentParser(prog="raumatlas", description=description)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, cmd in (commands or COMMANDS).items():
        cmd.configure(sub.add_parser(name, help=cmd.help, description=cmd.help))
    return parser


def main(argv: list[str] | None = None, commands: dict[str, Command] | None = None,
         description: str = "Raumatlas data pipeline") -> int:
    """Entry point; returns the exit code (0 ok, 1 input/validation error, 2 usage error).

    ``commands`` lets the ``raumatlas`` console script (:mod:`dashboard.cli`) add the export
    commands without the pipeline knowing about presentation code.
    """
    commands = commands or COMMANDS
    args = make_parser(commands, description).parse_args(argv)  # exits 2 on usage errors
    try:
        return commands[args.command].run(args)
    except PipelineError as err:
        print(f"Fehler / error: {err}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("abgebrochen / interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
