"""Projects in the app: upload with instant validation report, filters, example data, area collaboration.

An upload lives only in this session (``st.session_state``); nothing is written to disk.
The build's projects (``geodata/projects/`` -> ``projects.parquet``) always show. Every
table goes through ``st.dataframe`` (text, never HTML); what is written as Markdown is
escaped first. The pure work is in :mod:`dashboard.projects_view`.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard import loaders, memory, safe_text
from dashboard.download_hold import running_session_id
from dashboard.i18n import format_number, t
from dashboard.page import PageContext, ProjectFilters
from dashboard.projects_view import (
    EXAMPLE_FILE,
    UPLOAD_SUFFIXES,
    FinishedUploads,
    ProjectDisplay,
    UploadResult,
    area_collaboration,
    area_listing,
    cleaned_table,
    departments_of,
    matrix_frame,
    matrix_styles,
    process_upload,
    projects_in_area,
    report_counts,
    report_table,
    with_project_counts,
)
from pipelines.projects import sandbox, to_safe_csv

UPLOAD_KEY, EXAMPLE_KEY, UPLOAD_SEEN = "_proj_upload", "_proj_example", "_proj_upload_seen"
PANEL_OPENED = "_proj_panel_opened"
VERDICT_KEYS: dict[str, str] = {"ok": "proj_verdict_ok", "partial": "proj_verdict_partial",
                                "template": "proj_verdict_template"}
"""Message of a validation report by its status (anything else: refused)."""
W_UPLOAD, W_THEMES, W_STATUSES, W_DEPTS = "w_proj_upload", "w_proj_themes", "w_proj_status", "w_proj_depts"


def session_uploads() -> list[UploadResult]:
    """This session's processed files (the upload, then the example data)."""
    return [r for r in (st.session_state.get(UPLOAD_KEY), st.session_state.get(EXAMPLE_KEY)) if r is not None]


def current_filters() -> ProjectFilters:
    """The filter widgets' choices (theme, status, department) for the page context."""
    ss = st.session_state
    return ProjectFilters(themes=tuple(ss.get(W_THEMES) or ()), statuses=tuple(ss.get(W_STATUSES) or ()),
                          departments=tuple(ss.get(W_DEPTS) or ()))


def take_upload(version: str) -> None:
    """Process a newly uploaded file before the page is computed, so it shows on the maps in the same run."""
    _take_upload(st.session_state.get(W_UPLOAD), version)


def project_display_for(version: str) -> ProjectDisplay:
    """Theme colours and English labels from the app's ``projects/schema.toml`` (the build reader's, read once)."""
    return loaders.BuildReader(version).project_display()


def render_banner(lang: str) -> None:
    """The permanent note while the fictitious example projects are loaded."""
    if st.session_state.get(EXAMPLE_KEY) is not None:
        st.warning(t("proj_example_banner", lang), icon="⚠️")


def render_panel(page: PageContext) -> None:
    """Upload, example data, validation report, filters and the cleaned download (above the maps).

    The upload itself is taken before the page is computed (:func:`take_upload`).
    """
    lang, version = page.state.lang, page.version
    limits = loaders.project_schema(version).limits
    if session_uploads() or not page.projects.empty:
        st.session_state[PANEL_OPENED] = True
    if st.session_state.get(UPLOAD_SEEN) is not None or st.session_state.get(EXAMPLE_KEY) is not None:
        sandbox.warm()  # a planner who has uploaded (or tried the example) usually uploads (again): ~1 s sooner
    # Folded until the session has projects: the maps stay on the first screen. Once opened it stays open,
    # under one key: a panel that closed (or changed its key) while a file replaces the last one would
    # remount the uploader and lose the file it is sending (the replaced file's run has no projects).
    with st.expander(t("proj_title", lang), expanded=bool(st.session_state.get(PANEL_OPENED)),
                     icon=":material/folder_open:", key="proj_panel"):
        upload, actions = st.columns([3, 1], gap="medium", vertical_alignment="bottom")
        with upload:
            st.file_uploader(  # its file is taken above, from session_state, before the panel is drawn
                t("proj_upload", lang), type=list(UPLOAD_SUFFIXES), key=W_UPLOAD,
                help=t("proj_upload_help", lang, mb=format_number(limits["max_bytes"] / 1e6, lang, 0),
                       rows=format_number(limits["max_rows"], lang, 0)))
        with actions:
            if st.session_state.get(EXAMPLE_KEY) is None:
                st.button(t("proj_example_load", lang), key="proj_example_load", on_click=_load_example,
                          args=(version,), help=t("proj_example_help", lang), width="stretch")
            else:
                st.button(t("proj_example_remove", lang), key="proj_example_remove", on_click=_drop_example,
                          width="stretch")
        for result in session_uploads():
            _report(result, lang)
        _filters(page.projects, lang, version)
        st.caption(t("proj_session_note", lang))


