"""Side requests (`side_job`): a poll's extras, such as Livepeer's viewership, within the budget
and counted in the poll's cost, but never in the poll's way: last in line, never sent to a
failing or held provider, and what happens to them stays theirs.

Time is a `FakeClock`: nothing here really sleeps.
"""

from __future__ import annotations

import asyncio

import pytest

from tui.clock import FakeClock, settle
from tui.providers.errors import ProviderError, ProviderHTTPError, ProviderRateLimited
from tui.providers.scheduler import Priority, ProviderHeld, RequestScheduler, job, side_job


async def request(
    scheduler: RequestScheduler,
    *,
    error: ProviderError | None = None,
    gate: asyncio.Event | None = None,
) -> float:
    """One request; returns the fake time it was admitted at."""
    async with scheduler.request("GET /x"):
        admitted = scheduler.sent[-1]
        if gate is not None:
            await gate.wait()
        if error is not None:
            raise error
    return admitted


async def side(scheduler: RequestScheduler, **kwargs: object) -> float:
    with side_job():
        return await request(scheduler, **kwargs)  # type: ignore[arg-type]


def failed(status: int = 500, retry_after: float | None = None) -> ProviderHTTPError:
    cls = ProviderRateLimited if status == 429 else ProviderHTTPError
    return cls("studio", "GET /data/views/now", status, "broken", retry_after=retry_after)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_a_side_request_counts_in_its_poll_and_its_budget(clock: FakeClock) -> None:
    scheduler = RequestScheduler("studio", budget=10, clock=clock)
    with job() as poll:
        extra = asyncio.ensure_future(side(scheduler))  # started by the poll, like viewership
        await request(scheduler)
        await extra
    assert poll.asked == 2  # the poll's cost (what paces it) counts the side request
    assert poll.sent == 1  # but its latency and waiting are the poll's own requests'
    assert scheduler.used() == 2


async def test_its_failure_is_its_own(clock: FakeClock) -> None:
    scheduler = RequestScheduler("studio", clock=clock)
    with job() as poll:
        with pytest.raises(ProviderHTTPError):
            await side(scheduler, error=failed(500))
        assert poll.failure is None  # the poll goes on
        times = await asyncio.gather(*(request(scheduler) for _ in range(3)))
    assert times == [0.0, 0.0, 0.0]  # not one at a time: the provider is not suspect


async def test_its_retry_after_holds_nothing_else(clock: FakeClock) -> None:
    scheduler = RequestScheduler("studio", clock=clock)
    with pytest.raises(ProviderRateLimited):
        await side(scheduler, error=failed(429, retry_after=120.0))
    assert scheduler.hold_left() == 0.0
    assert await request(scheduler) == 0.0


async def test_it_is_not_sent_to_a_failing_or_held_provider(clock: FakeClock) -> None:
    scheduler = RequestScheduler("studio", clock=clock)
    with pytest.raises(ProviderHTTPError):
        await request(scheduler, error=failed(503))  # the provider is failing
    with pytest.raises(ProviderHeld, match="failing"):
        await side(scheduler)
    await request(scheduler)  # it answers again
    assert await side(scheduler) == 0.0
    with pytest.raises(ProviderRateLimited):
        await request(scheduler, error=failed(429, retry_after=30.0))
    with pytest.raises(ProviderHeld, match="asked to wait"):
        await side(scheduler)
    assert len(scheduler.sent) == 4  # the two refused were never sent


async def test_it_goes_after_every_waiting_request(clock: FakeClock) -> None:
    scheduler = RequestScheduler("studio", budget=1, clock=clock)
    await request(scheduler)  # the budget is spent until t=60
    first = asyncio.ensure_future(side(scheduler))
    await settle()
    with job(Priority.BACKGROUND):
        page = asyncio.ensure_future(request(scheduler))
    await clock.advance(60.0)
    assert page.done() and await page == 60.0
    assert not first.done()
    await clock.advance(60.0)
    assert await first == 120.0


async def test_a_slow_side_request_never_holds_up_a_probe(clock: FakeClock) -> None:
    # After a failure requests go one at a time; a side request already out (a slow viewership)
    # must not be the one they wait for.
    scheduler = RequestScheduler("studio", clock=clock)
    gate = asyncio.Event()
    slow = asyncio.ensure_future(side(scheduler, gate=gate))
    await settle()
    with pytest.raises(ProviderHTTPError):
        await request(scheduler, error=failed(502))
    probe = asyncio.ensure_future(request(scheduler))
    await settle()
    assert probe.done() and await probe == 0.0
    gate.set()
    await slow
