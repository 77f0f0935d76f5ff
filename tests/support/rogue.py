"""A misbehaving HTTP server on 127.0.0.1 that speaks just enough of the three provider APIs.

Raw asyncio streams (not an ASGI framework), so it can do what a framework never would: drip
the status line, drip the body, send a body that never ends, a gzip bomb, a page far longer
than the `limit` asked for, echo the key back cut or with a newline in it, repeat a `Link`
cursor that holds the key, answer 200 with an HTML login page, or send absurd values.

What it does is chosen by the first path segment, so one server serves every case at once:
`RogueServer.url(mode, kind)` is a provider's `base_url`. Modes: see `_MODES`. The mode
`switch` does whatever `server.switch` says now (a provider that turns rogue mid-run).
It runs on its own thread and loop, so a test's event loop, the console and child processes
can all use it; the body generators await `drain()`, so a fast client never makes the
server hold more than a socket buffer.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

DRIP_SECONDS = 0.25
BOMB_MIB = 1024  # the bomb's size once decompressed; about 1 MB on the wire
YEAR_9999_MS = 253_402_300_799_000
LOGIN_PAGE = b"<!doctype html><html><body><form action=/login>Sign in</form></body></html>"

Handler = Callable[["_Request", asyncio.StreamWriter], Any]


class _Request:
    """What the server read of one request."""

    def __init__(self, target: str, headers: dict[str, str]) -> None:
        split = urlsplit(target)
        parts = split.path.strip("/").split("/")
        self.mode, _, arg = parts[0].partition("=")
        self.arg = arg or None
        self.rest = parts[1:]  # the API path after the mode
        self.query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        self.headers = headers
        self.target = target

    @property
    def kind(self) -> str:
        """Which API was asked: livepeer (`/api/...`), uiza (`/v1/live_entities/...`), calls."""
        if self.rest[:1] == ["api"]:
            return "livepeer"
        return "uiza" if "live_entities" in self.rest else "calls"

    @property
    def key(self) -> str:
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ")


class RogueServer:
    """The server; a context manager. `requests` lists every request target it was sent."""

    def __init__(self) -> None:
        self.port = 0
        self.switch = "ok"
        self.requests: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rogue-server", daemon=True)

    def __enter__(self) -> RogueServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the rogue server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def url(self, mode: str, kind: str) -> str:
        """The `base_url` of a `kind` provider served in `mode`."""
        base = f"http://127.0.0.1:{self.port}/{mode}"
        return base + "/api" if kind == "livepeer" else base

    # -- the server -------------------------------------------------------------------------

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, *lines = head.decode("latin-1").split("\r\n")
            target = line.split(" ")[1]
            headers = {}
            for item in lines:
                name, sep, value = item.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            request = _Request(target, headers)
            self.requests.append(target)
            if request.mode == "switch":
                request.mode, _, arg = self.switch.partition("=")
                request.arg = arg or None
            await _MODES[request.mode](request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client gave up (its deadline, its size cap): that is the point
        finally:
            writer.close()


# -- answers ------------------------------------------------------------------------------------


async def _send(
    writer: asyncio.StreamWriter,
    body: bytes,
    status: str = "200 OK",
    content_type: str = "application/json",
    extra: str = "",
) -> None:
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n{extra}\r\n".encode("latin-1")
        + body
    )
    await writer.drain()


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def livepeer_record(n: int, **fields: Any) -> dict[str, Any]:
    """A small valid Livepeer session, live now."""
    now = now_ms()
    record = {
        "id": f"s-{n:06d}",
        "name": f"stream {n}",
        "lastSeen": now - 1000,
        "createdAt": now - 60_000,
        "ingestRate": 700_000,
        "outgoingRate": 1_750_000,
        "isHealthy": True,
        "parentId": "stream-1",
    }
    record.update(fields)
    return record


def uiza_record(n: int, **fields: Any) -> dict[str, Any]:
    record = {"id": f"u-{n:06d}", "entity_id": "e-1", "created_at": _iso(now_ms() - 60_000)}
    record.update(fields)
    return record


def calls_record(call_id: str, **fields: Any) -> dict[str, Any]:
    record = {
        "id": call_id,
        "title": "A call",
        "status": "live",
        "started_at": _iso(now_ms() - 60_000),
        "updated_at": _iso(now_ms() - 1000),
        "live": {"is_live": True},
    }
    record.update(fields)
    return record


def _answer(request: _Request, livepeer: list[Any], uiza: list[Any], call: Any) -> bytes:
    if request.kind == "livepeer":
        if request.rest[-3:] == ["data", "views", "now"]:
            return _json([])  # the records are sessions: nobody is watching them
        return _json(livepeer)
    if request.kind == "uiza":
        return _json({"data": uiza, "next_page_token": None})
    return _json(call)


async def _ok(request: _Request, writer: asyncio.StreamWriter) -> None:
    call_id = request.rest[-1] if request.rest else "c"
    body = _answer(request, [livepeer_record(1)], [uiza_record(1)], calls_record(call_id))
    await _send(writer, body)


async def _drip_head(request: _Request, writer: asyncio.StreamWriter) -> None:
    """The status line and headers, a byte at a time: never a complete answer in time."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 100:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(DRIP_SECONDS)


