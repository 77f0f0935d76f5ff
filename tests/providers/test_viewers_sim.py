"""Realtime viewership against the simulator over a real socket: joined to the sessions it
belongs to, and every bad answer of the viewership endpoint (a failure, a refusal, unknown ids,
absurd counts, a slow answer) leaving the sessions poll's result and duration as they were.

Simulated time stands still for this module, so a poll with a fault can be compared with one
without, record by record.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from tui.config import demo_settings
from tui.models import FetchResult, Session
from tui.providers import LivepeerClient
from tui.providers.scheduler import RequestScheduler, job
from tui.refresher import Refresher
from tui.sim import Fault, RunningSimulator, SimClock, SimConfig, start_in_thread
from tui.sim.views import audience
from tui.snapshot import take_snapshot
from tui.store import SessionStore

SLOW = 3.0  # seconds the slow viewership takes


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSimulator]:
    config = SimConfig(seed=21, sessions=600, churn=0.3)
    with start_in_thread(config, clock=SimClock(monotonic=lambda: 0.0)) as sim:
        yield sim


@pytest.fixture
def sim(running: RunningSimulator) -> Iterator[RunningSimulator]:
    running.clear_faults()
    yield running
    running.clear_faults()


def client(sim: RunningSimulator, **options: object) -> LivepeerClient:
    now = datetime.fromtimestamp(sim.scenario.now(), UTC)
    return LivepeerClient(
        "studio",
        sim.api_keys["livepeer"],
        base_url=sim.base_urls["livepeer"],
        clock=lambda: now,
        **options,  # type: ignore[arg-type]
    )


def views_fault(sim: RunningSimulator, **settings: object) -> None:
    sim.set_fault("livepeer", Fault(**settings))  # type: ignore[arg-type]


def without_viewers(s: Session) -> Session:
    invalid = s.invalid - {"viewers", "playback_error_rate"}
    return replace(s, viewers=None, playback_error_rate=None, invalid=invalid)


def plain(result: FetchResult) -> list[Session]:
    return sorted(map(without_viewers, result.sessions), key=lambda s: s.id)


def asked(sim: RunningSimulator) -> int:
    return sim.request_counts["livepeer"]


async def timed_fetch(c: LivepeerClient) -> tuple[FetchResult, float]:
    start = time.monotonic()
    result = await c.fetch()
    return result, time.monotonic() - start


async def settled_fetch(c: LivepeerClient) -> FetchResult:
    """A poll, then another once the first one's viewership has answered."""
    await c.fetch()
    assert c.viewership is not None
    for _ in range(200):
        if not c.viewership.asking:
            break
        await asyncio.sleep(0.02)
    return await c.fetch()


@pytest.fixture
async def baseline(sim: RunningSimulator) -> FetchResult:
    async with client(sim, viewership=False) as c:
        return await c.fetch()


async def test_viewers_join_the_live_session_of_their_stream(
    sim: RunningSimulator, baseline: FetchResult
) -> None:
    async with client(sim) as c:
        result = await settled_fetch(c)
    truth = {pid: (n, rate) for pid, n, rate in audience(sim.scenario.livepeer, sim.scenario.now())}
    watched = [s for s in result.sessions if s.viewers is not None]
    assert len(watched) > 20
    for s in watched:
        assert s.is_live
        assert (s.viewers, s.playback_error_rate) == truth[str(s.details["playbackId"])]
    # Every live stream that has viewers shows them on one session, and only one.
    pids = [str(s.details["playbackId"]) for s in watched]
    live = {str(s.details.get("playbackId")) for s in result.sessions if s.is_live}
    assert sorted(pids) == sorted(set(pids)) == sorted(live & truth.keys())
    assert result.viewers_at is not None and result.notice is None
    assert plain(result) == plain(baseline)  # nothing else about the sessions changed


async def test_unknown_playback_ids_are_left_out(sim: RunningSimulator) -> None:
    async with client(sim) as c:
        result = await settled_fetch(c)
    truth = {pid for pid, _, _ in audience(sim.scenario.livepeer, sim.scenario.now())}
    known = {s.details.get("playbackId") for s in result.sessions}
    assert len(truth - known) >= 3  # the account's assets: viewers, but no session
    joined = {s.details["playbackId"] for s in result.sessions if s.viewers is not None}
    assert not joined - known


@pytest.mark.parametrize(
    "fault",
    [
        {"views_error_rate": 1.0},
        {"views_forbidden": True},
        {"views_absurd": True},
        {"views_latency": SLOW},
    ],
    ids=["failure", "forbidden", "absurd", "slow"],
)
async def test_a_bad_viewership_never_touches_the_sessions(
    sim: RunningSimulator, baseline: FetchResult, fault: dict[str, object]
) -> None:
    async with client(sim, viewership=False) as c:
        _, plain_time = await timed_fetch(c)
    views_fault(sim, **fault)
    async with client(sim) as c:
        result, seconds = await timed_fetch(c)
        again, _ = await timed_fetch(c)
    assert result.complete and again.complete
    assert plain(result) == plain(baseline) and plain(again) == plain(baseline)
    assert seconds < max(1.0, 3 * plain_time) < SLOW  # not waiting for the viewership
    for s in (*result.sessions, *again.sessions):
        if s.viewers is not None:
            assert 0 <= s.viewers <= 100_000_000


async def test_a_failure_is_said_and_retried_later(sim: RunningSimulator) -> None:
    views_fault(sim, views_error_rate=1.0)
    async with client(sim) as c:
        first = await settled_fetch(c)
        before = asked(sim)
        await c.fetch()
        assert asked(sim) == before + 1  # the listing alone: the viewership backs off
    assert first.notice is not None and first.notice.startswith("viewers failed: HTTP 500")
    assert all(s.viewers is None for s in first.sessions)


