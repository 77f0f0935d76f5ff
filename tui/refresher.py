"""Refresher: one polling loop per provider, feeding the SessionStore.

Each loop fetches, hands the result to the store, then sleeps; it re-arms only after a fetch
finishes, so polls of one provider never overlap and a slow or hanging provider delays only
itself. Waking is an `asyncio.Event` per loop; time comes from an injectable `Clock`.

Scheduling rules:
- After a success the next poll is `interval` seconds after the fetch ended.
- After the n-th consecutive failure it is `interval * 2**n` ±`jitter` (20 %), capped at 60 s
  (or the interval if longer); near the cap the jitter only goes down, so it never exceeds it.
- A `retry_after` on the error (or on any error of a partial result) overrides: exactly that
  many seconds, no jitter (never under the 0.5 s floor, so `Retry-After: 0` cannot spin), and
  not even `refresh_now()` polls before it.
- `refresh_now()` polls at once (also while paused: a one-off manual refresh); a request made
  while that provider's fetch is in flight is satisfied by that fetch.
- `pause()` stops scheduled polls; `resume()` polls at once any provider whose poll came due.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Self

from tui.clock import Clock, SystemClock
from tui.models import FetchResult, Session
from tui.providers.base import Provider
from tui.providers.errors import ProviderError
from tui.store import EventKind, SessionStore, StoreDiff

MIN_INTERVAL = 0.5
MAX_BACKOFF = 60.0

log = logging.getLogger("livetop.refresher")


class _Poller:
    """One provider's loop state."""

    __slots__ = (
        "due",
        "failures",
        "forced",
        "in_flight",
        "interval",
        "last_end",
        "name",
        "not_before",
        "provider",
        "published",
        "task",
        "wake",
    )

    def __init__(self, provider: Provider, interval: float) -> None:
        self.provider = provider
        self.name = provider.name
        self.interval = interval
        self.failures = 0
        self.due = float("-inf")  # monotonic time of the next scheduled poll
        self.not_before = float("-inf")  # a server's Retry-After: nothing polls before it
        self.last_end = float("-inf")
        self.forced = False
        self.in_flight = False
        self.published: float | None = None  # the deadline last shown as `next_poll`
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


