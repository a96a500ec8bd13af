"""Build faults (issue 12): one build per output folder at a time, recovery of interrupted builds, clear disk errors.

:func:`guard_build` wraps :func:`pipelines.builder.orchestrate.run_build`:

- a file lock (``filelock``) per output folder, kept in the machine's temp folder
  (``raumatlas-build-locks/<hash of the folder's path>.lock``, so nothing is left in geodata and a
  read-only parent does not matter): a second build of the same folder (another CLI run,
  another app session or server process) waits for the first and then finds the build
  current, instead of racing it in the final rename (``ENOTEMPTY``);
- at start, under the lock, what an interrupted build left behind is cleaned up: staging
  folders ``.<out>.tmp-*`` are removed, and a good build stranded in ``.<out>.old-<pid>``
  (a kill between the two renames of :func:`pipelines.io.staging_dir`) is put back;
- :func:`preflight` (called by ``run_build`` once it knows it has work to do) checks that the
  folder is writable, is not a mount point and has room, before anything is computed;
- ``ENOSPC``/``EDQUOT``/``EROFS``/``EBUSY``/``ENOTEMPTY``/``EACCES`` from anywhere in the build become
  one :class:`BuildFaultError` line naming the path and the fix (exit code 1 in the CLI).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from pipelines import config
from pipelines.errors import PipelineError

F = TypeVar("F", bound=Callable[..., Any])
LOCK_TIMEOUT_S = 1800.0  # a full build takes minutes; waiting longer means the other one hangs
MIN_FREE_BYTES = 64_000_000


class BuildFaultError(PipelineError):
    """The build cannot write its output: names the path, the problem and the fix (exit code 1)."""

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path, self.problem, self.fix = str(path), problem, fix
        super().__init__(f"{path}: {problem} -> {fix}")


_FAULTS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free disk space or build elsewhere with --out DIR"),
    errno.EDQUOT: ("disk quota exceeded", "free space in your quota or build elsewhere with --out DIR"),
    errno.EROFS: ("the file system is read-only", "build into a writable folder with --out DIR"),
    errno.EACCES: ("permission denied", "make the folder writable for this user or use --out DIR"),
    errno.EPERM: ("operation not permitted", "make the folder writable for this user or use --out DIR"),
    errno.EBUSY: ("the folder is busy or a mount point and cannot be replaced",
                  "use a subfolder of the mount as --out (e.g. --out MOUNT/processed)"),
    errno.ENOTEMPTY: ("another process changed the output folder during the final rename",
                      "run the build again (builds of one folder are serialised by a lock file)"),
}


def lock_path(out: Path) -> Path:
    """The lock file of an output folder: one per absolute path, in the machine's temp folder."""
    key = hashlib.sha256(os.path.abspath(out).encode("utf-8")).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / "raumatlas-build-locks" / f"{key}.lock"


def guard_build(func: F) -> F:
    """Decorator for ``run_build(geodata, out, ...)``: lock, recovery and clear disk errors (see module doc)."""

    @functools.wraps(func)
    def wrapper(geodata: Path | str | None = None, out: Path | str | None = None, *args: Any, **kwargs: Any) -> Any:
        target = config.resolve_paths(geodata, out).out
        lock = _acquire(target)
        try:
            recover_interrupted(target)
            try:
                return func(geodata, out, *args, **kwargs)
            except OSError as err:
                fault = as_build_fault(err, target)
                if fault is None:
                    raise
                recover_interrupted(target)  # the staging folder of this very build, a half swap
                raise fault from err
        finally:
            if lock is not None:
                lock.release()

    return wrapper  # type: ignore[return-value]


def _acquire(out: Path) -> FileLock | None:
    """Take the folder's lock; None when it cannot be created (read-only parent: a no-op build still works)."""
    try:
        lock_path(out).parent.mkdir(mode=0o1777, parents=True, exist_ok=True)
        lock = FileLock(lock_path(out), timeout=LOCK_TIMEOUT_S, mode=0o666)
        lock.acquire()
    except Timeout:
        raise BuildFaultError(out, f"another build of this folder has held {lock_path(out)} for "
                                   f"{LOCK_TIMEOUT_S / 60:.0f} minutes",
                              "wait for it to finish, or stop it; the lock goes with its process") from None
    except OSError as err:
        if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return None
        raise as_build_fault(err, out) or err from None
    return lock


def recover_interrupted(out: Path) -> list[str]:
    """Remove stale staging folders of ``out`` and restore a stranded previous build; returns what was done.

    Call only while holding the folder's lock: then no other build of ``out`` is running and every
    ``.<out>.tmp-*`` is left over from a killed one.
    """
    done: list[str] = []
    parent = out.parent
    if not parent.is_dir():
        return done
    for tmp in parent.glob(f".{out.name}.tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
        done.append(f"removed stale staging folder {tmp.name}")
    olds = sorted(parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    if olds and not out.exists():
        os.replace(olds[0], out)
        done.append(f"restored the previous build from {olds[0].name}")
        olds = olds[1:]
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
        done.append(f"removed {old.name}")
    return done


def preflight(out: Path, min_free: int | None = None) -> None:
    """Before computing: ``out``'s parent must be writable, ``out`` no mount point, and there must be room.

    Room: twice the previous build (the staging copy lives next to it until the swap) plus a
    margin, at least :data:`MIN_FREE_BYTES`.
    """
    parent = out.parent
    if out.exists() and os.path.ismount(out):
        raise BuildFaultError(out, _FAULTS[errno.EBUSY][0], _FAULTS[errno.EBUSY][1])
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{out.name}.probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise as_build_fault(err, parent) or BuildFaultError(parent, f"cannot write here ({err})",
                                                             "use --out DIR") from None
    previous = _tree_size(out) if out.exists() else 0
    need = max(2 * previous + 16_000_000, MIN_FREE_BYTES if min_free is None else min_free)
    free = shutil.disk_usage(parent).free
    if free < need:
        raise BuildFaultError(parent, f"only {free / 1e6:.0f} MB free, the build needs about {need / 1e6:.0f} MB",
                              _FAULTS[errno.ENOSPC][1])


def as_build_fault(err: BaseException, default_path: Path) -> BuildFaultError | None:
    """The one-line fault for a disk/file-system OSError (pyarrow's included); None for other errors."""
    code = getattr(err, "errno", None)
    if code not in _FAULTS:
        found = re.search(r"errno[ =]?(\d+)", str(err), flags=re.IGNORECASE)
        code = int(found.group(1)) if found else None
    if code not in _FAULTS:
        return None
    path = getattr(err, "filename", None) or default_path
    problem, fix = _FAULTS[code]
    return BuildFaultError(path, f"{problem} ({errno.errorcode.get(code, code)})", fix)


def _tree_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total

