"""The build and the stories for the talk deck, read without Streamlit.

The build is a :class:`dashboard.build_files.BuildFolder`: the same readers the app's
cached :mod:`dashboard.loaders` use, as the :class:`dashboard.page.BuildData` that
:func:`dashboard.page.build_page` takes. A missing or broken build file becomes an
:class:`InputError` naming the file and the fix, never a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from dashboard.build_files import BuildFolder, read_manifest
from pipelines import config
from pipelines.errors import InputError

_BUILD_FIX = "build the data first: 'raumatlas build' (or 'python -m pipelines build')"


def read_build(processed: Path | None = None, geodata: Path | None = None) -> BuildFolder:
    """The build in ``processed`` (default ``geodata/processed``) with the source registry of ``geodata``."""
    paths = config.resolve_paths(geodata)
    out = Path(processed) if processed else paths.out
    manifest_path = out / config.MANIFEST_FILE
    if not manifest_path.exists():
        raise InputError(manifest_path, "no build found", fix=_BUILD_FIX)
    return BuildFolder(out=out, geodata=paths.geodata, manifest=read_manifest(out))


def read_stories(path: Path | None = None) -> list[dict[str, Any]]:
    """The ``[[story]]`` entries of a stories file (default ``geodata/stories.toml``), checked for shape.

    Raises:
        InputError: the file is missing, not TOML, has no ``[[story]]``, or a story lacks a
            title or its ``query`` string.
    """
    p = Path(path) if path else config.GEODATA_DIR / config.STORIES_FILE
    if not p.is_file():
        raise InputError(p, "story file not found", fix="check the path given to --stories")
    try:
        with open(p, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise InputError(p, f"not valid TOML ({err})", fix="fix the syntax at the line named") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(p, f"cannot be read ({err})", fix="pass a UTF-8 TOML file with [[story]] entries") from err
    stories = data.get("story")
    if not isinstance(stories, list) or not stories:
        raise InputError(p, "no [[story]] entries", fix="add at least one [[story]] with title_de and query")
    for i, s in enumerate(stories, start=1):
        if not isinstance(s, dict) or not isinstance(s.get("query"), str) or not s.get("title_de"):
            raise InputError(p, "a story needs title_de and a query string", where=f"story {i}",
                             fix='e.g. query = "ind=unemployment_share&lvl_muc=stadtbezirk"')
    return stories
