"""Two replicas behind nginx (deploy/run_replicas.sh): both serve, and a visitor stays on one (issue 12).

Starts the recipe as an operator would (one script, everything on 127.0.0.1), then: new visitors
are spread over both replicas; a visitor's cookie keeps every request on its replica; sessions
opened by the load generator's client (Streamlit's websocket protocol, benchmarks/st_client.py)
get both maps through nginx on both replicas; nginx's access log shows that every request that
carried the cookie went to that replica, the websocket included.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin")

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install -y nginx; .ci/run installs it)"),
    pytest.mark.usefixtures("processed_build"),
]


def _free_port_pair() -> int:
    import socket

    for _ in range(50):
        with socket.socket() as a, socket.socket() as b, socket.socket() as c:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                b.bind(("127.0.0.1", port + 1))
                c.bind(("127.0.0.1", port + 2))
            except OSError:
                continue
            return port
    raise RuntimeError("no three free ports in a row")


@pytest.fixture(scope="module")
def replicas():
    port = _free_port_pair()
    env = dict(os.environ, RAUMATLAS_PORT=str(port), PYTHON=sys.executable, NGINX=NGINX)
    proc = subprocess.Popen([str(ROOT / "deploy" / "run_replicas.sh")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    line, deadline, seen = "", time.monotonic() + 300, []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen.append(line)
        if line.startswith("ready ") or (not line and proc.poll() is not None):
            break
    if not line.startswith("ready "):
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("run_replicas.sh did not become ready:\n" + "".join(seen))
    fields = dict(f.split("=", 1) for f in line.split()[2:])
    yield {"url": line.split()[1], "run": Path(fields["run"]),
           "replicas": [int(p) for p in fields["replicas"].split(",")], "nginx": int(fields["nginx"])}
    proc.terminate()  # the script stops nginx and its replicas by their pids
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _replica_of(url: str, cookie: str = "") -> tuple[str, str]:
    request = urllib.request.Request(url + "/", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=60) as resp:
        return resp.headers["X-Raumatlas-Replica"], resp.headers["Set-Cookie"]


def test_new_visitors_reach_both_replicas_and_stay_on_theirs(replicas):
    first = [_replica_of(replicas["url"]) for _ in range(4)]
    assert {r for r, _ in first} == {"r1", "r2"}
    assert all(cookie.startswith(f"raumatlas_replica={r};") for r, cookie in first)
    for name in ("r1", "r2"):
        assert {_replica_of(replicas["url"], f"raumatlas_replica={name}")[0] for _ in range(3)} == {name}


def _in_own_loop(coro):  # noqa: ANN001, ANN202
    """``asyncio.run`` in a thread: the browser tests' Playwright keeps an event loop running in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_sessions_through_nginx_get_both_maps_on_both_replicas(replicas):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import st_client

    sessions = _in_own_loop(st_client.open_sessions(replicas["url"], 4, timeout_s=300))
    try:
        assert [s.error for s in sessions] == [""] * 4
        assert all(s.maps_at is not None and s.geometry_bytes > 0 for s in sessions)
        assert sorted(s.replica for s in sessions) == ["r1", "r1", "r2", "r2"]
    finally:
        _in_own_loop(st_client.close_sessions(sessions))
    log, deadline = "", time.monotonic() + 30
    while time.monotonic() < deadline:  # nginx logs a websocket when it closes
        log = (replicas["run"] / "access.log").read_text()
        if all(f'/_stcore/stream HTTP/1.1" 101 cookie={r}' in log for r in ("r1", "r2")):
            break
        time.sleep(0.5)
    upstream = {}
    for line in log.splitlines():
        m = re.search(r"cookie=(r\d) upstream=(\S+)", line)
        if m:
            upstream.setdefault(m[1], set()).add(m[2])
    assert set(upstream) == {"r1", "r2"}
    assert all(len(addrs) == 1 for addrs in upstream.values()), upstream  # sticky: one replica per cookie
    assert upstream["r1"] != upstream["r2"]
    assert re.search(r'"GET /_stcore/stream HTTP/1.1" 101 cookie=r1', log)
    assert re.search(r'"GET /_stcore/stream HTTP/1.1" 101 cookie=r2', log)
