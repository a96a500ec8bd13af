"""The main (and only) page: state from the URL, sidebar, maps, profile, rankings, footer."""

from __future__ import annotations

import streamlit as st

from dashboard import (
    loaders,
    views_build,
    views_compare,
    views_exports,
    views_first_paint,
    views_footer,
    views_maps,
    views_present,
    views_profile,
    views_projects,
    views_ranking,
    views_search,
    views_sidebar,
)
from dashboard.city_map import has_map
from dashboard.i18n import DEFAULT_LANG, LANGS, catalog_text, t, translations_problem
from dashboard.page import build_page
from dashboard.page_style import BASE_CSS, MAPS_KEY, PRESENT_CSS, PROFILE_SLOT_KEY, STAGE_KEY, page_script
from dashboard.query_values import Notice
from dashboard.safe_text import md
from dashboard.state import Q_LANG, revalidate
from dashboard.views_state import commit, current_state

TITLE = "Raumatlas – Handlungsräume München & Sozialräume Berlin"


def _lang_hint() -> str:
    """The language asked for in the URL, before anything is loaded (for the build message)."""
    lang = st.query_params.get(Q_LANG, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def _show_notices(notices: list[Notice], lang: str, *, toast: bool = True) -> None:
    for n in notices:
        st.warning(t(n.key, lang, value=md(n.value)), icon="⚠️")  # a URL value is text, never Markdown
    if notices and toast:
        st.toast(t("notice_fallback", lang), icon="⚠️")


def _inject_style(present: bool) -> None:
    """Page CSS (layout per screen, contrast; presentation mode: no chrome, large text), in one element."""
    css = BASE_CSS + PRESENT_CSS if present else BASE_CSS
    st.html(f"<style>{css}</style>")


def _page_script(state_lang: str, area: tuple[str, str]) -> None:
    """``<html lang>``; scroll to the profile when the selection is new in this run."""
    new = bool(area[1]) and st.session_state.get(_SEEN_AREA) != area
    st.session_state[_SEEN_AREA] = area
    texts = {"browse": t("upload_browse", state_lang), "input": t("upload_input", state_lang),
             "limit": t("upload_limit", state_lang), "notice": t("toast_label", state_lang)}
    st.html(page_script(state_lang, new, texts), unsafe_allow_javascript=True)


_SEEN_AREA = "_area_seen"


def render() -> None:
    """Draw the dashboard for the current URL and widgets.

    A session's first run stops after the maps' screen; the maps' "drawn" report starts the run that
    draws the sections below them (:mod:`dashboard.views_first_paint`).
    """
    views_build.ensure_build(_lang_hint())
    version = loaders.build_version()
    choices = loaders.load_choices(version)
    stories = loaders.load_stories(version)
    state, notices = current_state(choices, stories)

    headline = ""
    _inject_style(state.present)
    if state.present:
        headline = views_present.render_bar(state, choices, stories)
    else:
        state = views_sidebar.read(state, choices)  # drawn after the maps (views_sidebar.read says why)
        views_projects.take_upload(version)  # an upload shows on the maps in the run it arrives
    page = build_page(state, choices, loaders.BuildReader(version), uploads=views_projects.session_uploads(),
                      filters=views_projects.current_filters())
    lang = state.lang
    # A session's first run: the shell and the maps only; the maps' report starts the run with the rest.
    deferring = views_first_paint.defer_rest(any(has_map(page, c) for c in page.cities.values()))
    notices, new_notices = views_first_paint.keep_notices(notices, deferring)
    search_slot = None
    if state.present:  # title and story text, then the maps: all on one projector screen
        st.title(headline or catalog_text(page.entry, "label", lang))
        with st.container(key="ra-story"):
            views_present.render_story_text(state, stories)
    else:
        title, search_slot = st.columns([3, 2], vertical_alignment="top")
        with title:
            st.title(t("app_title", lang))
            st.caption(t("app_subtitle", lang))
    notices_slot = st.container()  # one element whatever it holds: the maps below keep their place (and frames)
    commit(state)
    with st.container(key=STAGE_KEY):  # maps, and the profile below them (beside them on wide screens)
        maps_slot = st.container(key=MAPS_KEY)
        profile_slot = st.container(key=PROFILE_SLOT_KEY)
    panel_slot = None if state.present else st.container()  # projects, shown under the maps

    # The maps are drawn first: their arguments reach the browser before the rest of the page is sent,
    # so the map frames load (first visit) or recolour (a change) while the rest is still being drawn.
    with maps_slot:
        state, clicks = views_maps.render(page, first_paint=deferring)
        state = revalidate(state, choices)  # a clicked id must exist too
        commit(state)  # the clicked area is stored before its click counts as seen (views_maps.render says why)
        views_maps.mark_clicks_seen(clicks)
        views_maps.let_maps_paint(state)  # a changed view: the browser recolours the maps before the rest arrives
        if not deferring:  # a first paint leaves out every widget the maps can do without (views_first_paint)
            views_exports.render_view_downloads(page.with_state(state))
    if search_slot is not None:  # beside the title; in a first paint a stand-in of its size (it sets the row's height)
        with search_slot:
            views_search.render_pending(lang) if deferring else views_search.render(page)
    with notices_slot:
        _show_notices(notices, lang, toast=new_notices)
        if problem := loaders.stories_problem(version):  # a typo in stories.toml: the maps work, the stories wait
            st.warning(t("stories_broken", lang, reason=md(problem, 600)), icon="⚠️")
        if problem := translations_problem(lang, quote=md):  # a broken translations.toml: keys show as such
            st.warning(problem, icon="⚠️")
        views_projects.render_banner(lang)  # permanent while the fictitious example projects are loaded
    if not state.present:  # the controls follow the maps in a first paint; the sidebar is there from the start
        views_sidebar.render_pending() if deferring else views_sidebar.render(state, choices, version)
    if panel_slot is not None and not deferring:
        with panel_slot:
            views_projects.render_panel(page)
    page = page.with_state(state)  # a click changes only the selection: nothing to compute again
    commit(state)
    with profile_slot:
        views_profile.render(page)
    _page_script(lang, (state.area_city, state.area_id))
    if deferring:  # below the maps: their slots stay empty until the next run
        return
    if not state.present:
        views_compare.render(page)
        views_ranking.render(page)
    views_footer.render(state, version)
