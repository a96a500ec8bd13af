"""Raumatlas: Munich Handlungsräume and Berlin social spaces side by side.

Run with ``streamlit run streamlit_app.py``; the page is set up here and the
views in :mod:`dashboard.views_main` do the rest.
"""

import streamlit as st

from dashboard import download_hold, memory
from dashboard.views_main import TITLE, render

memory.install()  # once per process: expired sessions shut down, freed memory handed back
download_hold.install()  # a clicked download's file stays until the browser has fetched it

st.set_page_config(page_title=TITLE, page_icon="🗺️", layout="wide", initial_sidebar_state="auto")
render()
