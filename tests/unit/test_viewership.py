"""Realtime viewership (`tui.providers.viewership`): reading the answer, its sanity rules, the
join to sessions, and the request's life beside the polls (no network: a stand-in fetch)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from support.fixtures import load
from tui.models import FetchResult, Session, SessionState
from tui.providers import LivepeerClient
from tui.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderHTTPError,
    ProviderInvalidPayload,
    ProviderRateLimited,
)
from tui.providers.livepeer import normalize_session
from tui.providers.sanity import MAX_VIEWERS
from tui.providers.scheduler import ProviderHeld
from tui.providers.viewership import (
    FORBIDDEN_RETRY,
    KEEP,
    Joiner,
    Viewership,
    Views,
    read_audience,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def session(sid: str, pid: str | None, *, seen_ago: float = 1.0, **extra: Any) -> Session:
    wire: dict[str, Any] = {
        "id": sid,
        "name": sid,
        "lastSeen": int((NOW - timedelta(seconds=seen_ago)).timestamp() * 1000),
        "createdAt": int((NOW - timedelta(hours=1)).timestamp() * 1000),
        **extra,
    }
    if pid is not None:
        wire["playbackId"] = pid
    return normalize_session("studio", wire, NOW)  # type: ignore[arg-type]


# -- reading the answer ---------------------------------------------------------------------------


async def test_the_documented_answer_reads_by_playback_id() -> None:
    doc = load("livepeer_views_now")
    audience, skipped = await read_audience("studio", doc["by_playback_id"])
    assert skipped == 0
    assert audience["1bde4o2i6xycudoy"] == Views(100, 0.1)
    assert audience["eaw4nk06ts2d0mzb"] == Views(12000, 0.002)
    example, _ = await read_audience("studio", doc["schema_example"])  # broken down further
    assert example == {"1bde4o2i6xycudoy": Views(100, 0.1)}


async def test_absurd_values_are_unknown_and_named() -> None:
    rows = [
        {"playbackId": "neg", "viewCount": -5, "errorRate": 0.1},
        {"playbackId": "huge", "viewCount": MAX_VIEWERS + 1, "errorRate": 1.5},
        {"playbackId": "half", "viewCount": 2.5, "errorRate": -0.1},
        {"playbackId": "whole", "viewCount": 7.0, "errorRate": 1},
        {"playbackId": "none", "viewCount": None},
    ]
    audience, skipped = await read_audience("studio", rows)
    assert skipped == 0
    assert audience["neg"] == Views(None, 0.1, frozenset({"viewers"}))
    both = frozenset({"viewers", "playback_error_rate"})
    assert audience["huge"] == Views(None, None, both)
    assert audience["half"] == Views(None, None, both)
    assert audience["whole"] == Views(7, 1, frozenset())
    assert audience["none"] == Views(None, None, frozenset())  # not sent: unknown, not absurd


async def test_malformed_rows_are_skipped_and_counted() -> None:
    rows: list[Any] = [
        {"playbackId": "ok", "viewCount": 3, "errorRate": 0.0},
        {"playbackId": "text", "viewCount": "1200"},  # a JSON string is not a count
        {"playbackId": "flag", "viewCount": True},
        {"playbackId": 12, "viewCount": 1},
        None,
        "garbage",
        [1, 2],
    ]
    audience, skipped = await read_audience("studio", rows)
    assert audience == {"ok": Views(3, 0.0)}
    assert skipped == 6


async def test_rows_of_no_usable_playback_id_are_left_out() -> None:
    rows = [
        {"viewCount": 123456, "errorRate": 0.02},  # the account's total
        {"playbackId": "", "viewCount": 1},
        {"playbackId": "x" * 5000, "viewCount": 1},
    ]
    assert await read_audience("studio", rows) == ({}, 0)


async def test_rows_of_one_playback_id_add_up() -> None:
    rows = [
        {"playbackId": "p", "device": "iPhone", "viewCount": 30, "errorRate": 0.1},
        {"playbackId": "p", "device": "TV", "viewCount": 10, "errorRate": 0.5},
        {"playbackId": "q", "viewCount": MAX_VIEWERS, "errorRate": 0},
        {"playbackId": "q", "viewCount": MAX_VIEWERS, "errorRate": 0},
    ]
    audience, _ = await read_audience("studio", rows)
    assert audience["p"].viewers == 40
    assert audience["p"].error_rate == pytest.approx(0.2)  # weighed by viewers
    assert audience["q"] == Views(None, 0.0, frozenset({"viewers"}))  # the sum is absurd


async def test_an_answer_that_is_not_a_list_or_has_no_usable_row_fails() -> None:
    with pytest.raises(ProviderInvalidPayload, match="expected a list"):
        await read_audience("studio", {"errors": ["nope"]})
    with pytest.raises(ProviderInvalidPayload, match="no usable row"):
        await read_audience("studio", [None, 3, "x"])
    assert await read_audience("studio", []) == ({}, 0)  # nobody watching: fine


# -- the join -----------------------------------------------------------------------------------


def test_the_live_session_seen_last_gets_its_streams_viewers() -> None:
    old = session("old", "p", seen_ago=80.0)  # still live (under 90 s) after a reconnect
    new = session("new", "p", seen_ago=2.0)
    ended = session("ended", "p", seen_ago=600.0)
    other = session("other", "q")
    alone = session("alone", None)
    audience = {"p": Views(1200, 0.01), "asset": Views(5, 0.0)}  # "asset": no session has it
    joined = {s.id: s for s in Joiner().join([old, new, ended, other, alone], audience)}
    assert joined["new"].viewers == 1200 and joined["new"].playback_error_rate == 0.01
    assert ended.state is SessionState.ENDED
    assert all(joined[sid].viewers is None for sid in ("old", "ended", "other", "alone"))
    assert joined["old"] is old and joined["other"] is other  # untouched: the very objects


def test_absurd_values_are_named_on_the_session() -> None:
    s = session("s", "p")
    joined = Joiner().join([s], {"p": Views(None, 0.2, frozenset({"viewers"}))})[0]
    assert joined.viewers is None and "viewers" in joined.invalid
    assert joined.playback_error_rate == 0.2


def test_an_unchanged_session_and_audience_join_to_the_same_object() -> None:
    joiner, s = Joiner(), session("s", "p")
    first = joiner.join([s], {"p": Views(10, 0.0)})[0]
    assert joiner.join([s], {"p": Views(10, 0.0)})[0] is first  # the store skips it at once
    assert joiner.join([s], {"p": Views(11, 0.0)})[0].viewers == 11


def test_a_drill_down_gets_the_viewers_of_the_polls_choice() -> None:
    joiner = Joiner()
    old, new = session("old", "p", seen_ago=80.0), session("new", "p")
    joiner.join([old, new], {"p": Views(50, 0.0)})
    fetched = [replace(new), replace(old)]  # the drill-down's own (new) objects
    again = {s.id: s for s in joiner.again(fetched, {"p": Views(50, 0.0)})}
    assert again["new"].viewers == 50 and again["old"].viewers is None


# -- the request beside the polls ---------------------------------------------------------------


class Stand:
    """A stand-in for the client's request: each call waits for the test to answer it."""

    def __init__(self) -> None:
        self.calls = 0
        self.answers: asyncio.Queue[tuple[dict[str, Views], int] | BaseException] = asyncio.Queue()

    async def __call__(self) -> tuple[dict[str, Views], int]:
        self.calls += 1
        answer = await self.answers.get()
        if isinstance(answer, BaseException):
            raise answer
        return answer


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def result(*sessions: Session) -> FetchResult:
    return FetchResult(tuple(sessions))


