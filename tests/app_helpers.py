"""Running the real app under Streamlit's AppTest: shared by the AppTest modules."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


def run_app(query: dict[str, str] | None = None) -> AppTest:
    """The app run once with ``query`` as its URL parameters."""
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def query_of(at: AppTest) -> dict[str, str]:
    """The app's URL parameters after a run, one value per key."""
    return {k: at.query_params[k][-1] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}