def _take_upload(uploaded: object, version: str) -> None:
    """Process a newly uploaded file once (keyed on its bytes); forget it when the file is removed."""
    if uploaded is None:  # the planner removed the file: forget its projects
        if st.session_state.pop(UPLOAD_SEEN, None) is not None:
            st.session_state.pop(UPLOAD_KEY, None)
            memory.request_trim()
        return
    data = uploaded.getvalue()  # type: ignore[attr-defined]
    key = hashlib.sha256(data).hexdigest() + str(getattr(uploaded, "name", ""))
    if st.session_state.get(UPLOAD_SEEN) == key:
        return
    st.session_state.pop(UPLOAD_KEY, None)  # the previous file's projects go before the new one is read
    session = running_session_id() or ""
    result = _FINISHED.take(session, key)  # checked in a run that was interrupted before it could store it
    if result is None:
        with st.spinner(t("proj_checking", "de")):
            result = process_upload(data, str(getattr(uploaded, "name", "upload")), loaders.area_shapes_file(),
                                    loaders.project_schema(version))
            _FINISHED.put(session, key, result)  # before any Streamlit call: each may end this run
        memory.request_trim()  # the child's answer (a large file's report and projects) was unpickled here
    st.session_state[UPLOAD_KEY] = result
    st.session_state[UPLOAD_SEEN] = key
    _FINISHED.discard(session)


_FINISHED = FinishedUploads()
"""Checked uploads whose run ended before storing them (one per session, a few minutes at most)."""


def _load_example(version: str) -> None:
    data = EXAMPLE_FILE.read_bytes()
    st.session_state[EXAMPLE_KEY] = process_upload(data, EXAMPLE_FILE.name, loaders.load_area_shapes(version),
                                                   loaders.project_schema(version), origin="example")


def _drop_example() -> None:
    st.session_state.pop(EXAMPLE_KEY, None)


def _filters(projects: gpd.GeoDataFrame, lang: str, version: str) -> None:
    display = project_display_for(version)
    if projects.empty:
        st.caption(t("proj_none_loaded", lang))
        return
    theme, status, dept = st.columns(3)
    theme.multiselect(t("proj_filter_theme", lang), display.themes, key=W_THEMES,
                      format_func=lambda v: display.label("thema", v, lang), placeholder=t("proj_filter_all", lang))
    status.multiselect(t("proj_filter_status", lang), display.statuses, key=W_STATUSES,
                       format_func=lambda v: display.label("status", v, lang), placeholder=t("proj_filter_all", lang))
    dept.multiselect(t("proj_filter_dept", lang), departments_of(projects), key=W_DEPTS,
                     placeholder=t("proj_filter_all", lang))
    st.caption(t("proj_loaded", lang, n=format_number(len(projects), lang, 0)))


