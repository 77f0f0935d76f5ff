"""Every client method round-trips against the simulator over a real socket.

Simulated time is frozen for this module, so what the clients get can be compared with the
scenario's own truth, record by record.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpcore
import httpx
import pytest

from tui.models import SessionState
from tui.providers import (
    CallsClient,
    LivepeerClient,
    ProviderAuthError,
    ProviderNotFound,
    UizaClient,
)
from tui.sim import RunningSimulator, SimClock, SimConfig, start_in_thread


class _Later:
    """Stands in for the `time` module that httpcore's HTTP/1.1 connections read."""

    def __init__(self, now: float) -> None:
        self._now = now

    def monotonic(self) -> float:
        return self._now


WINDOW_S = 3600.0


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(
        SimConfig(seed=21, sessions=800), clock=SimClock(monotonic=lambda: 0.0)
    ) as running:
        yield running


def sim_now(sim: RunningSimulator) -> datetime:
    return datetime.fromtimestamp(sim.scenario.now(), UTC)


def livepeer(sim: RunningSimulator, key: str | None = None, **options: object) -> LivepeerClient:
    return LivepeerClient(
        "studio",
        key or sim.api_keys["livepeer"],
        base_url=sim.base_urls["livepeer"],
        clock=lambda: sim_now(sim),
        **options,  # type: ignore[arg-type]
    )


def uiza(sim: RunningSimulator, key: str | None = None, **options: object) -> UizaClient:
    return UizaClient(
        "uiza",
        key or sim.api_keys["uiza"],
        base_url=sim.base_urls["uiza"],
        entity_ids=sim.entity_ids,
        clock=lambda: sim_now(sim),
        **options,  # type: ignore[arg-type]
    )


def calls(sim: RunningSimulator, key: str | None = None) -> CallsClient:
    return CallsClient(
        "calls",
        key or sim.api_keys["calls"],
        base_url=sim.base_urls["calls"],
        call_ids=sim.call_ids,
    )


async def test_livepeer_list_sessions_pages_through_exactly_the_window(
    sim: RunningSimulator,
) -> None:
    world, t = sim.scenario.livepeer, sim.scenario.now()
    cutoff_ms = int((t - WINDOW_S) * 1000)
    truth = [
        world.session_id(i) for i in world.listing(t, filters=(("lastSeen", "gt", cutoff_ms),))
    ]
    before = sim.request_counts["livepeer"]
    async with livepeer(sim, page_limit=100) as client:
        result = await client.list_sessions()
    assert result.complete and result.skipped == 0
    assert sorted(s.id for s in result.sessions) == sorted(truth)
    assert 100 < len(truth) < world.counts(t)["sessions"]  # paged, and windowed
    assert sim.request_counts["livepeer"] - before == len(truth) // 100 + 1
    live = [s for s in result.sessions if s.state is SessionState.LIVE]
    assert live and any(s.healthy is False and s.issues for s in live)
    sample = live[0]
    record = world.session(world.find_session(sample.id) or 0, t)
    assert record is not None
    assert sample.ingest_bps == pytest.approx(record["ingestRate"] * 8)
    assert sample.name == record["name"] and sample.parent_id == record["parentId"]


async def test_livepeer_get_session_and_fetch_session(sim: RunningSimulator) -> None:
    world, t = sim.scenario.livepeer, sim.scenario.now()
    index = world.listing(t)[3]
    record = world.session(index, t)
    assert record is not None
    async with livepeer(sim) as client:
        one = await client.get_session(record["id"])
        again = await client.fetch_session(record["id"], record["parentId"])
    assert one == again
    assert one.id == record["id"] and one.name == record["name"]
    assert one.last_seen == datetime.fromtimestamp(record["lastSeen"] / 1000, UTC)
    assert len(one.profiles) == len(record["profiles"])
    assert one.healthy is record["isHealthy"]


