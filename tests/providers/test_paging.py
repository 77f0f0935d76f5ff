"""Paging: Livepeer `Link` + watch window, Uiza page tokens, and loops that must not spin."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tui.providers import LivepeerClient, ProviderInvalidPayload, UizaClient

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
BASE = "http://127.0.0.1:8787/livepeer/api"


def livepeer_sessions(count: int, step_ms: int = 1000) -> list[dict[str, Any]]:
    """Newest first, each seen `step_ms` earlier than the one before."""
    return [
        {"id": f"s{i:05d}", "name": f"stream {i}", "lastSeen": NOW_MS - i * step_ms}
        for i in range(count)
    ]


class FakeLivepeer:
    """`GET /session` paged like the real API: cursor `skipN`, Link only after a full page."""

    def __init__(self, sessions: list[dict[str, Any]], link: str | None = None) -> None:
        self.sessions = sessions
        self.requests: list[httpx.Request] = []
        self.fixed_link = link

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/livepeer/api/session"
        limit = int(request.url.params.get("limit", 20))
        skip = int(request.url.params.get("cursor", "skip0").removeprefix("skip"))
        page = self.sessions[skip : skip + limit]
        headers = {}
        if len(page) == limit:
            url = request.url.copy_set_param("cursor", f"skip{skip + limit}")
            headers["Link"] = f'<{self.fixed_link or url}>; rel="next"'
        return httpx.Response(200, json=page, headers=headers)


def client(handler: Any, **kwargs: Any) -> LivepeerClient:
    return LivepeerClient(
        "studio",
        "lp-secret-key",
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        clock=lambda: NOW,
        **kwargs,
    )


async def test_all_2500_sessions_arrive_across_pages() -> None:
    server = FakeLivepeer(livepeer_sessions(2500, step_ms=100))
    async with client(server) as lp:
        result = await lp.list_sessions()
    assert len(result.sessions) == 2500
    assert len({s.id for s in result.sessions}) == 2500
    assert len(server.requests) == 3  # 1000 + 1000 + 500
    first = server.requests[0].url.params
    assert first["limit"] == "1000"
    assert first["order"].startswith("lastSeen-true")
    (window_filter,) = json.loads(first["filters"])
    assert window_filter["id"] == "lastSeen"
    assert window_filter["value"]["gt"] == NOW_MS - 3600 * 1000


async def test_paging_stops_at_the_watch_window() -> None:
    # 5000 sessions, one every 10 s: only the first 360 are inside a one-hour window, and a
    # server that ignores `filters` must not make us read every page.
    server = FakeLivepeer(livepeer_sessions(5000, step_ms=10_000))
    async with client(server, page_limit=100) as lp:
        result = await lp.list_sessions()
    assert len(result.sessions) == 360
    assert all(s.last_seen and NOW - s.last_seen < timedelta(hours=1) for s in result.sessions)
    assert len(server.requests) == 4


async def test_next_link_keeps_our_paging_parameters() -> None:
    server = FakeLivepeer(livepeer_sessions(1500), link=f"{BASE}/session?cursor=skip1000")
    async with client(server) as lp:
        result = await lp.list_sessions()
    assert len(result.sessions) == 1500
    second = server.requests[1].url.params
    assert second["cursor"] == "skip1000"
    assert second["limit"] == "1000"
    assert second["order"] == server.requests[0].url.params["order"]


async def test_repeating_cursor_is_an_error_not_a_loop() -> None:
    server = FakeLivepeer(livepeer_sessions(3000), link=f"{BASE}/session?cursor=skip1000")
    async with client(server) as lp:
        with pytest.raises(ProviderInvalidPayload, match="repeats cursor"):
            await lp.list_sessions()
    assert len(server.requests) == 2


async def test_link_to_another_host_is_refused() -> None:
    server = FakeLivepeer(livepeer_sessions(1000), link="https://evil.example/session?cursor=x")
    async with client(server) as lp:
        with pytest.raises(ProviderInvalidPayload, match="another host"):
            await lp.list_sessions()
    assert all(r.url.host == "127.0.0.1" for r in server.requests)


async def test_malformed_items_are_skipped_and_counted() -> None:
    items: list[Any] = livepeer_sessions(5)
    items[1] = {"name": "no id"}
    items[3] = "not an object"
    items.append({"id": "s-bad", "lastSeen": "yesterday"})
    server = FakeLivepeer(items)
    async with client(server) as lp:
        result = await lp.list_sessions()
    assert [s.id for s in result.sessions] == ["s00000", "s00002", "s00004"]
    assert result.skipped == 3


async def test_uiza_follows_page_tokens() -> None:
    pages = {
        None: {"data": [{"id": "a"}, {"id": "b"}], "next_page_token": "t1"},
        "t1": {"data": [{"id": "c", "duration": 5}], "next_page_token": "t2"},
        "t2": {"data": [{"id": "d", "duration": 9}], "next_page_token": ""},
    }
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.url.path == "/uiza/v1/live_entities/ent-1/live_sessions"
        assert request.url.params["page_size"] == "100"
        return httpx.Response(200, json=pages[request.url.params.get("page_token")])

    transport = httpx.MockTransport(handler)
    base = "http://127.0.0.1:1/uiza"
    async with UizaClient("uiza", "uap-k-123456", base_url=base, transport=transport) as uz:
        result = await uz.list_sessions("ent-1")
    assert [s.id for s in result.sessions] == ["a", "b", "c", "d"]
    assert [s.state.value for s in result.sessions] == ["live", "live", "ended", "ended"]
    assert len(seen) == 3


async def test_uiza_poll_keeps_the_window_and_stops_paging_past_it() -> None:
    """Newest first: the first session that ended before the window ends the listing."""
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def at(minutes_ago: float) -> str:
        return (now - timedelta(minutes=minutes_ago)).isoformat()

    pages = {
        None: {
            "data": [
                {"id": "live", "created_at": at(5)},
                {"id": "recent", "created_at": at(50), "duration": 600},  # ended 40 min ago
                {"id": "old", "created_at": at(90), "duration": 600},  # ended 80 min ago
                {"id": "no-date", "duration": 60},  # cannot be placed: kept
            ],
            "next_page_token": "t1",
        },
        "t1": {"data": [{"id": "older", "created_at": at(200), "duration": 60}]},
    }
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/live_sessions"):  # the entity's name: not here
            return httpx.Response(404, json={"message": "no such entity"})
        token = request.url.params.get("page_token")
        seen.append(token)
        return httpx.Response(200, json=pages[token])

    transport = httpx.MockTransport(handler)
    async with UizaClient(
        "uiza",
        "uap-k-123456",
        entity_ids=["ent-1"],
        transport=transport,
        clock=lambda: now,
    ) as uz:
        polled = await uz.fetch()
        assert seen == [None]
        drilled = await uz.fetch_related("ent-1")  # an entity drilled into: its whole history
    assert [s.id for s in polled.sessions] == ["live", "recent", "no-date"]
    assert [s.id for s in drilled.sessions] == ["live", "recent", "old", "no-date", "older"]
    assert seen == [None, None, "t1"]


async def test_uiza_poll_pages_are_sized_by_the_last_window() -> None:
    """A poll asks for a page a little longer than the window held last time; a drill-down
    still asks for full pages; a window that outgrew its page is followed to its end."""
    listing = [{"id": f"live{i}"} for i in range(3)] + [
        {"id": f"old{i}", "created_at": (NOW - timedelta(hours=3 + i)).isoformat(), "duration": 60}
        for i in range(200)
    ]
    sizes: list[tuple[int, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["page_size"])
        token = request.url.params.get("page_token")
        start = int(token or 0)
        sizes.append((size, token))
        end = start + size
        more = str(end) if end < len(listing) else ""
        return httpx.Response(200, json={"data": listing[start:end], "next_page_token": more})

    transport = httpx.MockTransport(handler)
    async with UizaClient(
        "uiza", "uap-k-123456", entity_ids=["ent-1"], transport=transport, clock=lambda: NOW
    ) as uz:
        first = await uz.fetch()
        second = await uz.fetch()
        drilled = await uz.fetch_related("ent-1")
        listing[:0] = [{"id": f"new{i}"} for i in range(20)]  # a burst of 20 new sessions
        grown = await uz.fetch()
        after = await uz.fetch()
    live = ["live0", "live1", "live2"]
    assert [s.id for s in first.sessions] == [s.id for s in second.sessions] == live
    assert len(drilled.sessions) == 203
    assert len(grown.sessions) == len(after.sessions) == 23
    assert sizes == [
        (100, None),  # nothing known yet: a full page
        (13, None),  # 3 in the window last time
        (100, None),
        (100, "100"),
        (100, "200"),  # the drill-down: the whole history
        (13, None),  # the window outgrew its page: the next page, same size
        (13, "13"),
        (33, None),  # and the next poll's page fits it again
    ]


async def test_uiza_repeating_token_fails_cleanly() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": "a"}], "next_page_token": "same"})

    transport = httpx.MockTransport(handler)
    async with UizaClient("uiza", "uap-k-123456", transport=transport) as uz:
        with pytest.raises(ProviderInvalidPayload, match="repeats"):
            await uz.list_sessions("ent-1")
