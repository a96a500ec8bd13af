r"""Every string a stranger supplies is shown as text, never as Markdown, HTML, LaTeX or a link (issue 12).

Streamlit renders the body of ``st.warning``/``st.error``/``st.markdown``/``st.caption`` and
widget/expander labels as Markdown: a URL value such as ``[Sitzung abgelaufen](http://evil)``
would be a live link, ``![x](http://host/p.png)`` an image every visitor's browser fetches,
``$...$`` LaTeX, ``:red[...]`` coloured text, ``# ...`` a heading, and a right-to-left
override (U+202E) would turn ``txt.exe`` around. One helper for all of them:

- :func:`clean` drops control and bidi/invisible formatting characters, turns line breaks
  into spaces and clips the text (no Markdown escaping: for plain-text places such as
  file names, table cells, tooltips that escape HTML themselves);
- :func:`md` is :func:`clean` plus a backslash before every ASCII punctuation character, which
  CommonMark always reads as that literal character: no link, image, emphasis, heading,
  list, HTML tag, entity, ``$`` math or ``:directive[...]`` can start, and bare URLs are
  not auto-linked (``http\:`` / ``www\.``);
- :func:`file_name` is a safe download/display name;
- :func:`visitor_text` is an error message without server paths (the details go to the log).

Pure (no Streamlit): the views call it on URL values, file names and project fields.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_CHARS = 200
# C0/C1 controls (tab and line breaks are handled separately), and Unicode "format" characters that
# reorder or hide text: bidi embeddings/overrides/isolates, zero-width characters, the BOM, ALM.
_BIDI_AND_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def clean(text: object, max_chars: int = MAX_CHARS) -> str:
    """``text`` without control/bidi/invisible characters, on one line, at most ``max_chars`` characters."""
    s = "" if text is None else str(text)
    if s.isprintable():  # no control, format (bidi, zero-width) or line-separator character: nothing to drop
        s = s.strip()
        return s if len(s) <= max_chars else s[: max_chars - 1] + "…"
    s = re.sub(r"[\t\r\n\u2028\u2029\x85\x0b\x0c]+", " ", s)
    s = _BIDI_AND_INVISIBLE.sub("", s)
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Cc")
    s = s.strip()
    return s if len(s) <= max_chars else s[: max_chars - 1] + "…"


def md(text: object, max_chars: int = MAX_CHARS) -> str:
    """``text`` for any Streamlit element that renders Markdown: shown literally, character for character."""
    return _MD_PUNCTUATION.sub(r"\\\1", clean(text, max_chars))


def file_name(name: object, default: str = "upload", max_chars: int = 120) -> str:
    """The last path component of an uploaded file's name, cleaned (no slashes, controls or bidi characters)."""
    base = re.split(r"[\\/]", clean(name, 10_000))[-1].strip(" .")
    return clean(base, max_chars) or default


def visitor_text(err: BaseException, root: Path | None = None) -> str:
    """An error message without server paths: ``root`` (the repository) and other absolute paths cut to file names.

    ``root`` defaults to the folder above :data:`pipelines.config.GEODATA_DIR`.
    """
    from pipelines import config

    text = str(err)
    base = str(Path(root or Path(config.GEODATA_DIR).resolve().parent))
    text = text.replace(base + "/", "")
    return re.sub(r"(?<![\w.])/(?:[^\s/:'\"]+/)+([^\s/:'\"]+)", r"\1", text)
