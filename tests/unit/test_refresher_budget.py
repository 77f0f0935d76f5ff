"""Refresher with request schedulers: pace and factor, the budget's floor, recovery, drill-downs.

A `BudgetedProvider` makes its requests through a `RequestScheduler` as the real clients do
(`BaseClient._get_response`), so the scheduler sees every one; time is a `FakeClock`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any, Self

import pytest

from support.budget import most_in_a_window
from tui.clock import FakeClock, settle
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.providers.base import finish_partial, gather_partial
from tui.providers.errors import ProviderConnectionError, ProviderError, ProviderRateLimited
from tui.providers.scheduler import Priority, RequestScheduler, current_job
from tui.refresher import Refresher
from tui.store import SessionStore


def call(sid: str) -> Session:
    return Session(
        provider="calls", kind=ProviderKind.CALLS, id=sid, name=sid, state=SessionState.LIVE
    )


class BudgetedProvider:
    """Watches `ids`, one request each through `scheduler`, each taking `latency`."""

    kind = ProviderKind.CALLS

    def __init__(
        self, scheduler: RequestScheduler, clock: FakeClock, ids: int, latency: float = 0.05
    ) -> None:
        self.name = "calls"
        self.scheduler = scheduler
        self.clock = clock
        self.ids = [f"c{i}" for i in range(ids)]
        self.latency = latency
        self.down = False
        self.retry_after: float | None = None
        self.priorities: list[Priority] = []  # of every request sent
        self.answers: list[float] = []  # when each successful request was answered

    async def _get(self, sid: str) -> Session:
        async with self.scheduler.request(f"GET /v1/live/calls/{sid}"):
            current = current_job()
            self.priorities.append(current.priority if current else Priority.BACKGROUND)
            await self.clock.sleep(self.latency)
            if self.retry_after is not None:
                raise ProviderRateLimited(
                    self.name, "GET /x", 429, "limit", retry_after=self.retry_after
                )
            if self.down:
                raise ProviderConnectionError(self.name, "GET /x", "connection refused")
            self.answers.append(self.clock.monotonic())
            return call(sid)

    async def _one(self, sid: str) -> FetchResult:
        return FetchResult((await self._get(sid),))

    async def fetch(self) -> FetchResult:
        sessions, skipped, errors = await gather_partial(self._one(i) for i in self.ids)
        return finish_partial(sessions, skipped, errors, len(self.ids))

    async def fetch_related(self, parent_id: str) -> FetchResult:
        return await self._one(parent_id)

    async def fetch_session(self, session_id: str, parent_id: str | None) -> Session:
        return await self._get(session_id)

    async def aclose(self) -> None:
        pass

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> SessionStore:
    return SessionStore(clock=clock)


@pytest.fixture
async def running(
    clock: FakeClock, store: SessionStore
) -> AsyncIterator[Callable[..., tuple[Refresher, BudgetedProvider]]]:
    made: list[Refresher] = []

    def build(
        ids: int, budget: int | None = 50, interval: float = 2.0, **kw: Any
    ) -> tuple[Refresher, BudgetedProvider]:
        scheduler = RequestScheduler("calls", budget=budget, clock=clock)
        provider = BudgetedProvider(scheduler, clock, ids)
        kw.setdefault("jitter", 0.0)
        refresher = Refresher(
            store,
            [provider],
            interval=interval,
            schedulers={"calls": scheduler},
            costs={"calls": ids},
            clock=clock,
            **kw,
        )
        made.append(refresher)
        refresher.start()
        return refresher, provider

    yield build
    for refresher in made:
        await refresher.stop()


async def run_for(clock: FakeClock, seconds: float, step: float = 0.5) -> None:
    for _ in range(int(seconds / step)):
        await clock.advance(step)


# -- pace -------------------------------------------------------------------------------------


async def test_the_budget_sets_the_pace_and_the_store_says_so(
    clock: FakeClock, store: SessionStore, running: Any
) -> None:
    refresher, provider = running(7)
    assert refresher.interval_for("calls") == pytest.approx(8.4)  # 7 requests at 50/min
    status = store.status("calls")
    assert status.budget == 50 and status.budget_bound and status.interval == pytest.approx(8.4)
    await run_for(clock, 600.0)
    sent = list(provider.scheduler.sent)
    assert most_in_a_window(sent) <= 50
    assert len(sent) >= 7 * 70  # and it uses the budget: ~71 polls in ten minutes


async def test_plus_and_minus_scale_each_providers_own_interval(
    clock: FakeClock, store: SessionStore
) -> None:
    fast = RequestScheduler("calls", budget=50, clock=clock)
    studio = BudgetedProvider(RequestScheduler("studio", clock=clock), clock, 1)
    studio.name = "studio"
    calls = BudgetedProvider(fast, clock, 2)
    refresher = Refresher(
        store,
        [studio, calls],
        interval=2.0,
        intervals={"calls": 6.0},
        schedulers={"studio": studio.scheduler, "calls": fast},
        costs={"calls": 2},
        clock=clock,
    )
    assert (refresher.interval_for("studio"), refresher.interval_for("calls")) == (2.0, 6.0)
    assert refresher.scale(-1) == 0.5  # `+`
    assert (refresher.interval_for("studio"), refresher.interval_for("calls")) == (1.0, 3.0)
    refresher.scale(-1)
    assert refresher.interval_for("studio") == 0.5 and not refresher.budget_bound("studio")
    assert refresher.interval_for("calls") == 2.4  # 2 requests at 50/min: not 1.5 s
    assert refresher.budget_bound("calls") and store.status("calls").budget_bound
    refresher.scale(-1)  # at the end of the scale: nothing changes
    assert refresher.factor == 0.25 and refresher.interval_for("calls") == 2.4
    refresher.scale(1)
    refresher.scale(1)
    refresher.scale(1)  # `-` three times: each provider's own interval doubled
    assert (refresher.interval_for("studio"), refresher.interval_for("calls")) == (4.0, 12.0)
    assert not store.status("calls").budget_bound and store.status("calls").interval == 12.0


async def test_plus_at_the_floor_stays_within_the_budget(
    clock: FakeClock, store: SessionStore, running: Any
) -> None:
    refresher, provider = running(2, interval=0.5)
    refresher.set_factor(0.25)
    await run_for(clock, 300.0)
    sent = list(provider.scheduler.sent)
    assert most_in_a_window(sent) <= 50 and len(sent) >= 240


async def test_the_measured_cost_of_a_poll_sets_the_floor(
    clock: FakeClock, store: SessionStore, running: Any
) -> None:
    refresher, provider = running(1)  # expected one request a poll...
    provider.ids = [f"c{i}" for i in range(10)]  # ...but it makes ten
    await run_for(clock, 1.0)
    assert refresher.interval_for("calls") == pytest.approx(12.0)
    assert store.status("calls").budget_bound


async def test_a_thousand_calls_each_every_twenty_minutes(
    clock: FakeClock, store: SessionStore, running: Any
) -> None:
    refresher, provider = running(1000)
    assert refresher.interval_for("calls") == 1200.0
    await run_for(clock, 3600.0, step=5.0)
    sent = list(provider.scheduler.sent)
    assert most_in_a_window(sent) <= 50
    assert len(sent) >= 2900  # the budget, used: nearly 50 a minute
    assert store.status("calls").session_count == 1000


# -- recovery ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("ids", "interval"), [(1, 2.0), (7, 2.0), (1000, 2.0), (1, 20.0)])
async def test_a_recovered_provider_is_found_within_the_bound(
    clock: FakeClock, store: SessionStore, running: Any, ids: int, interval: float
) -> None:
    _, provider = running(ids, interval=interval)
    await run_for(clock, 1.0)
    provider.down = True
    await run_for(clock, 300.0)
    assert store.status("calls").consecutive_failures >= 5
    sent_while_down = len(provider.scheduler.sent)
    provider.down = False
    back = clock.monotonic()
    bound = max(2 * interval, 10.0) + 0.1  # (+ the one request's latency)
    await run_for(clock, bound, step=0.05)
    # Found within max(2 × the interval, 10 s): its first answer...
    assert [t for t in provider.answers if t >= back]
    if ids < 50:  # ...and the store has the whole poll (1,000 calls take their 20 minutes)
        assert store.status("calls").consecutive_failures == 0
    # Never over the budget, and each probe of a dead provider costs one request.
    assert most_in_a_window(list(provider.scheduler.sent)) <= 50
    assert sent_while_down <= (ids if ids < 50 else 50) + 300 / 8


async def test_retry_after_binds_scheduled_polls_and_r_forces_one_request(
    clock: FakeClock, store: SessionStore, running: Any
) -> None:
    refresher, provider = running(3, budget=None)
    await run_for(clock, 1.0)
    provider.retry_after = 1e9  # "come back in 31 years"
    await run_for(clock, 10.0)
    sent = len(provider.scheduler.sent)
    status = store.status("calls")
    assert status.retry_after == 1e9 and status.next_poll is not None
    assert status.next_poll - clock.time() == pytest.approx(900.0, abs=10.0)  # clamped: 15 min
    await run_for(clock, 60.0)
    assert len(provider.scheduler.sent) == sent  # nothing asks while the server holds
    provider.retry_after = None
    refresher.refresh_now()  # `r`
    await settle()
    assert len(provider.scheduler.sent) == sent + 1  # one request through the hold
    await clock.advance(0.1)
    assert len(provider.scheduler.sent) == sent + 3  # it answered: the others follow
    assert store.status("calls").retry_after is None


# -- drill-downs ------------------------------------------------------------------------------


async def test_a_drill_down_follows_at_the_pace_in_the_foreground(
    clock: FakeClock, store: SessionStore, running: Any
) -> None:
    refresher, provider = running(7)
    outcomes: list[object] = []

    async def follow() -> None:
        async for outcome in refresher.follow_session("calls", "c1"):
            outcomes.append(outcome)

    task = asyncio.ensure_future(follow())
    await run_for(clock, 120.0)
    sent = list(provider.scheduler.sent)
    assert most_in_a_window(sent) <= 50  # the drill-down shares the budget
    assert 12 <= len(outcomes) <= 16  # one fetch per ~8.4 s, first
    assert all(isinstance(o, Session) for o in outcomes)
    assert Priority.FOREGROUND in provider.priorities
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    before = provider.priorities.count(Priority.FOREGROUND)
    await run_for(clock, 20.0)
    assert provider.priorities.count(Priority.FOREGROUND) == before  # closed: it stopped


async def test_a_drill_down_backs_off_and_obeys_retry_after(
    clock: FakeClock, store: SessionStore, running: Any
) -> None:
    refresher, provider = running(1, budget=None, interval=1.0)
    await settle()
    starts: list[float] = []
    stream = refresher.follow_related("calls", "c1")
    provider.down = True
    for _ in range(4):
        step = asyncio.ensure_future(anext(stream))
        while not step.done():
            await clock.advance(0.05)
        starts.append(round(clock.monotonic(), 1))
        assert isinstance(step.result(), ProviderError)
    provider.down, provider.retry_after = False, 40.0
    limited_at = clock.monotonic()
    step = asyncio.ensure_future(anext(stream))
    while not step.done():
        await clock.advance(0.05)
    told = step.result()  # the 429 itself, or the hold it set (when the list's poll met it)
    assert isinstance(told, ProviderError) and told.retry_after is not None
    provider.retry_after = None
    step = asyncio.ensure_future(anext(stream))
    while not step.done():
        await clock.advance(0.05)
    assert isinstance(step.result(), FetchResult)
    assert clock.monotonic() - limited_at >= 40.0  # the server's wait, kept
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps[0] >= 2.0 and gaps[1] >= 4.0 and all(g <= 10.1 for g in gaps)  # backoff, capped
    await stream.aclose()
