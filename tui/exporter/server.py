"""`/metrics` over HTTP, served from the event loop that polls into the store.

A minimal HTTP/1.1 server on `asyncio.start_server`: GET or HEAD of `/metrics` (the Prometheus
text format, or OpenMetrics when asked; gzip when accepted) and of `/` (a pointer to it);
keep-alive; bounded request heads and idle time. Collection runs on this loop, between polls,
so the collector reads the store single-threaded, as every other reader does. (uvicorn would
do, but its `serve()` takes over SIGINT/SIGTERM, which `poll_until_signalled` owns, and wakes
ten times a second when idle.)
"""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, NamedTuple

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder

from tui.exporter.collector import StoreCollector
from tui.exporter.tally import Tally
from tui.store import SessionStore

if TYPE_CHECKING:
    from tui.config import Settings

DEFAULT_LISTEN = "127.0.0.1:9464"  # 9464: the port commonly used by OpenTelemetry exporters
MAX_HEAD = 16 * 1024  # bytes of request line and headers
IDLE_TIMEOUT = 120.0  # seconds a kept-alive connection may wait for its next request
GZIP_LEVEL = 6

log = logging.getLogger("livetop.exporter")

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
_REASONS |= {431: "Request Header Fields Too Large", 500: "Internal Server Error"}
_INDEX = b"livetop exporter: metrics at /metrics\n"


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `[IPv6]:PORT` or `:PORT` (every interface) → (host, port); ValueError."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--listen {text!r}: expected HOST:PORT, e.g. {DEFAULT_LISTEN}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"--listen {text!r}: put an IPv6 address in brackets, e.g. [::1]:9464")
    return host or "0.0.0.0", int(port)


class Exporter:
    """The metrics of one store: a tally subscribed to its diffs, and a registry to render.

    `kinds` maps provider names to their kinds (config order). Close it to unsubscribe.
    """

    def __init__(
        self, store: SessionStore, kinds: Mapping[str, str], *, per_session: int | None = None
    ) -> None:
        self.tally = Tally(store, kinds)
        self.tally.attach()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(StoreCollector(store, kinds, self.tally, per_session=per_session))
        ProcessCollector(registry=self.registry)  # the exporter's own CPU and memory

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The exposition the `Accept` header asks for, and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type

    def close(self) -> None:
        self.tally.detach()


class _Request(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    keep_alive: bool


def _parse(head: bytes) -> _Request | None:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (parts[2] != "HTTP/1.0" or connection == "keep-alive")
    if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
        keep_alive = False  # a body we do not read: answer, then close
    return _Request(parts[0], parts[1].partition("?")[0], headers, keep_alive)


class MetricsServer:
    """Serves one `Exporter` on a listening socket; `address` is where (port 0 resolved)."""

    def __init__(self, exporter: Exporter) -> None:
        self.exporter = exporter
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "not listening"
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/metrics"

    async def listen(self, host: str, port: int) -> None:
        """Bind and start serving; OSError when the address is taken or not ours."""
        self._server = await asyncio.start_server(self._handle, host, port, limit=MAX_HEAD)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in tuple(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
                except asyncio.LimitOverrunError:
                    await self._send(writer, 431, b"request head too large\n", close=True)
                    return
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    return
                request = _parse(head)
                if request is None:
                    await self._send(writer, 400, b"bad request\n", close=True)
                    return
                await self._answer(writer, request)
                if not request.keep_alive:
                    return
        except ConnectionError:
            return
        finally:
            self._writers.discard(writer)
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, writer: asyncio.StreamWriter, request: _Request) -> None:
        close = not request.keep_alive
        if request.path not in ("/metrics", "/"):
            await self._send(writer, 404, b"not found: try /metrics\n", close=close)
            return
        if request.method not in ("GET", "HEAD"):
            await self._send(writer, 405, b"GET or HEAD only\n", close=close, allow=True)
            return
        if request.path == "/":
            body, content_type = _INDEX, "text/plain; charset=utf-8"
        else:
            try:
                body, content_type = self.exporter.render(request.headers.get("accept", ""))
            except Exception:  # a bug in collection must not take the exporter down
                log.exception("collecting metrics failed")
                await self._send(writer, 500, b"collecting metrics failed\n", close=close)
                return
        gzipped = "gzip" in request.headers.get("accept-encoding", "")
        if gzipped:
            body = gzip.compress(body, compresslevel=GZIP_LEVEL)
        await self._send(
            writer,
            200,
            body,
            close=close,
            content_type=content_type,
            gzipped=gzipped,
            head_only=request.method == "HEAD",
        )

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        *,
        close: bool,
        content_type: str = "text/plain; charset=utf-8",
        gzipped: bool = False,
        head_only: bool = False,
        allow: bool = False,
    ) -> None:
        lines = [
            f"HTTP/1.1 {status} {_REASONS[status]}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            f"Connection: {'close' if close else 'keep-alive'}",
        ]
        if gzipped:
            lines.append("Content-Encoding: gzip")
        if allow:
            lines.append("Allow: GET, HEAD")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if not head_only:
            writer.write(body)
        await writer.drain()


@asynccontextmanager
async def serve_metrics(
    store: SessionStore,
    settings: Settings,
    listen: str = DEFAULT_LISTEN,
    *,
    per_session: int | None = None,
) -> AsyncIterator[MetricsServer]:
    """Serve `/metrics` of `store` on `listen` from the running loop while the block runs.

    Enter it before polling starts, so the counters see every poll. `per_session` caps the
    per-session series (None: aggregates only). Raises ValueError for a bad `listen` and
    OSError when the address cannot be bound. Used by `livetop export` and `livetop record
    --metrics`.
    """
    host, port = parse_listen(listen)
    kinds = {p.name: p.kind.value for p in settings.providers}
    exporter = Exporter(store, kinds, per_session=per_session)
    server = MetricsServer(exporter)
    try:
        await server.listen(host, port)
        yield server
    finally:
        await server.close()
        exporter.close()
