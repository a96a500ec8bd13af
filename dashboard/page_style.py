"""Page-wide CSS and two small scripts: layout for every screen, contrast, one UI language.

Pure strings plus one drawing function (:func:`inject`). What it does, by screen:

- **Every screen**: captions and muted text at >= 4.5:1 contrast; headings never break
  inside a word; the dataframe toolbar (English "Download as CSV", "Search",
  "Fullscreen") is hidden (the app offers its own download buttons); the file
  uploader's English instructions are replaced by the UI language's text.
- **<= 900 px wide** (tablets): the two map columns stack, each city's header directly
  above its own map (the header row and the map row are interleaved with CSS ``order``).
- **Short desktop screens** (1366x768 laptops): the maps shrink with the viewport height
  so that the legends under them stay on the first screen.
- **Wide screens** (>= 1600 px, :data:`WIDE_PX`): an opened profile stands beside the maps (sticky, scrolling
  on its own) instead of below them; the maps keep the rest of the width.
- **Presentation mode** (``?present=1``, 1280x720 projector): bar, title, story text,
  both maps and both legends fit one screen; the maps take the height that is left.

The script (:func:`page_script`) sets ``<html lang>`` to the UI language and, after a new selection, scrolls
the profile (on wide screens: the maps with the profile beside them) into view and moves the keyboard focus to it.
"""

from __future__ import annotations

import json

from dashboard.views_state import w_level
from pipelines.config import CITIES

MAPS_KEY = "ra-maps"
"""Key of the container that holds the two map columns (CSS class ``st-key-ra-maps``)."""
NOTE_KEY = "ra-note"
"""Key of the container with the comparability note and the align-period button above the maps."""
PROFILE_KEY = "profile"
"""Key of the profile container (``views_profile``)."""
STAGE_KEY = "ra-stage"
"""Key of the container that holds the maps and the profile slot (side by side on wide screens)."""
PROFILE_SLOT_KEY = "ra-profile-slot"
"""Key of the (always present) container the profile is drawn into."""
PICKER_PENDING = "ra-picker-pending"
"""Class of the empty box that holds a level picker's place in a first paint (as tall as the selectbox)."""
SEARCH_PENDING = "ra-search-pending"
"""Class of the search's stand-in in a first paint: its label and an empty box, as tall as the search box."""
VIEW_PNG_KEY = "export_view_png"
"""Widget key of the "view as PNG" download: it marks the row of the view downloads."""
WIDE_PX = 1600
"""From this viewport width on, an opened profile sits beside the maps instead of below them."""

_MAPS = f".st-key-{MAPS_KEY}"  # Streamlit puts a keyed container's class on its stVerticalBlock
_ROWS = f"{_MAPS} > [data-testid='stLayoutWrapper']"
_COLS = f"{_ROWS} > [data-testid='stHorizontalBlock'] > [data-testid='stColumn']"
_MAP_FRAME = f".st-key-{MAPS_KEY} iframe"
_STAGE = f".st-key-{STAGE_KEY}:has(.st-key-{PROFILE_KEY})"  # only while a profile is open
# The rows are told apart by their widgets' keys, which Streamlit puts on the element at once: a widget whose
# code is still loading is a placeholder without the widget's test id (a row matched by that id changed its
# place at 768 px, and the maps moved by 17 and 77 px for about a second of a first visit).
_HEADER_HAS = ", ".join([*(f".st-key-{w_level(c)}" for c in CITIES), f".{PICKER_PENDING}"])
_DOWNLOADS_ROW = f"{_ROWS}:has(.st-key-{VIEW_PNG_KEY})"

# Plain CSS (no f-string): the top spacing, and in presentation mode the hidden chrome and large text.
_SPACING_CSS = """
/* ra-base-css: less empty space above the title, so both maps fit on a 1080p screen */
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 2.2rem !important;
  padding-left: 2.5rem !important; padding-right: 2.5rem !important; }
.stApp h1 { font-size: 2.1rem; }
/* Small screens (a 1280x720 projector in desk mode): a smaller title, so the maps start higher. */
@media (max-height: 800px) {
  .block-container, [data-testid="stMainBlockContainer"] { padding-top: 1.2rem !important; }
  .stApp h1 { font-size: 1.6rem; padding-bottom: 0.2rem; }
}
"""

