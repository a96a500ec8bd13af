"""A light Streamlit session client: the app's own websocket protocol, no browser (issue 12 load benchmark).

A browser session is: ``GET /`` (the page, which may set a replica cookie behind a proxy), a
websocket ``/_stcore/stream`` that sends one ``BackMsg.rerun_script`` with the URL's query string
and receives the script run as ``ForwardMsg`` deltas (protobuf classes shipped in the ``streamlit``
package), and the map component fetching each map's static geometry file (``geometry.url`` in its
arguments). :func:`open_session` does exactly that with asyncio, so one Python process can hold
many sessions for a fraction of a browser's CPU; a session "has both maps" when both map
components' arguments arrived and both geometry files were fetched.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAP_COMPONENT = "raumatlas_map"  # component name ends with this (dashboard.views_map_component.raumatlas_map)
MAP_KEYS = ("munich", "berlin")


@dataclass
class Session:
    """One open session: what arrived and when (seconds after the start of :func:`open_session`)."""

    url: str
    query: str = ""
    maps: dict[str, dict] = field(default_factory=dict)  # city -> map component arguments
    geometry_bytes: int = 0
    maps_at: float | None = None  # both maps' arguments received and geometry fetched
    finished_at: float | None = None  # script_finished of the first run
    replica: str = ""  # X-Raumatlas-Replica header of the page (behind deploy/nginx), else ""
    error: str = ""
    messages: int = 0
    ws: object = None

    async def close(self) -> None:
        """Close the websocket (the server then ends the session)."""
        if self.ws is not None:
            await self.ws.close()
            self.ws = None


async def http_get(url: str, cookie: str = "") -> tuple[int, dict[str, str], bytes]:
    """A minimal HTTP/1.1 GET (status, lower-case headers, body); no third-party client needed."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\nAccept-Encoding: identity\r\n"
    writer.write((head + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    header, _, body = raw.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        key = k.strip().lower()
        headers[key] = (headers[key] + "; " + v.strip()) if key in headers else v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    return status, headers, body


def _unchunk(body: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        line_end = body.index(b"\r\n", pos)
        size = int(body[pos:line_end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[line_end + 2:line_end + 2 + size]
        pos = line_end + 2 + size + 2


def _map_city(args: dict, key: str) -> str:
    view = str(args.get("view", ""))
    return next((c for c in MAP_KEYS if view.startswith(c) or key.endswith(c)), key or view)


def _rerun(query: str, base_url: str) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = ""
    ctx = msg.rerun_script.context_info
    ctx.timezone, ctx.locale, ctx.url = "Europe/Berlin", "de-DE", base_url + ("/?" + query if query else "/")
    return msg.SerializeToString()


async def open_session(base_url: str, query: str = "", *, timeout_s: float = 300.0,
                       fetch_geometry: bool = True) -> Session:
    """Open one session on ``base_url`` with ``query`` and wait until both maps are there; keep it open.

    Never raises for a server problem: ``Session.error`` says what went wrong (a failure to count).
    """
    import websockets
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    s = Session(url=base_url, query=query)
    t0 = time.perf_counter()
    try:
        status, headers, _ = await asyncio.wait_for(http_get(base_url + "/" + ("?" + query if query else "")),
                                                    timeout_s)
        if status != 200:
            raise RuntimeError(f"GET / answered {status}")
        s.replica = headers.get("x-raumatlas-replica", "")
        cookie = "; ".join(c.split(";", 1)[0] for c in headers.get("set-cookie", "").split(", ") if "=" in c)
        ws_url = "ws" + base_url[4:] + "/_stcore/stream"
        s.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout_s,
                                        additional_headers={"Cookie": cookie} if cookie else None,
                                        compression=None, ping_interval=None)  # a browser sends no pings
        await s.ws.send(_rerun(query, base_url))
        fetched: set[str] = set()
        deadline = t0 + timeout_s
        while s.maps_at is None or s.finished_at is None:
            raw = await asyncio.wait_for(s.ws.recv(), max(deadline - time.perf_counter(), 0.01))
            s.messages += 1
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "script_finished":
                s.finished_at = time.perf_counter() - t0
                if s.maps_at is None:
                    raise RuntimeError(f"script finished with {len(s.maps)} of 2 maps")
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                if el.WhichOneof("type") == "component_instance" and \
                        el.component_instance.component_name.endswith(MAP_COMPONENT):
                    outer = json.loads(el.component_instance.json_args or "{}")
                    args = outer.get("args") or {}
                    s.maps[_map_city(args, str(outer.get("key", "")))] = args
                    url = (args.get("geometry") or {}).get("url")
                    if fetch_geometry and url and url not in fetched:
                        fetched.add(url)
                        _, _, body = await http_get(base_url + url if url.startswith("/") else url, cookie)
                        s.geometry_bytes += len(body)
                    if all(c in s.maps for c in MAP_KEYS) and s.maps_at is None:
                        s.maps_at = time.perf_counter() - t0
    except Exception as err:  # noqa: BLE001 - counted as a failed session, the load run goes on
        s.error = f"{type(err).__name__}: {err}"[:200]
    return s


async def open_sessions(base_url: str, n: int, *, queries: list[str] | None = None,
                        timeout_s: float = 300.0) -> list[Session]:
    """``n`` sessions started at once (all connect before any is waited for); they stay open."""
    qs = queries or [""] * n
    return list(await asyncio.gather(*(open_session(base_url, qs[i % len(qs)], timeout_s=timeout_s)
                                       for i in range(n))))


async def close_sessions(sessions: list[Session]) -> None:
    """Close every session's websocket."""
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
