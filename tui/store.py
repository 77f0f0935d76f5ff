"""SessionStore: every provider's sessions in one observable place, with history and events.

Writers are the refresher (`apply`, `fail`, `set_schedule`, `tick`) and drill-downs (`upsert`).
Readers are widgets and `livetop snapshot`. Every write publishes one `StoreDiff`.

Subscribers are plain callables, called synchronously, in subscription order, after the store's
state is updated. The store never awaits a subscriber, so no subscriber can suspend a fetch; a
subscriber must be cheap (post a Textual message, set a flag) and may coalesce bursts itself.
An exception in a subscriber is logged and swallowed.

Rules the store keeps:
- A failed fetch never wipes data: the provider's sessions stay, marked stale, until it recovers.
- A partial fetch (`FetchResult.errors`) upserts what came and removes nothing; the sessions it
  did not return turn stale one by one (`"stale"` appears among their changed fields).
- A complete fetch removes the sessions it no longer contains, except sessions a drill-down
  (`upsert`) brought in less than `retention` ago.
- Ended sessions are forgotten `retention` seconds after the store first saw them ended; a
  tombstone keeps a forgotten session from coming back while the provider still lists it ended.
- A provider's first data is its initial load and emits no session events (the table and the
  counts show that state); transitions seen after it do.
- History: each poll adds one (t, ingest, outgoing, viewers) sample to a session's bounded ring
  when a rate or a count is present (~2.3 KB a session with 120 samples, ~2.8 KB with viewer
  counts).

The value types (diffs, events, statuses, the sample ring) live in `tui.store_types` and are
re-exported here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from operator import attrgetter
from types import MappingProxyType

from tui.clock import Clock, SystemClock
from tui.models import FetchResult, Session, SessionKey, SessionState
from tui.store_types import (
    STALE,
    Counts,
    EventKind,
    ProviderHealth,
    ProviderStatus,
    Sample,
    SampleRing,
    StoreDiff,
    StoreEvent,
)

__all__ = [
    "STALE",
    "Counts",
    "EventKind",
    "ProviderHealth",
    "ProviderStatus",
    "Sample",
    "SampleRing",
    "SessionStore",
    "StoreDiff",
    "StoreEvent",
]

log = logging.getLogger("livetop.store")

Subscriber = Callable[[StoreDiff], None]
_SLOW_SUBSCRIBER = 0.05  # seconds: a subscriber this slow stalls the UI for several frames

_FIELDS = tuple(f.name for f in dataclasses.fields(Session))
_ALL_FIELDS = frozenset(_FIELDS)
_values = attrgetter(*_FIELDS)
_LIVE, _ENDED = SessionState.LIVE, SessionState.ENDED


class _ProviderData:
    """Mutable per-provider state, keyed by the provider's session id (cheaper than tuples)."""

    __slots__ = (
        "adhoc",
        "counts",
        "ended_since",
        "forgotten",
        "history",
        "loaded",
        "merging",
        "missing",
        "sessions",
        "status",
    )

    def __init__(self, name: str, interval: float) -> None:
        self.sessions: dict[str, Session] = {}
        self.history: dict[str, SampleRing] = {}
        self.missing: set[str] = set()  # not in the last (partial) fetch: stale
        self.ended_since: dict[str, float] = {}  # when the store first saw it ended
        self.adhoc: dict[str, float] = {}  # drill-down sessions: time of the on-demand fetch
        self.forgotten: set[str] = set()  # tombstones of ended sessions past retention
        self.loaded = False
        self.merging = False
        self.counts: Counts | None = None
        self.status = ProviderStatus(name, interval=interval)


class _Merge:
    """What merging one batch of sessions found (by session id)."""

    __slots__ = (
        "added",
        "changed",
        "events",
        "fetched",
        "polled",
        "removed",
        "sampled",
        "since",
        "tombstones",
    )

    def __init__(self) -> None:
        self.since: float | None = None  # events seen after an outage happened since then
        self.fetched: dict[str, Session] = {}
        self.added: list[str] = []
        self.sampled: list[str] = []
        self.polled = False  # a scheduled poll's merge (its diff says what it sampled)
        self.changed: dict[str, frozenset[str]] = {}
        self.removed: list[str] = []
        self.tombstones: set[str] = set()  # forgotten ids the fetch still lists (ended)
        self.events: list[StoreEvent] = []

    def mark(self, sid: str, field_name: str) -> None:
        self.changed[sid] = self.changed.get(sid, frozenset()) | {field_name}