async def poll(views: Viewership, *sessions: Session) -> FetchResult:
    """What `LivepeerClient.fetch` does around its listing (the listing: instant here)."""
    views.begin()
    await asyncio.sleep(0)
    await views.settle()
    return views.attach(result(*sessions))


def viewers(r: FetchResult) -> list[int | None]:
    return [s.viewers for s in r.sessions]


async def test_a_slow_answer_is_joined_by_the_next_poll() -> None:
    stand, clock = Stand(), Clock()
    views, s = Viewership("studio", stand, clock), session("s", "p")
    first = await poll(views, s)  # the answer has not come: the poll does not wait
    assert viewers(first) == [None] and first.viewers_at is None and stand.calls == 1
    clock.now += timedelta(seconds=1)
    await stand.answers.put(({"p": Views(40, 0.0)}, 0))
    for _ in range(3):
        await asyncio.sleep(0)  # it comes between two polls
    clock.now += timedelta(seconds=1)
    second = await poll(views, s)  # takes it, and asks again
    assert viewers(second) == [40] and stand.calls == 2
    assert second.viewers_at == NOW + timedelta(seconds=1)  # measured when it came
    third = await poll(views, s)  # the second answer is still out: last good, no third ask
    assert viewers(third) == [40] and stand.calls == 2 and views.asking
    await views.aclose()


