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
VIEWERS_LATE = 30.0
"""Seconds after which viewer counts are said to be old (`ProviderStatus.viewers_late`)."""


class EventKind(StrEnum):
    """What an event reports."""

    WENT_LIVE = "went_live"
    UNHEALTHY = "unhealthy"
    RECOVERED = "recovered"
    ENDED = "ended"
    PROVIDER_FAILED = "provider_failed"
    PROVIDER_RECOVERED = "provider_recovered"
    # What did not happen, from the rundown (`tui.absence`): not live by its start + grace,
    # off air before its end, still live long after it, a recording failed or not ready.
    LATE = "late"
    ENDED_EARLY = "ended_early"
    OVERRUN = "overrun"
    RECORDING = "recording"


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
    `viewers_at` is when the viewer counts on its sessions were measured (None: it has none),
    `notice` a remark on the last poll that is not a failure ("viewers need a private key (403)").
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
    viewers_at: float | None = None
    notice: str | None = None

    @property
    def failing(self) -> bool:
        return self.health is ProviderHealth.FAILING or self.health is ProviderHealth.PARTIAL

    def viewers_late(self, now: float) -> float | None:
        """The viewer counts' age when it is more than a poll or two (they come beside the
        polls, so one interval old is on time), else None."""
        if self.viewers_at is None:
            return None
        age = now - self.viewers_at
        return age if age > max(VIEWERS_LATE, 2.0 * self.interval) else None


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
    # A recording's whole moment put at once (a replay's seek, a follower's new run): what
    # differs from before is not news (no "just live" marks, no alerts), as in a first load.
    reloaded: bool = False

    @property
    def status_changed(self) -> bool:
        return bool(self.status_fields)

    @property
    def sessions_changed(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class Sample(NamedTuple):
    """One history point; a value is None when the provider did not report it."""

    t: float
    ingest_bps: float | None
    outgoing_bps: float | None
    viewers: float | None = None


class Counts(NamedTuple):
    """Sessions listed, live, unhealthy (and not ended), stale; `affected`: viewers of the
    unhealthy ones, None when none of them has a known count."""

    total: int
    live: int
    unhealthy: int
    stale: int
    affected: int | None = None


class SampleRing:
    """A fixed-capacity ring of samples in flat arrays (~2.2 KB for 120 samples, ~2.8 KB once
    a viewer count has come: that third array is made only then).

    Times are doubles; rates and counts are float32 (7 significant digits is plenty for a
    sparkline), with NaN standing for a missing value. Far smaller than a deque of tuples of
    float objects.
    """

    __slots__ = ("_cap", "_head", "_t", "_v", "_w")

    def __init__(self, capacity: int) -> None:
        self._cap = capacity
        self._head = 0
        self._t = array("d")
        self._v = array("f")
        self._w: array[float] | None = None  # viewers, once any came

    def __len__(self) -> int:
        return len(self._t)

    def append(
        self, t: float, ingest: float | None, outgoing: float | None, viewers: float | None = None
    ) -> None:
        a = _NAN if ingest is None else ingest
        b = _NAN if outgoing is None else outgoing
        w = self._w
        if w is None and viewers is not None:
            w = self._w = array("f", [_NAN]) * len(self._t)
        c = _NAN if viewers is None else viewers
        if len(self._t) < self._cap:
            self._t.append(t)
            self._v.append(a)
            self._v.append(b)
            if w is not None:
                w.append(c)
            return
        head = self._head
        self._t[head] = t
        self._v[2 * head] = a
        self._v[2 * head + 1] = b
        if w is not None:
            w[head] = c
        self._head = (head + 1) % self._cap

    def samples(self) -> tuple[Sample, ...]:
        n, head, t, v, w = len(self._t), self._head, self._t, self._v, self._w
        order = [*range(head, n), *range(head)]
        if w is None:
            return tuple(Sample(t[i], _none(v[2 * i]), _none(v[2 * i + 1])) for i in order)
        return tuple(Sample(t[i], _none(v[2 * i]), _none(v[2 * i + 1]), _none(w[i])) for i in order)


_NAN = float("nan")


def _none(x: float) -> float | None:
    return None if x != x else x