async def test_forbidden_is_said_once_and_not_asked_again(
    sim: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    views_fault(sim, views_forbidden=True)
    async with client(sim) as c:
        start = asked(sim)
        results = [await settled_fetch(c)]
        for _ in range(5):
            results.append(await c.fetch())
    assert asked(sim) - start == 1 + 7  # one viewership request, and the 7 listings
    assert {r.notice for r in results} == {"viewers need a private key (403)"}
    assert len([r for r in caplog.records if "private" in r.getMessage()]) == 1


async def test_absurd_counts_are_unknown_and_said_so(sim: RunningSimulator) -> None:
    views_fault(sim, views_absurd=True)
    async with client(sim) as c:
        result = await settled_fetch(c)
    marked = [s for s in result.sessions if "viewers" in s.invalid]
    assert marked and all(s.viewers is None for s in marked)
    rates = [s for s in result.sessions if "playback_error_rate" in s.invalid]
    assert rates and all(s.playback_error_rate is None for s in rates)
    assert any(s.viewers is not None for s in result.sessions)  # the sane rows still join
    assert result.notice is not None and "malformed" in result.notice


async def test_a_slow_answer_comes_with_the_next_poll(sim: RunningSimulator) -> None:
    views_fault(sim, views_latency=1.0)
    async with client(sim) as c:
        start = asked(sim)
        first = await c.fetch()
        assert all(s.viewers is None for s in first.sessions)
        second = await c.fetch()  # still out: not asked twice
        assert asked(sim) - start == 3
        await asyncio.sleep(1.2)
        third = await c.fetch()
    assert any(s.viewers is not None for s in third.sessions)
    assert all(s.viewers is None for s in second.sessions)


async def test_a_poll_costs_one_request_more_and_is_paced_for_it(sim: RunningSimulator) -> None:
    # 600 sessions in the window fit one page: a poll is one listing and one viewership.
    store = SessionStore()
    scheduler = RequestScheduler("studio", budget=6)
    studio = client(sim, scheduler=scheduler)
    refresher = Refresher(
        store, [studio], interval=1.0, schedulers={"studio": scheduler}, costs={"studio": 1}
    )
    assert refresher.interval_for("studio") == 10.0  # before a poll: one request expected
    async with refresher:
        for _ in range(200):
            if store.status("studio").polls:
                break
            await asyncio.sleep(0.02)
    assert refresher.interval_for("studio") == 20.0  # 2 requests × 60 s / 6
    assert store.status("studio").budget_bound


async def test_a_one_off_snapshot_waits_for_the_viewers(sim: RunningSimulator) -> None:
    views_fault(sim, views_latency=0.5)
    snap = await take_snapshot(demo_settings(sim))
    studio = [s for s in snap.sessions if s.provider == "studio"]
    assert any(s.viewers is not None for s in studio)


async def test_the_viewership_counts_in_the_polls_job(sim: RunningSimulator) -> None:
    scheduler = RequestScheduler("studio")
    with job() as poll:
        async with client(sim, scheduler=scheduler) as c:
            await c.fetch()
            await asyncio.sleep(0.3)
    assert poll.asked == 2 and len(scheduler.sent) == 2


async def test_the_endpoint_answers_as_the_api_does(sim: RunningSimulator) -> None:
    url = sim.base_urls["livepeer"] + "/data/views/now"
    key = {"Authorization": f"Bearer {sim.api_keys['livepeer']}"}
    async with httpx.AsyncClient() as http:
        anonymous = await http.get(url)
        assert anonymous.status_code == 401 and anonymous.json() == {"errors": ["invalid API key"]}
        total = (await http.get(url, headers=key)).json()
        assert len(total) == 1 and set(total[0]) == {"viewCount", "errorRate"}
        by_id = (await http.get(url, headers=key, params={"breakdownBy[]": "playbackId"})).json()
        assert sum(r["viewCount"] for r in by_id) == total[0]["viewCount"]
        one = by_id[0]["playbackId"]
        two = [("breakdownBy[]", "playbackId"), ("breakdownBy[]", "country"), ("playbackId", one)]
        split = (await http.get(url, headers=key, params=two)).json()
        assert {r["playbackId"] for r in split} == {one} and len(split) == 4
        wrong = await http.get(url, headers=key, params={"breakdownBy[]": "planet"})
        assert wrong.status_code == 422 and "breakdownBy[]" in wrong.json()["errors"][0]
        views_fault(sim, views_forbidden=True)
        refused = await http.get(url, headers=key)
        assert refused.status_code == 403 and "private" in refused.json()["errors"][0]
        listing = await http.get(sim.base_urls["livepeer"] + "/session", headers=key)
        assert listing.status_code == 200  # the sessions are untouched by the views' faults


async def test_a_drill_down_keeps_the_viewers_the_poll_joined(sim: RunningSimulator) -> None:
    async with client(sim) as c:
        result = await settled_fetch(c)
        top = max(result.sessions, key=lambda s: s.viewers or -1)
        assert top.viewers and top.parent_id
        related = await c.fetch_related(top.parent_id)
        one = await c.fetch_session(top.id, top.parent_id)
    again = {s.id: s for s in related.sessions}
    assert again[top.id].viewers == top.viewers == one.viewers  # the store is not blanked
    assert [s.id for s in related.sessions if s.viewers is not None] == [top.id]