class SessionStore:
    """Sessions keyed by (provider, id), with provider status, staleness, history and events.

    Times are wall-clock epoch seconds from `clock.time()`. `history_size` caps the samples kept
    per session, `event_limit` the event log, `retention` how long ended (and drill-down)
    sessions are kept. A provider is stale at once when its last poll failed, and when its last
    success is older than `stale_after` intervals plus its last latency (checked by `tick()`).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        history_size: int = 120,
        event_limit: int = 1000,
        retention: float = 600.0,
        stale_after: float = 3.0,
        default_interval: float = 2.0,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._history_size = max(1, history_size)
        self._retention = retention
        self._stale_after = stale_after
        self._default_interval = default_interval
        self._providers: dict[str, _ProviderData] = {}
        self._events: deque[StoreEvent] = deque(maxlen=max(1, event_limit))
        self._subscribers: list[Subscriber] = []

    # -- subscribing ------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(diff)` after every change; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _publish(self, diff: StoreDiff) -> StoreDiff:
        self._events.extend(diff.events)
        for callback in tuple(self._subscribers):
            started = time.perf_counter()
            try:
                callback(diff)
            except Exception:
                log.exception("store subscriber %r failed", callback)
            spent = time.perf_counter() - started
            if spent > _SLOW_SUBSCRIBER:  # real time on purpose: this is about the event loop
                log.warning(
                    "store subscriber %r took %.0f ms; keep it cheap", callback, spent * 1e3
                )
        return diff

    # -- reading ----------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The clock the store stamps statuses, events and samples with."""
        return self._clock

    @property
    def providers(self) -> tuple[str, ...]:
        """Provider names in the order they were registered or first written."""
        return tuple(self._providers)

    def get(self, key: SessionKey) -> Session | None:
        data = self._providers.get(key.provider)
        return None if data is None else data.sessions.get(key.id)

    def __contains__(self, key: object) -> bool:
        if not (isinstance(key, tuple) and len(key) == 2):
            return False
        return self.get(SessionKey(*key)) is not None

    def __len__(self) -> int:
        return sum(len(data.sessions) for data in self._providers.values())

    def sessions(self, provider: str | None = None) -> list[Session]:
        """A snapshot list of every session, or of one provider's (empty if unknown)."""
        if provider is not None:
            data = self._providers.get(provider)
            return [] if data is None else list(data.sessions.values())
        return [s for data in self._providers.values() for s in data.sessions.values()]

    def status(self, provider: str) -> ProviderStatus:
        """One provider's status; `KeyError` if the store has never heard of it."""
        return self._providers[provider].status

    def statuses(self) -> tuple[ProviderStatus, ...]:
        return tuple(data.status for data in self._providers.values())

    def listed(self, key: SessionKey) -> bool:
        """True when the provider's poll lists this session; False for one that only a
        drill-down fetched (an entity's whole history), which the main list and the counts
        leave out."""
        data = self._providers.get(key.provider)
        return data is not None and key.id in data.sessions and key.id not in data.adhoc

    def is_stale(self, key: SessionKey) -> bool:
        """True while the session's provider is stale or its last partial fetch missed it."""
        data = self._providers.get(key.provider)
        return data is not None and (data.status.stale or key.id in data.missing)

    def missing(self, provider: str) -> frozenset[str]:
        """Ids of the provider's sessions its last (partial) fetch did not return."""
        data = self._providers.get(provider)
        return frozenset() if data is None else frozenset(data.missing)

    def history(self, key: SessionKey) -> tuple[Sample, ...]:
        """The session's (t, ingest_bps, outgoing_bps) samples, oldest first."""
        data = self._providers.get(key.provider)
        ring = None if data is None else data.history.get(key.id)
        return () if ring is None else ring.samples()

    @property
    def events(self) -> Sequence[StoreEvent]:
        """The bounded event log, newest last (a live view: copy it before awaiting)."""
        return self._events

    def counts(self, provider: str | None = None) -> Counts:
        """Sessions, live, unhealthy (healthy is False and not ended), stale, and the viewers
        of the unhealthy ones; cached."""
        if provider is not None and provider not in self._providers:
            return Counts(0, 0, 0, 0)
        datas = self._providers.values() if provider is None else [self._providers[provider]]
        totals = [0, 0, 0, 0]
        affected: int | None = None
        for data in datas:
            if data.counts is None:
                data.counts = _count(data)
            for i, n in enumerate(data.counts[:4]):
                totals[i] += n
            if data.counts.affected is not None:
                affected = (affected or 0) + data.counts.affected
        return Counts(totals[0], totals[1], totals[2], totals[3], affected)

    # -- writing: polls ---------------------------------------------------------------------

    def register(self, provider: str, *, interval: float | None = None) -> StoreDiff:
        """Make a provider known (status pending) or set the interval its staleness uses."""
        data = self._data(provider)
        old = data.status
        if interval is not None:
            data.status = replace(old, interval=interval)
        return self._finish(data, old, self._clock.time(), _Merge())

    def set_pace(
        self, provider: str, *, interval: float, budget: int | None, budget_bound: bool
    ) -> StoreDiff | None:
        """Record the pace a provider is polled at and whether its budget sets it; None, and
        nothing published, when nothing changed."""
        data = self._data(provider)
        old = data.status
        new = replace(old, interval=interval, budget=budget, budget_bound=budget_bound)
        if new == old:
            return None
        data.status = new
        return self._finish(data, old, self._clock.time(), _Merge())

    def apply(
        self,
        provider: str,
        result: FetchResult,
        *,
        latency: float | None = None,
        next_poll: float | None = None,
    ) -> StoreDiff:
        """Merge one scheduled poll's result (complete: authoritative; partial: upsert only)."""
        data, merge, now = self._data(provider), _Merge(), self._clock.time()
        self._merge(data, result.sessions, now, merge, poll=True)
        return self._commit(data, merge, now, result, latency, next_poll)

    async def apply_async(
        self,
        provider: str,
        result: FetchResult,
        *,
        latency: float | None = None,
        next_poll: float | None = None,
        slice_size: int = 1000,
    ) -> StoreDiff:
        """`apply` in slices with an event-loop turn between them.

        Merging 10k fresh sessions costs tens of ms; slices of 1,000 keep each stall of the UI
        to a few ms. Freeing the previous poll's objects gets a turn of its own, after the diff.
        """
        data, merge, now = self._data(provider), _Merge(), self._clock.time()
        sessions, step = result.sessions, max(1, slice_size)
        data.merging = True  # tick() must not purge under a merge in progress
        try:
            for start in range(0, len(sessions), step):
                if start:
                    await asyncio.sleep(0)
                self._merge(data, sessions[start : start + step], now, merge, poll=True)
        finally:
            data.merging = False
        previous = data.sessions
        diff = self._commit(data, merge, now, result, latency, next_poll)
        if previous is not data.sessions and len(previous) > step:
            await asyncio.sleep(0)
            del previous  # thousands of deallocations: not in the same turn as the merge
        return diff

    def _commit(
        self,
        data: _ProviderData,
        merge: _Merge,
        now: float,
        result: FetchResult,
        latency: float | None,
        next_poll: float | None,
    ) -> StoreDiff:
        fetched, missing, provider = merge.fetched, data.missing, data.status.name
        if result.complete:
            for sid, old in data.sessions.items():
                if sid in fetched:
                    continue
                if sid in data.adhoc:
                    fetched[sid] = old  # a drill-down's session, not part of the poll
                    continue
                merge.removed.append(sid)
                if data.loaded and old.state is _LIVE:
                    key = SessionKey(provider, sid)
                    merge.events.append(
                        StoreEvent(
                            now, EventKind.ENDED, provider, key, old.name, "gone", merge.since
                        )
                    )
            for sid in merge.removed:
                self._drop(data, sid)
            for sid in missing:
                merge.mark(sid, STALE)
            missing.clear()
            data.sessions = fetched
            data.forgotten = merge.tombstones
        else:
            data.sessions.update(fetched)
            for sid in data.sessions:
                gone = sid not in fetched and sid not in data.adhoc
                if gone != (sid in missing):
                    merge.mark(sid, STALE)
                    (missing.add if gone else missing.discard)(sid)
        data.loaded, merge.polled = True, True
        merge.removed.extend(self._purge(data, now))
        old_status = data.status
        message, detail = _describe_errors(result.errors)
        data.status = replace(
            old_status,
            health=ProviderHealth.OK if result.complete else ProviderHealth.PARTIAL,
            last_success=now,
            last_attempt=now,
            last_error=message,
            error_detail=detail,
            consecutive_failures=0,
            last_latency=latency if latency is not None else old_status.last_latency,
            next_poll=next_poll,
            polling_since=None,
            skipped=result.skipped,
            retry_after=max((_asked(e) or 0.0 for e in result.errors), default=0.0) or None,
            polls=old_status.polls + 1,
            error_reasons=tuple(_reason(e) for e in result.errors),
            viewers_at=None if result.viewers_at is None else result.viewers_at.timestamp(),
            notice=result.notice,
        )
        return self._finish(data, old_status, now, merge)

    def fail(
        self,
        provider: str,
        error: BaseException | str,
        *,
        latency: float | None = None,
        next_poll: float | None = None,
    ) -> StoreDiff:
        """Record a failed poll: keep every session, mark the provider failing and stale."""
        now = self._clock.time()
        data = self._data(provider)
        message, detail = _describe(error)
        old_status = data.status
        data.status = replace(
            old_status,
            health=ProviderHealth.FAILING,
            last_attempt=now,
            last_error=message,
            error_detail=detail,
            consecutive_failures=old_status.consecutive_failures + 1,
            last_latency=latency if latency is not None else old_status.last_latency,
            next_poll=next_poll,
            polling_since=None,
            retry_after=_asked(error),
            polls=old_status.polls + 1,
            error_reasons=(_reason(error),),
        )
        merge = _Merge()
        merge.removed = self._purge(data, now)
        return self._finish(data, old_status, now, merge)

    def set_schedule(
        self, provider: str, *, next_poll: float | None, polling: bool = False
    ) -> StoreDiff | None:
        """Record when the next poll is due (None: paused or in flight) and whether one runs.

        Returns None, publishing nothing, when neither changed.
        """
        data = self._data(provider)
        old = data.status
        since = (old.polling_since or self._clock.time()) if polling else None
        if old.next_poll == next_poll and old.polling_since == since:
            return None
        data.status = replace(old, next_poll=next_poll, polling_since=since)
        return self._finish(data, old, self._clock.time(), _Merge())

    def tick(self) -> list[StoreDiff]:
        """Re-check age-based staleness and forget what is past retention; call about 1/s."""
        now = self._clock.time()
        diffs = []
        for data in self._providers.values():
            if data.merging:
                continue
            merge = _Merge()
            merge.removed = self._purge(data, now)
            if merge.removed or self._is_stale_now(data.status, now) != data.status.stale:
                diffs.append(self._finish(data, data.status, now, merge))
        return diffs

    def forget(self, provider: str) -> StoreDiff | None:
        """Drop a provider and all it brought (it left the config); None if it was unknown."""
        data = self._providers.pop(provider, None)
        if data is None:
            return None
        removed = tuple(SessionKey(provider, sid) for sid in data.sessions)
        return self._publish(StoreDiff(provider, removed=removed, status_fields=_GONE))

    def reloaded(self, provider: str) -> None:
        """The provider's config changed (other ids, another account): its next poll is taken
        as a first load, so what the config dropped goes without an "ended" event."""
        data = self._providers.get(provider)
        if data is not None:
            data.loaded = False

    def announce(self, provider: str, events: Sequence[StoreEvent]) -> StoreDiff:
        """Publish events no poll made (the rundown's absence alerts): they join the event
        log and reach every subscriber as a poll's do."""
        return self._publish(StoreDiff(provider, events=tuple(events)))

    # -- writing: drill-down ----------------------------------------------------------------

    def upsert(self, provider: str, sessions: Iterable[Session]) -> StoreDiff:
        """Add or update sessions from an on-demand fetch; never removes, never samples.

        Sessions the poll does not list are kept for `retention` after their last upsert.
        """
        now = self._clock.time()
        data = self._data(provider)
        merge = _Merge()
        self._merge(data, sessions, now, merge, poll=False)
        for sid in merge.added:
            data.adhoc[sid] = now
        for sid in merge.fetched:
            if sid in data.adhoc:
                data.adhoc[sid] = now
            if sid in data.missing:
                data.missing.discard(sid)
                merge.mark(sid, STALE)
        data.sessions.update(merge.fetched)
        return self._finish(data, data.status, now, merge)

    # -- writing: recordings ----------------------------------------------------------------

    def mirror(
        self,
        provider: str,
        *,
        status: ProviderStatus | None = None,
        put: Iterable[Session] = (),
        drop: Iterable[str] = (),
        missing: Iterable[str] | None = None,
        sampled: Iterable[str] | None = None,
        events: Sequence[StoreEvent] = (),
        reloaded: bool = False,
    ) -> StoreDiff:
        """Set one provider's state as a recording says it was, and publish what changed.

        For consoles fed by a recording (no provider is asked): `put` adds or replaces
        sessions, `drop` removes ids, `missing` (when given) is the exact set of ids the last
        partial fetch missed, `status` is taken as is (staleness included), `sampled` (a
        poll's) ids get a history sample of their current rates at `status.last_success`, and
        `events` join the log. No retention, staleness or transition rule runs: the recording
        holds their outcome. `reloaded`: a whole moment put at once (see `StoreDiff`); a
        session that is not the very same object counts as changed in every field.
        """
        data, merge = self._data(provider), _Merge()
        old_status, sessions = data.status, data.sessions
        for session in put:
            sid = session.id
            prev = sessions.get(sid)
            if prev is session:
                continue
            if prev is None:
                merge.added.append(sid)
            elif reloaded:  # not compared: a recording's details would be decoded to compare
                merge.changed[sid] = _ALL_FIELDS
            elif prev != session:
                merge.changed[sid] = _changed(prev, session)
            sessions[sid] = session
        for sid in drop:
            if sid in sessions:
                self._drop(data, sid)
                merge.removed.append(sid)
        if missing is not None:
            wanted = {sid for sid in missing if sid in sessions}
            for sid in wanted.symmetric_difference(data.missing):
                merge.mark(sid, STALE)
            data.missing = wanted
        if status is not None:
            data.status = status
        when = data.status.last_success
        for sid in sampled or ():
            sampled_session = sessions.get(sid)
            if sampled_session is None or when is None:
                continue
            ring = data.history.get(sid)
            if ring is None:
                ring = data.history[sid] = SampleRing(self._history_size)
            ingest, outgoing = sampled_session.ingest_bps, sampled_session.outgoing_bps
            ring.append(when, ingest, outgoing, sampled_session.viewers)
            merge.sampled.append(sid)
        data.loaded, data.counts = True, None
        merge.events.extend(events)
        status, name = data.status, data.status.name
        diff = StoreDiff(
            provider=name,
            added=tuple(SessionKey(name, sid) for sid in merge.added),
            changed=MappingProxyType(
                {SessionKey(name, sid): fields for sid, fields in merge.changed.items()}
            ),
            removed=tuple(SessionKey(name, sid) for sid in merge.removed),
            status_fields=_status_fields(old_status, status),
            stale_changed=status.stale != old_status.stale,
            events=tuple(merge.events),
            sampled=None if sampled is None else tuple(SessionKey(name, s) for s in merge.sampled),
            reloaded=reloaded,
        )
        return self._publish(diff)

    def restore(
        self,
        *,
        events: Iterable[StoreEvent] | None = None,
        histories: Mapping[SessionKey, Iterable[Sample]] | None = None,
    ) -> None:
        """Bring back what a recording kept, publishing nothing (redraw afterwards).

        `events` replaces the event log. `histories` replaces every session's samples; a
        history for a session not in the store yet waits for it (a restarted console gets its
        sparklines back before its first poll lists the sessions); a provider the store does
        not know is skipped.
        """
        if events is not None:
            self._events.clear()
            self._events.extend(events)
        if histories is None:
            return
        for data in self._providers.values():
            data.history.clear()
        for key, samples in histories.items():
            ring = SampleRing(self._history_size)
            for sample in samples:
                ring.append(*sample)
            known = self._providers.get(key.provider)
            if known is not None and len(ring):
                known.history[key.id] = ring

    # -- internals --------------------------------------------------------------------------

    def _data(self, provider: str) -> _ProviderData:
        data = self._providers.get(provider)
        if data is None:
            data = self._providers[provider] = _ProviderData(provider, self._default_interval)
        return data

    def _merge(
        self,
        data: _ProviderData,
        sessions: Iterable[Session],
        now: float,
        merge: _Merge,
        *,
        poll: bool,
    ) -> None:
        """Compare incoming sessions with the stored ones, naming the fields that changed.

        This loop is the hot path (10k sessions every 2 s): keep the per-item work small.
        """
        fetched, old, history, adhoc = merge.fetched, data.sessions, data.history, data.adhoc
        name, announce, cap = data.status.name, data.loaded, self._history_size
        if poll and data.status.stale and data.loaded:
            # After an outage a change is seen late: it happened since the last good poll.
            merge.since = data.status.last_success
        since = merge.since
        foreign = 0
        for session in sessions:
            sid = session.id
            if sid in fetched:
                continue  # a duplicate across pages: the first (newest) wins
            if session.provider != name:
                foreign += 1
                continue
            prev = old.get(sid)
            # Identity first: a client hands back the very object it gave last time for a record
            # that did not change; then dataclass equality; field by field only if unequal.
            if prev is not session and (prev is None or prev != session):
                if prev is None:
                    if sid in data.forgotten:
                        if poll and session.state is _ENDED:
                            merge.tombstones.add(sid)
                            continue
                        data.forgotten.discard(sid)
                    merge.added.append(sid)
                else:
                    merge.changed[sid] = _changed(prev, session)
                if prev is None or prev.state is not session.state:
                    if session.state is _ENDED:
                        data.ended_since.setdefault(sid, now)
                    else:
                        data.ended_since.pop(sid, None)
                if announce and (poll or prev is not None):
                    _transitions(merge.events, now, SessionKey(name, sid), prev, session, since)
            fetched[sid] = session
            if not poll:
                continue
            if adhoc:
                adhoc.pop(sid, None)  # the poll lists it now: an ordinary session
            # Only live sessions are sampled: an ended one's rates are frozen, and sampling
            # them would draw a flat line that looks like a healthy stream.
            if session.state is not SessionState.LIVE:
                continue
            ingest, outgoing, count = session.ingest_bps, session.outgoing_bps, session.viewers
            if ingest is not None or outgoing is not None or count is not None:
                ring = history.get(sid)
                if ring is None:
                    ring = history[sid] = SampleRing(cap)
                ring.append(now, ingest, outgoing, count)
                merge.sampled.append(sid)
        if foreign:
            log.warning("provider %s returned %d sessions of another provider", name, foreign)

    def _drop(self, data: _ProviderData, sid: str) -> None:
        data.sessions.pop(sid, None)
        data.history.pop(sid, None)
        data.missing.discard(sid)
        data.ended_since.pop(sid, None)
        data.adhoc.pop(sid, None)

    def _purge(self, data: _ProviderData, now: float) -> list[str]:
        """Forget ended sessions and drill-down sessions older than the retention."""
        cutoff = now - self._retention
        ended = [sid for sid, t in data.ended_since.items() if t <= cutoff]
        for sid in ended:
            self._drop(data, sid)
            data.forgotten.add(sid)
        stray = [sid for sid, t in data.adhoc.items() if t <= cutoff]
        for sid in stray:
            self._drop(data, sid)
        return [*ended, *stray]

    def _is_stale_now(self, status: ProviderStatus, now: float) -> bool:
        if status.health is ProviderHealth.FAILING:
            return True
        if status.last_success is None:
            return False
        limit = self._stale_after * status.interval + (status.last_latency or 0.0)
        return now - status.last_success > limit

    def _finish(
        self,
        data: _ProviderData,
        old_status: ProviderStatus,
        now: float,
        merge: _Merge,
    ) -> StoreDiff:
        """Settle status (staleness, counts, provider events) and publish the diff."""
        status, events = data.status, merge.events
        stale = self._is_stale_now(status, now)
        name = status.name
        listed = len(data.sessions) - len(data.adhoc)
        if stale != status.stale or status.session_count != listed:
            status = data.status = replace(status, stale=stale, session_count=listed)
        if status.failing and not old_status.failing:
            detail = status.last_error or ""
            events.append(StoreEvent(now, EventKind.PROVIDER_FAILED, name, None, name, detail))
        elif old_status.failing and not status.failing:
            detail = _recovery_detail(old_status)
            events.append(StoreEvent(now, EventKind.PROVIDER_RECOVERED, name, None, name, detail))
        data.counts = None
        diff = StoreDiff(
            provider=name,
            added=tuple(SessionKey(name, sid) for sid in merge.added),
            changed=MappingProxyType(
                {SessionKey(name, sid): fields for sid, fields in merge.changed.items()}
            ),
            removed=tuple(SessionKey(name, sid) for sid in merge.removed),
            status_fields=_status_fields(old_status, status),
            stale_changed=status.stale != old_status.stale,
            events=tuple(events),
            sampled=tuple(SessionKey(name, s) for s in merge.sampled) if merge.polled else None,
        )
        return self._publish(diff)


