"""Refresher: one polling loop per provider, feeding the SessionStore, at each provider's pace.

Each loop fetches, hands the result to the store, then sleeps; it re-arms only after a fetch
finishes, so polls of one provider never overlap and a slow or hanging provider delays only
itself. Every request goes through the provider's `RequestScheduler`
(`tui.providers.scheduler`), which keeps its budget; this module decides when polls and
drill-downs ask. Waking is an
`asyncio.Event` per loop; time comes from an injectable `Clock`.

Pace: a provider's interval (its own, else the default) times the console's `factor` (`+`/`-`
halve or double it), never below `MIN_INTERVAL`, and never below what its budget allows: a poll
that makes N requests can repeat every N × 60 / budget seconds at most. When that floor is the
larger, the budget sets the pace (`budget_bound`), and the store and the provider bar say so.

Scheduling rules:
- After a success the next poll is `interval × factor` after the fetch ended, and at least the
  budget's floor after it started.
- After the n-th consecutive failure (a poll that failed, or that stopped part way because the
  provider did) it is `interval × factor × 2**n` ±`jitter` (20 %), capped at
  max(2 × interval × factor, `max_backoff` = 10 s), so a provider that is back is found that
  soon; near the cap the jitter only goes down, so it never exceeds it. Such a probe costs one
  request (the scheduler sends one at a time until the provider answers), and the budget
  still binds it.
- A `retry_after` on the error (or on any error of a partial result) overrides: exactly that
  many seconds, clamped to `MAX_HOLD` (15 min), no jitter, never under the 0.5 s floor.
  `refresh_now()` (the `r` key) forces one request past it.
- `refresh_now()` polls at once (also while paused: a one-off manual refresh), at foreground
  priority; a request made while that provider's fetch is in flight is satisfied by that fetch.
- `pause()` stops scheduled polls; `resume()` polls at once any provider whose poll came due.

Drill-downs: `follow_related` / `follow_session` fetch one parent's sessions or one session at
the provider's pace, at foreground priority, with the same backoff and Retry-After, and yield
each outcome; closing the iterator stops them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Self, TypeVar

from tui.clock import Clock, SystemClock, sleep_or_event
from tui.models import FetchResult, Session, SessionKey
from tui.poller import MIN_INTERVAL as MIN_INTERVAL
from tui.poller import Poller, floor_interval, guarded, kick, server_wait
from tui.providers import poll_endpoint
from tui.providers.base import Provider
from tui.providers.errors import ProviderError
from tui.providers.scheduler import Priority, RequestScheduler, job
from tui.source import Banner, Mode
from tui.store import EventKind, SessionStore, StoreDiff

MAX_BACKOFF = 10.0  # a recovered provider is found within max(2 × its interval, this)
FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # what `+` / `-` step through

log = logging.getLogger("livetop.refresher")
T = TypeVar("T")


class Refresher:
    """Polls every provider at its own pace and feeds one `SessionStore`.

    `intervals` overrides `interval` per provider name. `schedulers` holds each provider's
    `RequestScheduler` (the one its client's requests go through; without one, an unlimited
    scheduler stands in) and `costs` the requests a poll is expected to make before one has
    been measured (one per watched id). `clock` and `rng` (for jitter) are injectable for
    tests. Use `start()`/`await stop()` or `async with`. `stop()` cancels the loops and closes
    every provider client. It is the console's source when it polls (`tui.source`).
    """

    mode: Mode = "live"

    def __init__(
        self,
        store: SessionStore,
        providers: Iterable[Provider],
        *,
        interval: float = 2.0,
        intervals: Mapping[str, float] | None = None,
        schedulers: Mapping[str, RequestScheduler] | None = None,
        costs: Mapping[str, int] | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        jitter: float = 0.2,
        max_backoff: float = MAX_BACKOFF,
        tick: float = 1.0,
        slice_size: int = 1000,
    ) -> None:
        self._store = store
        self._interval = floor_interval(interval)
        self._factor = 1.0
        self._clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._jitter = min(max(jitter, 0.0), 0.9)
        self._max_backoff = max_backoff
        self._tick = tick
        self._slice = slice_size
        self._paused = False
        self._started = self._stopped = False
        self._housekeeper: asyncio.Task[None] | None = None
        self._pollers: dict[str, Poller] = {}
        overrides, given, expected = intervals or {}, schedulers or {}, costs or {}
        for provider in providers:
            name = provider.name
            if name in self._pollers:
                raise ValueError(f"two providers are named {name!r}")
            scheduler = given.get(name) or RequestScheduler(name, clock=self._clock)
            seconds = floor_interval(overrides.get(name, interval))
            p = self._pollers[name] = Poller(provider, seconds, scheduler, expected.get(name, 1))
            store.register(name, interval=self._pace(p)[0])
            self._publish_pace(p)

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start one task per provider (they poll at once unless paused) and housekeeping."""
        if self._started or self._stopped:
            return
        self._started = True
        for p in self._pollers.values():
            p.task = asyncio.create_task(self._run(p), name=f"livetop-poll-{p.name}")
        self._housekeeper = asyncio.create_task(self._housekeep(), name="livetop-store-tick")

    async def stop(self) -> None:
        """Cancel every loop, wait for them, and close every provider client. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        tasks = [p.task for p in self._pollers.values() if p.task is not None]
        if self._housekeeper is not None:
            tasks.append(self._housekeeper)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for p in self._pollers.values():
            try:
                await p.provider.aclose()
            except Exception as exc:  # closing must not stop closing the others
                log.warning("closing provider %s failed: %s", p.name, type(exc).__name__)

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def add(
        self, provider: Provider, *, interval: float, scheduler: RequestScheduler, cost: int
    ) -> None:
        """Poll one more provider (a reloaded config): at once when running."""
        name = provider.name
        if name in self._pollers:
            raise ValueError(f"two providers are named {name!r}")
        p = self._pollers[name] = Poller(provider, floor_interval(interval), scheduler, cost)
        self._store.register(name, interval=self._pace(p)[0])
        self._publish_pace(p)
        if self._started and not self._stopped:
            p.task = asyncio.create_task(self._run(p), name=f"livetop-poll-{name}")

    async def remove(self, name: str) -> None:
        """Stop polling a provider and close its client (what it put in the store stays:
        the caller decides). Its drill-downs end at their next turn."""
        p = self._pollers.pop(name, None)
        if p is None:
            return
        if p.task is not None:
            p.task.cancel()
            await asyncio.gather(p.task, return_exceptions=True)
        kick(p)  # wake its drill-downs: they find it gone and stop
        try:
            await p.provider.aclose()
        except Exception as exc:
            log.warning("closing provider %s failed: %s", name, type(exc).__name__)

    # -- controls ---------------------------------------------------------------------------

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(self._pollers)

    def banner(self, now: float) -> Banner | None:
        """Nothing to say: the header's counts and PAUSED tell it all."""
        return None

    @property
    def paused(self) -> bool:
        return self._paused

    def client(self, provider: str) -> Provider:
        """The client that polls `provider` (for tests and tools that tune it)."""
        return self._pollers[provider].provider

    @property
    def clock(self) -> Clock:
        """What the loops (and the schedulers built for them) sleep on."""
        return self._clock

    def scheduler_for(self, provider: str) -> RequestScheduler:
        return self._pollers[provider].scheduler

    def pause(self) -> None:
        """Stop scheduled polls (a fetch in flight finishes); `next_poll` shows None."""
        self._paused = True
        self._wake_all()

    def resume(self) -> None:
        """Resume scheduled polls; a provider whose poll came due meanwhile polls at once."""
        self._paused = False
        self._wake_all()
        for p in self._pollers.values():
            kick(p)

    def focus(self, key: SessionKey | None) -> None:
        """The operator selected `key` (None: nothing): its provider's polls ask for it
        before the rest of what they wait to ask (see `RequestScheduler.prefer`)."""
        session = None if key is None else self._store.get(key)
        for p in self._pollers.values():
            mine = session is not None and session.provider == p.name
            p.scheduler.prefer(poll_endpoint(session) if mine and session is not None else None)

    def refresh_now(self, provider: str | None = None) -> None:
        """Poll now (one provider or all), except where a fetch is already in flight; one
        request may go through a server's Retry-After. Open drill-downs fetch at once too."""
        for p in self._targets(provider):
            p.scheduler.force_one()
            if not p.in_flight:
                p.forced = True
                p.force_hold = True
                p.wake.set()
            kick(p)

    @property
    def interval(self) -> float:
        """The default interval: the constructor's, or the last `set_interval` for all."""
        return self._interval

    @property
    def factor(self) -> float:
        """What every provider's own interval is multiplied by (`+` / `-`)."""
        return self._factor

    def interval_for(self, provider: str) -> float:
        """The pace `provider` is polled at: its interval × the factor, or its budget's floor."""
        return self._pace(self._pollers[provider])[0]

    def budget_bound(self, provider: str) -> bool:
        """True when the budget, not the interval, sets `provider`'s pace."""
        return self._pace(self._pollers[provider])[1]

    def set_interval(self, seconds: float, provider: str | None = None) -> None:
        """Change the interval (floor 0.5 s) of one provider or all, taking effect at once."""
        seconds = floor_interval(seconds)
        if provider is None:
            self._interval = seconds
        for p in self._targets(provider):
            p.base = seconds
            self._repace(p)

    def set_factor(self, factor: float) -> None:
        """Scale every provider's own interval by `factor` (never below its floors)."""
        self._factor = max(0.01, float(factor))
        for p in self._pollers.values():
            self._repace(p)

    def scale(self, step: int) -> float:
        """Step the factor along `FACTORS` (-1: faster, the `+` key; 1: slower); the factor."""
        index = min(range(len(FACTORS)), key=lambda i: abs(FACTORS[i] - self._factor))
        self.set_factor(FACTORS[max(0, min(len(FACTORS) - 1, index + step))])
        return self._factor

    # -- drill-down -------------------------------------------------------------------------

    async def fetch_related(self, provider: str, parent_id: str) -> FetchResult:
        """Fetch one parent's sessions now and upsert them; raises `ProviderError`."""
        p = self._pollers[provider]
        result = await guarded(p.name, "fetch_related", p.provider.fetch_related(parent_id))
        self._store.upsert(p.name, result.sessions)
        return result

    async def fetch_session(
        self, provider: str, session_id: str, parent_id: str | None = None
    ) -> Session:
        """Fetch one session now and upsert it; raises `ProviderError`."""
        p = self._pollers[provider]
        fetch = p.provider.fetch_session(session_id, parent_id)
        session = await guarded(p.name, "fetch_session", fetch)
        self._store.upsert(p.name, (session,))
        return session

    def follow_related(
        self, provider: str, parent_id: str
    ) -> AsyncGenerator[FetchResult | ProviderError, None]:
        """`fetch_related` at the provider's pace, for as long as it is iterated."""
        return self._follow(provider, lambda: self.fetch_related(provider, parent_id))

    def follow_session(
        self,
        provider: str,
        session_id: str,
        parent_id: str | None = None,
    ) -> AsyncGenerator[Session | ProviderError, None]:
        """`fetch_session` at the provider's pace, for as long as it is iterated."""
        return self._follow(provider, lambda: self.fetch_session(provider, session_id, parent_id))

    async def _follow(
        self,
        provider: str,
        fetch: Callable[[], Awaitable[T]],
    ) -> AsyncGenerator[T | ProviderError, None]:
        """Fetch, yield the outcome, wait: the pace after a success, the backoff or the
        server's Retry-After after a failure. Paused: only `refresh_now` or `resume` fetch."""
        p = self._pollers.get(provider)
        failures, delay = 0, 0.0
        while p is not None:
            kick = p.kick
            if self._paused:
                await kick.wait()
            elif delay > 0:
                await sleep_or_event(self._clock, kick, delay)
            p = self._pollers.get(provider)  # a reloaded config may have replaced it
            if p is None:
                return  # the provider left the config
            outcome: T | ProviderError
            with job(Priority.FOREGROUND):
                try:
                    outcome = await fetch()
                except ProviderError as exc:
                    outcome = exc
            if isinstance(outcome, ProviderError):
                failures += 1
                retry = server_wait(outcome)
                wanted = self._wanted(p)
                delay = self._backoff(wanted, failures) if retry is None else retry
            else:
                failures, delay = 0, self.interval_for(provider)
            yield outcome

    # -- the loops --------------------------------------------------------------------------

    async def _run(self, p: Poller) -> None:
        while True:
            foreground = await self._wait_turn(p)
            try:
                await self._poll(p, foreground)
            except Exception:  # a bug in the store or a subscriber must not end polling
                log.exception("poll loop of %s failed; continuing", p.name)
                p.in_flight = False
                p.due = self._clock.monotonic() + self.interval_for(p.name)

    async def _wait_turn(self, p: Poller) -> bool:
        """Return when this provider should poll: due and not paused (False), or forced (True)."""
        while True:
            p.wake.clear()
            now = self._clock.monotonic()
            if p.forced and (now >= p.not_before or p.force_hold):
                p.forced = p.force_hold = False
                return True
            if not self._paused and now >= max(p.due, p.not_before):
                return False
            if p.forced:
                deadline: float | None = p.not_before
            elif self._paused:
                deadline = None
            else:
                deadline = max(p.due, p.not_before)
            if deadline != p.published:
                p.published = deadline
                wall = None if deadline is None else self._clock.time() + (deadline - now)
                self._store.set_schedule(p.name, next_poll=wall)
            await sleep_or_event(self._clock, p.wake, None if deadline is None else deadline - now)

    async def _poll(self, p: Poller, foreground: bool = False) -> None:
        p.in_flight = True
        p.published = None
        self._store.set_schedule(p.name, next_poll=None, polling=True)
        start = self._clock.monotonic()
        error: ProviderError | str | None = None
        result: FetchResult | None = None
        with job(Priority.FOREGROUND if foreground else Priority.BACKGROUND) as work:
            try:
                result = await p.provider.fetch()
            except ProviderError as exc:
                error = exc
            except Exception as exc:  # a provider bug: a failure like any other, logged
                log.error("provider %s raised %s", p.name, type(exc).__name__)
                log.debug("provider %s traceback", p.name, exc_info=True)
                error = f"internal error: {type(exc).__name__}"
        end = self._clock.monotonic()
        p.last_start, p.last_end = start, end
        latency = work.latency(end - start)
        retry_after: float | None
        if result is not None:
            if work.asked and work.asked != p.cost:
                p.cost = work.asked
                self._publish_pace(p)
            retry_after = max((server_wait(e) or 0.0 for e in result.errors), default=0.0)
        else:
            retry_after = server_wait(error) or 0.0
        if result is not None and work.failure is None:
            p.failures = 0
            delay = max(self._next_after_success(p) - end, retry_after)
        else:  # failed, or stopped part way because the provider did: probe again soon
            p.failures += 1
            delay = retry_after or self._backoff(self._wanted(p), p.failures)
        retry_after = retry_after or None
        p.due = end + delay
        # What the server asked for binds scheduled polls; `r` may force one request past it.
        p.not_before = float("-inf") if retry_after is None else end + retry_after
        p.published = None if self._paused else p.due
        next_poll = None if self._paused else self._clock.time() + delay
        if result is not None:
            diff = await self._store.apply_async(
                p.name, result, latency=latency, next_poll=next_poll, slice_size=self._slice
            )
        else:
            assert error is not None
            diff = self._store.fail(p.name, error, latency=latency, next_poll=next_poll)
        p.in_flight = False
        self._log_transitions(diff)

    # -- pace -------------------------------------------------------------------------------

    def _wanted(self, p: Poller) -> float:
        """The provider's interval times the factor, at least `MIN_INTERVAL`."""
        return max(MIN_INTERVAL, p.base * self._factor)

    def _pace(self, p: Poller) -> tuple[float, bool]:
        """(the interval kept, whether the budget's floor is what sets it)."""
        wanted, floor = self._wanted(p), p.scheduler.floor(p.cost)
        return (floor, True) if floor > wanted else (wanted, False)

    def _next_after_success(self, p: Poller) -> float:
        """The interval after the fetch ended, and the budget's floor after it started."""
        return max(p.last_end + self._wanted(p), p.last_start + p.scheduler.floor(p.cost))

    def _repace(self, p: Poller) -> None:
        if p.failures == 0 and p.last_end > float("-inf"):
            p.due = self._next_after_success(p)
        self._publish_pace(p)
        p.wake.set()

    def _publish_pace(self, p: Poller) -> None:
        interval, bound = self._pace(p)
        budget = p.scheduler.budget
        self._store.set_pace(p.name, interval=interval, budget=budget, budget_bound=bound)

    def _backoff(self, interval: float, failures: int) -> float:
        cap = max(self._max_backoff, 2.0 * interval)
        base = interval * 2.0 ** min(failures, 32)
        j = self._jitter
        if base * (1.0 + j) <= cap:
            return base * self._rng.uniform(1.0 - j, 1.0 + j)
        # At the cap, jitter downwards only: clamping would put every client in lockstep.
        return min(base, cap) * self._rng.uniform(1.0 - j, 1.0)

    async def _housekeep(self) -> None:
        """Age-based staleness and retention need a clock, not a fetch: tick the store."""
        while True:
            await self._clock.sleep(self._tick)
            try:
                self._store.tick()
            except Exception:
                log.exception("store tick failed")

    # -- helpers ----------------------------------------------------------------------------

    def _targets(self, provider: str | None) -> list[Poller]:
        return list(self._pollers.values()) if provider is None else [self._pollers[provider]]

    def _wake_all(self) -> None:
        for p in self._pollers.values():
            p.wake.set()

    def _log_transitions(self, diff: StoreDiff) -> None:
        for event in diff.events:
            if event.kind is EventKind.PROVIDER_FAILED:
                detail = self._store.status(diff.provider).error_detail
                log.warning("provider %s failing: %s", diff.provider, detail)
            elif event.kind is EventKind.PROVIDER_RECOVERED:
                log.info("provider %s recovered (%s)", diff.provider, event.detail)