_PROJECTOR_CHROME_CSS = """
/* ra-present-css */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarCollapseButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
#MainMenu, footer { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 0.8rem !important; max-width: 100% !important;
  padding-left: 1.5rem !important; padding-right: 1.5rem !important; }
.stApp, .stApp p, .stApp li, .stApp label, .stApp button, [data-testid="stCaptionContainer"],
[data-testid="stMarkdownContainer"] p { font-size: 21px !important; }
.stApp h1 { font-size: 2.1rem !important; padding: 0.2rem 0 0.4rem 0 !important; }
/* Both maps and their legends fill the screen below the headline, whatever the projector's resolution. */
iframe[src*="/component/dashboard.views_map_component.raumatlas_map/"] {
  height: max(320px, calc(100vh - 375px)) !important; }
"""

BASE_CSS = _SPACING_CSS + f"""
/* A level picker's place in a first paint: as tall as the selectbox that follows. */
.{PICKER_PENDING} {{ height: 2.5rem; }}
/* The search's stand-in in a first paint: Streamlit's widget label (0.875rem, line height 1.6, at least 1.5rem
   tall, 0.25rem below it; two lines where the column is narrow) above an empty box as tall as the text input. */
.{SEARCH_PENDING} p {{ display: flex; align-items: center; min-height: 1.5rem; margin: 0 0 0.25rem 0;
  font-size: 0.875rem; line-height: 1.6; color: #4a4d55; }}
.{SEARCH_PENDING} div {{ height: 2.5rem; border-radius: 0.5rem; background: #f3f4f6; }}
/* Text contrast >= 4.5:1 on white (Streamlit's grey captions are 4.2:1). */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"] p {{ color: #4a4d55 !important;
  opacity: 1 !important; }}
[data-testid="stSidebar"] [data-testid="stCaptionContainer"] {{ color: #43464d !important; }}
blockquote, blockquote p {{ color: #44474e !important; opacity: 1 !important; }}
/* A profile scrolled into view is not hidden under Streamlit's fixed header. */
.st-key-{PROFILE_KEY}, .st-key-{STAGE_KEY} {{ scroll-margin-top: 4.5rem; }}
/* Segmented controls (DE/EN, ...): the theme's orange on its tint is 3.9:1 and the unchosen grey 3.2:1. */
button[data-variant="segmented_control"] p {{ color: #31333f !important; }}
button[data-variant="segmented_control"][aria-checked="true"] p {{ color: #7c3d05 !important; }}
/* Headings never break inside a word ("Mün chen"). */
h1, h2, h3, h4, h5, h6, [data-testid="stHeading"] * {{ word-break: normal !important;
  overflow-wrap: normal !important; hyphens: manual !important; }}
/* The dataframe toolbar speaks English only; our own download buttons replace it. */
[data-testid="stElementToolbar"] {{ display: none !important; }}
/* Tables and charts: no full-screen expansion either (same toolbar). */
[data-testid="stFullScreenFrame"] > div > [data-testid="stElementToolbar"] {{ display: none !important; }}
/* Short desktop screens (1366x768): a compact head, and the maps shrink so that the legends stay visible. */
@media (min-width: 901px) and (max-height: 900px) {{
  {_MAP_FRAME} {{ height: max(270px, calc(100vh - 490px)) !important; }}
  /* the comparability note (with both dates and the align button) follows the maps here, right under the legends */
  .st-key-{NOTE_KEY}, {_MAPS} > *:has(> .st-key-{NOTE_KEY}) {{ order: 10; }}
  .block-container, [data-testid="stMainBlockContainer"] {{ padding-top: 1rem !important; }}
  .stApp h1 {{ font-size: 1.45rem !important; padding: 0 !important; }}
  .stApp h4 {{ padding: 0 !important; }}
  {_MAPS} [data-testid="stAlert"] p {{ font-size: 0.85rem !important; line-height: 1.35 !important; }}
  {_MAPS} [data-testid="stAlertContainer"] {{ padding: 0.45rem 0.8rem !important; }}
  [data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] {{ gap: 0.6rem !important; }}
  {_MAPS} {{ gap: 0.5rem !important; }}
}}
/* Wide screens: the opened profile beside the maps (sticky, scrolls on its own), the maps keep the rest. */
@media (min-width: {WIDE_PX}px) {{
  {_STAGE} {{ flex-direction: row !important; align-items: flex-start !important; flex-wrap: nowrap !important; }}
  {_STAGE} > * {{ min-width: 0 !important; width: auto !important; }}
  {_STAGE} > :has(.st-key-{MAPS_KEY}) {{ flex: 1 1 0 !important; }}
  {_STAGE} > :has(.st-key-{PROFILE_KEY}) {{ flex: 0 0 clamp(440px, 34%, 680px) !important; position: sticky;
    top: 4.5rem; }}
  .st-key-{PROFILE_KEY} {{ max-height: calc(100vh - 5.5rem); overflow-y: auto; overscroll-behavior: contain;
    flex-wrap: nowrap !important; }}
}}
/* Tablets and phones: each city's header above its own map, the maps stacked at full width. */
@media (max-width: 900px) {{
  {_ROWS}, {_ROWS} > [data-testid="stHorizontalBlock"] {{ display: contents !important; }}
  {_COLS} {{ width: 100% !important; min-width: 100% !important; flex: 0 0 auto !important; }}
  {_ROWS}:has({_HEADER_HAS}) > [data-testid="stHorizontalBlock"]
    > [data-testid="stColumn"]:nth-child(1)
    {{ order: 1; }}
  {_ROWS}:not(:has({_HEADER_HAS})) > [data-testid="stHorizontalBlock"]
    > [data-testid="stColumn"]:nth-child(1) {{ order: 2; }}
  {_ROWS}:has({_HEADER_HAS}) > [data-testid="stHorizontalBlock"]
    > [data-testid="stColumn"]:nth-child(2)
    {{ order: 3; }}
  {_ROWS}:not(:has({_HEADER_HAS})) > [data-testid="stHorizontalBlock"]
    > [data-testid="stColumn"]:nth-child(2) {{ order: 4; }}
  {_MAPS} > [data-testid="stElementContainer"] {{ order: 0; }}
  /* the view downloads stay one row, after both maps (they arrive after the first paint: nothing moves) */
  {_DOWNLOADS_ROW}, {_DOWNLOADS_ROW} > [data-testid="stHorizontalBlock"] {{ display: flex !important; }}
  {_DOWNLOADS_ROW} {{ order: 5; }}
  {_MAP_FRAME} {{ height: min(70vh, 520px) !important; }}
  .stApp h1 {{ font-size: 1.6rem !important; }}
  /* below Streamlit's header bar (the sidebar's open button): the search's two-line label stays readable */
  .block-container, [data-testid="stMainBlockContainer"] {{ padding-top: 3.75rem !important; }}
}}
"""