async def test_last_good_viewers_expire() -> None:
    stand, clock = Stand(), Clock()
    views, s = Viewership("studio", stand, clock), session("s", "p")
    await stand.answers.put(({"p": Views(40, 0.0)}, 0))
    assert viewers(await poll(views, s)) == [40]
    await stand.answers.put(ProviderHTTPError("studio", "GET /data/views/now", 500, "down"))
    clock.now += KEEP
    kept = await poll(views, s)
    assert viewers(kept) == [40] and kept.notice == "viewers failed: HTTP 500: down"
    clock.now += timedelta(seconds=1)
    gone = await poll(views, s)
    assert viewers(gone) == [None] and gone.viewers_at is None  # too old to show
    await views.aclose()


async def test_forbidden_is_said_once_and_asked_rarely(caplog: pytest.LogCaptureFixture) -> None:
    stand, clock = Stand(), Clock()
    views, s = Viewership("studio", stand, clock), session("s", "p")
    refused = ProviderAuthError("studio", "GET /data/views/now", 403, "forbidden")
    with caplog.at_level(logging.WARNING, "livetop.viewership"):
        for _ in range(2):
            await stand.answers.put(refused)
            r = await poll(views, s)
            assert r.notice == "viewers need a private key (403)"
            assert r.sessions == (s,)  # the sessions, as they came
            for _ in range(20):  # polls meanwhile ask nothing
                clock.now += FORBIDDEN_RETRY / 20
                assert (await poll(views, s)).notice == r.notice
            clock.now += timedelta(seconds=1)
    assert stand.calls == 3  # once, once 30 min later, and the one now out
    warnings = [r for r in caplog.records if "private" in r.getMessage()]
    assert len(warnings) == 1  # said once
    await stand.answers.put(({"p": Views(3, 0.0)}, 0))  # the key was made private
    assert (await poll(views, s)).notice is None
    await views.aclose()


async def test_failures_back_off_and_a_server_wait_is_obeyed() -> None:
    stand, clock = Stand(), Clock()
    views, s = Viewership("studio", stand, clock), session("s", "p")
    asked = []
    for _ in range(4):
        await stand.answers.put(ProviderError("studio", "GET /data/views/now", "timed out"))
        before = stand.calls
        waited = 0
        while stand.calls == before:
            await poll(views, s)
            clock.now += timedelta(seconds=1)
            waited += 1
        asked.append(waited)
    assert asked == [1, 5, 10, 20]  # at once, then 5, 10, 20 s after each failure
    slow_down = ProviderRateLimited("studio", "GET /data/views/now", 429, "slow", retry_after=120)
    await stand.answers.put(slow_down)  # the answer to the ask now out
    clock.now += timedelta(seconds=40)  # past the backoff: only the server's wait holds it
    await poll(views, s)
    calls = stand.calls
    clock.now += timedelta(seconds=119)
    await poll(views, s)
    assert stand.calls == calls
    clock.now += timedelta(seconds=2)
    await poll(views, s)
    assert stand.calls == calls + 1
    await views.aclose()


async def test_not_sent_because_the_provider_fails_is_no_failure_of_its_own() -> None:
    stand, clock = Stand(), Clock()
    views, s = Viewership("studio", stand, clock), session("s", "p")
    await stand.answers.put(ProviderHeld("studio", "GET /data/views/now", "not sent"))
    r = await poll(views, s)
    assert r.notice is None
    await poll(views, s)
    assert stand.calls == 2  # asked again at the next poll: no backoff
    await views.aclose()


async def test_a_bug_in_reading_it_is_a_failure_like_another(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stand, clock = Stand(), Clock()
    views, s = Viewership("studio", stand, clock), session("s", "p")
    await stand.answers.put(ZeroDivisionError())
    with caplog.at_level(logging.ERROR, "livetop.viewership"):
        r = await poll(views, s)
    assert r.notice == "viewers failed: internal error" and r.sessions == (s,)
    assert "ZeroDivisionError" in caplog.text
    await views.aclose()


async def test_a_huge_answer_fails_the_viewers_alone() -> None:
    """Read into a bound of its own: 9 MB of viewership fails it, not the listing beside it."""
    wire = load("livepeer_session")
    page = json.dumps([{**wire, "lastSeen": int(NOW.timestamp() * 1000) - 1000}]).encode()
    huge = b"[" + b" " * (9 << 20) + b"]"

    def answer(request: httpx.Request) -> httpx.Response:
        body = huge if request.url.path.endswith("/data/views/now") else page
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    async with LivepeerClient(
        "studio", "k" * 20, transport=httpx.MockTransport(answer), clock=lambda: NOW
    ) as client:
        assert client.viewership is not None
        first = await client.fetch()
        await client.viewership.settle(wait=5.0)
        second = await client.fetch()
    assert len(first.sessions) == len(second.sessions) == 1 and second.complete
    assert second.notice == (
        "viewers failed: invalid payload: answer larger than 8 MB once decompressed (its own bound)"
    )
