"""RequestScheduler: one per provider; every request its client makes is admitted here first.

Scheduled polls, drill-down lists, one-session fetches, refresh-now, `snapshot` and `check`
all reach the network through `BaseClient._get_response`, which waits in `request()` before
sending and reports the outcome when it ends. Rules:

- **Budget**: at most `budget` requests in any `WINDOW` (60 s); None means no budget. A request
  holds its place in the budget from the moment it is admitted until `WINDOW` seconds after
  its answer (or failure) came back. The server saw it somewhere in between, so no 60 s
  window at the server can hold more than `budget` of them, whatever the network delays.
- **Concurrency**: at most `concurrency` requests in flight, below the client's connection
  pool, so nothing waits in httpx's pool: a request's own timeout starts when it is sent, and
  a request never times out for being queued.
- **Priority**: waiting requests are admitted foreground first (what is on screen: an open
  drill-down, refresh-now), then background (scheduled polls), each in arrival order. A poll's
  request for what the operator has selected (`prefer()`: the selected call, the selected
  session's stream) goes first among those of its priority: with 1,000 watched calls at
  50/min, the call on screen is asked next (after an open drill-down), not in 20 minutes.
- **Server hold**: a `Retry-After` (or `X-RateLimit-Reset`) holds every request for that long,
  clamped to `MAX_HOLD` (15 min: a server asking for a day, or year 9999, is not obeyed that
  far). Held requests are not sent: they fail at once with `ProviderHeld`, naming the time
  left, so a poll reports the hold instead of hanging. `force_one()` (the `r` key) lets one
  request through the hold (never past the budget); the others wait for its answer, and an
  answer lifts the hold.
- **A failed job stops asking**: when one request of a job (one poll, one drill-down fetch)
  finds the provider unreachable, overloaded or refusing our key, the job's requests still
  waiting are not sent (`ProviderHeld`), and until a request gets an answer again, requests
  go one at a time: 1,000 watched calls on a dead server cost one request a probe, not 1,000
  spread over 20 minutes of budget.

- **Side requests** (`side_job()`: extras of a poll that the poll does not wait for, such as
  Livepeer's viewership) count against the budget and in their poll's `asked` (its cost, which
  paces it), but go after every other waiting request, are never sent while the provider is
  held or failing (`ProviderHeld` at once), never hold up a one-at-a-time probe, and what
  happens to them stays theirs: their failure, their `Retry-After`, never the poll's nor the
  provider's.

Jobs and their priority travel in a context variable (`job()`), which `asyncio.gather` copies
into the sub-requests of a fetch, so callers set it once around `provider.fetch()`.
No Textual.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from bisect import insort
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from tui.clock import Clock, SystemClock, sleep_or_event
from tui.models import MAX_HOLD as MAX_HOLD
from tui.providers.errors import ProviderConnectionError, ProviderError, ProviderHTTPError

WINDOW: Final = 60.0
# Below the client's connection pool (tui.providers.base.LIMITS, 100): nothing queues there.
DEFAULT_CONCURRENCY: Final = 10


class Priority(IntEnum):
    """Who waits for a request: lower goes first."""

    FOREGROUND = 0  # on screen now: an open drill-down, refresh-now
    BACKGROUND = 1  # scheduled polls
    SIDE = 2  # a poll's extras, which it does not wait for (`side_job`)


@dataclass(slots=True)
class Job:
    """One unit of work (a poll, a drill-down fetch) and what its requests did."""

    priority: Priority = Priority.BACKGROUND
    asked: int = 0  # requests it asked for, sent or not
    sent: int = 0
    waited: float = 0.0  # seconds its requests spent waiting for admission, summed
    longest: float = 0.0  # the longest single request, sent to answered
    failure: ProviderError | None = None  # the provider-level failure that stops it
    parent: Job | None = None  # a side job's poll, whose cost its requests add to

    @property
    def side(self) -> bool:
        return self.priority is Priority.SIDE

    def latency(self, elapsed: float) -> float:
        """How long the provider took to answer, out of `elapsed` seconds of work: all of it,
        unless requests waited for the budget; then the longest request (waiting is not
        latency)."""
        return elapsed if self.waited <= 0 else self.longest


_JOB: ContextVar[Job | None] = ContextVar("livetop_job", default=None)


def current_job() -> Job | None:
    """The job the running task's requests belong to, if any."""
    return _JOB.get()


@contextmanager
def job(priority: Priority = Priority.BACKGROUND) -> Iterator[Job]:
    """Run the requests made inside (and in tasks started inside) as one job.

    Do not span a `yield` of an async generator with it: the context must be reset where set.
    """
    current = Job(priority)
    token = _JOB.set(current)
    try:
        yield current
    finally:
        _JOB.reset(token)


@contextmanager
def side_job() -> Iterator[Job]:
    """Run the requests made inside as extras of the current job (see the module's rules)."""
    current = Job(Priority.SIDE, parent=_JOB.get())
    token = _JOB.set(current)
    try:
        yield current
    finally:
        _JOB.reset(token)