PRESENT_CSS = f"""
/* Presentation mode at 1280x720: everything on one screen; the maps take the height that is left. */
.block-container, [data-testid="stMainBlockContainer"] {{ padding-top: 0.4rem !important;
  padding-bottom: 0.5rem !important; }}
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] {{ gap: 0.35rem !important; }}
{_MAPS} {{ gap: 0.3rem !important; }}
.stApp h1 {{ font-size: 1.75rem !important; padding: 0.1rem 0 0.15rem 0 !important; line-height: 1.25 !important;
  margin: 0 !important; }}
.st-key-ra-story p {{ font-size: 20px !important; line-height: 1.35 !important; margin: 0 !important; }}
/* Streamlit pulls a Markdown block 1rem up under its last paragraph's margin; with that margin 0 above, the story's
   second line ran into the maps' headers. A map header that wraps keeps its lines together. */
.st-key-ra-story [data-testid="stMarkdownContainer"] {{ margin-bottom: 0 !important; }}
{_COLS} [data-testid="stMarkdownContainer"] p {{ line-height: 1.3 !important; }}
{_MAP_FRAME} {{ height: max(260px, calc(100vh - 410px)) !important; }}
/* The legend title repeats the header above the map: left out on the projector. */
{_COLS} .ra-legend > div:first-child {{ display: none !important; }}
{_COLS} .ra-legend {{ line-height: 1.3 !important; }}
{_COLS} [data-testid="stCaptionContainer"] {{ display: none !important; }}
""" + _PROJECTOR_CHROME_CSS


