"""Livepeer listing at scale: unchanged records reuse last poll's `Session`, the next page is
asked for while one is validated, and neither changes what a poll returns or requests."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.models import SessionState
from tui.providers import LivepeerClient
from tui.providers.livepeer import SESSION, normalize_session
from tui.providers.records import RecordIndex

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


def client(
    server: Callable[[httpx.Request], httpx.Response], now: list[datetime], **kwargs: Any
) -> LivepeerClient:
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

    lp = client(handler, [NOW])
    validate = lp._page_sessions

    async def logged(records: Any) -> Any:
        out = await validate(records)
        events.append("validated " + out[0][0].id)
        return out

    lp._page_sessions = logged  # type: ignore[method-assign]
    async with lp:
        result = await lp.list_sessions()
    assert len(result.sessions) == 250
    assert events.index("ask skip200") < events.index("validated s00100")
    assert events.count("ask skip200") == 1 and len(server.requests) == 3


async def test_a_malformed_record_is_skipped_and_counted_every_poll() -> None:
    records = [record(i, NOW_MS - i * 1000) for i in range(250)]
    records[130]["id"] = 130  # not a string: invalid
    del records[170]["id"]  # required
    records[171]["lastSeen"] = "yesterday"  # not a number
    server = Server(records)
    async with client(server, [NOW]) as lp:
        first = await lp.list_sessions()
        second = await lp.list_sessions()
    for result in (first, second):
        assert result.skipped == 3
        assert len(result.sessions) == 247
    good = [r["id"] for i, r in enumerate(records) if i not in (130, 170, 171)]
    assert [s.id for s in first.sessions] == good
    assert all(a is b for a, b in zip(first.sessions, second.sessions, strict=True))


async def test_brackets_and_separators_inside_strings_do_not_confuse_the_cutting() -> None:
    records = [record(i, NOW_MS - i * 1000) for i in range(30)]
    records[3]["name"] = 'a},{"id":"forged","lastSeen":1}]'
    records[4]["issues"] = ["[[[", "]},{"]
    records[5]["profiles"] = [{"name": "},{"}, {"name": "]"}, {"name": "["}]
    server = Server(records)
    async with client(server, [NOW]) as lp:
        first = await lp.list_sessions()
        second = await lp.list_sessions()
    assert [s.id for s in first.sessions] == [r["id"] for r in records]
    assert first.sessions[3].name == 'a},{"id":"forged","lastSeen":1}]'
    assert first.sessions[4].issues == ("[[[", "]},{")
    assert [p.name for p in first.sessions[5].profiles] == ["},{", "]", "["]
    assert all(a is b for a, b in zip(first.sessions, second.sessions, strict=True))


async def test_a_server_that_pretty_prints_gets_the_same_sessions() -> None:
    # Not compact JSON: the page cannot be cut into records' bytes, and is decoded whole.
    records = [record(i, NOW_MS - i * 1000) for i in range(150)]
    records[7]["id"] = None
    compact = Server(records)

    def pretty(request: httpx.Request) -> httpx.Response:
        response = compact(request)
        body = json.dumps(json.loads(response.content), indent=2).encode()
        return httpx.Response(
            200,
            content=body,
            headers={"Link": response.headers["Link"]} if "Link" in response.headers else {},
        )

    async with client(compact, [NOW]) as lp:
        expected = await lp.list_sessions()
    lp = client(pretty, [NOW])
    async with lp:
        for _ in range(2):
            result = await lp.list_sessions()
            assert result.sessions == expected.sessions
            assert result.skipped == expected.skipped == 1


tricky = st.text(alphabet=st.sampled_from('ab}{[],:" \\é'), max_size=8)
anything = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(-1e6, 1e6) | tricky,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky, inner, max_size=3),
    max_leaves=8,
)
seen_ms = st.integers(NOW_MS - 7_200_000, NOW_MS) | anything
livepeer_records = st.lists(
    st.fixed_dictionaries(
        {"id": tricky | anything, "lastSeen": seen_ms},
        optional={
            "name": tricky | anything,
            "isHealthy": st.booleans() | anything,
            "ingestRate": st.floats(0, 1e7) | anything,
            "issues": st.lists(tricky, max_size=2) | anything,
            "profiles": st.lists(st.dictionaries(tricky, anything, max_size=3), max_size=3),
        },
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=livepeer_records, new=livepeer_records, keep=st.lists(st.booleans(), max_size=6))
def test_reused_records_give_what_decoding_everything_would(
    before: list[dict[str, Any]], new: list[dict[str, Any]], keep: list[bool]
) -> None:
    # The second poll repeats some records of the first unchanged, and brings new ones.
    second = [r for r, k in zip(before, keep, strict=False) if k] + new

    async def polls(indent: int | None, forget: bool) -> list[tuple[Any, int]]:
        page = before

        def handler(request: httpx.Request) -> httpx.Response:
            separators = (",", ":") if indent is None else None
            body = json.dumps(page, indent=indent, separators=separators).encode()
            return httpx.Response(200, content=body)

        out = []
        transport = httpx.MockTransport(handler)
        lp = LivepeerClient("studio", "k", base_url=BASE, transport=transport, clock=lambda: NOW)
        async with lp:
            for page in (before, second):  # noqa: B007 - the handler reads it
                if forget:
                    lp._records = RecordIndex()  # nothing recognised: everything decoded
                result = await lp.list_sessions()
                out.append((result.sessions, result.skipped))
        return out

    reusing = asyncio.run(polls(None, forget=False))
    assert reusing == asyncio.run(polls(None, forget=True))
    assert reusing == asyncio.run(polls(2, forget=False))  # pretty-printed: decoded whole
