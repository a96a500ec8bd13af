"""``raumatlas deck``: the stories as one self-contained HTML file for talks without a server."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from pipelines.builder import EXIT_OK, Command
from pipelines.errors import InputError

DECK_SUFFIXES = (".html", ".htm")


def _configure_deck(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stories", type=Path, default=None,
                   help="stories file with [[story]] entries (default geodata/stories.toml)")
    p.add_argument("--lang", choices=("de", "en"), default="de", help="language of the deck (default de)")
    p.add_argument("--out", type=Path, required=True, help="the HTML file to write (FILE.html)")
    p.add_argument("--build", type=Path, default=None, help="build folder (default geodata/processed)")


def _run_deck(args: argparse.Namespace) -> int:
    from dashboard.deck import build_deck
    from dashboard.deck_data import read_build, read_stories
    from pipelines.io import write_bytes_atomic

    out: Path = args.out
    if out.suffix.lower() not in DECK_SUFFIXES:
        raise InputError(out, f"unsupported extension '{out.suffix or '(none)'}'",
                         fix="the deck is one HTML file: use --out NAME.html")
    if out.is_dir():
        raise InputError(out, "is a folder", fix="name a file: --out FOLDER/vortrag.html")
    t0 = time.perf_counter()
    stories = read_stories(args.stories)
    deck = build_deck(stories, read_build(args.build), args.lang,
                      source=str(args.stories or "geodata/stories.toml"))
    data = deck.html.encode("utf-8")
    try:
        write_bytes_atomic(out, data)
        os.chmod(out, 0o644)  # mkstemp makes 0600; a deck is meant to be copied and shared
    except OSError as err:
        raise InputError(out, f"cannot be written ({err.strerror or err})",
                         fix="choose a folder you can write to, with free space") from err
    print(f"Deck: {out} ({len(stories)} stories, {len(data) / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s) – "
          f"open it in any browser, no network needed")
    return EXIT_OK


DECK_COMMANDS: dict[str, Command] = {
    "deck": Command("the stories as ONE self-contained HTML file for talks (works offline from file://)",
                    _configure_deck, _run_deck),
}