_TRANSLATE_WIDGETS = """
  /* Streamlit's file uploader has fixed English texts: put the UI language's in (again after each re-render). */
  window.raTexts = TEXTS;
  function raTranslate() {
    var tx = window.raTexts;
    document.querySelectorAll('[role="dialog"].stToast, [data-testid="stToast"]').forEach(function (el) {
      if (!el.getAttribute("aria-label")) { el.setAttribute("aria-label", tx.notice); }  /* axe: aria-dialog-name */
    });
    document.querySelectorAll('[data-testid="stFileUploaderDropzone"]').forEach(function (zone) {
      var label = zone.querySelector('button [data-testid="stMarkdownContainer"] p');
      if (label && label.textContent !== tx.browse) { label.textContent = tx.browse; }
      var input = zone.querySelector('input[type="file"]');
      if (input && input.getAttribute("aria-label") !== tx.input) { input.setAttribute("aria-label", tx.input); }
      var hint = zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
      if (hint) {  /* from Streamlit's own text, kept aside: rewriting our own text again would never end */
        if (hint.textContent !== hint.dataset.raDone) { hint.dataset.raOrig = hint.textContent; }
        var done = hint.dataset.raOrig.replace(/(\\d+)\\s*MB per file/, function (m, mb) {
          return tx.limit.replace("{mb}", mb); });
        if (hint.textContent !== done) { hint.dataset.raDone = done; hint.textContent = done; }
      }
    });
  }
  if (!window.raObserver) {
    window.raObserver = new MutationObserver(function () { raTranslate(); });
    window.raObserver.observe(document.body, {childList: true, subtree: true});
  }
  raTranslate();
"""


def page_script(lang: str, scroll_to_profile: bool, widget_texts: dict[str, str]) -> str:
    """``<html lang>`` = UI language; widget texts in it; after a new selection the profile comes into view.

    ``widget_texts``: ``browse`` (the uploader's button), ``input`` (its file input's name for screen
    readers), ``limit`` (``"Höchstens {mb} MB je Datei"``; ``{mb}`` is filled in the page), ``notice``
    (the name of a toast, a dialog for screen readers).
    """
    scroll = "true" if scroll_to_profile else "false"
    translate = _TRANSLATE_WIDGETS.replace("TEXTS", json.dumps(widget_texts, ensure_ascii=False))
    return f"""<script>
(function () {{
  var doc = document;  /* st.html(unsafe_allow_javascript=True) runs in the page itself, not a frame */
  doc.documentElement.lang = {json.dumps(lang)};
{translate}
  if (!{scroll}) return;
  var tries = 0;
  var timer = setInterval(function () {{
    var el = doc.querySelector(".st-key-{PROFILE_KEY}");
    if (el || ++tries > 40) {{ clearInterval(timer); }}
    if (!el) return;
    el.setAttribute("tabindex", "-1");
    /* beside the maps (wide screens): maps and profile together from their top; else the profile from its top */
    var wide = window.matchMedia("(min-width: {WIDE_PX}px)").matches && doc.querySelector(".st-key-{STAGE_KEY}");
    (wide || el).scrollIntoView({{block: "start", behavior: "instant"}});
    try {{ el.focus({{preventScroll: true}}); }} catch (e) {{}}
  }}, 150);
}})();
</script>"""