async def test_livepeer_stream_sessions_and_fetch_related(sim: RunningSimulator) -> None:
    world, t = sim.scenario.livepeer, sim.scenario.now()
    streams = [world.stream(j) for j in range(world.stream_count)]
    recorded = next(s for s in streams if s.record)
    unrecorded = next(s for s in streams if not s.record)
    async with livepeer(sim) as client:
        everything = await client.stream_sessions(recorded.id)
        related = await client.fetch_related(recorded.id)
        only_recorded = await client.stream_sessions(recorded.id, record=True)
        none_recorded = await client.stream_sessions(unrecorded.id, record=True)
    expected = [world.session_id(i) for i in world.stream_sessions(recorded.index, t)]
    assert [s.id for s in everything.sessions] == expected
    assert related == everything == only_recorded
    assert none_recorded.sessions == ()


async def test_livepeer_fetch_of_watched_streams(sim: RunningSimulator) -> None:
    async with livepeer(sim, stream_ids=sim.stream_ids) as client:
        result = await client.fetch()
    assert result.complete
    assert {s.parent_id for s in result.sessions} <= set(sim.stream_ids)


async def test_uiza_list_sessions_follows_page_tokens_newest_first(sim: RunningSimulator) -> None:
    world, t = sim.scenario.uiza, sim.scenario.now()
    busy = world.entities[0]
    before = sim.request_counts["uiza"]
    async with uiza(sim) as client:
        result = await client.list_sessions(busy.id)
    count = world.newest(busy, t) + 1
    assert count > 100 and len(result.sessions) == count
    assert sim.request_counts["uiza"] - before == 2
    created = [s.created_at for s in result.sessions]
    assert created == sorted(created, reverse=True)  # type: ignore[type-var]
    assert all(s.secret is not None for s in result.sessions)
    assert {s.state for s in result.sessions[1:]} == {SessionState.ENDED}


async def test_uiza_get_session_fetch_session_and_fetch(sim: RunningSimulator) -> None:
    world = sim.scenario.uiza
    live_entity = world.entities[1]
    async with uiza(sim) as client:
        await client.learn_names()  # what a first poll starts: names for what follows
        listed = await client.list_sessions(live_entity.id)
        newest = listed.sessions[0]
        one = await client.get_session(live_entity.id, newest.id)
        again = await client.fetch_session(newest.id, newest.parent_id)
        everything = await client.fetch()
        related = await client.fetch_related(live_entity.id)
    assert one == again and one.state is SessionState.LIVE and one.duration_s is None
    assert one.name == live_entity.name and one.parent_id == live_entity.id
    assert one.secret is not None and one.secret.get_secret_value() == live_entity.stream_key
    assert related == listed
    assert {s.id for s in everything.sessions} == uiza_in_window(sim)


def uiza_in_window(sim: RunningSimulator) -> set[str]:
    """The ids of the simulated Uiza sessions live now or ended within the window."""
    world, t = sim.scenario.uiza, sim.scenario.now()
    ids = set()
    for entity in world.entities:
        for k in range(world.newest(entity, t) + 1):
            record = world.session(entity, k, t)
            created = datetime.fromisoformat(record["created_at"]).timestamp()
            duration = record.get("duration")
            if duration is None or created + duration >= t - WINDOW_S:
                ids.add(record["id"])
    return ids


async def test_uiza_poll_lists_the_window_and_stops_paging_past_it(sim: RunningSimulator) -> None:
    """The 24/7 entity's history needs two pages, but its first already reaches past the
    window: a poll is one request per entity, and holds nothing that ended before it."""
    world = sim.scenario.uiza
    busy = world.entities[0]
    assert world.newest(busy, sim.scenario.now()) + 1 > 100  # the history alone needs 2 pages
    async with uiza(sim) as client:
        await client.learn_names()  # asked beside the polls, every ten minutes
        before = sim.request_counts["uiza"]
        result = await client.fetch()
    assert sim.request_counts["uiza"] - before == len(world.entities)
    assert result.complete
    window = {s.id for s in result.sessions}
    assert window == uiza_in_window(sim)
    assert any(s.state is SessionState.LIVE for s in result.sessions)
    assert any(s.state is SessionState.ENDED for s in result.sessions)
    assert len(window) < 100


