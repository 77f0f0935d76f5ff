"""Refresher: scheduling, backoff, Retry-After, pause/resume, refresh-now, isolation, shutdown.

Time is a `FakeClock`: nothing here really sleeps, `clock.advance()` moves time.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any, Self

import pytest

from tui.clock import FakeClock, settle
from tui.models import FetchResult, ProviderKind, Session, SessionKey, SessionState
from tui.providers.errors import (
    ProviderConnectionError,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
)
from tui.providers.scheduler import MAX_HOLD
from tui.refresher import MIN_INTERVAL, Refresher
from tui.store import EventKind, ProviderHealth, SessionStore

Outcome = FetchResult | Exception


def session(provider: str, sid: str, **kw: object) -> Session:
    return Session(
        provider=provider,
        kind=ProviderKind.LIVEPEER,
        id=sid,
        name=f"name-{sid}",
        state=SessionState.LIVE,
        **kw,  # type: ignore[arg-type]
    )


class FakeProvider:
    """A provider whose outcomes, latency and hanging are scripted; it records every call."""

    kind = ProviderKind.LIVEPEER

    def __init__(
        self, name: str, clock: FakeClock, *, latency: float = 0.0, hang: bool = False
    ) -> None:
        self.name = name
        self.clock = clock
        self.latency = latency
        self.gate: asyncio.Event | None = asyncio.Event() if hang else None
        self.outcomes: deque[Outcome] = deque()
        self.default: Outcome = FetchResult((session(name, "s1"),))
        self.starts: list[float] = []
        self.active = self.max_active = 0
        self.cancelled = 0
        self.closed = False

    async def fetch(self) -> FetchResult:
        self.starts.append(self.clock.monotonic())
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.latency:
                await self.clock.sleep(self.latency)
            if self.gate is not None:
                await self.gate.wait()
            outcome = self.outcomes.popleft() if self.outcomes else self.default
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.active -= 1

    @property
    def calls(self) -> int:
        return len(self.starts)

    async def fetch_related(self, parent_id: str) -> FetchResult:
        if parent_id == "boom":
            raise KeyError("bug")
        if parent_id == "missing":
            raise ProviderNotFound(self.name, "GET /stream/x/sessions", 404, "not found")
        return FetchResult((session(self.name, f"{parent_id}-1", parent_id=parent_id),))

    async def fetch_session(self, session_id: str, parent_id: str | None) -> Session:
        if session_id == "boom":
            raise RuntimeError("bug")
        return session(self.name, session_id, parent_id=parent_id)

    async def aclose(self) -> None:
        self.closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def down(name: str = "lp") -> ProviderConnectionError:
    return ProviderConnectionError(name, "GET /session", "connection refused")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> SessionStore:
    return SessionStore(clock=clock)


@pytest.fixture
async def make(clock: FakeClock, store: SessionStore) -> AsyncIterator[Callable[..., Refresher]]:
    made: list[Refresher] = []

    def build(*providers: FakeProvider, **kw: object) -> Refresher:
        kw.setdefault("jitter", 0.0)
        refresher = Refresher(store, providers, clock=clock, **kw)  # type: ignore[arg-type]
        made.append(refresher)
        refresher.start()
        return refresher

    yield build
    for refresher in made:
        await refresher.stop()


async def step_to(clock: FakeClock, t: float) -> None:
    """Advance the fake clock to monotonic time `t`."""
    await clock.advance(t - clock.monotonic())


def delay_of(store: SessionStore, clock: FakeClock, name: str = "lp") -> float | None:
    next_poll = store.status(name).next_poll
    # Wall times near 1.7e9 carry ~1e-7 s of float error: round it away.
    return None if next_poll is None else round(next_poll - clock.time(), 6)


# -- scheduling -----------------------------------------------------------------------------


async def test_polls_at_start_then_every_interval(clock: FakeClock, make: Any) -> None:
    lp = FakeProvider("lp", clock)
    make(lp, interval=2.0)
    await step_to(clock, 1.99)
    assert lp.starts == [0.0]
    await step_to(clock, 6.0)
    assert lp.starts == [0.0, 2.0, 4.0, 6.0]


async def test_interval_counts_from_the_end_of_a_fetch_and_latency_is_recorded(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock, latency=1.0)
    make(lp, interval=2.0)
    await step_to(clock, 0.5)
    assert store.status("lp").polling_since == clock.time() - 0.5
    assert store.status("lp").next_poll is None
    await step_to(clock, 9.0)
    assert lp.starts == [0.0, 3.0, 6.0, 9.0]
    status = store.status("lp")
    assert status.last_latency == 1.0
    await step_to(clock, 10.0)
    assert delay_of(store, clock) == 2.0  # 2 s after the fetch that ended at 10


async def test_no_overlap_with_a_slow_provider(clock: FakeClock, make: Any) -> None:
    lp = FakeProvider("lp", clock, latency=5.0)
    refresher = make(lp, interval=0.5)
    for t in (1.0, 2.0, 3.0):
        await step_to(clock, t)
        refresher.refresh_now()  # in flight: coalesced into the running fetch
    await step_to(clock, 12.0)
    assert lp.max_active == 1
    assert lp.starts == [0.0, 5.5, 11.0]


async def test_a_failing_or_hanging_provider_never_delays_the_others(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    hung = FakeProvider("hung", clock, hang=True)
    bad = FakeProvider("bad", clock)
    bad.default = down("bad")
    good = FakeProvider("good", clock)
    make(hung, bad, good, interval=2.0)
    await step_to(clock, 10.0)
    assert good.starts == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert hung.calls == 1 and bad.calls == 2  # 0, then backoff 4 s, then 8 s (at 12)
    assert store.status("hung").polling_since == clock.time() - 10
    assert store.status("hung").health is ProviderHealth.PENDING
    assert store.status("good").health is ProviderHealth.OK


# -- backoff and Retry-After ----------------------------------------------------------------


async def test_backoff_doubles_up_to_the_recovery_cap(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    lp.default = down()
    make(lp, interval=2.0)
    delays = []
    for _ in range(7):
        await settle()
        delay = delay_of(store, clock)
        assert delay is not None
        delays.append(delay)
        calls = lp.calls
        await clock.advance(delay - 2**-10)  # binary-exact steps: no float drift
        assert lp.calls == calls  # not a moment early
        await clock.advance(2**-10)
        assert lp.calls == calls + 1
    # Capped at max(2 × interval, 10 s): a provider that is back is found within 10 s.
    assert delays == [4.0, 8.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    assert store.status("lp").consecutive_failures == 8


async def test_backoff_jitter_stays_within_bounds_and_the_cap(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    lp.default = down()
    make(lp, interval=2.0, jitter=0.2, rng=random.Random(7))
    delays = []
    for n in range(1, 5):
        await settle()
        delay = delay_of(store, clock)
        assert delay is not None
        base = 2.0 * 2**n
        low, high = (0.8 * base, 1.2 * base) if 1.2 * base <= 10 else (8.0, 10.0)
        assert low - 1e-6 <= delay <= high + 1e-6
        delays.append(delay)
        await clock.advance(delay + 1e-6)  # (delay was rounded)
    assert len(set(delays)) == len(delays)  # jittered, not lockstep


async def test_success_resets_the_backoff(clock: FakeClock, store: SessionStore, make: Any) -> None:
    lp = FakeProvider("lp", clock)
    lp.outcomes.extend([down(), down()])
    make(lp, interval=2.0)
    await step_to(clock, 4.0 + 8.0)
    assert lp.starts == [0.0, 4.0, 12.0]
    assert delay_of(store, clock) == 2.0
    assert store.status("lp").consecutive_failures == 0


async def test_retry_after_is_honoured_exactly_and_r_forces_one_poll(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    limited = ProviderRateLimited("lp", "GET /session", 429, "slow down", retry_after=7.25)
    lp.outcomes.extend([limited, limited, limited])
    refresher = make(lp, interval=2.0, jitter=0.2, rng=random.Random(1))
    await settle()
    assert delay_of(store, clock) == 7.25  # no jitter, no backoff formula
    await step_to(clock, 7.24)
    assert lp.starts == [0.0]  # scheduled polls wait for exactly what the server said
    await step_to(clock, 7.25)
    assert lp.starts == [0.0, 7.25]
    await settle()
    assert delay_of(store, clock) == 7.25  # the second failure says the same, exactly
    await step_to(clock, 9.0)
    refresher.refresh_now()  # `r`: one poll goes through the server's wait
    await settle()
    assert lp.starts == [0.0, 7.25, 9.0]
    assert delay_of(store, clock) == 7.25  # and the server's answer binds again
    await step_to(clock, 16.25)
    assert lp.starts == [0.0, 7.25, 9.0, 16.25]
    assert delay_of(store, clock) == 2.0


async def test_an_absurd_retry_after_is_clamped_to_fifteen_minutes(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    lp.outcomes.append(ProviderRateLimited("lp", "GET /session", 429, "x", retry_after=1e9))
    make(lp, interval=2.0)
    await settle()
    assert delay_of(store, clock) == MAX_HOLD == 900.0
    assert store.status("lp").retry_after == 1e9  # what it asked for, for the provider bar
    await step_to(clock, 900.0)
    assert lp.starts == [0.0, 900.0]
    assert store.status("lp").retry_after is None


async def test_retry_after_of_zero_cannot_spin(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    lp.default = ProviderRateLimited("lp", "GET /session", 429, "again", retry_after=0.0)
    make(lp)
    await step_to(clock, 2.0)
    assert lp.calls == 5  # every MIN_INTERVAL, not in a tight loop
    assert MIN_INTERVAL == 0.5


async def test_retry_after_in_a_partial_result_is_honoured(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    limited = ProviderRateLimited("lp", "GET /v1/live/calls/x", 429, "limit", retry_after=30.0)
    lp.outcomes.append(FetchResult((session("lp", "s1"),), errors=(limited,)))
    make(lp, interval=2.0)
    await settle()
    assert delay_of(store, clock) == 30.0
    assert store.status("lp").health is ProviderHealth.PARTIAL
    assert store.status("lp").consecutive_failures == 0  # data came: not a failed poll


async def test_a_short_retry_after_in_a_partial_result_keeps_the_interval(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    limited = ProviderRateLimited("lp", "GET /v1/live/calls/x", 429, "limit", retry_after=1.0)
    lp.outcomes.append(FetchResult((session("lp", "s1"),), errors=(limited,)))
    make(lp, interval=2.0)
    await settle()
    assert delay_of(store, clock) == 2.0
    await step_to(clock, 1.99)
    assert lp.starts == [0.0]
    await step_to(clock, 2.0)
    assert lp.starts == [0.0, 2.0]


# -- controls -------------------------------------------------------------------------------


async def test_pause_stops_polls_and_resume_polls_what_is_overdue(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    refresher = make(lp, interval=2.0)
    await step_to(clock, 1.0)
    refresher.pause()
    await settle()
    assert refresher.paused and store.status("lp").next_poll is None
    await step_to(clock, 30.0)
    assert lp.starts == [0.0]
    refresher.resume()
    await settle()
    assert not refresher.paused and lp.starts == [0.0, 30.0]
    await step_to(clock, 32.0)
    assert lp.starts == [0.0, 30.0, 32.0]


async def test_a_short_pause_keeps_the_schedule(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    refresher = make(lp, interval=2.0)
    await step_to(clock, 0.5)
    refresher.pause()
    await step_to(clock, 1.0)
    refresher.resume()
    await settle()
    assert delay_of(store, clock) == 1.0
    await step_to(clock, 2.0)
    assert lp.starts == [0.0, 2.0]


async def test_pause_during_a_fetch_lets_it_finish(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock, latency=1.0)
    refresher = make(lp, interval=2.0)
    await step_to(clock, 0.5)
    refresher.pause()
    await step_to(clock, 1.0)
    assert store.status("lp").health is ProviderHealth.OK
    assert store.status("lp").next_poll is None
    await step_to(clock, 20.0)
    assert lp.calls == 1


async def test_refresh_now_polls_at_once_and_rearms(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    other = FakeProvider("other", clock)
    refresher = make(lp, other, interval=2.0)
    await step_to(clock, 0.5)
    refresher.refresh_now("lp")
    await settle()
    assert lp.starts == [0.0, 0.5] and other.starts == [0.0]
    await step_to(clock, 2.5)
    assert lp.starts == [0.0, 0.5, 2.5] and other.starts == [0.0, 2.0]
    refresher.refresh_now()
    await settle()
    assert lp.calls == 4 and other.calls == 3


async def test_refresh_now_while_paused_is_a_one_off(clock: FakeClock, make: Any) -> None:
    lp = FakeProvider("lp", clock)
    refresher = make(lp, interval=2.0)
    await settle()
    refresher.pause()
    await step_to(clock, 5.0)
    refresher.refresh_now()
    await step_to(clock, 20.0)
    assert lp.starts == [0.0, 5.0]


async def test_refresh_now_cuts_a_backoff_short(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    lp.outcomes.append(down())
    refresher = make(lp, interval=2.0)
    await settle()
    assert delay_of(store, clock) == 4.0
    await step_to(clock, 1.0)
    refresher.refresh_now()
    await settle()
    assert lp.starts == [0.0, 1.0]
    assert store.status("lp").health is ProviderHealth.OK


async def test_set_interval_takes_effect_at_once_with_a_floor(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    other = FakeProvider("other", clock)
    refresher = make(lp, other, interval=10.0, intervals={"other": 20.0})
    assert refresher.interval_for("other") == 20.0
    await step_to(clock, 1.0)
    refresher.set_interval(3.0, "lp")
    await settle()
    assert delay_of(store, clock) == 2.0  # 3 s after the fetch at 0
    assert store.status("lp").interval == 3.0
    await step_to(clock, 3.0)
    assert lp.starts == [0.0, 3.0] and other.starts == [0.0]
    refresher.set_interval(0.1)
    assert refresher.interval == MIN_INTERVAL
    assert refresher.interval_for("lp") == refresher.interval_for("other") == MIN_INTERVAL
    await step_to(clock, 4.0)
    assert lp.starts == [0.0, 3.0, 3.5, 4.0]
    assert other.starts == [0.0, 3.0, 3.5, 4.0]


# -- store effects --------------------------------------------------------------------------


async def test_a_failure_keeps_data_stale_until_recovery(
    clock: FakeClock, store: SessionStore, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    lp = FakeProvider("lp", clock)
    lp.outcomes.extend([lp.default, down()])
    make(lp, interval=2.0)
    key = SessionKey("lp", "s1")
    with caplog.at_level(logging.INFO, "livetop.refresher"):
        await step_to(clock, 2.0)
        assert store.get(key) is not None and store.is_stale(key)
        status = store.status("lp")
        assert status.health is ProviderHealth.FAILING
        assert status.last_error == "connection refused"
        await step_to(clock, 6.0)
        assert not store.is_stale(key)
    kinds = [e.kind for e in store.events]
    assert kinds == [EventKind.PROVIDER_FAILED, EventKind.PROVIDER_RECOVERED]
    assert "provider lp failing: lp: GET /session: connection refused" in caplog.text
    assert "provider lp recovered" in caplog.text
    assert "s1" not in caplog.text


async def test_a_hanging_provider_turns_stale_by_age(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    make(lp, interval=2.0)
    await settle()
    lp.gate = asyncio.Event()  # the next fetch never returns
    await step_to(clock, 6.0)
    assert not store.is_stale(SessionKey("lp", "s1"))
    await step_to(clock, 7.0)  # 3 intervals without fresh data: the housekeeping tick says so
    assert store.is_stale(SessionKey("lp", "s1"))
    assert store.status("lp").polling_since == clock.time() - 5.0


async def test_a_provider_bug_is_a_failure_not_a_crash(
    clock: FakeClock, store: SessionStore, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    lp = FakeProvider("lp", clock)
    lp.outcomes.append(ValueError("token=abc123"))
    make(lp, interval=2.0)
    with caplog.at_level(logging.INFO, "livetop.refresher"):
        await settle()
    status = store.status("lp")
    assert status.last_error == "internal error: ValueError"
    assert "ValueError" in caplog.text and "abc123" not in caplog.text
    await step_to(clock, 4.0)
    assert lp.calls == 2 and store.status("lp").health is ProviderHealth.OK


async def test_a_subscriber_bug_does_not_stop_polling(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    def broken(diff: object) -> None:
        raise RuntimeError("widget bug")

    store.subscribe(broken)
    lp = FakeProvider("lp", clock)
    make(lp, interval=2.0)
    await step_to(clock, 4.0)
    assert lp.calls == 3


# -- drill-down and shutdown ----------------------------------------------------------------


async def test_on_demand_fetches_feed_the_store_without_removing(
    clock: FakeClock, store: SessionStore, make: Any
) -> None:
    lp = FakeProvider("lp", clock)
    refresher = make(lp, interval=2.0)
    await settle()
    result = await refresher.fetch_related("lp", "st")
    assert [s.id for s in result.sessions] == ["st-1"]
    one = await refresher.fetch_session("lp", "x9", "st")
    assert one.parent_id == "st"
    assert {s.id for s in store.sessions("lp")} == {"s1", "st-1", "x9"}
    await step_to(clock, 2.0)  # the next poll lists only s1: drill-downs stay
    assert {s.id for s in store.sessions("lp")} == {"s1", "st-1", "x9"}
    with pytest.raises(ProviderNotFound):
        await refresher.fetch_related("lp", "missing")
    with pytest.raises(ProviderError, match="internal error: KeyError"):
        await refresher.fetch_related("lp", "boom")
    with pytest.raises(ProviderError, match="internal error: RuntimeError"):
        await refresher.fetch_session("lp", "boom")
    assert store.status("lp").health is ProviderHealth.OK  # a drill-down error is not a poll's


async def test_stop_cancels_loops_and_closes_clients(clock: FakeClock, store: SessionStore) -> None:
    hung = FakeProvider("hung", clock, hang=True)
    ok = FakeProvider("ok", clock)
    refresher = Refresher(store, [hung, ok], clock=clock)
    refresher.start()
    refresher.start()  # idempotent
    await step_to(clock, 1.0)
    await refresher.stop()
    assert hung.cancelled == 1 and hung.closed and ok.closed
    assert all(t.done() for t in asyncio.all_tasks() if t.get_name().startswith("livetop"))
    await refresher.stop()  # idempotent
    refresher.start()  # a stopped refresher stays stopped
    await step_to(clock, 10.0)
    assert ok.calls == 1


async def test_async_context_manager(clock: FakeClock, store: SessionStore) -> None:
    lp = FakeProvider("lp", clock)
    async with Refresher(store, [lp], clock=clock) as refresher:
        await settle()
        assert refresher.providers == ("lp",)
        assert lp.calls == 1
    assert lp.closed


def test_duplicate_provider_names_are_refused(clock: FakeClock, store: SessionStore) -> None:
    with pytest.raises(ValueError, match="two providers"):
        Refresher(store, [FakeProvider("a", clock), FakeProvider("a", clock)], clock=clock)


def test_construction_registers_providers_as_pending(clock: FakeClock, store: SessionStore) -> None:
    Refresher(store, [FakeProvider("a", clock)], clock=clock, interval=0.1)
    assert store.status("a").health is ProviderHealth.PENDING
    assert store.status("a").interval == MIN_INTERVAL