class Refresher:
    """Polls every provider on its own interval and feeds one `SessionStore`.

    `intervals` overrides `interval` per provider name. `clock` and `rng` (for jitter) are
    injectable for tests. Use `start()`/`await stop()` or `async with`. `stop()` cancels the
    loops and closes every provider client.
    """

    def __init__(
        self,
        store: SessionStore,
        providers: Iterable[Provider],
        *,
        interval: float = 2.0,
        intervals: Mapping[str, float] | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        jitter: float = 0.2,
        max_backoff: float = MAX_BACKOFF,
        tick: float = 1.0,
        slice_size: int = 1000,
    ) -> None:
        self._store = store
        self._interval = _floor(interval)
        self._clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._jitter = min(max(jitter, 0.0), 0.9)
        self._max_backoff = max_backoff
        self._tick = tick
        self._slice = slice_size
        self._paused = False
        self._started = self._stopped = False
        self._housekeeper: asyncio.Task[None] | None = None
        self._pollers: dict[str, _Poller] = {}
        overrides = intervals or {}
        for provider in providers:
            if provider.name in self._pollers:
                raise ValueError(f"two providers are named {provider.name!r}")
            seconds = _floor(overrides.get(provider.name, interval))
            self._pollers[provider.name] = _Poller(provider, seconds)
            store.register(provider.name, interval=seconds)

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

    # -- controls ---------------------------------------------------------------------------

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(self._pollers)

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop scheduled polls (a fetch in flight finishes); `next_poll` shows None."""
        self._paused = True
        self._wake_all()

    def resume(self) -> None:
        """Resume scheduled polls; a provider whose poll came due meanwhile polls at once."""
        self._paused = False
        self._wake_all()

    def refresh_now(self, provider: str | None = None) -> None:
        """Poll now (one provider or all), except where a fetch is already in flight."""
        for p in self._targets(provider):
            if not p.in_flight:
                p.forced = True
                p.wake.set()

    @property
    def interval(self) -> float:
        """The default interval: the constructor's, or the last `set_interval` for all."""
        return self._interval

    def interval_for(self, provider: str) -> float:
        return self._pollers[provider].interval

    def set_interval(self, seconds: float, provider: str | None = None) -> None:
        """Change the interval (floor 0.5 s) of one provider or all, taking effect at once."""
        seconds = _floor(seconds)
        if provider is None:
            self._interval = seconds
        for p in self._targets(provider):
            p.interval = seconds
            if p.failures == 0:
                p.due = p.last_end + seconds
            self._store.register(p.name, interval=seconds)
            p.wake.set()

    # -- drill-down -------------------------------------------------------------------------

    async def fetch_related(self, provider: str, parent_id: str) -> FetchResult:
        """Fetch one parent's sessions now and upsert them; raises `ProviderError`."""
        p = self._pollers[provider]
        try:
            result = await p.provider.fetch_related(parent_id)
        except ProviderError:
            raise
        except Exception as exc:
            raise _internal(p.name, "fetch_related", exc) from exc
        self._store.upsert(p.name, result.sessions)
        return result

    async def fetch_session(
        self, provider: str, session_id: str, parent_id: str | None = None
    ) -> Session:
        """Fetch one session now and upsert it; raises `ProviderError`."""
        p = self._pollers[provider]
        try:
            session = await p.provider.fetch_session(session_id, parent_id)
        except ProviderError:
            raise
        except Exception as exc:
            raise _internal(p.name, "fetch_session", exc) from exc
        self._store.upsert(p.name, (session,))
        return session

    # -- the loops --------------------------------------------------------------------------

    async def _run(self, p: _Poller) -> None:
        while True:
            await self._wait_turn(p)
            try:
                await self._poll(p)
            except Exception:  # a bug in the store or a subscriber must not end polling
                log.exception("poll loop of %s failed; continuing", p.name)
                p.in_flight = False
                p.due = self._clock.monotonic() + p.interval

    async def _wait_turn(self, p: _Poller) -> None:
        """Return when this provider should poll: due and not paused, or forced."""
        while True:
            p.wake.clear()
            now = self._clock.monotonic()
            if p.forced and now >= p.not_before:
                p.forced = False
                return
            if not self._paused and now >= max(p.due, p.not_before):
                return
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
            await self._sleep_or_wake(p, None if deadline is None else deadline - now)

    async def _sleep_or_wake(self, p: _Poller, seconds: float | None) -> None:
        """Sleep on the clock (forever if None) or until the loop is woken, whichever first."""
        if seconds is None:
            await p.wake.wait()
            return
        waiter = asyncio.ensure_future(p.wake.wait())
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            sleeper.cancel()
            await asyncio.gather(waiter, sleeper, return_exceptions=True)

    async def _poll(self, p: _Poller) -> None:
        p.in_flight = True
        p.published = None
        self._store.set_schedule(p.name, next_poll=None, polling=True)
        start = self._clock.monotonic()
        error: ProviderError | str | None = None
        result: FetchResult | None = None
        try:
            result = await p.provider.fetch()
        except ProviderError as exc:
            error = exc
        except Exception as exc:  # a provider bug: a failure like any other, logged
            log.error("provider %s raised %s", p.name, type(exc).__name__)
            log.debug("provider %s traceback", p.name, exc_info=True)
            error = f"internal error: {type(exc).__name__}"
        end = self._clock.monotonic()
        p.last_end, latency = end, end - start
        retry_after: float | None
        if result is not None:
            p.failures = 0
            retry_after = max((_retry_after(e) or 0.0 for e in result.errors), default=0.0)
            delay = max(p.interval, retry_after)
            retry_after = retry_after or None
        else:
            p.failures += 1
            retry_after = _retry_after(error)
            delay = self._backoff(p) if retry_after is None else max(retry_after, MIN_INTERVAL)
        p.due = end + delay
        # What the server asked for binds even refresh_now(); our own backoff does not.
        p.not_before = (
            float("-inf") if retry_after is None else end + max(retry_after, MIN_INTERVAL)
        )
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

    def _backoff(self, p: _Poller) -> float:
        cap = max(self._max_backoff, p.interval)
        base = p.interval * 2.0 ** min(p.failures, 32)
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

    def _targets(self, provider: str | None) -> list[_Poller]:
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


def _floor(seconds: float) -> float:
    return max(MIN_INTERVAL, float(seconds))


def _retry_after(error: BaseException | str | None) -> float | None:
    return error.retry_after if isinstance(error, ProviderError) else None


def _internal(provider: str, endpoint: str, exc: Exception) -> ProviderError:
    """A provider bug seen by a drill-down: logged, and raised as the one error type."""
    log.error("provider %s raised %s in %s", provider, type(exc).__name__, endpoint)
    log.debug("provider %s traceback", provider, exc_info=exc)
    return ProviderError(provider, endpoint, f"internal error: {type(exc).__name__}")
