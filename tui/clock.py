"""Injectable time: the store stamps with it, the refresher sleeps on it, tests drive it.

`SystemClock` is the real thing. `FakeClock` is a deterministic stand-in: time only moves when a
test calls `advance()`, and `sleep()` returns when the fake time reaches its deadline, so tests of
intervals, backoff and staleness run in milliseconds without real sleeps.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    """Wall time for timestamps people read, monotonic time for durations, and sleeping."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch (UTC), for event times, ages and next-poll times."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never jumps, for latency and scheduling."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: `time.time`, `time.monotonic`, `asyncio.sleep`."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that stands still until `advance()`; sleepers wake in deadline order.

    Wall and monotonic time move together (`time() == start + monotonic()`). `advance()` must be
    awaited from the event loop under test: it wakes each due sleeper at its own deadline and lets
    the woken tasks run before moving on, so chains of sleeps behave as they would in real time.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._start = start
        self._elapsed = 0.0
        self._seq = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def time(self) -> float:
        return self._start + self._elapsed

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._seq), future))
        await future  # a cancelled sleeper's future is cancelled too; advance() skips it

    @property
    def sleepers(self) -> int:
        """How many sleeps are pending (for tests asserting that a task is waiting)."""
        return sum(1 for *_, f in self._sleepers if not f.done())

    def next_deadline(self) -> float | None:
        """The monotonic time the earliest pending sleep ends, or None."""
        for deadline, _, future in sorted(self._sleepers):
            if not future.done():
                return deadline
        return None

    async def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, waking every sleeper whose deadline is reached."""
        target = self._elapsed + max(0.0, seconds)
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            self._elapsed = max(self._elapsed, deadline)
            future.set_result(None)
            await settle()
        self._elapsed = target
        await settle()


async def sleep_or_event(clock: Clock, event: asyncio.Event, seconds: float | None) -> None:
    """Sleep on `clock` (forever if `seconds` is None) or until `event` is set, whichever
    comes first; cancelled, it leaves nothing behind."""
    if seconds is None:
        await event.wait()
        return
    waiter = asyncio.ensure_future(event.wait())
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        sleeper.cancel()
        await asyncio.gather(waiter, sleeper, return_exceptions=True)


async def settle(rounds: int = 30) -> None:
    """Let ready tasks run: a few dozen event-loop turns, no real time."""
    for _ in range(rounds):
        await asyncio.sleep(0)
