"""Drive the real Raumatlas app in headless Chromium (shared by the e2e tests and ``benchmarks/bench_app.py``).

The app is started exactly as users start it (``python -m streamlit run
streamlit_app.py``) in its own process group, and the browser is Debian's
``/usr/bin/chromium`` driven by Playwright with every request outside
127.0.0.1/localhost aborted and recorded: an accidental CDN dependency (Leaflet,
d3, fonts) shows up as a blocked URL instead of a silently blank map.

No Streamlit import here: the app runs in a subprocess, this module only talks
HTTP and drives the browser.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost"})


def require_chromium() -> None:
    """Skip the calling test module when Debian's Chromium is missing; on CI (``CI`` set) fail instead."""
    if CHROMIUM.exists():
        return
    why = f"{CHROMIUM} is missing: install Debian's browser with `apt-get install -y chromium` (CI does)"
    if os.environ.get("CI"):
        raise RuntimeError(why)
    import pytest

    pytest.skip(why, allow_module_level=True)

MAP_FRAME = 'iframe[src*="/component/dashboard.views_map_component.raumatlas_map/"]'  # the Raumatlas map component
POLYGON = "path.leaflet-interactive"
LEGEND = ".ra-legend"
MAP_ORDER = ("munich", "berlin")  # left map first in the DOM


@dataclass
class AppServer:
    """A running ``streamlit run streamlit_app.py``: its URL, process and log file."""

    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def rss_kib(self) -> int:
        """Resident memory of the Streamlit process in KiB (``VmRSS`` from ``/proc/<pid>/status``)."""
        return _proc_status_kib(self.process.pid, "VmRSS")

    def peak_rss_kib(self) -> int:
        """Peak resident memory of the Streamlit process in KiB (``VmHWM``)."""
        return _proc_status_kib(self.process.pid, "VmHWM")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log (for error messages)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _proc_status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} not found in /proc/{pid}/status")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(log_path: Path, *, port: int | None = None, timeout_s: float = 90.0,
              python: str = sys.executable) -> AppServer:
    """Start the app like a user does and wait until ``/_stcore/health`` answers ``ok``.

    Args:
        log_path: file that receives the server's stdout and stderr.
        port: port on 127.0.0.1 (default: a free one).
        timeout_s: seconds to wait for the health endpoint.
        python: interpreter with streamlit installed (default: this one, i.e. the venv).

    Raises:
        RuntimeError: the process exited or did not become healthy in time (with the log tail).
    """
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [python, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = AppServer(url=f"http://127.0.0.1:{port}", port=port, process=proc, log_path=log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    stop_app(server)
    raise RuntimeError(f"streamlit not healthy after {timeout_s:.0f} s:\n{server.log_tail()}")


def stop_app(server: AppServer, timeout_s: float = 10.0) -> None:
    """Stop the app's whole process group (SIGTERM, then SIGKILL)."""
    proc = server.process
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout_s)


@contextlib.contextmanager
def running_app(log_path: Path, **kwargs: object) -> Iterator[AppServer]:
    """:func:`start_app` as a context manager that always stops the server."""
    server = start_app(log_path, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop_app(server)


@dataclass
class NetworkGuard:
    """A Playwright route handler: continue local requests, abort and record every other one."""

    blocked: list[str] = field(default_factory=list)
    allowed: int = 0

    def handle(self, route) -> None:  # noqa: ANN001 - playwright.sync_api.Route
        """Route callback for ``context.route("**/*", guard.handle)``."""
        url = route.request.url
        if urlparse(url).hostname in ALLOWED_HOSTS:
            self.allowed += 1
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def record_failed(self, request) -> None:  # noqa: ANN001 - playwright.sync_api.Request
        """``requestfailed`` callback: a failed request to another host is a blocked one."""
        if urlparse(request.url).hostname not in ALLOWED_HOSTS:
            self.blocked.append(request.url)


# Block every host but the loopback at name resolution: unlike request routing this keeps
# the browser's HTTP cache on, so a repeat visit is measured as a user would see it.
RESOLVER_BLOCK_ARG = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def launch_browser(playwright, profile_dir: Path, guard: NetworkGuard, *,  # noqa: ANN001
                   viewport: tuple[int, int] = (1600, 1200), block: str = "route"):
    """A fresh persistent Chromium context (own profile dir) with the network blocked.

    ``block="route"`` (tests): every request passes :class:`NetworkGuard`, which records
    what it aborts. ``block="resolver"`` (benchmarks of repeat visits): other hosts fail
    to resolve and the guard records the failed requests; the HTTP cache stays on.
    """
    args = CHROMIUM_ARGS + ([RESOLVER_BLOCK_ARG] if block == "resolver" else [])
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=str(CHROMIUM), headless=True, args=args,
        viewport={"width": viewport[0], "height": viewport[1]}, locale="de-DE",
    )
    context.set_default_timeout(30_000)
    if block == "resolver":
        context.on("requestfailed", guard.record_failed)
    else:
        context.route("**/*", guard.handle)
    return context
