"""Helpers for CLI/build/fetch tests: a cheap copy of the geodata folder and a CLI runner.

Raw files are symlinked (fast, ~0 bytes) except those a test will change, which
are real copies, so a test can never damage the bundled data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.builder.fetch import register_checksums
from pipelines.io import sha256_file

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {"raw", "processed", ".cache", "staging"}


def copy_geodata(src: Path, dst: Path, real: tuple[str, ...] = ()) -> Path:
    """Copy registries and folders of ``src`` to ``dst``; symlink raw files except the ``real`` ones."""
    dst.mkdir(parents=True, exist_ok=True)
    for p in src.iterdir():
        if p.is_file():
            shutil.copy2(p, dst / p.name)
        elif p.is_dir() and p.name not in SKIP_DIRS:
            shutil.copytree(p, dst / p.name)
    for p in (src / "raw").rglob("*"):
        if not p.is_file():
            continue
        rel = p.relative_to(src).as_posix()
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in real:
            shutil.copy2(p, target)
        else:
            target.symlink_to(p.resolve())
    return dst


def truncate_registered(geodata: Path, rel: str, divisor: int) -> None:
    """Cut the copied raw file ``rel`` to 1/``divisor`` of its bytes and register its new sha256.

    The checksum check then passes, so only the reader can catch the broken file
    (a "new edition" that is truncated). ``rel`` must be a real copy
    (``copy_geodata(..., real=(rel,))``), never a link to the bundled data.
    """
    path = geodata / rel
    if path.is_symlink():
        raise ValueError(f"{rel} is a link to the bundled data; copy it with real=({rel!r},)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // divisor])
    toml = geodata / "sources.toml"
    toml.write_text(register_checksums(toml.read_text(encoding="utf-8"), {rel: sha256_file(path)}), encoding="utf-8")


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pipelines ARGS`` as a user would, from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (to prove a failed run changed nothing)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