_STATUS_FIELDS = tuple(f.name for f in dataclasses.fields(ProviderStatus))
_GONE = frozenset({"name"})  # a forgotten provider: its whole status went


def _status_fields(old: ProviderStatus, new: ProviderStatus) -> frozenset[str]:
    """The names of the status fields that differ."""
    if old == new:
        return frozenset()
    return frozenset(f for f in _STATUS_FIELDS if getattr(old, f) != getattr(new, f))


def _changed(prev: Session, cur: Session) -> frozenset[str]:
    """The names of the fields that differ between two unequal sessions."""
    a, b = _values(prev), _values(cur)
    return frozenset(f for f, x, y in zip(_FIELDS, a, b, strict=True) if x != y)


def _transitions(
    events: list[StoreEvent],
    now: float,
    key: SessionKey,
    prev: Session | None,
    cur: Session,
    since: float | None = None,
) -> None:
    """The events one session's change means: went live, ended, unhealthy, recovered."""
    provider, name = cur.provider, cur.name
    if cur.state is _LIVE and (prev is None or prev.state is not _LIVE):
        events.append(StoreEvent(now, EventKind.WENT_LIVE, provider, key, name, "", since))
    elif cur.state is _ENDED and prev is not None and prev.state is not _ENDED:
        events.append(StoreEvent(now, EventKind.ENDED, provider, key, name, "", since))
    was_unhealthy = prev is not None and prev.healthy is False
    if cur.healthy is False and not was_unhealthy and cur.state is not _ENDED:
        detail = "; ".join(cur.issues) or "unhealthy"
        events.append(StoreEvent(now, EventKind.UNHEALTHY, provider, key, name, detail, since))
    elif was_unhealthy and cur.healthy is True:
        events.append(StoreEvent(now, EventKind.RECOVERED, provider, key, name, "", since))


