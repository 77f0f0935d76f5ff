"""RequestScheduler: budget window, priority, concurrency, the server's hold and `r`, failed jobs.

Time is a `FakeClock`: nothing here really sleeps. Each "request" is an `async with
scheduler.request(...)` around whatever the test wants the answer to be.
"""

from __future__ import annotations

import asyncio

import pytest

from support.budget import most_in_a_window
from tui.clock import FakeClock, settle
from tui.providers.errors import (
    ProviderConnectionError,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
)
from tui.providers.scheduler import MAX_HOLD, Priority, ProviderHeld, RequestScheduler, job


async def request(
    scheduler: RequestScheduler,
    *,
    takes: float = 0.0,
    clock: FakeClock | None = None,
    error: ProviderError | None = None,
    gate: asyncio.Event | None = None,
) -> float:
    """One request; returns the fake time it was admitted at."""
    async with scheduler.request("GET /x"):
        admitted = scheduler.sent[-1]
        if takes and clock is not None:
            await clock.sleep(takes)
        if gate is not None:
            await gate.wait()
        if error is not None:
            raise error
    return admitted


def limited(retry_after: float) -> ProviderRateLimited:
    return ProviderRateLimited("calls", "GET /x", 429, "slow down", retry_after=retry_after)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- budget -----------------------------------------------------------------------------------