def _report(result: UploadResult, lang: str) -> None:
    """The validation report of one file: verdict, counts, the findings table, the cleaned download."""
    name = _md(result.name)
    if result.report is None:
        st.error(t("proj_refused_file", lang, name=name, reason=_md(result.error(lang))))
        return
    report = result.report
    c = {k: format_number(v, lang, 0) for k, v in report_counts(report).items()}  # 99.999 (de), 99,999 (en)
    verdict = {"ok": st.success, "partial": st.warning}.get(report.status, st.error)
    verdict(t(VERDICT_KEYS.get(report.status, "proj_verdict_refused"), lang, name=name, rows=c["rows"],
              valid=c["valid"], dropped=c["dropped"]))
    details = st.expander(t("proj_report_title", lang, name=name),
                          expanded=result.origin == "upload" and report.status != "ok")
    with details:
        cols = st.columns(5)
        for col, k in zip(cols, ("rows", "valid", "dropped", "errors", "warnings"), strict=True):
            col.metric(t(f"proj_count_{k}", lang), c[k])
        if report.problems:
            sev = {s: t(f"proj_sev_{s}", lang) for s in ("error", "warning", "info")}
            table = report_table(report, lang, sev, t("proj_col_where", lang), t("proj_file", lang))
            table.columns = [t("proj_col_where", lang), t("proj_col_severity", lang), t("proj_col_column", lang),
                             t("proj_col_message", lang)]
            st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 300),
                         key=f"proj_report_{result.origin}")
        if result.ok and result.projects is not None:
            projects = result.projects  # made when clicked: 100,000 rows take ~1.4 s, not to be spent on every run
            st.download_button(t("proj_download", lang), data=lambda: to_safe_csv(cleaned_table(projects)),
                               file_name=f"bereinigt_{result.name.rsplit('.', 1)[0]}.csv", mime="text/csv",
                               on_click="ignore", key=f"proj_dl_{result.origin}")


def _md(text: str) -> str:
    """Untrusted text for st.markdown/st.error: shown literally (:func:`dashboard.safe_text.md`)."""
    return safe_text.md(text, 1_000)


def render_area(page: PageContext, city: str, level: str, area_id: str) -> None:
    """In the area profile: the projects inside and who works together there."""
    lang = page.state.lang
    display = project_display_for(page.version)
    projects = projects_in_area(page.projects, city, level, area_id)
    st.markdown(f"**{t('proj_area_title', lang)}**")
    if projects.empty:
        st.caption(t("proj_area_none", lang))
        return
    listing = area_listing(projects, display, lang)
    listing.columns = [t(f"proj_col_{c}", lang) for c in listing.columns]
    st.dataframe(listing, hide_index=True, width="stretch", key="proj_area_list")
    collab = area_collaboration(page.projects, city, level, area_id)
    st.markdown(f"**{t('proj_collab_title', lang)}**")
    a, b, c = st.columns(3)
    a.metric(t("proj_collab_projects", lang), collab["n_projects"])
    b.metric(t("proj_collab_multi", lang), collab["n_multi_department"])
    share = collab["share_multi_department_pct"]
    c.metric(t("proj_collab_share", lang), f"{format_number(share, lang, 0)} %" if share is not None else "–")
    left, right = st.columns(2)
    with left:
        st.caption(t("proj_collab_depts", lang))
        depts = pd.DataFrame(collab["departments"], columns=["name", "projects", "lead"])
        depts.columns = [t("proj_col_dept", lang), t("proj_col_projects", lang), t("proj_col_lead", lang)]
        st.dataframe(depts, hide_index=True, width="stretch", key="proj_collab_depts")
    with right:
        st.caption(t("proj_collab_partners", lang))
        partners = pd.DataFrame(collab["partners"], columns=["name", "projects"])
        partners.columns = [t("proj_col_partner", lang), t("proj_col_projects", lang)]
        if partners.empty:
            st.caption(t("proj_collab_no_partners", lang))
        else:
            st.dataframe(partners, hide_index=True, width="stretch", key="proj_collab_partners")
    if len(collab["labels"]) > 1:
        st.caption(t("proj_collab_matrix", lang))
        matrix = matrix_frame(collab)
        st.dataframe(matrix.style.apply(matrix_styles, axis=None), width="stretch", key="proj_collab_matrix")
        st.caption(t("proj_collab_matrix_help", lang))


def add_ranking_columns(show: pd.DataFrame, table: pd.DataFrame, counts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ranking ``show`` table (rows aligned with ``table``) with project count and share after the value."""
    joined = with_project_counts(table[["area_id"]], counts)
    out = show.copy()
    at = min(3, len(out.columns))
    out.insert(at, t("proj_rank_count", lang), joined["projects"].to_numpy())
    out.insert(at + 1, t("proj_rank_share", lang),
               [format_number(v, lang, 0) if pd.notna(v) else "–" for v in joined["multi_share"]])
    return out
