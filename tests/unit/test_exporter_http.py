"""The `/metrics` server over a real loopback socket: HTTP details a scraper relies on, and
what a hostile or broken client cannot do to it."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from tui.cli import build_parser
from tui.config import Settings, settings_from_dict
from tui.exporter import DEFAULT_LISTEN, DEFAULT_PER_SESSION_LIMIT, parse_listen, serve_metrics
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.store import SessionStore


def settings() -> Settings:
    provider = {"name": "studio", "kind": "livepeer", "api_key": "k" * 20}
    return settings_from_dict({"providers": [provider]}, environ={}, file_mode=0o600)


def store() -> SessionStore:
    s = SessionStore()
    s.register("studio")
    live = Session("studio", ProviderKind.LIVEPEER, "a", "main stage", SessionState.LIVE)
    s.apply("studio", FetchResult((live,)))
    return s


async def exchange(port: int, raw: bytes, *, read_all: bool = True) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5) if read_all else b""
    writer.close()
    return data


def split(response: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("[::1]:0", ("::1", 0)),
        (":9464", ("0.0.0.0", 9464)),
        ("exporter.local:80", ("exporter.local", 80)),
    ],
)
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9464", "host:", "host:http", "h:70000", "::1:9464"])
def test_parse_listen_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="--listen"):
        parse_listen(text)


async def test_get_head_gzip_and_keep_alive_on_one_connection() -> None:
    async with serve_metrics(store(), settings(), "127.0.0.1:0") as server:
        port = server.address[1]
        assert server.url == f"http://127.0.0.1:{port}/metrics"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answers = []
        for request in (
            b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
            b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /metrics?x=1 HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n",
        ):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status, headers, _ = split(head)
            n = int(headers["content-length"])
            body = b"" if request.startswith(b"HEAD") else await reader.readexactly(n)
            answers.append((status, headers, body))
        writer.close()
        (s1, h1, b1), (s2, h2, b2), (s3, h3, b3) = answers
        assert s1 == s2 == s3 == "HTTP/1.1 200 OK"
        assert h1["content-type"].startswith("text/plain; version=0.0.4")
        assert (
            b'livetop_sessions{health="unknown",kind="livepeer",provider="studio",state="live"}'
            in b1
        )
        assert b2 == b"" and int(h2["content-length"]) > 0
        assert h3["content-encoding"] == "gzip"
        assert gzip.decompress(b3).split(b"\nprocess_")[0] == b1.split(b"\nprocess_")[0]


async def test_errors_are_answered_and_the_connection_closed() -> None:
    async with serve_metrics(store(), settings(), "127.0.0.1:0") as server:
        port = server.address[1]
        status, _, body = split(
            await exchange(port, b"GET /other HTTP/1.1\r\nConnection: close\r\n\r\n")
        )
        assert status == "HTTP/1.1 404 Not Found" and b"/metrics" in body
        status, headers, _ = split(
            await exchange(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        )
        assert status == "HTTP/1.1 405 Method Not Allowed" and headers["allow"] == "GET, HEAD"
        assert headers["connection"] == "close"  # a body it did not read: no reuse
        status, _, _ = split(await exchange(port, b"\x16\x03\x01 garbage\r\n\r\n"))
        assert status == "HTTP/1.1 400 Bad Request"
        huge = b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n"
        status, _, _ = split(await exchange(port, huge))
        assert status == "HTTP/1.1 431 Request Header Fields Too Large"
        status, headers, _ = split(await exchange(port, b"GET /metrics HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.1 200 OK" and headers["connection"] == "close"
        # Still serving after all that.
        status, _, _ = split(await exchange(port, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"))
        assert status == "HTTP/1.1 200 OK"


async def test_a_failing_collection_is_a_500_not_a_dead_exporter() -> None:
    s = store()
    async with serve_metrics(s, settings(), "127.0.0.1:0") as server:
        port = server.address[1]

        def broken(provider: str | None = None) -> list[Session]:
            raise RuntimeError("a bug")

        s.sessions = broken  # type: ignore[method-assign]
        request = b"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"
        assert split(await exchange(port, request))[0] == "HTTP/1.1 500 Internal Server Error"
        del s.sessions  # the class's method again
        assert split(await exchange(port, request))[0] == "HTTP/1.1 200 OK"


async def test_leaving_closes_idle_connections_and_the_port() -> None:
    async with serve_metrics(store(), settings(), "127.0.0.1:0") as server:
        port = server.address[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)  # idle, kept open
    assert await asyncio.wait_for(reader.read(), 2) == b""  # closed by the server
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


def test_the_command_lines_defaults_are_the_exporters() -> None:
    args = build_parser().parse_args(["export"])
    assert (args.listen, args.per_session_limit) == (DEFAULT_LISTEN, DEFAULT_PER_SESSION_LIMIT)