async def test_the_budget_holds_in_every_60_s_window(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", budget=3, clock=clock)
    tasks = [asyncio.ensure_future(request(scheduler)) for _ in range(7)]
    await settle()
    assert list(scheduler.sent) == [0.0, 0.0, 0.0]  # the budget, at once
    await clock.advance(59.9)
    assert len(scheduler.sent) == 3
    await clock.advance(0.1)  # the first three leave the window 60 s after they answered
    assert list(scheduler.sent) == [0.0] * 3 + [60.0] * 3
    await clock.advance(60.0)
    assert [await t for t in tasks] == [0.0] * 3 + [60.0] * 3 + [120.0]


async def test_a_request_counts_until_a_window_after_its_answer(clock: FakeClock) -> None:
    # The server saw it at some moment before the answer came: only 60 s after the answer is
    # it certainly out of every window the server counts in.
    scheduler = RequestScheduler("calls", budget=1, clock=clock)
    first = asyncio.ensure_future(request(scheduler, takes=10.0, clock=clock))
    second = asyncio.ensure_future(request(scheduler))
    await clock.advance(69.9)
    assert not second.done()
    await clock.advance(0.1)
    assert await first == 0.0 and await second == 70.0


async def test_no_budget_means_no_waiting(clock: FakeClock) -> None:
    scheduler = RequestScheduler("studio", clock=clock)
    times = await asyncio.gather(*(request(scheduler) for _ in range(500)))
    assert set(times) == {0.0}
    assert scheduler.floor(7) == 0.0
    assert RequestScheduler("calls", budget=50).floor(7) == pytest.approx(8.4)


async def test_a_steady_stream_never_exceeds_the_budget(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", budget=50, clock=clock)

    async def caller(gap: float) -> None:
        for _ in range(40):
            await request(scheduler, takes=0.3, clock=clock)
            await clock.sleep(gap)

    tasks = [asyncio.ensure_future(caller(g)) for g in (0.1, 0.7, 1.3, 2.9)]
    for _ in range(600):
        await clock.advance(1.0)
    await asyncio.gather(*tasks)
    assert len(scheduler.sent) == 160
    assert most_in_a_window(list(scheduler.sent)) <= 50


# -- priority and concurrency -----------------------------------------------------------------


async def test_foreground_goes_first(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", budget=1, clock=clock)
    await request(scheduler)  # the budget is spent until t=60

    async def at(priority: Priority) -> float:
        with job(priority):
            return await request(scheduler)

    background = [asyncio.ensure_future(at(Priority.BACKGROUND)) for _ in range(2)]
    await settle()
    foreground = asyncio.ensure_future(at(Priority.FOREGROUND))
    await clock.advance(60.0)
    assert foreground.done() and await foreground == 60.0
    assert not any(t.done() for t in background)
    await clock.advance(120.0)
    assert [await t for t in background] == [120.0, 180.0]  # then in arrival order


async def test_concurrency_is_bounded(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", concurrency=3, clock=clock)
    gate = asyncio.Event()
    tasks = [asyncio.ensure_future(request(scheduler, gate=gate)) for _ in range(10)]
    await settle()
    assert scheduler.in_flight == 3 and scheduler.waiting == 7
    gate.set()
    await asyncio.gather(*tasks)
    assert scheduler.in_flight == 0 and len(scheduler.sent) == 10


async def test_a_cancelled_waiter_leaves_the_queue(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", budget=1, clock=clock)
    await request(scheduler)
    gone = asyncio.ensure_future(request(scheduler))
    kept = asyncio.ensure_future(request(scheduler))
    await settle()
    gone.cancel()
    await clock.advance(60.0)
    assert await kept == 60.0 and scheduler.waiting == 0


# -- the server's hold ------------------------------------------------------------------------


async def test_an_absurd_retry_after_is_clamped_and_r_forces_one_request(
    clock: FakeClock,
) -> None:
    scheduler = RequestScheduler("calls", clock=clock)
    with pytest.raises(ProviderRateLimited):
        await request(scheduler, error=limited(1e9))
    assert scheduler.hold_left() == MAX_HOLD == 900.0
    assert scheduler.asked_for == 1e9
    with pytest.raises(ProviderHeld) as held:
        await request(scheduler)  # not sent: fails at once, saying for how long
    assert held.value.retry_after == 900.0
    assert "15 min left (it asked for 11574 d; capped)" in str(held.value)
    assert len(scheduler.sent) == 1
    await clock.advance(10.0)
    scheduler.force_one()  # `r`
    probe = asyncio.ensure_future(request(scheduler, takes=1.0, clock=clock))
    others = [asyncio.ensure_future(request(scheduler)) for _ in range(2)]
    await settle()
    assert len(scheduler.sent) == 2 and not any(t.done() for t in others)  # they wait for it
    await clock.advance(1.0)
    assert await probe == 10.0  # it answered: the hold is lifted
    assert [await t for t in others] == [11.0, 11.0]
    assert scheduler.hold_left() == 0 and scheduler.asked_for is None


async def test_a_forced_request_that_is_refused_again_renews_the_hold(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", clock=clock)
    with pytest.raises(ProviderRateLimited):
        await request(scheduler, error=limited(30.0))
    scheduler.force_one()
    probe = asyncio.ensure_future(request(scheduler, error=limited(30.0)))
    other = asyncio.ensure_future(request(scheduler))
    await settle()
    with pytest.raises(ProviderRateLimited):
        await probe
    with pytest.raises(ProviderHeld):
        await other
    assert len(scheduler.sent) == 2 and scheduler.hold_left() == 30.0
    await clock.advance(30.0)
    assert await request(scheduler) == 30.0  # the hold simply ends


async def test_force_never_passes_the_budget(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", budget=2, clock=clock)
    await request(scheduler)
    with pytest.raises(ProviderRateLimited):
        await request(scheduler, error=limited(600.0))
    scheduler.force_one()
    forced = asyncio.ensure_future(request(scheduler))
    await clock.advance(59.0)
    assert not forced.done()
    await clock.advance(1.0)
    assert await forced == 60.0


async def test_an_answer_sent_before_a_hold_does_not_lift_it(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", clock=clock)
    slow = asyncio.ensure_future(request(scheduler, takes=5.0, clock=clock))
    await settle()
    with pytest.raises(ProviderRateLimited):
        await request(scheduler, error=limited(30.0))
    await clock.advance(5.0)
    await slow
    assert scheduler.hold_left() == 25.0


# -- a failed job stops asking ----------------------------------------------------------------


async def test_a_failed_job_sends_nothing_more(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", concurrency=1, clock=clock)
    down = ProviderConnectionError("calls", "GET /x", "connection refused")
    with job() as work:
        first = asyncio.ensure_future(request(scheduler, takes=1.0, clock=clock, error=down))
        rest = [asyncio.ensure_future(request(scheduler)) for _ in range(999)]
    await clock.advance(1.0)
    outcomes = await asyncio.gather(first, *rest, return_exceptions=True)
    assert isinstance(outcomes[0], ProviderConnectionError)
    assert all(isinstance(o, ProviderHeld) for o in outcomes[1:])
    assert "connection refused" in str(outcomes[1])
    assert work.asked == 1000 and work.sent == 1 and len(scheduler.sent) == 1
    assert await request(scheduler) == 1.0  # another job is not affected


async def test_a_missing_id_does_not_stop_the_job(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", concurrency=1, clock=clock)
    gone = ProviderNotFound("calls", "GET /x", 404, "call not found")
    with job() as work:
        outcomes = await asyncio.gather(
            request(scheduler, error=gone), request(scheduler), return_exceptions=True
        )
    assert isinstance(outcomes[0], ProviderNotFound) and outcomes[1] == 0.0
    assert work.sent == 2 and work.failure is None


# -- what the operator selected ----------------------------------------------------------------


async def test_a_selected_calls_request_goes_before_the_rest_of_its_poll(clock: FakeClock) -> None:
    scheduler = RequestScheduler("calls", budget=2, clock=clock)
    order: list[str] = []

    async def ask(endpoint: str, priority: Priority = Priority.BACKGROUND) -> None:
        with job(priority):
            async with scheduler.request(endpoint):
                order.append(endpoint)

    poll = [asyncio.ensure_future(ask(f"GET /v1/live/calls/c{i}")) for i in range(8)]
    await settle()
    assert order == ["GET /v1/live/calls/c0", "GET /v1/live/calls/c1"]  # the budget
    scheduler.prefer("GET /v1/live/calls/c6")  # the operator moves to call 6, waiting
    drill = asyncio.ensure_future(ask("GET /v1/live/calls/c9", Priority.FOREGROUND))
    await clock.advance(60.0)
    # The open drill-down came first; the selected call then, before calls 2 to 5.
    assert order[2:] == ["GET /v1/live/calls/c9", "GET /v1/live/calls/c6"]
    scheduler.prefer(None)  # back to arrival order
    await clock.advance(60.0)
    assert order[4:] == ["GET /v1/live/calls/c2", "GET /v1/live/calls/c3"]
    scheduler.prefer("GET /v1/live/calls/c7")  # a preference set before its turn, too
    await clock.advance(60.0)
    assert order[6:] == ["GET /v1/live/calls/c7", "GET /v1/live/calls/c4"]
    await clock.advance(60.0)
    await asyncio.gather(*poll, drill)
    assert order[8:] == ["GET /v1/live/calls/c5"] and scheduler.waiting == 0
