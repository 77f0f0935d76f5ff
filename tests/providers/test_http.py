"""Auth headers, base URL prefixes, timeouts, rate limits and keys that never leak."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tui.providers import (
    CallsClient,
    LivepeerClient,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderInvalidPayload,
    ProviderRateLimited,
    ProviderTimeout,
    UizaClient,
)
from tui.providers.base import parse_retry_after

KEY = "sk-live-0123456789abcdef"


def recorder(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(status, json=[] if body is None else body, headers=headers)

    handler.requests = requests  # type: ignore[attr-defined]
    return handler


@pytest.mark.parametrize(
    ("make", "expected_auth", "path"),
    [
        (
            lambda t: LivepeerClient("s", KEY, base_url="http://h:1/livepeer/api", transport=t),
            f"Bearer {KEY}",
            "/livepeer/api/session",
        ),
        (
            lambda t: UizaClient(
                "u", KEY, base_url="http://h:1/uiza", transport=t, entity_ids=["e"]
            ),
            KEY,
            "/uiza/v1/live_entities/e/live_sessions",
        ),
        (
            lambda t: CallsClient(
                "c", KEY, base_url="http://h:1/calls", transport=t, call_ids=["c1"]
            ),
            f"Bearer {KEY}",
            "/calls/v1/live/calls/c1",
        ),
    ],
)
async def test_auth_header_and_path_prefix(make: Any, expected_auth: str, path: str) -> None:
    body: object = {"data": []} if "uiza" in path else ({"id": "c1"} if "calls" in path else [])
    handler = recorder(body=body)
    async with make(httpx.MockTransport(handler)) as client:
        await client.fetch()
        if isinstance(client, UizaClient):
            await client.learn_names()  # and its entity's name, asked beside the poll
    assert all(r.headers["Authorization"] == expected_auth for r in handler.requests)
    assert sorted(r.url.path for r in handler.requests) == (
        ["/uiza/v1/live_entities/e", path] if "uiza" in path else [path]
    )


async def test_ids_are_quoted_into_one_path_segment() -> None:
    handler = recorder(body={"id": "x"})
    transport = httpx.MockTransport(handler)
    async with LivepeerClient("s", KEY, base_url="http://h/api", transport=transport) as client:
        await client.get_session("../../admin?x=1")
    (request,) = handler.requests
    assert request.url.raw_path == b"/api/session/..%2F..%2Fadmin%3Fx%3D1"


async def test_429_carries_retry_after() -> None:
    body = {"errors": ["rate limit exceeded"]}
    handler = recorder(429, body, {"Retry-After": "17"})
    async with LivepeerClient("s", KEY, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderRateLimited) as caught:
            await client.fetch()
    assert caught.value.retry_after == 17.0
    assert caught.value.message == "rate limit exceeded"


async def test_503_retry_after_and_html_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
        return httpx.Response(
            503, text=html, headers={"Retry-After": "5", "content-type": "text/html"}
        )

    async with CallsClient("c", KEY, call_ids=["x"], transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(ProviderHTTPError) as caught:
            await c.fetch()
    assert caught.value.status == 503
    assert caught.value.retry_after == 5.0
    assert "text/html" in caught.value.message
    assert "<html>" not in caught.value.message


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("nan") is None


async def test_calls_rate_limit_reset_header_when_no_retry_after() -> None:
    import time

    reset = str(int(time.time()) + 30)
    handler = recorder(
        429,
        {"error": "rate_limited", "message": "slow down"},
        {"X-RateLimit-Reset": reset, "X-RateLimit-Remaining": "0"},
    )
    async with CallsClient("c", KEY, call_ids=["x"], transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(ProviderRateLimited) as caught:
            await c.fetch()
    assert caught.value.retry_after is not None
    assert 25 <= caught.value.retry_after <= 31


@pytest.fixture
async def hanging_server() -> AsyncIterator[str]:
    """A real loopback server that accepts and never answers."""

    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(never, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/livepeer/api"
    server.close()


async def test_timeout_becomes_provider_timeout(hanging_server: str) -> None:
    timeout = httpx.Timeout(0.2, connect=0.2)
    async with LivepeerClient("s", KEY, base_url=hanging_server, timeout=timeout) as client:
        with pytest.raises(ProviderTimeout) as caught:
            await client.fetch()
    assert isinstance(caught.value, ProviderConnectionError)


async def test_connection_refused() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connection refused
        async with LivepeerClient("s", KEY, base_url=f"http://127.0.0.1:{port}") as client:
            with pytest.raises(ProviderConnectionError):
                await client.fetch()


async def test_non_json_body_is_invalid_payload() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'[{"id": "a", "na')

    async with LivepeerClient("s", KEY, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderInvalidPayload, match="not JSON"):
            await client.fetch()


async def test_invalid_single_record_names_the_field() -> None:
    handler = recorder(body={"id": "c1", "live": {"is_live": "perhaps"}})
    async with CallsClient("c", KEY, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderInvalidPayload) as caught:
            await client.get_call("c1")
    assert caught.value.field == "live.is_live"
    assert caught.value.provider == "c"
    assert "GET /v1/live/calls/c1" in str(caught.value)


async def test_partial_failure_keeps_the_calls_that_answered() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/gone"):
            return httpx.Response(404, json={"error": "not_found", "message": "no such call"})
        return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[1]})

    transport = httpx.MockTransport(handler)
    async with CallsClient("c", KEY, call_ids=["a", "gone", "b"], transport=transport) as c:
        result = await c.fetch()
    assert sorted(s.id for s in result.sessions) == ["a", "b"]
    assert not result.complete
    assert "no such call" in str(result.errors[0])
    assert "/calls/gone" in str(result.errors[0])  # the operator can tell which call is broken


async def test_key_never_in_messages_reprs_or_echoed_errors() -> None:
    echo = {"errors": [f"invalid api key {KEY}"]}
    handler = recorder(401, echo)
    client = LivepeerClient("s", KEY, transport=httpx.MockTransport(handler))
    assert KEY not in repr(client)
    async with client:
        with pytest.raises(ProviderError) as caught:
            await client.fetch()
    for text in (str(caught.value), repr(caught.value), caught.value.message):
        assert KEY not in text
    assert "**********" in caught.value.message


def test_one_tls_context_for_every_https_client_and_none_for_plain_http() -> None:
    """Building a verifying TLS context loads the CA certificates (~30 ms): the console builds
    one client per provider at start-up, so they share one; plain http (the simulator on
    loopback) needs none."""
    from tui.providers import base

    assert base._tls("http://127.0.0.1:8787/livepeer/api") is False
    shared = base._tls("https://livepeer.studio/api")
    assert isinstance(shared, ssl.SSLContext) and shared.verify_mode is ssl.CERT_REQUIRED
    assert base._tls("https://api.uiza.sh") is shared