async def _drip_body(request: _Request, writer: asyncio.StreamWriter) -> None:
    """Complete headers, then the body a byte at a time: each read is quick, the whole not."""
    body = _answer(request, [livepeer_record(1)], [uiza_record(1)], calls_record("c"))
    writer.write(
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    for byte in body:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(DRIP_SECONDS)


async def _chunked(writer: asyncio.StreamWriter, extra: str = "") -> None:
    writer.write(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Transfer-Encoding: chunked\r\n{extra}\r\n".encode()
    )


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _endless(request: _Request, writer: asyncio.StreamWriter) -> None:
    """A chunked JSON list that never ends (well: after 16 GiB)."""
    await _chunked(writer)
    piece = _json(livepeer_record(1))[1:-1]
    block = _chunk(b"[" + b",".join([piece] * 400))
    writer.write(block)
    more = _chunk(b"," + b",".join([piece] * 400))
    for _ in range((16 << 30) // len(more)):
        writer.write(more)
        await writer.drain()


async def _bomb(request: _Request, writer: asyncio.StreamWriter) -> None:
    """`[`, `BOMB_MIB` MiB of spaces, `]`: valid JSON (an empty list), gzip-compressed on the
    fly to about a thousandth (compressed lazily: only what the client reads is made)."""
    await _chunked(writer, "Content-Encoding: gzip\r\n")
    gzip = zlib.compressobj(9, zlib.DEFLATED, 31)
    spaces = b" " * (1 << 20)
    writer.write(_chunk(gzip.compress(b"[")))
    for _ in range(BOMB_MIB):
        data = gzip.compress(spaces)
        if data:
            writer.write(_chunk(data))
            await writer.drain()
    writer.write(_chunk(gzip.compress(b"]") + gzip.flush()) + b"0\r\n\r\n")
    await writer.drain()


async def _page(request: _Request, writer: asyncio.StreamWriter) -> None:
    """A page of `page=N` records (default 200,000), whatever `limit`/`page_size` asked."""
    count = int(request.arg or 200_000)
    if request.kind == "livepeer":
        body = _json([livepeer_record(n) for n in range(count)])
    else:
        body = _json({"data": [uiza_record(n) for n in range(count)]})
    await _send(writer, body)


async def _big(request: _Request, writer: asyncio.StreamWriter) -> None:
    """A valid answer after `big=N` MiB of leading whitespace, sent a MiB at a time over
    about a second: several of them are read at the same time."""
    mib = int(request.arg or 40)
    body = _answer(request, [livepeer_record(1)], [uiza_record(1)], calls_record(request.rest[-1]))
    writer.write(
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {mib * (1 << 20) + len(body)}\r\nConnection: close\r\n\r\n".encode()
    )
    spaces = b" " * (1 << 20)
    for _ in range(mib):
        writer.write(spaces)
        await writer.drain()
        await asyncio.sleep(1 / mib)
    writer.write(body)
    await writer.drain()


def _key_variants(key: str) -> str:
    """The key as careless servers echo it: cut, with a newline, with a tab, whole."""
    half = len(key) // 2
    return (
        f"key {key[:7]}… refused; "
        f"got '{key[:half]}\n{key[half:]}' and '{key[:half]}\t{key[half:]}'; "
        f"expected not {key}"
    )


async def _echo(request: _Request, writer: asyncio.StreamWriter) -> None:
    said = _key_variants(request.key)
    body = {"errors": [said], "message": said, "error": said, "error_type": said}
    await _send(writer, _json(body), "401 Unauthorized")


async def _link(request: _Request, writer: asyncio.StreamWriter) -> None:
    """Pages whose cursor is the key itself, repeated: paging must stop, and say so."""
    if request.kind == "livepeer":
        cursor = request.key
        link = f'Link: </{request.mode}/api/session?cursor={cursor}>; rel="next"\r\n'
        await _send(writer, _json([livepeer_record(1)]), extra=link)
    elif request.kind == "uiza":
        body = {"data": [uiza_record(1)], "next_page_token": request.key}
        await _send(writer, _json(body))
    else:
        await _echo(request, writer)


async def _html(request: _Request, writer: asyncio.StreamWriter) -> None:
    await _send(writer, LOGIN_PAGE, content_type="text/html; charset=utf-8")


async def _absurd(request: _Request, writer: asyncio.StreamWriter) -> None:
    """One record per API with values outside physical sense (and one sane Livepeer one)."""
    livepeer = [
        livepeer_record(
            1, name="absurd rates", ingestRate=-5, outgoingRate=1e30, sourceSegmentsDuration=-3.0
        ),
        livepeer_record(2, name="seen in 9999", lastSeen=YEAR_9999_MS),
        livepeer_record(3, name="seen in 6 min", lastSeen=now_ms() + 6 * 60_000),
        livepeer_record(4, name="sane"),
    ]
    uiza = [uiza_record(1, duration=-20.0, created_at="9999-12-31T00:00:00Z")]
    call = calls_record(
        request.rest[-1] if request.rest else "c",
        started_at=_iso(now_ms() - 60_000),
        ended_at=_iso(now_ms() - 3_600_000),  # before it started: a negative duration
        status="ended",
        updated_at="9999-01-01T00:00:00Z",
    )
    await _send(writer, _answer(request, livepeer, uiza, call))


async def _malformed(request: _Request, writer: asyncio.StreamWriter) -> None:
    """Only malformed records (`malformed=some`: one good record among them)."""
    bad: list[Any] = [{"id": 5}, {"name": "no id"}, "not an object"]
    livepeer = bad + ([livepeer_record(1)] if request.arg == "some" else [])
    uiza = bad + ([uiza_record(1)] if request.arg == "some" else [])
    await _send(writer, _answer(request, livepeer, uiza, calls_record("c")))


_MODES: dict[str, Handler] = {
    "ok": _ok,
    "drip-head": _drip_head,
    "drip-body": _drip_body,
    "endless": _endless,
    "bomb": _bomb,
    "page": _page,
    "big": _big,
    "echo": _echo,
    "link": _link,
    "html": _html,
    "absurd": _absurd,
    "malformed": _malformed,
}
