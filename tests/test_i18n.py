"""The [ui] translations table covers every key the dashboard asks for, in both languages.

The keys are read from the code, not listed here: every ``t(...)`` and ``text(...)``
call (``text`` is the map layer's ``map_`` family) in ``dashboard/`` is parsed. A
literal key is checked as it is; an f-string key such as ``f"level_{level}"`` is
expanded with the vocabulary that fills it (imported from its owner module); any
other argument is resolved to the strings it is built from (literals inside it and
the values of module-level tables it names), or to the data that carries the key.
A call the scan cannot resolve fails the test, so a new kind of key cannot slip by.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dashboard.classify import METHODS, SCALES
from dashboard.comparison import EXPORT_COLUMNS, REST_ID
from dashboard.i18n import LANGS, format_period, load_ui_table, t
from dashboard.palettes import LOCATION_COLORS
from dashboard.state import LAYERS
from pipelines.config import CITIES, COVERAGE_LEVELS, FLAGS, LEVELS

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
PREFIX = {"t": "", "text": "map_"}  # legend.text(key) is t("map_" + key)


def _strings_with_prefix(module: str, prefix: str) -> set[str]:
    tree = ast.parse((DASHBOARD / module).read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and re.fullmatch(prefix + r"[a-z0-9_]+", n.value)}


ALL_LEVELS = tuple(lv for levels in LEVELS.values() for lv in levels)
MAP_LEVELS = tuple(lv for levels in COVERAGE_LEVELS.values() for lv in levels)
# What fills each f-string key of the code (values from the owner modules, never copied here).
PATTERN_VALUES: dict[str, tuple[str, ...]] = {
    "city_{}": CITIES, "city_total_{}": CITIES,
    "level_{}": ALL_LEVELS, "level_short_{}": (*MAP_LEVELS, "stadtbezirk", "bezirksteil"),
    "method_{}": METHODS, "scale_{}": SCALES, "layer_{}": LAYERS,
    "flag_{}": tuple(f for f in FLAGS if f),
    "map_{}": (),  # legend.text itself: its callers are checked
    "summary_{}": ("union", "rest", "city"),  # ActionAreaSummary row kinds other than handlungsraum
    "col_{}": ("name", "layer", "address", "provider"),  # profile.locations_inside columns
    "proj_col_{}": ("titel", "thema", "status", "federfuehrung", "beteiligte_referate", "partner", "beginn", "ende"),
    "proj_count_{}": ("rows", "valid", "dropped", "errors", "warnings"),
    "proj_sev_{}": ("error", "warning", "info"),
    "cmp_col_{}": EXPORT_COLUMNS,  # the comparison table's headers
    "level_one_{}": (*ALL_LEVELS, REST_ID),  # a pin's level in the comparison ("rest" = übriges München)
}
# Keys that travel as data from where they are made to where they are shown.
CARRIED: dict[tuple[str, str], set[str]] = {
    ("views_main.py", "n.key"): _strings_with_prefix("state.py", "notice_"),  # Notice.key
    ("export_view.py", "n.key"): _strings_with_prefix("state.py", "notice_"),  # Notice.key as the export's error
    ("views_ranking.py", "key"): _strings_with_prefix("ranking.py", "summary_note_"),  # summary.notes
    ("legend.py", "classification.method"): set(METHODS),
    ("legend.py", "mode"): set(SCALES),
    ("map_layers.py", "kind"): set(LOCATION_COLORS),
    ("comparison.py", "note"): _strings_with_prefix("comparison.py", "cmp_(?:not|note|rest)_"),  # row notes
}


def _pattern(node: ast.expr) -> str | None:
    """``f"a_{x}"`` or ``"a_" + x`` as ``"a_{}"``; None for other expressions."""
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant):
        return f"{node.left.value}{{}}"
    return None


def _module_tables(tree: ast.Module) -> dict[str, set[str]]:
    """String values of module-level dict/tuple constants (e.g. GROUP_KEYS), by name."""
    out: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            values = node.value.values if isinstance(node.value, ast.Dict) else \
                node.value.elts if isinstance(node.value, ast.Tuple) else []
            strings = {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
            for target in targets:
                if isinstance(target, ast.Name) and strings:
                    out[target.id] = strings
    return out


def _resolved(node: ast.expr, tables: dict[str, set[str]]) -> set[str]:
    """Strings an expression can evaluate to: literals, both arms of ``a if c else b``, the values
    of a module-level table it names and the default of ``TABLE.get(x, default)`` (never the lookup key
    or a condition)."""
    if isinstance(node, ast.Constant):
        return {node.value} if isinstance(node.value, str) else set()
    if isinstance(node, ast.Name):
        return set(tables.get(node.id, set()))
    if isinstance(node, ast.IfExp):
        return _resolved(node.body, tables) | _resolved(node.orelse, tables)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        found = _resolved(node.func.value, tables)
        return found | (_resolved(node.args[1], tables) if len(node.args) > 1 else set())
    if isinstance(node, ast.Dict):
        return {s for v in node.values for s in _resolved(v, tables)}
    return set()


def used_keys() -> tuple[set[str], list[str]]:
    """Every translation key the dashboard's code can ask for, and the calls the scan could not resolve."""
    keys: set[str] = set()
    unresolved: list[str] = []
    for path in sorted(DASHBOARD.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tables = _module_tables(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PREFIX
                    and node.args):
                continue
            prefix, arg = PREFIX[node.func.id], node.args[0]
            where = f"{path.name}:{node.lineno} {ast.unparse(arg)}"
            if isinstance(arg, ast.Constant):
                keys.add(prefix + str(arg.value))
            elif (pattern := _pattern(arg)) is not None:
                if prefix + pattern not in PATTERN_VALUES:
                    unresolved.append(where)
                keys |= {prefix + pattern.format(v) for v in PATTERN_VALUES.get(prefix + pattern, ())}
            elif (path.name, ast.unparse(arg)) in CARRIED:
                keys |= {prefix + k for k in CARRIED[(path.name, ast.unparse(arg))]}
            elif strings := _resolved(arg, tables):
                keys |= {prefix + s for s in strings}
            else:
                unresolved.append(where)
    return keys, unresolved


def test_every_key_the_code_uses_has_german_and_english() -> None:
    table = load_ui_table()
    keys, unresolved = used_keys()
    assert unresolved == [], "teach PATTERN_VALUES or CARRIED what fills these keys"
    assert len(keys) > 150
    missing = sorted(k for k in keys if any(not table.get(k, {}).get(lang) for lang in LANGS))
    assert missing == []


def test_the_scan_finds_keys_of_every_kind() -> None:
    """Literal, f-string, table-resolved and carried keys all reach the check (it cannot pass empty)."""
    keys, _ = used_keys()
    assert {"app_title", "map_rank", "level_planungsraum", "proj_verdict_refused", "group_other",
            "map_rel_worse_below", "notice_bad_layer", "summary_note_overlap", "map_natural_breaks",
            "map_youth_centre", "flag_under_300"} <= keys


@pytest.mark.parametrize("pattern", sorted(PATTERN_VALUES))
def test_every_pattern_is_still_used(pattern: str) -> None:
    """A pattern no call uses any more is a stale entry: drop it."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in DASHBOARD.glob("*.py"))
    bare = pattern.removeprefix("map_") if pattern != "map_{}" else pattern
    assert bare.split("{}")[0] in source


def test_t_fills_placeholders_and_falls_back() -> None:
    assert t("profile_title", "de", name="Neukölln") == "Steckbrief: Neukölln"
    assert t("profile_title", "en", name="Neukölln") == "Profile: Neukölln"
    assert t("profile_title", "fr", name="X") == "Steckbrief: X"  # German fallback
    assert t("no_such_key", "en") == "no_such_key"  # visible, never a crash


def test_period_formats() -> None:
    assert format_period("2024-12-31", "de") == "31.12.2024" and format_period("2024-12-31", "en") == "2024-12-31"
