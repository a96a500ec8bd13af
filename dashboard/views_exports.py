"""Download buttons of the exports: the current view as a slide (PNG, PDF) and "Steckbrief als PDF".

The files are drawn only when a button is clicked (Streamlit's deferred downloads),
so the buttons cost nothing on a rerun. They use the same builders as the
``raumatlas`` commands, fed by the app's cached loaders through :class:`LoaderData`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard import loaders, views_projects
from dashboard.i18n import t
from dashboard.state import Choices, ViewState


class LoaderData:
    """The :class:`dashboard.export_data.ExportData` interface over :mod:`dashboard.loaders`."""

    def __init__(self, version: str) -> None:
        self.version = version

    def manifest(self) -> dict[str, Any]:  # noqa: D102
        return loaders.load_manifest()

    def catalog(self) -> list[dict[str, Any]]:  # noqa: D102
        return loaders.load_catalog(self.version)

    def areas(self) -> pd.DataFrame:  # noqa: D102
        return loaders.load_areas(self.version)

    def indicator_values(self, city: str, level: str, indicator_id: str, period: str) -> pd.DataFrame:  # noqa: D102
        return loaders.indicator_values(self.version, city, level, indicator_id, period)

    def indicator_rows(self, city: str, indicator_id: str) -> pd.DataFrame:  # noqa: D102
        return loaders.indicator_rows(self.version, city, indicator_id)

    def area_and_city_rows(self, city: str, level: str, area_id: str) -> pd.DataFrame:  # noqa: D102
        return loaders.area_and_city_rows(self.version, city, level, area_id)

    def web_layer(self, city: str, level: str) -> gpd.GeoDataFrame | None:  # noqa: D102
        return loaders.load_web_layer(self.version, city, level)

    def locations(self) -> gpd.GeoDataFrame | None:  # noqa: D102
        return loaders.load_locations(self.version)

    def projects(self) -> gpd.GeoDataFrame | None:  # noqa: D102
        return loaders.load_projects(self.version)

    def sources(self) -> list[dict[str, Any]]:  # noqa: D102
        return loaders.load_sources(self.version)

    def choices(self) -> Choices:  # noqa: D102
        return loaders.load_choices(self.version)


def _slide(state: ViewState, version: str, fmt: str) -> bytes:
    from dashboard.export_slide import slide_bytes

    return slide_bytes(state, LoaderData(version), fmt)


def render_view_downloads(state: ViewState, version: str) -> None:
    """"Ansicht als PNG" and "Ansicht als PDF": both maps as one 1920x1080 slide."""
    lang = state.lang
    name = f"raumatlas_{state.indicator}_{state.level('munich')}_{state.level('berlin')}"
    png, pdf, _ = st.columns([1, 1, 2], gap="small")
    png.download_button(t("export_view_png", lang), data=lambda: _slide(state, version, "png"),
                        file_name=f"{name}.png", mime="image/png", on_click="ignore", key="export_view_png",
                        help=t("export_view_help", lang), icon=":material/image:", width="stretch")
    pdf.download_button(t("export_view_pdf", lang), data=lambda: _slide(state, version, "pdf"),
                        file_name=f"{name}.pdf", mime="application/pdf", on_click="ignore", key="export_view_pdf",
                        help=t("export_view_help", lang), icon=":material/picture_as_pdf:", width="stretch")


def render_profile_download(state: ViewState, version: str, level: str) -> None:
    """"Steckbrief als PDF" of the open profile, with this session's projects."""
    from dashboard.export_profile import profile_pdf_bytes

    lang, city, area_id = state.lang, state.area_city, state.area_id
    projects = views_projects.all_projects(version)  # read now: session state is not there at click time

    def build() -> bytes:
        return profile_pdf_bytes(LoaderData(version), city, level, area_id, lang, projects=projects)

    st.download_button(t("export_profile_pdf", lang), data=build, file_name=f"steckbrief_{city}_{area_id}.pdf",
                       mime="application/pdf", on_click="ignore", key="export_profile_pdf",
                       help=t("export_profile_help", lang), icon=":material/picture_as_pdf:", width="content")
