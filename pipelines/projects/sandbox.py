"""Parse an untrusted upload in a child process with a memory limit and a timeout, one at a time.

The app server is shared by everybody; a hostile project file must never take its memory or
its CPU. :func:`parse_isolated` therefore runs :func:`~pipelines.projects.read.parse_projects`
in a fresh ``python -m pipelines.projects.sandbox`` process that

- limits its own address space (``RLIMIT_AS``) to what it uses after its imports plus
  ``[limits] parse_memory_mb``, and the CPU time of the parse (``RLIMIT_CPU``, counted after the
  imports) to ``[limits] parse_timeout_s`` seconds, and runs at a lower priority;
- is killed after three times that in wall time plus a start-up allowance (a busy server
  must not refuse a good file only because the machine is loaded);
- sends back only the bounded :class:`~pipelines.projects.read.RawTable` (pickled on stdout), or, for
  :func:`check_isolated`, the validation report and the projects placed in their areas.

:func:`check_isolated` (the app's uploads) also validates and places the rows in the child: the server then
never holds the file's raw cells nor the validator's and the spatial join's intermediate objects, which
after a 100,000-row file stayed in its heap as fragmentation (issue 12: the server >10 % above its baseline
after the session had ended). The child gets the parse's CPU seconds once more for that work.

A lock lets one parse run per server process at a time; a second upload waits for it (up to
the timeout) and is otherwise asked to try again. The child is a new interpreter (no fork of
the threaded server, no ``preexec_fn``). Bounds that the reader counts while streaming
(:mod:`pipelines.projects.limits`) refuse most hostile files long before these limits.

A child spends ~0.8 s (more on a busy machine) starting Python and importing pandas and openpyxl
before it reads a byte. :func:`warm` starts one ahead, at low priority, when another upload is
likely (a planner who has uploaded a file usually fixes it and uploads it again): it waits on its
standard input with its imports done and takes the next file; unused, it is stopped after
:data:`SPARE_IDLE_S`. One spare per server process at most.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.projects.limits import limit
from pipelines.projects.read import RawTable
from pipelines.projects.schema import ProjectFileError, ProjectSchema, fail

if TYPE_CHECKING:
    import geopandas as gpd

    from pipelines.projects.report import ValidationReport

_LOCK = threading.Lock()
SPARE_IDLE_S = 60.0
_ROOT = Path(__file__).resolve().parents[2]
_OK, _REFUSED = b"OK", b"NO"
STARTUP_ALLOWANCE_S = 15.0


def parse_isolated(data: bytes, name: str, schema: ProjectSchema, *, geodata: Path | None = None,
                   timeout_s: float | None = None, memory_mb: int | None = None) -> RawTable:
    """:func:`~pipelines.projects.read.parse_projects` in a bounded child process; bad files raise ProjectFileError.

    ``geodata``: the folder whose ``projects/schema.toml`` the child loads (default: the repository's).
    """
    return _isolated(data, name, schema, geodata, timeout_s, memory_mb, None, RawTable)


def check_isolated(data: bytes, name: str, schema: ProjectSchema, areas_file: Path, *, geodata: Path | None = None,
                   timeout_s: float | None = None,
                   memory_mb: int | None = None) -> tuple[ValidationReport, gpd.GeoDataFrame | None]:
    """Parse, validate and place a file in the bounded child: (report, placed and shaped projects or None).

    ``areas_file``: the build's canonical areas (``areas.parquet``), which the child reads. Bad files raise
    ProjectFileError, as in :func:`parse_isolated`; the projects are None when no row is valid.
    """
    return _isolated(data, name, schema, geodata, timeout_s, memory_mb, areas_file, tuple)


def _isolated(data: bytes, name: str, schema: ProjectSchema, geodata: Path | None, timeout_s: float | None,
              memory_mb: int | None, areas_file: Path | None, expect: type) -> Any:
    """One child at a time per server; its answer, which must be an ``expect``."""
    timeout = float(timeout_s if timeout_s is not None else limit(schema.limits, "parse_timeout_s"))
    memory = int(memory_mb if memory_mb is not None else limit(schema.limits, "parse_memory_mb"))
    if not _LOCK.acquire(timeout=timeout):
        raise fail(name, schema, "parse_busy")
    try:
        answer = _run_child(data, name, schema, geodata, timeout, memory, areas_file)
    finally:
        _LOCK.release()
    if not isinstance(answer, expect):
        raise fail(name, schema, "parse_failed", detail="unexpected answer")
    return answer


class _Spare:
    """At most one started child waiting for a file; stopped when unused for ``idle_s``.

    One watcher thread per started child (not per :meth:`warm`: every run of a session that has
    uploaded asks for one) stops it once ``idle_s`` has passed since the last :meth:`warm`.
    """

    def __init__(self, idle_s: float = SPARE_IDLE_S) -> None:
        self.idle_s = idle_s
        self._proc: subprocess.Popen | None = None
        self._until = 0.0
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Start the spare unless one is waiting; either way it waits ``idle_s`` from now."""
        with self._lock:
            self._until = time.monotonic() + self.idle_s
            if self._proc is not None and self._proc.poll() is None:
                return
            self._proc = proc = _start_child()
        threading.Thread(target=self._stop_when_idle, args=(proc,), name="raumatlas-spare", daemon=True).start()

    def take(self) -> subprocess.Popen | None:
        """The waiting spare, now the caller's (None when there is none, or it has died)."""
        with self._lock:
            proc, self._proc = self._proc, None
        return proc if proc is not None and proc.poll() is None else None

    def stop(self) -> None:
        """Stop the spare (the server ends, or a test is done with it)."""
        _end(self.take())

    def _stop_when_idle(self, proc: subprocess.Popen) -> None:
        while True:
            with self._lock:
                if self._proc is not proc:  # taken for a file (or replaced): not this thread's any more
                    return
                left = self._until - time.monotonic()
                if left <= 0:
                    self._proc = None
                    break
            time.sleep(min(left, 5.0))
        _end(proc)


def _end(proc: subprocess.Popen | None) -> None:
    if proc is not None:
        proc.kill()
        proc.communicate()


def warm() -> None:
    """Have a child ready for the next upload (see the module's docstring); cheap when one is."""
    _SPARE.warm()


def _child_env() -> dict[str, str]:
    """The child's environment: one thread per numeric library, one malloc arena, Arrow on the system allocator.

    The memory limit counts address space. Arrow's own allocator (mimalloc in the pyarrow wheels) and one glibc
    arena per thread reserve address space far beyond what they use: with them, checking a valid 100,000-row file
    reserved ~1.4 GB for ~350 MB used, and the limit refused a good file. With these settings the
    reserved size follows the used one (and the check ran faster).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "OPENBLAS_", "MKL_"))}
    env.update(MALLOC_ARENA_MAX="1", ARROW_DEFAULT_MEMORY_POOL="system",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    return env


def _start_child() -> subprocess.Popen:
    """A child that lowers its priority, imports, and then waits for a file on its standard input."""
    return subprocess.Popen([sys.executable, *_child_args()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_child_env(), cwd=_ROOT)


def _run_child(data: bytes, name: str, schema: ProjectSchema, geodata: Path | None, timeout: float,
               memory: int, areas_file: Path | None = None) -> Any:
    """The child's answer: a RawTable, or with ``areas_file`` (report, projects); bad files raise ProjectFileError."""
    lines = (memory, max(int(timeout), 1), geodata or "", json.dumps(schema.limits), areas_file or "",
             name.replace("\n", " ").replace("\r", " "))
    header = "".join(f"{line}\n" for line in lines).encode()
    proc = _SPARE.take() or _start_child()
    try:
        stdout, stderr = proc.communicate(header + data, timeout=_wall_timeout(timeout * (2 if areas_file else 1)))
    except subprocess.TimeoutExpired:
        _end(proc)
        raise fail(name, schema, "parse_timeout", seconds=int(timeout)) from None
    tag, body = stdout[:2], stdout[2:]
    if tag == _OK:
        return pickle.loads(body)  # noqa: S301 - our own child's output, never the user's bytes
    if tag == _REFUSED:
        de, en, fix = pickle.loads(body)  # noqa: S301
        raise ProjectFileError(name, de, en, fix=fix)
    if b"MemoryError" in stderr or proc.returncode in (-9, -6):
        raise fail(name, schema, "parse_memory", mb=memory)
    if proc.returncode == -24:  # SIGXCPU: CPU time limit
        raise fail(name, schema, "parse_timeout", seconds=int(timeout))
    last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
    raise fail(name, schema, "parse_failed", detail=last[0].split(":", 1)[0][:80])


def _wall_timeout(cpu_seconds: float) -> float:
    """Wall-clock bound of the child: imports (seconds on a loaded machine) plus the parse at a third of a core."""
    return STARTUP_ALLOWANCE_S + 3 * cpu_seconds if cpu_seconds >= 1 else cpu_seconds


def _child_args() -> list[str]:
    return ["-m", "pipelines.projects.sandbox"]


def _vm_size() -> int:
    """Current virtual memory size of this process in bytes (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _child_main() -> int:
    """The child: read limits, name and bytes from stdin, limit itself, parse (and check), answer on stdout."""
    import dataclasses
    import resource

    os.nice(10)  # before the imports: a spare starts them while the server draws a page
    import geopandas  # noqa: F401 - imported before the limit, so the limit counts only the file's cost
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401

    from pipelines.errors import InputError
    from pipelines.projects.read import parse_projects
    from pipelines.projects.schema import load_project_schema
    from pipelines.projects.stage import placed_projects
    from pipelines.projects.validate import validate_projects

    raw = sys.stdin.buffer.read()
    fields = raw.split(b"\n", 6)
    memory_mb, cpu_s, geodata, limits, areas_file, name, data = (
        int(fields[0]), int(fields[1]), fields[2].decode(), json.loads(fields[3]), fields[4].decode(),
        fields[5].decode("utf-8", "replace"), fields[6])
    del raw, fields
    schema = load_project_schema(Path(geodata) if geodata else None)
    schema = dataclasses.replace(schema, limits=limits)  # the caller's limits (tests narrow them)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_limit = int(usage.ru_utime + usage.ru_stime) + cpu_s  # the parse's own CPU time, not the imports'
    hard = cpu_limit + (cpu_s if areas_file else 0) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, hard))
    budget = _vm_size() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    out = sys.stdout.buffer
    try:
        result: Any = parse_projects(data, name, schema)
        del data
        if areas_file:
            resource.setrlimit(resource.RLIMIT_CPU, (hard - 2, hard))  # the check gets the parse's seconds again
            areas = geopandas.read_parquet(areas_file)
            report = validate_projects(result, areas, schema=schema)
            del result
            result = (report.without_rows(), placed_projects(report, areas))
    except ProjectFileError as err:
        out.write(_REFUSED + pickle.dumps((err.message_de, err.message_en, err.fix)))
        return 0
    except InputError as err:
        out.write(_REFUSED + pickle.dumps((err.problem, err.problem, "")))
        return 0
    except MemoryError:
        sys.stderr.write("MemoryError\n")
        return 3
    out.write(_OK + pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


_SPARE = _Spare()


if __name__ == "__main__":
    sys.exit(_child_main())
