"""Raumatlas dashboard: Streamlit views (views_*.py) on top of pure helpers (maps, classify, legend, offline)."""
