"""The bounded store of checked uploads whose run was interrupted (dashboard.projects_view.FinishedUploads)."""

from __future__ import annotations

import pytest

from dashboard import projects_view
from dashboard.projects_view import FinishedUploads, UploadResult


def _result(name: str) -> UploadResult:
    return UploadResult(name, "upload", None, None)


def test_a_result_is_taken_once_by_its_session_and_file():
    store = FinishedUploads()
    store.put("s1", "k1", _result("a.csv"))
    assert store.take("s2", "k1") is None  # another session
    assert store.take("s1", "k2") is None  # another file of the same session
    assert store.take("s1", "k1").name == "a.csv"
    assert store.take("s1", "k1") is None  # taken


def test_a_session_keeps_only_its_latest_file_and_the_store_is_bounded():
    store = FinishedUploads(max_entries=2)
    store.put("s1", "k1", _result("a.csv"))
    store.put("s1", "k2", _result("b.csv"))
    assert store.take("s1", "k1") is None and len(store) == 1
    store.put("s2", "k", _result("c.csv"))
    store.put("s3", "k", _result("d.csv"))
    assert len(store) == 2 and store.take("s1", "k2") is None  # the oldest went first


def test_results_expire(monkeypatch: pytest.MonkeyPatch):
    now = [1000.0]
    monkeypatch.setattr(projects_view.time, "monotonic", lambda: now[0])
    store = FinishedUploads(max_age_s=60)
    store.put("s1", "k1", _result("a.csv"))
    now[0] += 61
    assert store.take("s1", "k1") is None and len(store) == 0
