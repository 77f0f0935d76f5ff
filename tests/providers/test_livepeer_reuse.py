"""Livepeer listing at scale: unchanged records reuse last poll's `Session`, the next page is
asked for while one is validated, and neither changes what a poll returns or requests."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tui.models import SessionState
from tui.providers import LivepeerClient
from tui.providers.livepeer import SESSION, normalize_session

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
BASE = "http://127.0.0.1:8787/livepeer/api"


def record(i: int, seen_ms: int) -> dict[str, Any]:
    return {
        "id": f"s{i:05d}",
        "name": f"stream {i}",
        "lastSeen": seen_ms,
        "createdAt": seen_ms - 60_000,
        "ingestRate": 1000.0 + i,
        "isHealthy": True,
        "record": True,
        "profiles": [{"name": "720p", "width": 1280, "height": 720, "fps": 30}],
    }


class Server:
    """Pages of `limit` with a `Link` after each full page; serves `self.records` as they are."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.params.get("cursor", "skip0"))
        limit = int(request.url.params.get("limit", 20))
        skip = int(request.url.params.get("cursor", "skip0").removeprefix("skip"))
        page = self.records[skip : skip + limit]
        headers = {}
        if len(page) == limit:
            url = request.url.copy_set_param("cursor", f"skip{skip + limit}")
            headers["Link"] = f'<{url}>; rel="next"'
        return httpx.Response(200, json=copy.deepcopy(page), headers=headers)


def client(server: Server, now: list[datetime], **kwargs: Any) -> LivepeerClient:
    return LivepeerClient(
        "studio",
        "lp-secret-key",
        base_url=BASE,
        transport=httpx.MockTransport(server),
        clock=lambda: now[0],
        page_limit=100,
        **kwargs,
    )


async def test_unchanged_records_come_back_as_the_same_sessions() -> None:
    server = Server([record(i, NOW_MS - i * 1000) for i in range(250)])
    now = [NOW]
    async with client(server, now) as lp:
        first = {s.id: s for s in (await lp.list_sessions()).sessions}
        server.records[3]["ingestRate"] = 5.0  # a new value
        server.records[4]["isHealthy"] = 1  # equal to True, but not a bool: validated anew
        server.records[5]["ingestRate"] = 1005  # equal to 1005.0, but an int
        server.records[6]["unknownField"] = "x"  # a new field: validated anew
        second = {s.id: s for s in (await lp.list_sessions()).sessions}
    assert first.keys() == second.keys()
    fresh = {"s00003", "s00004", "s00005", "s00006"}
    for sid, session in second.items():
        assert (session is first[sid]) == (sid not in fresh), sid
        wire = next(r for r in server.records if r["id"] == sid)
        assert session == normalize_session("studio", SESSION.validate_python(wire), NOW), sid
    assert second["s00004"].healthy is None  # 1 is not a health flag


async def test_a_session_that_went_quiet_turns_ended_without_a_new_record() -> None:
    server = Server([record(0, NOW_MS - 1000)])
    now = [NOW]
    async with client(server, now) as lp:
        (live,) = (await lp.list_sessions()).sessions
        now[0] = NOW + timedelta(seconds=120)  # no report for two minutes
        (ended,) = (await lp.list_sessions()).sessions
    assert live.state is SessionState.LIVE
    assert ended.state is SessionState.ENDED and ended is not live


async def test_reading_ahead_asks_for_exactly_the_pages_a_plain_loop_would() -> None:
    # 250 sessions one every 30 s: the window (one hour) ends inside the second page, so the
    # third must never be requested, read-ahead or not.
    server = Server([record(i, NOW_MS - i * 30_000) for i in range(250)])
    async with client(server, [NOW]) as lp:
        result = await lp.list_sessions()
    assert len(result.sessions) == 120
    assert server.requests == ["skip0", "skip100"]


async def test_reading_ahead_asks_for_the_next_page_before_validating_this_one() -> None:
    events: list[str] = []
    server = Server([record(i, NOW_MS - i * 1000) for i in range(250)])

    def handler(request: httpx.Request) -> httpx.Response:
        events.append("ask " + request.url.params.get("cursor", "skip0"))
        return server(request)

    lp = LivepeerClient(
        "studio",
        "lp-secret-key",
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        clock=lambda: NOW,
        page_limit=100,
    )
    validate = lp._normalize_items

    async def logged(items: Any, *args: Any, **kwargs: Any) -> Any:
        out = await validate(items, *args, **kwargs)
        events.append("validated " + items[0]["id"])
        return out

    lp._normalize_items = logged  # type: ignore[method-assign]
    async with lp:
        result = await lp.list_sessions()
    assert len(result.sessions) == 250
    assert events.index("ask skip200") < events.index("validated s00100")
    assert events.count("ask skip200") == 1 and len(server.requests) == 3
