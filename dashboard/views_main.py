"""The main (and only) page: state from the URL, sidebar, maps, profile, rankings, footer."""

from __future__ import annotations

import streamlit as st

from dashboard import (
    loaders,
    views_exports,
    views_footer,
    views_maps,
    views_present,
    views_profile,
    views_projects,
    views_ranking,
    views_sidebar,
)
from dashboard.i18n import DEFAULT_LANG, LANGS, catalog_text, t
from dashboard.page import build_page
from dashboard.state import Q_LANG, Notice, revalidate
from dashboard.views_state import commit, current_state

TITLE = "Raumatlas – Handlungsräume München & Sozialräume Berlin"


def _lang_hint() -> str:
    """The language asked for in the URL, before anything is loaded (for the build message)."""
    lang = st.query_params.get(Q_LANG, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def _show_notices(notices: list[Notice], lang: str) -> None:
    for n in notices:
        st.warning(t(n.key, lang, value=n.value), icon="⚠️")
    if notices:
        st.toast(t("notice_fallback", lang), icon="⚠️")


def render() -> None:
    """Draw the whole dashboard for the current URL and widgets."""
    loaders.ensure_build(_lang_hint())
    version = loaders.build_version()
    choices = loaders.load_choices(version)
    stories = loaders.load_stories(version)
    state, notices = current_state(choices, stories)

    headline = ""
    views_present.inject_base_css()
    if state.present:
        views_present.inject_css()
        headline = views_present.render_bar(state, choices, stories)
    else:
        state = views_sidebar.render(state, choices, version)
        views_projects.take_upload(version)  # an upload shows on the maps in the run it arrives
    page = build_page(state, choices, loaders.BuildReader(version), uploads=views_projects.session_uploads(),
                      filters=views_projects.current_filters())
    lang = state.lang
    if state.present:  # the story text follows the maps: on a projector the maps come first
        st.title(headline or catalog_text(page.entry, "label", lang))
    else:
        st.title(t("app_title", lang))
        st.caption(t("app_subtitle", lang))
    _show_notices(notices, lang)
    commit(state)
    views_projects.render_banner(lang)  # permanent while the fictitious example projects are loaded
    maps_slot = st.container()
    if not state.present:
        # Shown under the maps (they come first on a small screen) but drawn before them.
        with st.container():
            views_projects.render_panel(page)

    with maps_slot:
        state = revalidate(views_maps.render(page), choices)  # a clicked id must exist too
        views_exports.render_view_downloads(page.with_state(state))
    page = page.with_state(state)  # a click changes only the selection: nothing to compute again
    commit(state)
    if state.present:
        views_present.render_story_text(state, stories)
    views_profile.render(page)
    if not state.present:
        views_ranking.render(page)
    views_footer.render(state, version)
