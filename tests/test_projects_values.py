"""Single-cell parsers for project lists: German numbers/dates, lists, links, untrusted text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.projects.values import cell_text, check_link, is_formula_like, parse_date, parse_float, split_list


@pytest.mark.parametrize(("text", "expected"), [
    ("48,137", 48.137), ("48.137", 48.137), ("11", 11.0), ("-3,5", -3.5), (" 48,1 ", 48.1),
    ("abc", None), ("", None), ("1,2,3", None), ("nan", None), ("inf", None), ("1e400", None),
])
def test_parse_float_coordinates(text, expected):
    assert parse_float(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1.234,50", 1234.5), ("1,234.50", 1234.5), ("12.500", 12500.0), ("1234,5", 1234.5),
    ("1.234.567", 1234567.0), ("1,234,567", 1234567.0), ("1 234,50 €", 1234.5), ("800 EUR", 800.0),
    ("1.5", 1.5), ("viel", None), ("12,5 Mio", None),
])
def test_parse_float_budget(text, expected):
    assert parse_float(text, True) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("31.12.2025", "2025-12-31"), ("1.2.2025", "2025-02-01"), ("2025-12-31", "2025-12-31"),
    ("2025-12-31T00:00:00", "2025-12-31"), ("32.13.2025", None), ("2025-02-30", None), ("31.12.25", None),
    ("morgen", None), ("12/31/2025", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_split_list_semicolon_wins_over_comma_and_dedupes():
    assert split_list("Testverein B; Testinitiative C, Ortsgruppe") == ["Testverein B", "Testinitiative C, Ortsgruppe"]
    assert split_list("RBS, Sozialreferat ,rbs,, ") == ["RBS", "Sozialreferat"]
    assert split_list("A\nB") == ["A", "B"]
    assert split_list("  ") == []


@pytest.mark.parametrize(("text", "link", "verdict"), [
    ("https://example.org/a?b=1", "https://example.org/a?b=1", "ok"),
    ("http://example.org", "http://example.org", "ok"),
    ("www.example.org", "https://www.example.org", "fixed"),
    ("javascript:alert(1)", "", "bad"), ("JAVASCRIPT:alert(1)", "", "bad"),
    ("data:text/html,<script>alert(1)</script>", "", "bad"), ("ftp://example.org", "", "bad"),
    ("https://exa mple.org", "", "bad"), ('https://example.org/"onmouseover=', "", "bad"), ("https://", "", "bad"),
])
def test_check_link_only_http_https(text, link, verdict):
    assert check_link(text) == (link, verdict)


def test_cell_text_removes_controls_and_bidi_and_clips():
    assert cell_text("a\x1b[31mb\u202ec\n", 80) == "a[31mbc "
    assert cell_text("x" * 100, 10) == "x" * 9 + "…"


@pytest.mark.parametrize("text", ["=1+1", "+49", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_is_formula_like(text):
    assert is_formula_like(text)
    assert not is_formula_like("Wohnen " + text)


@given(st.text(max_size=40))
def test_parsers_never_raise(text):
    parse_float(text)
    parse_float(text, True)
    parse_date(text)
    split_list(text)
    check_link(text)
    assert "\x1b" not in cell_text(text)