async def test_uiza_next_polls_ask_for_pages_the_size_of_the_window(
    sim: RunningSimulator,
) -> None:
    """After the first poll, each entity's page is the window plus a little: the same
    sessions for a fraction of the bytes."""
    sizes: list[int] = []
    received: list[int] = []

    class Recording(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sizes.append(int(request.url.params["page_size"]))
            response = await super().handle_async_request(request)
            await response.aread()
            received.append(len(response.content))
            return response

    async with uiza(sim, transport=Recording()) as client:
        first = await client.fetch()
        first_sizes, first_bytes = sizes[:], sum(received)
        sizes.clear()
        received.clear()
        second = await client.fetch()
    assert {s.id for s in second.sessions} == {s.id for s in first.sessions}
    assert first_sizes == [100] * len(sim.entity_ids)
    assert len(sizes) == len(sim.entity_ids) and max(sizes) < 100
    assert sum(received) * 3 < first_bytes


async def test_calls_get_call_and_fetch(sim: RunningSimulator) -> None:
    async with calls(sim) as client:
        result = await client.fetch()
        one = await client.get_call(sim.call_ids[4])
        same = await client.fetch_session(sim.call_ids[4], None)
        related = await client.fetch_related(sim.call_ids[4])
    states = [s.state for s in result.sessions]
    assert states == [
        SessionState.LIVE,
        SessionState.SCHEDULED,
        SessionState.ENDED,
        SessionState.ERRORED,
        SessionState.LIVE,
        SessionState.LIVE,
        SessionState.SCHEDULED,
        SessionState.SCHEDULED,  # the late guest: its slot began 3 minutes before the start
    ]
    late = result.sessions[7]
    start = sim.scenario.clock.start
    assert late.scheduled_at is not None
    assert abs(late.scheduled_at.timestamp() - (start - 180)) < 0.002  # from its own row
    assert one == same == related.sessions[0]
    assert one.healthy is False and one.issues  # the row says live, the backend does not
    assert result.sessions[2].recording == "ready"


async def test_wrong_keys_are_refused_by_every_api(sim: RunningSimulator) -> None:
    async with livepeer(sim, key="nope") as lp, uiza(sim, "nope") as uz, calls(sim, "nope") as ca:
        with pytest.raises(ProviderAuthError, match="invalid API key"):
            await lp.list_sessions()
        with pytest.raises(ProviderAuthError, match="unauthorized to access"):
            await uz.list_sessions(sim.entity_ids[0])
        with pytest.raises(ProviderAuthError, match="bearer token"):
            await ca.get_call(sim.call_ids[0])
    # Uiza takes the raw key: the same key with a Bearer scheme is refused.
    bearer = UizaClient("uiza", "x", base_url=sim.base_urls["uiza"])
    bearer._http.headers["Authorization"] = f"Bearer {sim.api_keys['uiza']}"
    async with bearer:
        with pytest.raises(ProviderAuthError):
            await bearer.list_sessions(sim.entity_ids[0])


async def test_unknown_ids_are_not_found_in_each_api(sim: RunningSimulator) -> None:
    foreign = "3f0c6f0e-52b4-4a5e-9d55-1c0f2d9c7a11"
    async with livepeer(sim) as lp, uiza(sim) as uz, calls(sim) as ca:
        with pytest.raises(ProviderNotFound, match="not found"):
            await lp.get_session(foreign)
        with pytest.raises(ProviderNotFound):
            await lp.stream_sessions(foreign)
        with pytest.raises(ProviderNotFound, match="live entity"):
            await uz.list_sessions(foreign)
        with pytest.raises(ProviderNotFound, match="live session"):
            await uz.get_session(sim.entity_ids[0], foreign)
        with pytest.raises(ProviderNotFound, match="call not found"):
            await ca.get_call(foreign)


async def test_a_poll_minutes_apart_reuses_its_connections(
    sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The calls API is polled every 1.2 s per watched call (a minute for 50): its connections
    must outlive that, not httpx's default 5 s, or every poll is a new handshake per call."""
    async with calls(sim) as client:
        await client.fetch()
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        before = {id(c) for c in pool.connections}
        later = time.monotonic() + 60.0
        monkeypatch.setattr(httpcore._async.http11, "time", _Later(later))
        await client.fetch()
        assert before and {id(c) for c in pool.connections} == before
