"""Footer: every data source with licence and attribution, and the data stand of the build."""

from __future__ import annotations

from html import escape

import streamlit as st

from dashboard import loaders
from dashboard.attribution import group_sources
from dashboard.i18n import format_period, t
from dashboard.state import ViewState
from pipelines.config import CITIES


def render(state: ViewState, version: str) -> None:
    """Sources per city (licence, attribution, reference date, link) and the build's time and version."""
    lang = state.lang
    manifest = loaders.load_manifest()
    sources = loaders.load_sources(version)
    st.divider()
    st.markdown(f"#### {t('footer_sources', lang)}")
    cols = st.columns(2, gap="large")
    for col, city in zip(cols, CITIES, strict=True):
        lines = []
        for s in (x for x in group_sources(sources) if x["city"] == city):
            dates = [format_period(d, lang) for d in s["reference_dates"]]
            stand = " – ".join([dates[0], dates[-1]]) if len(dates) > 2 else ", ".join(dates)
            if s["reference_date_assumed"]:
                stand = t("footer_date_assumed", lang, date=stand)
            editions = f" ({t('footer_editions', lang, n=s['count'])})" if s["count"] > 1 else ""
            lines.append(
                f"- **{escape(s['title'])}**{editions} — {escape(s['attribution'])}. "
                f"{t('licence', lang)}: {escape(s['licence'])}. "
                f"{t('reference_date', lang)}: {stand or '–'}. "
                f"[{t('source_link', lang)}]({s['url']})")
        with col:
            st.markdown(f"**{t(f'city_{city}', lang)}**")
            st.markdown("\n".join(lines))
    created = str(manifest.get("created", ""))
    st.caption(t("footer_stand", lang, created=created.replace("T", " ")[:16] or "–",
                 version=str(manifest.get("build_version", "–"))))
    st.caption(t("footer_approx", lang))
