"""The store's value types: what it publishes (diffs, events, provider status) and how it keeps
a session's history (`SampleRing`). Plain data, no behaviour beyond a property or two; the
store itself is in `tui.store`, which re-exports all of these.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from tui.models import SessionKey

__all__ = [
    "STALE",
    "Counts",
    "EventKind",
    "ProviderHealth",
    "ProviderStatus",
    "Sample",
    "SampleRing",
    "StoreDiff",
    "StoreEvent",
]

STALE = "stale"
"""Pseudo field name in `StoreDiff.changed`: the session's own staleness flipped."""


class EventKind(StrEnum):
    """What an event reports."""

    WENT_LIVE = "went_live"
    UNHEALTHY = "unhealthy"
    RECOVERED = "recovered"
    ENDED = "ended"
    PROVIDER_FAILED = "provider_failed"
    PROVIDER_RECOVERED = "provider_recovered"


@dataclass(frozen=True, slots=True)
class StoreEvent:
    """One line of the event log. `name` and `detail` are untrusted provider text.

    `since` is set when the change was only seen late, after an outage of its provider: it
    happened somewhere between `since` (the last good poll before the outage) and `time`.
    """

    time: float
    kind: EventKind
    provider: str
    key: SessionKey | None = None
    name: str = ""
    detail: str = ""
    since: float | None = None


class ProviderHealth(StrEnum):
    """How a provider's last poll went."""

    PENDING = "pending"  # never polled yet
    OK = "ok"
    PARTIAL = "partial"  # data came, but part of the fetch failed
    FAILING = "failing"  # the last poll failed; its sessions are stale


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """One provider's polling state, for the provider bar. Times are wall-clock epoch seconds.

    `last_error` is the provider's own message (`ProviderError.message`), `error_detail` the
    one-line `str()` naming provider, endpoint and status; both None while healthy.
    `next_poll` is None while paused or while a poll is in flight (`polling_since`).
    `interval` is the pace kept: `budget_bound` when the request budget (`budget` a minute),
    not the configured interval, is what sets it. `retry_after` is the wait the server last
    asked for (before livetop's clamp), while it holds.
    `polls` counts finished polls (successful or not); `error_reasons` holds one word from
    `tui.providers.errors.ERROR_REASONS` per error of the last poll (empty when it had none).
    """

    name: str
    health: ProviderHealth = ProviderHealth.PENDING
    last_success: float | None = None
    last_attempt: float | None = None
    last_error: str | None = None
    error_detail: str | None = None
    consecutive_failures: int = 0
    last_latency: float | None = None
    next_poll: float | None = None
    polling_since: float | None = None
    interval: float = 2.0
    stale: bool = False
    session_count: int = 0
    skipped: int = 0
    budget: int | None = None
    budget_bound: bool = False
    retry_after: float | None = None
    polls: int = 0
    error_reasons: tuple[str, ...] = ()

    @property
    def failing(self) -> bool:
        return self.health is ProviderHealth.FAILING or self.health is ProviderHealth.PARTIAL


_NO_CHANGES: Mapping[SessionKey, frozenset[str]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class StoreDiff:
    """What one write changed for one provider.

    `changed` maps a key to the `Session` field names that differ (plus `STALE` when only the
    session's staleness flipped). `stale_changed`: the provider-wide stale flag flipped, so every
    row of that provider needs re-marking. `events` were also appended to `store.events`.
    """

    provider: str
    added: tuple[SessionKey, ...] = ()
    changed: Mapping[SessionKey, frozenset[str]] = field(default_factory=lambda: _NO_CHANGES)
    removed: tuple[SessionKey, ...] = ()
    status_fields: frozenset[str] = frozenset()  # the `ProviderStatus` fields that changed
    stale_changed: bool = False
    events: tuple[StoreEvent, ...] = ()
    # A poll's write: the sessions that got a history sample, stamped `last_success` (what a
    # recording needs to rebuild the sparklines exactly); None when the write was not a poll.
    sampled: tuple[SessionKey, ...] | None = None

    @property
    def status_changed(self) -> bool:
        return bool(self.status_fields)

    @property
    def sessions_changed(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class Sample(NamedTuple):
    """One history point; a rate is None when the provider did not report it."""

    t: float
    ingest_bps: float | None
    outgoing_bps: float | None


class Counts(NamedTuple):
    total: int
    live: int
    unhealthy: int
    stale: int


class SampleRing:
    """A fixed-capacity ring of samples in two flat arrays (~2 KB for 120 samples).

    Times are doubles; rates are float32 (7 significant digits is plenty for a sparkline), with
    NaN standing for a missing value. Far smaller than a deque of tuples of float objects.
    """

    __slots__ = ("_cap", "_head", "_t", "_v")

    def __init__(self, capacity: int) -> None:
        self._cap = capacity
        self._head = 0
        self._t = array("d")
        self._v = array("f")

    def __len__(self) -> int:
        return len(self._t)

    def append(self, t: float, ingest: float | None, outgoing: float | None) -> None:
        a = _NAN if ingest is None else ingest
        b = _NAN if outgoing is None else outgoing
        if len(self._t) < self._cap:
            self._t.append(t)
            self._v.append(a)
            self._v.append(b)
            return
        head = self._head
        self._t[head] = t
        self._v[2 * head] = a
        self._v[2 * head + 1] = b
        self._head = (head + 1) % self._cap

    def samples(self) -> tuple[Sample, ...]:
        n, head, t, v = len(self._t), self._head, self._t, self._v
        order = [*range(head, n), *range(head)]
        return tuple(Sample(t[i], _none(v[2 * i]), _none(v[2 * i + 1])) for i in order)


_NAN = float("nan")


def _none(x: float) -> float | None:
    return None if x != x else x
