"""Download buttons of the exports: the current view as a slide (PNG, PDF) and "Steckbrief als PDF".

Draw only: the files are drawn only when a button is clicked (Streamlit's deferred
downloads), so the buttons cost nothing on a rerun. The slide is this run's
:class:`~dashboard.page.PageContext` drawn by :func:`dashboard.export_slide.slide_bytes`,
the profile :func:`dashboard.export_profile.profile_pdf_bytes`, both reading the build
through the app's cached :class:`dashboard.loaders.BuildReader`, the same builders the
``raumatlas`` commands use.
"""

from __future__ import annotations

import streamlit as st

from dashboard import loaders
from dashboard.i18n import t
from dashboard.page import PageContext
from dashboard.page_style import VIEW_PNG_KEY


def _slide(page: PageContext, fmt: str) -> bytes:
    from dashboard.export_slide import slide_bytes

    return slide_bytes(page, loaders.BuildReader(page.version), fmt)


def render_view_downloads(page: PageContext) -> None:
    """"Ansicht als PNG" and "Ansicht als PDF": both maps of the page as one 1920x1080 slide."""
    state = page.state
    lang = state.lang
    name = f"raumatlas_{state.indicator}_{state.level('munich')}_{state.level('berlin')}"
    png, pdf, _ = st.columns([1, 1, 2], gap="small")
    png.download_button(t("export_view_png", lang), data=lambda: _slide(page, "png"),
                        file_name=f"{name}.png", mime="image/png", on_click="ignore", key=VIEW_PNG_KEY,
                        help=t("export_view_help", lang), icon=":material/image:", width="stretch")
    pdf.download_button(t("export_view_pdf", lang), data=lambda: _slide(page, "pdf"),
                        file_name=f"{name}.pdf", mime="application/pdf", on_click="ignore", key="export_view_pdf",
                        help=t("export_view_help", lang), icon=":material/picture_as_pdf:", width="stretch")


def render_profile_download(page: PageContext, level: str) -> None:
    """"Steckbrief als PDF" of the open profile, with the page's projects (the build's and this session's)."""
    from dashboard.export_profile import profile_pdf_bytes

    state = page.state
    lang, city, area_id = state.lang, state.area_city, state.area_id

    def build() -> bytes:
        return profile_pdf_bytes(loaders.BuildReader(page.version), city, level, area_id, lang,
                                 projects=page.projects)

    st.download_button(t("export_profile_pdf", lang), data=build, file_name=f"steckbrief_{city}_{area_id}.pdf",
                       mime="application/pdf", on_click="ignore", key="export_profile_pdf",
                       help=t("export_profile_help", lang), icon=":material/picture_as_pdf:", width="content")
