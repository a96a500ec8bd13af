"""Page parts that depend only on the build and a few settings are computed once per process (issue 11)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from dashboard import page_memo
from dashboard.page import build_page
from tests.test_page import CHOICES, STATE, FakeBuild


@dataclass
class AppReader(FakeBuild):
    """The in-memory build dressed as one of the app's readers (whose version names its content)."""


AppReader.__module__ = "dashboard.build_files"


@pytest.fixture(autouse=True)
def _empty_memo():
    page_memo.clear()
    yield
    page_memo.clear()


def test_comparison_is_reused_across_runs_that_change_the_indicator_view() -> None:
    data = AppReader(version="memo-1")
    first = build_page(STATE, CHOICES, data)
    other_view = build_page(replace(STATE, k=5, scale="relative"), CHOICES, data)
    assert other_view.comparison is first.comparison  # the same object: not computed again
    assert other_view.cities["munich"].classification != first.cities["munich"].classification


@pytest.mark.parametrize("change", [dict(lang="en"), dict(compare=("munich:01",)), dict(compare_align=True)])
def test_comparison_follows_its_own_settings(change: dict) -> None:
    data = AppReader(version="memo-1")
    first = build_page(STATE, CHOICES, data)
    changed = build_page(replace(STATE, **change), CHOICES, data)
    assert changed.comparison is not first.comparison
    fresh = build_page(replace(STATE, **change), CHOICES, FakeBuild())  # not memoised: computed from scratch
    assert changed.comparison.options == fresh.comparison.options and changed.comparison.pins == fresh.comparison.pins


def test_another_build_version_is_computed_again() -> None:
    a = build_page(STATE, CHOICES, AppReader(version="memo-1"))
    b = build_page(STATE, CHOICES, AppReader(version="memo-2"))
    assert a.comparison is not b.comparison


def test_test_builds_are_never_memoised_and_the_memo_is_bounded() -> None:
    assert page_memo.memo_scope(FakeBuild()) is None
    data = AppReader(version="memo-1")
    for i in range(page_memo.MEMO_MAX + 10):
        page_memo.memoized(data, ("n", i), lambda i=i: i)
    assert len(page_memo._MEMO) == page_memo.MEMO_MAX
    assert page_memo.memoized(data, ("n", page_memo.MEMO_MAX + 9), lambda: -1) == page_memo.MEMO_MAX + 9


def test_city_values_are_reused_when_only_the_classes_change() -> None:
    data = AppReader(version="memo-1")
    first = build_page(STATE, CHOICES, data)
    calls = data.calls["indicator_values"]
    again = build_page(replace(STATE, k=4, method="equal_interval"), CHOICES, data)
    assert data.calls["indicator_values"] == calls  # no table read again
    assert again.cities["berlin"].frame is first.cities["berlin"].frame
    assert again.cities["berlin"].ranking is first.cities["berlin"].ranking
    fresh = build_page(replace(STATE, k=4, method="equal_interval"), CHOICES, FakeBuild())
    for city in ("munich", "berlin"):
        assert again.cities[city].classification == fresh.cities[city].classification
        assert again.cities[city].colors == fresh.cities[city].colors
