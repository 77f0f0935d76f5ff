"""The absence engine: what the rundown planned against what the store saw. No Textual.

Every monitor says when something breaks; this says when something that should have
happened did not. `Rundown.evaluate(store, now)` judges each `[[rundown]]` item (see
`tui.rundown_config`) and returns the alerts it raises, once each:

- LATE: not live by its start + grace (a call's start is its own `scheduled_at` unless the
  item gives one). A provider that is failing, stale, not answered yet, or answering only in
  part cannot say: the item is UNKNOWN, never late, until it can.
- ENDED EARLY: off air more than the grace before its end. The alert waits for the grace to
  pass after the ending (a reconnect within it is no ending).
- OVERRUNNING: still live `overrun` (10 min) after its end. Items on the same id whose
  slots follow each other share the session: an earlier one never overruns into a later one
  that has started.
- RECORDING: a recorded session of the item whose recording failed, or is not ready 10
  minutes after it ended.

Sessions match an item by their id (a call) or their parent's (a stream's or an entity's
sessions). The engine remembers what it saw (live, the latest end, recordings), so an item
stays "done" after the store has forgotten its sessions. Items whose slot was over an hour
before the rundown was loaded are PAST: the providers list an hour of history, and nothing
is said about what livetop could not see. Items on different ids may overlap freely; each is
judged alone.

All times are compared as instants (UTC): a local time of day is resolved once per load in
this machine's zone, an ISO time carries its own zone, the providers' times are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from tui import format as fmt
from tui.models import Session, SessionKey, SessionState
from tui.rundown_config import RundownEntry, resolve, resolve_end
from tui.store import ProviderHealth, SessionStore, StoreEvent
from tui.store_types import EventKind

HISTORY: Final = 3600.0  # what a provider's listing holds of the past: items older are PAST
OPEN_SLOT: Final = 6 * 3600.0  # an item without an end is judged for this long after its start
RECORDING_WAIT: Final = 600.0  # a recording not ready this long after the end: an alert
_OFF = frozenset({SessionState.ENDED, SessionState.ERRORED})
_NOT_RECORDED = frozenset({"none", ""})


class ItemState(StrEnum):
    """Where a rundown item stands."""

    UPCOMING = "upcoming"
    LIVE = "live"
    LATE = "late"
    ENDED_EARLY = "ended early"
    OVERRUN = "overrunning"
    DONE = "done"
    UNKNOWN = "unknown"
    PAST = "past"


TROUBLE: Final = frozenset({ItemState.LATE, ItemState.ENDED_EARLY, ItemState.OVERRUN})
# The events the engine raises (every one an alert: the rundown is the plan).
ABSENCES: Final = frozenset(
    {EventKind.LATE, EventKind.ENDED_EARLY, EventKind.OVERRUN, EventKind.RECORDING}
)


@dataclass(frozen=True, slots=True)
class ItemView:
    """One item as it stands: its resolved slot, its state and how long (`seconds`: late
    by, on air for, ended early by, overrunning by, or until its start), a note (why it is
    unknown, a recording problem, a late start), and the sessions it matched."""

    index: int
    entry: RundownEntry
    start: datetime | None
    end: datetime | None
    state: ItemState
    seconds: float | None = None
    note: str = ""
    keys: tuple[SessionKey, ...] = ()

    @property
    def trouble(self) -> bool:
        return self.state in TROUBLE

    def headline(self) -> str:
        """The state in a few words: "LATE 3m", "on air 12m", "in 28m", "ENDED EARLY 20m"."""
        span = fmt.duration(self.seconds)
        return {
            ItemState.UPCOMING: f"in {span}" if self.seconds else "due now",
            ItemState.LIVE: f"on air {span}",
            ItemState.LATE: f"LATE {span}",
            ItemState.ENDED_EARLY: f"ENDED EARLY {span}",
            ItemState.OVERRUN: f"OVERRUNNING {span}",
        }.get(self.state, self.state.value)


@dataclass(slots=True)
class _Track:
    """What the engine saw of one item (kept across reloads while the item stays)."""

    scheduled: datetime | None = None  # a call's own start, last seen
    last_live: float | None = None  # the last evaluation it was live
    last_end: float | None = None  # the latest end a record of its sessions gave
    recordings: dict[SessionKey, tuple[float, str]] = field(default_factory=dict)
    alerted: set[str] = field(default_factory=set)


def _identity(entry: RundownEntry) -> tuple[object, ...]:
    return (entry.provider, entry.id, entry.start, entry.end)


class Rundown:
    """Tonight's items and what became of them. `replan` takes a reloaded config's items,
    keeping what was seen of those that stay; `evaluate` judges them all at `now`."""

    def __init__(
        self,
        entries: Sequence[RundownEntry] = (),
        *,
        loaded_at: float,
    ) -> None:
        self._entries: tuple[RundownEntry, ...] = ()
        self._tracks: dict[tuple[object, ...], _Track] = {}
        self._planned: dict[tuple[object, ...], float] = {}  # when livetop first had it
        self._starts: list[datetime | None] = []  # the items' own starts, resolved
        self.views: tuple[ItemView, ...] = ()
        self.replan(entries, loaded_at=loaded_at)

    def __len__(self) -> int:
        return len(self._entries)

    def replan(
        self,
        entries: Sequence[RundownEntry],
        *,
        loaded_at: float,
    ) -> None:
        """Take these items (a config loaded or reloaded at `loaded_at`): local times are read
        against that moment; what was seen of items that stay is kept, and so are the alerts
        already raised (a reload raises nothing twice)."""
        self._entries = tuple(entries)
        self._anchor = datetime.fromtimestamp(loaded_at, UTC)
        tracks, planned = self._tracks, self._planned
        self._tracks, self._planned = {}, {}
        for entry in self._entries:
            identity = _identity(entry)
            self._tracks[identity] = tracks.get(identity) or _Track()
            self._planned[identity] = planned.get(identity, loaded_at)
        self._starts = [resolve(e.start, self._anchor) if e.start else None for e in entries]
        self.views = ()

    # -- judging -------------------------------------------------------------------------

    def evaluate(self, store: SessionStore, now: float) -> list[StoreEvent]:
        """Judge every item at `now` (epoch seconds); the alerts this raises, each once."""
        events: list[StoreEvent] = []
        matches = self._matches(store)
        views = []
        for index, entry in enumerate(self._entries):
            track = self._tracks[_identity(entry)]
            sessions = matches.get((entry.provider, entry.id), [])
            view = self._judge(index, entry, track, sessions, store, now)
            views.append(view)
            if not self._before_watching(view):
                events.extend(self._alerts(view, track, now))
        self.views = tuple(views)
        return events

    def publish(self, store: SessionStore, now: float) -> list[StoreEvent]:
        """`evaluate`, and its alerts published through the store (the event log, the
        screens and the alerts hear them as they hear a poll's)."""
        events = self.evaluate(store, now)
        for provider in dict.fromkeys(e.provider for e in events):
            store.announce(provider, [e for e in events if e.provider == provider])
        return events

    def late_keys(self) -> frozenset[SessionKey]:
        """The sessions of items that are late (the snapshot's `"late": true`)."""
        return frozenset(k for v in self.views if v.state is ItemState.LATE for k in v.keys)

    def _matches(self, store: SessionStore) -> dict[tuple[str, str], list[Session]]:
        """Each item's sessions: its own id's, and its children's (a stream's, an entity's)."""
        wanted: dict[str, set[str]] = {}
        for entry in self._entries:
            wanted.setdefault(entry.provider, set()).add(entry.id)
        found: dict[tuple[str, str], list[Session]] = {}
        for provider, ids in wanted.items():
            for session in store.sessions(provider):
                for id_ in (session.id, session.parent_id):
                    if id_ is not None and id_ in ids:
                        found.setdefault((provider, id_), []).append(session)
        return found

    def _judge(
        self,
        index: int,
        entry: RundownEntry,
        track: _Track,
        sessions: list[Session],
        store: SessionStore,
        now: float,
    ) -> ItemView:
        own = next((s for s in sessions if s.id == entry.id), None)
        if own is not None and own.scheduled_at is not None:
            track.scheduled = own.scheduled_at
        start = self._starts[index] or track.scheduled
        end = resolve_end(entry.end, start, self._anchor) if entry.end else None
        if start is None:
            note = "no start: the call has no scheduled_at" if own else self._unknown(store, entry)
            keys = tuple(s.key for s in sessions)
            return ItemView(index, entry, None, end, ItemState.UNKNOWN, note=note, keys=keys)
        t0 = start.timestamp()
        slot_end = end.timestamp() if end else t0 + OPEN_SLOT
        # A session that went on air after the slot ended is another slot's (a stream on air
        # every night): it is neither this one's overrun nor its show.
        sessions = [
            s for s in sessions if s.started_at is None or s.started_at.timestamp() < slot_end
        ]
        keys = tuple(s.key for s in sessions)
        live = [s for s in sessions if s.is_live]
        for s in sessions:  # what the records say, remembered for when the store forgets them
            off = (s.ended_at or s.last_seen) if s.state in _OFF else None
            if off is not None and off.timestamp() >= t0:
                track.last_end = max(track.last_end or 0.0, off.timestamp())
                if s.recording and s.recording.lower() not in _NOT_RECORDED:
                    track.recordings[s.key] = (off.timestamp(), s.recording.lower())
        if live:
            track.last_live = now

        def view(state: ItemState, seconds: float | None = None, note: str = "") -> ItemView:
            return ItemView(index, entry, start, end, state, seconds, note, keys)

        if live:
            on_air = min((s.started_at or start).timestamp() for s in live)
            if end and now > slot_end + entry.overrun and not self._followed(index, now):
                return view(ItemState.OVERRUN, now - slot_end)
            late = on_air - t0
            note = f"started {fmt.duration(late)} late" if late > entry.grace else ""
            if now < t0:
                note = f"on air before its {_local(start)} start"
            return view(ItemState.LIVE, now - on_air, note)
        off_at = max(track.last_end or 0.0, track.last_live or 0.0)
        recording = self._recording_note(track, now)
        if off_at >= t0:
            if end and off_at < slot_end - entry.grace:
                return view(ItemState.ENDED_EARLY, slot_end - off_at, recording)
            return view(ItemState.DONE, None, recording)
        if self._before_watching(view(ItemState.PAST)):
            return view(ItemState.PAST, None, "over before livetop was watching")
        if now < t0:
            return view(ItemState.UPCOMING, t0 - now)
        unknown = self._unknown(store, entry, own)
        if unknown:
            return view(ItemState.UNKNOWN, None, unknown)
        if now < t0 + entry.grace:
            return view(ItemState.UPCOMING, 0.0)
        return view(ItemState.LATE, now - t0)

    def _before_watching(self, view: ItemView) -> bool:
        """The slot ended more than `HISTORY` before livetop had the item in its plan: what
        the data says of it is shown, but nothing is alerted."""
        if view.start is None:
            return False
        end = view.end.timestamp() if view.end else view.start.timestamp() + OPEN_SLOT
        return end < self._planned[_identity(view.entry)] - HISTORY

    def _followed(self, index: int, now: float) -> bool:
        """A later item on the same id has started: the live session is that one's now."""
        entry, mine = self._entries[index], self._starts[index]
        for other, start in zip(self._entries, self._starts, strict=True):
            same = (other.provider, other.id) == (entry.provider, entry.id)
            if same and start and mine and mine < start and start.timestamp() <= now:
                return True
        return False

    @staticmethod
    def _unknown(store: SessionStore, entry: RundownEntry, own: Session | None = None) -> str:
        """Why the store cannot tell whether the item is on air, or "" when it can."""
        try:
            status = store.status(entry.provider)
        except KeyError:
            return f"provider {fmt.safe_text(entry.provider, 40)} is not polled"
        name = fmt.safe_text(entry.provider, 40)
        if own is not None and not store.is_stale(own.key):
            return ""  # its own record is fresh: that is enough (a call)
        if status.health is ProviderHealth.PENDING or status.last_success is None:
            return f"no answer from {name} yet"
        if status.health is ProviderHealth.FAILING:
            return f"{name} is failing: cannot tell"
        if status.stale:
            return f"{name}'s data is stale: cannot tell"
        if status.health is ProviderHealth.PARTIAL:
            return f"{name} answers only in part: cannot tell"
        return ""

    @staticmethod
    def _recording_note(track: _Track, now: float) -> str:
        for ended, state in track.recordings.values():
            if state == "failed":
                return "recording failed"
            if state != "ready" and now >= ended + RECORDING_WAIT:
                return f"recording not ready {fmt.duration(now - ended)} after the end"
        return ""

    # -- alerts --------------------------------------------------------------------------

    def _alerts(self, view: ItemView, track: _Track, now: float) -> Iterable[StoreEvent]:
        """The events a view raises that were not raised before (per slot and session)."""
        entry, start = view.entry, view.start
        if start is None or view.state is ItemState.PAST:
            return
        slot = f"@{start.timestamp():.0f}"
        clock = _local(start)
        key = SessionKey(entry.provider, entry.id)

        def once(tag: str, kind: EventKind, detail: str) -> StoreEvent | None:
            if tag in track.alerted:
                return None
            track.alerted.add(tag)
            return StoreEvent(now, kind, entry.provider, key, entry.title, detail)

        event = None
        if view.state is ItemState.LATE:
            detail = f"not live {fmt.duration(view.seconds)} after its {clock} start"
            event = once("late" + slot, EventKind.LATE, detail)
        elif view.state is ItemState.ENDED_EARLY and view.end:
            off_for = now - (view.end.timestamp() - (view.seconds or 0.0))
            if off_for >= entry.grace or now >= view.end.timestamp():
                detail = f"off air {fmt.duration(view.seconds)} before its {_local(view.end)} end"
                event = once("early" + slot, EventKind.ENDED_EARLY, detail)
        elif view.state is ItemState.OVERRUN and view.end:
            detail = f"still live {fmt.duration(view.seconds)} after its {_local(view.end)} end"
            event = once("overrun" + slot, EventKind.OVERRUN, detail)
        if event is not None:
            yield event
        for session_key, (ended, state) in track.recordings.items():
            late = state not in ("ready", "failed") and now >= ended + RECORDING_WAIT
            if state == "failed" or late:
                why = (
                    "failed"
                    if state == "failed"
                    else f"not ready {fmt.duration(now - ended)} after the end"
                )
                tag = f"recording:{session_key.id}"
                event = once(tag, EventKind.RECORDING, f"recording {why}")
                if event is not None:
                    yield event


def _local(when: datetime) -> str:
    """A slot time as the operator wrote it: this machine's local time of day."""
    return f"{when.astimezone():%H:%M}"
