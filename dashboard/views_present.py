"""Presentation mode: no sidebar or Streamlit chrome, large text, stories stepped with Next/Back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from dashboard.i18n import t
from dashboard.state import Choices, ViewState
from dashboard.views_state import go_to_story, set_view

# Plain CSS: views_main draws it with the page's other styles in one ``st.html`` element (a Markdown
# element with HTML would make the browser load Streamlit's raw-HTML Markdown code for the first screen).
PRESENT_CSS = """
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


BASE_CSS = """
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


def story_title(story: dict[str, Any], lang: str) -> str:
    """A story's title in ``lang`` (German fallback)."""
    return str(story.get(f"title_{lang}") or story.get("title_de") or "")


def story_text(story: dict[str, Any], lang: str) -> str:
    """A story's text in ``lang`` (German fallback)."""
    return str(story.get(f"text_{lang}") or story.get("text_de") or "")


def render_bar(state: ViewState, choices: Choices, stories: list[dict[str, Any]]) -> str:
    """The story bar (Back, position, Next, language, exit); returns the headline for this view."""
    lang = state.lang
    n = len(stories)
    back, pos, nxt, lang_col, exit_col = st.columns([1.1, 2.4, 1.1, 0.6, 2], vertical_alignment="center")
    back.button(t("story_back", lang), key="story_back", disabled=n == 0 or state.step <= 0, width="stretch",
                on_click=go_to_story, args=(stories, choices, state.step - 1, lang))
    nxt.button(t("story_next", lang), key="story_next", disabled=n == 0 or state.step >= n - 1, width="stretch",
               on_click=go_to_story, args=(stories, choices, state.step + 1, lang))
    if n:
        pos.markdown(t("story_position", lang, i=state.step + 1, n=n))
    other = "en" if lang == "de" else "de"
    lang_col.button(other.upper(), key="present_lang", width="stretch",
                    on_click=set_view, args=(replace(state, lang=other),))
    exit_col.button(t("present_exit", lang), key="present_exit", width="stretch",
                    on_click=set_view, args=(replace(state, present=False),))
    if n and 0 <= state.step < n:
        return story_title(stories[state.step], lang)
    return ""


def render_story_text(state: ViewState, stories: list[dict[str, Any]]) -> None:
    """The current story's text under the headline (nothing outside a story)."""
    if stories and 0 <= state.step < len(stories):
        text = story_text(stories[state.step], state.lang)
        if text:
            st.markdown(text)
