"""Bounded caches and no state outside the session and the URL (issue 12: 1,000 views, several replicas).

Every ``st.cache_data``/``st.cache_resource`` in ``dashboard/`` declares ``max_entries`` (so 1,000
different views cannot grow memory past the cap; ``benchmarks/bench_load.py --views 1000`` shows it
on the real server), and the dashboard keeps no module-level state that a request changes, except
the listed process caches of data derived from the build, which are the same in every replica.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
CACHE_DECORATORS = {"cache_data", "cache_resource"}
MUTATORS = {"append", "extend", "insert", "pop", "popitem", "clear", "update", "setdefault", "add", "discard",
            "remove", "__setitem__"}
# name -> why it may change at run time without being session state (same in every replica, never per visitor)
PROCESS_CACHES = {
    ("geometry_store.py", "_MEMO"): "which static geometry file was written for a (build, city, level)",
    ("views_build.py", "_BUILD_FAILURE"): "when this process last tried a failed rebuild (retry throttle)",
    ("export_locator.py", "_PATHS"): "matplotlib paths of area layers, the PATHS_MAX most recent",
    ("geometry_store.py", "_PRUNED"): "which build versions' old geometry folders this process removed",
    ("page_memo.py", "_MEMO"): "page parts per build version, least recently used dropped past MEMO_MAX",
    ("export_batch.py", "_WORKER_DATA"): "the build folder of a forked export worker (command line)",
    ("memory.py", "_WAKE"): "a flag: a run freed a large upload, the memory thread should trim",
    ("views_projects.py", "_FINISHED"): "a checked upload whose run was interrupted, until that session's next run "
                                        "takes it (the same websocket, so the same replica; <= 4, <= 5 min)",
}


def _modules() -> list[Path]:
    return sorted(DASHBOARD.glob("*.py"))


def _cache_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if isinstance(target, ast.Attribute) and target.attr in CACHE_DECORATORS:
                    yield node.name, dec


def test_every_streamlit_cache_has_max_entries():
    found, unbounded = 0, []
    for path in _modules():
        for name, dec in _cache_calls(ast.parse(path.read_text(encoding="utf-8"))):
            found += 1
            keywords = {k.arg: k.value for k in dec.keywords} if isinstance(dec, ast.Call) else {}
            bound = keywords.get("max_entries")
            if not (isinstance(bound, ast.Constant) and isinstance(bound.value, int) and 0 < bound.value <= 1024):
                unbounded.append(f"{path.name}:{name}")
    assert found >= 10, "the loaders' caches were not found"
    assert unbounded == [], f"caches without a max_entries bound: {unbounded}"


def test_functools_caches_are_bounded():
    unbounded = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in node.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    name = getattr(target, "attr", getattr(target, "id", ""))
                    takes_nothing = not (node.args.args or node.args.posonlyargs or node.args.kwonlyargs
                                         or node.args.vararg or node.args.kwarg)  # one value: bounded
                    sized = isinstance(dec, ast.Call) and any(
                        k.arg == "maxsize" and isinstance(k.value, ast.Constant) and k.value.value
                        for k in dec.keywords)
                    if (name == "cache" and not takes_nothing) or (name == "lru_cache" and not sized):
                        unbounded.append(f"{path.name}:{node.name}")
    assert unbounded == []


def _module_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _mutated_module_names(tree: ast.Module) -> set[str]:
    """Module-level names that a function changes: ``global x``, ``x[k] = ...``, ``x.append(...)`` and the like."""
    module, out = _module_names(tree), set()
    for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        local = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
        for node in ast.walk(fn):
            if isinstance(node, ast.Global):
                out |= set(node.names)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                        out.add(t.value.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in MUTATORS and isinstance(node.func.value, ast.Name):
                out.add(node.func.value.id)
        out -= local
    return out & module


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_no_module_level_state_outside_session_and_url(path):
    mutated = _mutated_module_names(ast.parse(path.read_text(encoding="utf-8")))
    unexpected = {n for n in mutated if (path.name, n) not in PROCESS_CACHES}
    assert not unexpected, (f"{path.name} changes module-level {sorted(unexpected)} at run time: keep view state "
                            "in st.session_state or the URL, derived data in a bounded st.cache_*")
