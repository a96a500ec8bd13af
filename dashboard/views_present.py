"""Presentation mode: no sidebar or Streamlit chrome, large text, stories stepped with Next/Back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from dashboard.i18n import t
from dashboard.state import Choices, ViewState
from dashboard.views_state import go_to_story, set_view


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