def _count(data: _ProviderData) -> Counts:
    """What the provider's polls list (not what drill-downs fetched besides)."""
    live = unhealthy = 0
    affected: int | None = None
    adhoc = data.adhoc
    for sid, s in data.sessions.items():
        if sid in adhoc:
            continue
        if s.state is _LIVE:
            live += 1
        if s.healthy is False and s.state is not _ENDED:
            unhealthy += 1
            if s.viewers is not None:
                affected = (affected or 0) + s.viewers
    total = len(data.sessions) - len(adhoc)
    missing = len(data.missing - adhoc.keys())
    return Counts(total, live, unhealthy, total if data.status.stale else missing, affected)


def _describe(error: BaseException | str) -> tuple[str, str]:
    """(the provider's own message, a one-line text naming provider and endpoint)."""
    if isinstance(error, str):
        return error, error
    message = getattr(error, "message", None)
    text = str(error) or type(error).__name__
    return (message if isinstance(message, str) and message else text), text


def _asked(error: BaseException | str) -> float | None:
    """The wait a server asked for with this failure, if it did."""
    value = getattr(error, "retry_after", None)
    return value if isinstance(value, float | int) and not isinstance(value, bool) else None


def _reason(error: BaseException | str) -> str:
    """`ProviderError.reason`; anything else (a string, another exception) is livetop's own."""
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, str) else "internal"


def _describe_errors(errors: Sequence[BaseException]) -> tuple[str | None, str | None]:
    if not errors:
        return None, None
    message, detail = _describe(errors[0])
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return message + more, detail + more


def _recovery_detail(was: ProviderStatus) -> str:
    """How a provider that was failing (or partly failing) came back, for the event log."""
    n = was.consecutive_failures
    if was.health is ProviderHealth.PARTIAL or n == 0:
        return "every watched id answers again"
    return f"after {n} failed poll{'' if n == 1 else 's'}"
