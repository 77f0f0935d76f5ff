"""Uiza rows carry their entity's name (`GET /v1/live_entities/{id}`), asked for once, again
every ten minutes, beside the polls: a name that fails or hangs never fails or holds up a poll.

The simulator serves over a real socket; where only the entity endpoint must misbehave, a
transport in front of the real one answers that path itself and sends the rest on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from support.fixtures import load
from tui import format as fmt
from tui.providers import ProviderAuthError, ProviderNotFound, UizaClient
from tui.providers.sanity import MAX_NAME
from tui.providers.scheduler import job
from tui.providers.uiza import NAME_RETRY_S, NAME_TTL_S
from tui.sim import Fault, RunningSimulator, SimClock, SimConfig, start_in_thread

Answer = Callable[[httpx.Request], Awaitable[httpx.Response | None]]


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(
        SimConfig(seed=5, sessions=20), clock=SimClock(monotonic=lambda: 0.0)
    ) as running:
        yield running


class Entities(httpx.AsyncHTTPTransport):
    """The real transport, counting the entity requests; `answer` may answer those itself."""

    def __init__(self, answer: Answer | None = None) -> None:
        super().__init__()
        self.answer = answer
        self.asked: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/live_sessions"):
            self.asked.append(request.url.path.rsplit("/", 1)[-1])
            if self.answer is not None and (response := await self.answer(request)):
                return response
        return await super().handle_async_request(request)


class Clock:
    """The client's wall clock, moved by hand (the simulator stands still)."""

    def __init__(self, sim: RunningSimulator) -> None:
        self.now = datetime.fromtimestamp(sim.scenario.now(), UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def client(sim: RunningSimulator, transport: Entities, clock: Clock) -> UizaClient:
    return UizaClient(
        "uiza",
        sim.api_keys["uiza"],
        base_url=sim.base_urls["uiza"],
        entity_ids=sim.entity_ids,
        transport=transport,
        clock=clock,
    )


def names(sim: RunningSimulator) -> dict[str, str]:
    return {e.id: e.name for e in sim.scenario.uiza.entities}


async def test_rows_carry_their_entity_names_asked_once_per_ten_minutes(
    sim: RunningSimulator,
) -> None:
    transport, clock = Entities(), Clock(sim)
    async with client(sim, transport, clock) as uz:
        with job() as poll:
            await uz.fetch()
        assert poll.asked == len(sim.entity_ids)  # the names are not the poll's requests
        await uz.learn_names()  # they were asked beside it: let them land
        assert sorted(transport.asked) == sorted(sim.entity_ids)
        result = await uz.fetch()
        assert result.sessions and all(
            s.name == names(sim)[s.parent_id or ""] for s in result.sessions
        )
        for _ in range(9):  # nine minutes of polls: no name is asked again
            clock.advance(60.0)
            await uz.fetch()
            await uz.learn_names()
        assert len(transport.asked) == len(sim.entity_ids)
        clock.advance(NAME_TTL_S - 9 * 60.0)
        await uz.fetch()
        await uz.learn_names()
        assert len(transport.asked) == 2 * len(sim.entity_ids)
        drilled = await uz.fetch_related(sim.entity_ids[0])  # a drill-down is named too
        assert {s.name for s in drilled.sessions} == {names(sim)[sim.entity_ids[0]]}


async def test_a_failing_name_shows_the_id_and_is_asked_again_in_a_minute(
    sim: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    broken = True

    async def answer(request: httpx.Request) -> httpx.Response | None:
        if not broken:
            return None
        return httpx.Response(500, json={"message": "boom", "error_type": "api_error"})

    transport, clock = Entities(answer), Clock(sim)
    caplog.set_level(logging.INFO, "livetop.providers")
    async with client(sim, transport, clock) as uz:
        first = await uz.fetch()
        await uz.learn_names()
        again = await uz.fetch()  # names failed: the poll did not (nor did the one before)
        assert first.complete and again.complete and not again.errors
        assert {s.name for s in again.sessions} <= set(sim.entity_ids)  # the ids, for now
        asked = len(transport.asked)
        assert asked == len(sim.entity_ids)  # each name fails alone (side requests)
        clock.advance(NAME_RETRY_S - 1)
        await uz.fetch()
        await uz.learn_names()
        assert len(transport.asked) == asked  # not on every poll
        clock.advance(1)
        await uz.fetch()
        await uz.learn_names()
        assert len(transport.asked) == 2 * asked  # a minute later
        failures = [r.getMessage() for r in caplog.records if "no name for" in r.getMessage()]
        assert len(failures) == len(sim.entity_ids)  # once each, not once a minute
        assert all("showing its id" in line and "HTTP 500: boom" in line for line in failures)
        broken = False
        clock.advance(NAME_RETRY_S)
        await uz.fetch()
        await uz.learn_names()
        named = await uz.fetch()
        assert named.sessions and all(
            s.name == names(sim)[s.parent_id or ""] for s in named.sessions
        )
        # The next refresh fails: the name it had stays.
        broken = True
        clock.advance(NAME_TTL_S)
        await uz.fetch()
        await uz.learn_names()
        kept = await uz.fetch()
        assert kept.sessions and all(s.name == names(sim)[s.parent_id or ""] for s in kept.sessions)


async def test_a_name_told_to_wait_waits_and_never_holds_the_polls(
    sim: RunningSimulator,
) -> None:
    """A 429 with Retry-After on a name: that name waits as asked (capped at 15 min); the
    polls are not held, as they would be by a poll's own 429."""

    async def limited(request: httpx.Request) -> httpx.Response | None:
        body = {"message": "slow down", "error_type": "rate_limit_error"}
        return httpx.Response(429, json=body, headers={"Retry-After": "300"})

    transport, clock = Entities(limited), Clock(sim)
    async with client(sim, transport, clock) as uz:
        await uz.fetch()
        await uz.learn_names()
        assert uz.scheduler.hold_left() == 0  # the server's wish is the names' alone
        asked = len(transport.asked)
        clock.advance(299)
        result = await uz.fetch()
        await uz.learn_names()
        assert result.complete and len(transport.asked) == asked
        clock.advance(1)
        await uz.fetch()
        await uz.learn_names()
        assert len(transport.asked) == 2 * asked


async def test_a_one_off_fetch_carries_the_names(sim: RunningSimulator) -> None:
    """`snapshot` fetches once: it waits for the names (within `names_wait`) to show them."""
    transport, clock = Entities(), Clock(sim)
    uz = client(sim, transport, clock)
    uz.names_wait = 10.0
    async with uz:
        result = await uz.fetch()
    assert result.sessions and all(s.name == names(sim)[s.parent_id or ""] for s in result.sessions)


async def test_a_hanging_name_never_holds_up_a_poll(sim: RunningSimulator) -> None:
    answered = asyncio.Event()  # never set: the entity endpoint never answers

    async def hang(request: httpx.Request) -> httpx.Response | None:
        await answered.wait()
        return None

    transport, clock = Entities(hang), Clock(sim)
    async with client(sim, transport, clock) as uz:
        for _ in range(3):
            # Returns while the names still hang (the bound only turns a hang into a failure).
            result = await asyncio.wait_for(uz.fetch(), 20.0)
            assert result.complete and {s.name for s in result.sessions} <= set(sim.entity_ids)
            clock.advance(NAME_TTL_S)
        assert uz.asking_names
        assert len(transport.asked) == len(sim.entity_ids)  # not asked again meanwhile
    assert not uz.asking_names  # closing the client ends the names' wait


async def test_names_are_not_asked_while_the_provider_fails(sim: RunningSimulator) -> None:
    """After a failed poll the names wait for a poll that is answered: a recovering provider
    is probed one request at a time, and a name must not be the one it waits behind."""
    transport, clock = Entities(), Clock(sim)
    async with client(sim, transport, clock) as uz:
        sim.set_fault("uiza", Fault(error_rate=1.0))
        try:
            with pytest.raises(Exception, match="HTTP 500"):
                await uz.fetch()
            await uz.learn_names()
            failed = len(transport.asked)  # asked with the very first poll: nothing known
            clock.advance(NAME_TTL_S)
            with pytest.raises(Exception, match="HTTP 500"):
                await uz.fetch()
            assert not uz.asking_names and len(transport.asked) == failed
        finally:
            sim.clear_faults()
        await uz.fetch()
        await uz.learn_names()
        assert len(transport.asked) == failed + len(sim.entity_ids)
        named = await uz.fetch()
    assert named.sessions and all(s.name == names(sim)[s.parent_id or ""] for s in named.sessions)


# -- the entity endpoint, as the simulator serves it ----------------------------------------


async def test_the_simulator_serves_entities_with_auth_and_errors(sim: RunningSimulator) -> None:
    entity = sim.scenario.uiza.entities[1]
    base = sim.base_urls["uiza"]
    async with UizaClient("uiza", sim.api_keys["uiza"], base_url=base) as uz:
        assert await uz.get_entity_name(entity.id) == entity.name
        with pytest.raises(ProviderNotFound, match="live entity you requested does not exist"):
            await uz.get_entity_name("3f0c6f0e-52b4-4a5e-9d55-1c0f2d9c7a11")
        sim.set_fault("uiza", Fault(not_found=True))
        try:
            with pytest.raises(ProviderNotFound):
                await uz.get_entity_name(entity.id)
            sim.set_fault("uiza", Fault(drift=True))
            assert await uz.get_entity_name(entity.id) == entity.name  # drift keeps names
        finally:
            sim.clear_faults()
    async with UizaClient("uiza", "uap-wrong", base_url=base) as wrong:
        with pytest.raises(ProviderAuthError, match="unauthorized"):
            await wrong.get_entity_name(entity.id)
    async with httpx.AsyncClient(base_url=base) as raw:
        body = (
            await raw.get(
                f"/v1/live_entities/{entity.id}", headers={"Authorization": sim.api_keys["uiza"]}
            )
        ).json()
    assert body["id"] == entity.id and body["ingest"]["key"] == entity.stream_key


async def test_hostile_entity_names_arrive_literally(sim: RunningSimulator) -> None:
    config = SimConfig(seed=5, sessions=20, hostile_names=True)
    with start_in_thread(config, clock=SimClock(monotonic=lambda: 0.0)) as hostile:
        sent = {e.id: e.name for e in hostile.scenario.uiza.entities}
        assert set(sent.values()) != set(names(sim).values())  # some are hostile
        transport, clock = Entities(), Clock(hostile)
        async with client(hostile, transport, clock) as uz:
            await uz.learn_names()
            result = await uz.fetch()
    for session in result.sessions:
        assert session.name == sent[session.parent_id or ""][:MAX_NAME]
        shown = fmt.safe_text(session.name, 60)
        assert "\x1b" not in shown and "\n" not in shown and "\u202e" not in shown


# -- what an entity's answer may hold -------------------------------------------------------


def entity_answer(body: object, status: int = 200) -> httpx.MockTransport:
    raw = json.dumps(body).encode()
    return httpx.MockTransport(lambda request: httpx.Response(status, content=raw))


async def test_only_the_name_is_read_from_the_documented_entity() -> None:
    body = load("uiza_live_entity")
    async with UizaClient("uiza", "uap-key", transport=entity_answer(body)) as uz:
        assert await uz.get_entity_name(body["id"]) == "Main stage — Day 2"
    # Its stream key (`ingest.key`) is never read: nothing keeps a reference to the body.


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("[bold]Studio[/] \x1b[2J", "[bold]Studio[/] \x1b[2J"),  # literal; inert when shown
        ("x" * 100_000, "x" * MAX_NAME),
        ("", None),
        ("   \t", None),
        (None, None),
        (42, None),
        ({"en": "Studio"}, None),
    ],
)
async def test_a_name_is_text_bounded_or_none(sent: object, kept: str | None) -> None:
    async with UizaClient("uiza", "uap-key", transport=entity_answer({"name": sent})) as uz:
        assert await uz.get_entity_name("e") == kept


@pytest.mark.parametrize("body", [[], "Studio", None, 7])
async def test_an_entity_that_is_not_an_object_is_a_failure(body: object) -> None:
    async with UizaClient("uiza", "uap-key", transport=entity_answer(body)) as uz:
        with pytest.raises(Exception, match="expected an object"):
            await uz.get_entity_name("e")