class ProviderHeld(ProviderError):
    """A request not sent: the server asked us to wait, or its job already failed."""

    def __init__(
        self, provider: str, endpoint: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(provider, endpoint, message)
        self._retry_after = retry_after

    @property
    def retry_after(self) -> float | None:
        return self._retry_after


def stops_the_job(error: ProviderError) -> bool:
    """Failures that say the provider, not one id, is in trouble: unreachable, timing out,
    overloaded, rate limiting, refusing the key."""
    if isinstance(error, ProviderConnectionError):
        return True
    return isinstance(error, ProviderHTTPError) and (
        error.status in (401, 429) or error.status >= 500
    )


class _Ticket:
    """One admitted request."""

    __slots__ = ("admitted", "number", "probe", "side")

    def __init__(self, admitted: float, number: int, probe: bool, side: bool = False) -> None:
        self.admitted = admitted
        self.number = number  # admissions so far, this one included
        self.probe = probe
        self.side = side


class RequestScheduler:
    """Admits one provider's requests: budget, concurrency, priority, the server's hold.

    `budget` is requests per `WINDOW` (None: unlimited). `clock` is injectable (tests use
    `FakeClock`). `sent` keeps the admission times of recent requests, for the curious.
    """

    def __init__(
        self,
        name: str,
        *,
        budget: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        clock: Clock | None = None,
        window: float = WINDOW,
        max_hold: float = MAX_HOLD,
    ) -> None:
        if budget is not None and budget < 1:
            raise ValueError("a budget is at least one request per window")
        self.name = name
        self.budget = budget
        self.window = window
        self.max_hold = max_hold
        self._concurrency = max(1, concurrency)
        self._clock: Clock = clock or SystemClock()
        self._seq = itertools.count()
        self._queue: list[tuple[int, int]] = []  # (rank, seq): a heap of waiters
        self._waiters: dict[int, tuple[Priority, str]] = {}  # seq: its own priority, endpoint
        self._preferred: str | None = None  # the endpoint of what the operator selected
        self._in_flight = 0
        self._side_in_flight = 0  # side requests among them
        self._ends: list[float] = []  # when counted requests ended, sorted (monotonic)
        self._changed = asyncio.Event()
        self._hold_until = float("-inf")
        self._admissions = 0
        self._hold_after = 0  # requests admitted after this many may lift the hold
        self._asked_for: float | None = None  # what the server asked, before the clamp
        self._force = False
        self._probe_out = False
        self._suspect = False  # the provider failed: one request at a time until it answers
        self.sent: deque[float] = deque(maxlen=10_000)

    # -- what callers read --------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def hold_left(self) -> float:
        """Seconds until the server's hold ends (0 when there is none)."""
        return max(0.0, self._hold_until - self._clock.monotonic())

    @property
    def asked_for(self) -> float | None:
        """The wait the server last asked for, before the clamp (None: no hold)."""
        return self._asked_for if self.hold_left() > 0 else None

    def used(self) -> int:
        """Requests counted against the budget right now (in flight or ended in the window)."""
        self._prune(self._clock.monotonic())
        return self._in_flight + len(self._ends)

    def floor(self, requests: int) -> float:
        """The shortest period at which `requests` requests can repeat within the budget."""
        return 0.0 if self.budget is None else requests * self.window / self.budget

    # -- controls -----------------------------------------------------------------------

    def force_one(self) -> None:
        """Let the next request through the server's hold (not past the budget)."""
        if self.hold_left() > 0:
            self._force = True
            self._notify()

    def prefer(self, endpoint: str | None) -> None:
        """Let requests for `endpoint` (what the operator has selected) go first among those
        of their priority, from now on and for those already waiting; None: no preference."""
        if endpoint == self._preferred:
            return
        self._preferred = endpoint
        self._queue = [(self._rank(*self._waiters[seq]), seq) for _, seq in self._queue]
        heapq.heapify(self._queue)
        self._notify()

    def _rank(self, priority: Priority, endpoint: str) -> int:
        """Lower goes first: by priority, and within one the selected one's request first."""
        return 2 * priority + (endpoint != self._preferred)

    def rebudget(self, budget: int | None) -> None:
        """A new budget (a reloaded config), kept with the requests already counted: the
        server's window does not restart because the config did."""
        if budget is not None and budget < 1:
            raise ValueError("a budget is at least one request per window")
        self.budget = budget
        self._notify()

    # -- admission ----------------------------------------------------------------------

    @asynccontextmanager
    async def request(self, endpoint: str) -> AsyncIterator[None]:
        """Wait for admission, then run the request inside; its outcome is noted on exit."""
        current = _JOB.get()
        ticket = await self._admit(endpoint, current)
        try:
            yield
        except ProviderError as exc:
            self._finish(ticket, current, exc)
            raise
        except BaseException:
            self._finish(ticket, current, None, answered=False)
            raise
        else:
            self._finish(ticket, current, None)

    async def _admit(self, endpoint: str, current: Job | None) -> _Ticket:
        priority = current.priority if current is not None else Priority.BACKGROUND
        side = current is not None and current.side
        if current is not None:
            current.asked += 1
            if current.parent is not None:
                current.parent.asked += 1
        seq = next(self._seq)
        self._waiters[seq] = (priority, endpoint)
        heapq.heappush(self._queue, (self._rank(priority, endpoint), seq))
        start = self._clock.monotonic()
        try:
            while True:
                now = self._clock.monotonic()
                if current is not None and current.failure is not None:
                    raise ProviderHeld(
                        self.name,
                        endpoint,
                        f"not sent: an earlier request failed ({current.failure.message})",
                    )
                held = now < self._hold_until
                wait: float | None = None
                if side and (held or self._suspect):
                    raise self._side_refused(endpoint, now)
                if held and not (self._force or self._probe_out):
                    raise self._held_error(endpoint, now)
                if self._queue[0][1] == seq and not (held and self._probe_out):
                    wait = self._room(now)
                    if wait == 0.0:
                        probe = held  # here only with a forced request pending
                        if probe:
                            self._force, self._probe_out = False, True
                        self._in_flight += 1
                        self._side_in_flight += side
                        self._admissions += 1
                        self.sent.append(now)
                        if current is not None:
                            current.sent += 1
                            current.waited += now - start
                        return _Ticket(now, self._admissions, probe, side)
                await sleep_or_event(self._clock, self._changed, wait)
        finally:
            del self._waiters[seq]
            self._queue = [entry for entry in self._queue if entry[1] != seq]
            heapq.heapify(self._queue)
            self._notify()

    def _room(self, now: float) -> float | None:
        """0 when a request may go now, else seconds to wait (None: until one ends)."""
        if self._suspect:  # one at a time; a side request still out must not hold it up
            if self._in_flight - self._side_in_flight >= 1:
                return None
        elif self._in_flight >= self._concurrency:
            return None
        if self.budget is None:
            return 0.0
        self._prune(now)
        used = self._in_flight + len(self._ends)
        if used < self.budget:
            return 0.0
        expire = used - self.budget + 1  # ended requests that must leave the window
        if expire > len(self._ends):
            return None
        return max(self._ends[expire - 1] + self.window - now, 1e-6)

    def _prune(self, now: float) -> None:
        cut = 0
        while cut < len(self._ends) and self._ends[cut] <= now - self.window:
            cut += 1
        if cut:
            del self._ends[:cut]

    def _finish(
        self,
        ticket: _Ticket,
        current: Job | None,
        error: ProviderError | None,
        *,
        answered: bool = True,
    ) -> None:
        now = self._clock.monotonic()
        self._in_flight -= 1
        if self.budget is not None:
            insort(self._ends, now)
        if ticket.side:  # what a side request met is its own: no hold, no suspicion
            self._side_in_flight -= 1
            self._notify()
            return
        if ticket.probe:
            self._probe_out = False
        if current is not None:
            current.longest = max(current.longest, now - ticket.admitted)
        retry = error.retry_after if error is not None else None
        if retry is not None:
            self._hold(now, retry)
        elif (
            answered
            and isinstance(error, ProviderHTTPError | None)
            and self._answered_since(ticket)
        ):
            self._hold_until, self._asked_for = float("-inf"), None  # it answers again: lifted
        if error is not None and stops_the_job(error):
            self._suspect = True
            if current is not None and current.failure is None:
                current.failure = error
        elif answered:
            self._suspect = False
        self._notify()

    def _answered_since(self, ticket: _Ticket) -> bool:
        """Sent after the hold began (an answer to an earlier request says nothing of it)."""
        return ticket.number > self._hold_after

    def _hold(self, now: float, seconds: float) -> None:
        seconds = max(0.0, seconds)
        until = now + min(seconds, self.max_hold)
        if until > self._hold_until:
            self._hold_until, self._hold_after = until, self._admissions
            self._asked_for = seconds

    def _side_refused(self, endpoint: str, now: float) -> ProviderHeld:
        if now < self._hold_until:
            return self._held_error(endpoint, now)
        return ProviderHeld(self.name, endpoint, "not sent: the provider is failing")

    def _held_error(self, endpoint: str, now: float) -> ProviderHeld:
        left = self._hold_until - now
        asked = self._asked_for or 0.0
        capped = f" (it asked for {_span(asked)}; capped)" if asked > self.max_hold else ""
        message = f"not sent: the server asked to wait, {_span(left)} left{capped}"
        return ProviderHeld(self.name, endpoint, message, retry_after=left)

    # -- waking -------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


def _span(seconds: float) -> str:
    """A wait as people say it: 45 s, 12 min, 3 h, 11574 d."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"
