"""static/geo/ is cleaned: a new build version's first file removes the old versions' files (issue 11 leftover)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from dashboard import geometry_store
from dashboard.geometry_store import memoized, prune_versions, publish_json, version_folder


@pytest.fixture(autouse=True)
def _fresh_process_state():
    geometry_store._PRUNED.clear()
    geometry_store._MEMO.clear()
    yield
    geometry_store._PRUNED.clear()
    geometry_store._MEMO.clear()


def _files(root: Path) -> set[str]:
    return {p.relative_to(root / "geo").as_posix() for p in (root / "geo").rglob("*") if p.is_file()}


def _served(url: str, root: Path) -> Path:
    return root / url.removeprefix("/app/static/")


def test_new_version_removes_old_versions_and_keeps_the_current(tmp_path: Path) -> None:
    old = [publish_json(n, {"n": n}, tmp_path, version="aaa") for n in ("munich_stadtbezirk", "berlin_bezirk")]
    assert all(u and _served(u, tmp_path).is_file() and "/v-aaa/" in u for u in old)
    legacy = tmp_path / "geo" / "berlin_planungsraum-0123456789abcdef.json"  # a flat file of an older release
    legacy.write_text("{}")
    old_points = tmp_path / "geo" / "locations_munich_kita_de-0123456789abcdef.json"  # facility points, older release
    old_points.write_text("[]")
    unversioned = publish_json("my_own_file", [1], tmp_path)  # not a Raumatlas layer name: kept
    new = publish_json("munich_stadtbezirk", {"n": "new"}, tmp_path, version="bbb")
    assert new and _served(new, tmp_path).is_file()
    assert not any(_served(u, tmp_path).exists() for u in old if u)
    assert not legacy.exists() and not old_points.exists() and unversioned and _served(unversioned, tmp_path).is_file()
    second = publish_json("berlin_bezirk", {"n": "new"}, tmp_path, version="bbb")  # same version: nothing removed
    assert _served(new, tmp_path).is_file() and second and _served(second, tmp_path).is_file()
    assert {f.split("/")[0] for f in _files(tmp_path) if "/" in f} == {version_folder("bbb")}
    assert not [p for p in (tmp_path / "geo").iterdir() if p.name.startswith((".trash-", ".tmp-"))]


def test_same_content_in_the_new_version_is_written_again(tmp_path: Path) -> None:
    a = publish_json("munich_stadtbezirk", {"same": 1}, tmp_path, version="aaa")
    b = publish_json("munich_stadtbezirk", {"same": 1}, tmp_path, version="bbb")
    assert a != b and b and json.loads(_served(b, tmp_path).read_text()) == {"same": 1}
    assert a and not _served(a, tmp_path).exists()


def test_memo_entry_of_a_removed_file_is_made_again(tmp_path: Path) -> None:
    calls: list[str] = []

    def make(version: str):
        calls.append(version)
        return publish_json("munich_bezirksteil", {"v": 1}, tmp_path, version=version), {}

    key = ("geometry", "aaa")
    url, _ = memoized(key, lambda: make("aaa"), tmp_path)
    publish_json("berlin_bezirk", {"v": 2}, tmp_path, version="bbb")  # another process moved on to bbb
    assert url and not _served(url, tmp_path).exists()
    again, _ = memoized(key, lambda: make("aaa"), tmp_path)
    assert calls == ["aaa", "aaa"] and again and _served(again, tmp_path).is_file()
    assert memoized(key, lambda: make("aaa"), tmp_path)[0] == again and len(calls) == 2  # a live entry is kept


def test_prune_removes_stale_temporaries_only(tmp_path: Path) -> None:
    geo = tmp_path / "geo"
    geo.mkdir()
    fresh, stale = geo / ".tmp-fresh.json", geo / ".tmp-stale.json"
    fresh.write_text("x")
    stale.write_text("x")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    assert prune_versions(geo, keep="ccc") == [".tmp-stale.json"]
    assert fresh.exists() and not stale.exists()


def test_concurrent_writers_of_one_version_keep_every_file(tmp_path: Path) -> None:
    publish_json("munich_stadtbezirk", {"old": 1}, tmp_path, version="aaa")
    urls: list[str | None] = []
    threads = [threading.Thread(target=lambda i=i: urls.append(
        publish_json(f"berlin_l{i}", {"i": i}, tmp_path, version="bbb"))) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(urls) == 8 and all(u and _served(u, tmp_path).is_file() for u in urls)
    assert len(_files(tmp_path)) == 8
