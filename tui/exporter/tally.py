"""What the exporter counts between scrapes, fed by the store's diffs.

A scrape sees only the store's state now; events, poll errors and poll latencies happen in
between, so `Tally` subscribes to the store and keeps running totals. Every poll (`apply` or
`fail`) publishes one diff whose provider status has a new `polls` count, its latency and its
errors' reasons; session events arrive in the diffs' `events`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable

from tui.providers.errors import ERROR_REASONS
from tui.store import EventKind, SessionStore, StoreDiff

# A 10,000-session Livepeer poll takes 0.1-0.7 s, a watched call ~10 ms; timeouts end at 30 s.
POLL_BUCKETS: tuple[float, ...] = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SESSION_EVENTS: tuple[EventKind, ...] = (
    EventKind.WENT_LIVE,
    EventKind.UNHEALTHY,
    EventKind.RECOVERED,
    EventKind.ENDED,
)
_SESSION_EVENTS = frozenset(SESSION_EVENTS)


class LatencyHistogram:
    """Counts per bucket (upper bounds `POLL_BUCKETS`, then +Inf), their sum and count."""

    __slots__ = ("counts", "sum", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(POLL_BUCKETS) + 1)
        self.sum = 0.0
        self.total = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(POLL_BUCKETS, seconds)] += 1
        self.sum += seconds
        self.total += 1

    def cumulative(self) -> list[int]:
        """Observations at or under each bound, +Inf last (what the exposition format wants)."""
        out, running = [], 0
        for n in self.counts:
            running += n
            out.append(running)
        return out


class Tally:
    """Running totals per provider: session events, poll errors by reason, poll latencies.

    Every known provider starts with every event and reason at 0, so `rate()` and `increase()`
    see the first one. `attach()` subscribes; polls finished before it are not counted.
    """

    def __init__(self, store: SessionStore, providers: Iterable[str] = ()) -> None:
        self._store = store
        self.events: dict[tuple[str, str], int] = {}
        self.errors: dict[tuple[str, str], int] = {}
        self.latency: dict[str, LatencyHistogram] = {}
        self._polls: dict[str, int] = {}
        self._unsubscribe: Callable[[], None] | None = None
        for name in (*providers, *store.providers):
            self._know(name)

    def attach(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self._store.subscribe(self.on_diff)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _know(self, provider: str) -> None:
        if provider in self.latency:
            return
        self.latency[provider] = LatencyHistogram()
        for kind in SESSION_EVENTS:
            self.events[(provider, kind.value)] = 0
        for reason in ERROR_REASONS:
            self.errors[(provider, reason)] = 0
        try:
            self._polls[provider] = self._store.status(provider).polls
        except KeyError:  # not in the store yet: every poll it reports is new
            self._polls[provider] = 0

    def on_diff(self, diff: StoreDiff) -> None:
        provider = diff.provider
        if provider not in self.latency:
            self._know(provider)
        for event in diff.events:
            if event.kind in _SESSION_EVENTS:
                key = (provider, event.kind.value)
                self.events[key] = self.events.get(key, 0) + 1
        if not diff.status_changed:
            return
        status = self._store.status(provider)
        if status.polls == self._polls[provider]:
            return
        self._polls[provider] = status.polls
        if status.last_latency is not None:
            self.latency[provider].observe(max(0.0, status.last_latency))
        for reason in status.error_reasons:
            key = (provider, reason)
            self.errors[key] = self.errors.get(key, 0) + 1
