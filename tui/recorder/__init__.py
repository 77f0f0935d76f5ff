"""The flight recorder: what the store sees, kept in an SQLite file, replayable, shareable.

- `start_recording(store, settings)` records a console's (or `livetop record`'s) store; the
  handle's `status` says whether it records (and why not), `close()` ends it.
- `Follower` feeds a store live from a recording another process writes (attach: no provider
  requests); `Replayer` makes a store stand as it stood at any recorded moment (replay).
- `Recording` answers headless questions: state at a moment, events, incidents, polls.
- `read_continuity(path)` gives a restarted console its event log and sparkline history back.

No Textual here, and nothing heavy at import: the parts load when first used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.models import SessionKey
    from tui.recorder.db import RecordingError
    from tui.recorder.follow import Follower
    from tui.recorder.reader import Recording
    from tui.recorder.replay import Replayer
    from tui.recorder.status import RecordingStatus
    from tui.recorder.writer import Recorder
    from tui.store import SessionStore
    from tui.store_types import Sample, StoreEvent

__all__ = [
    "Continuity",
    "Follower",
    "Recorder",
    "Recording",
    "RecordingError",
    "RecordingHandle",
    "RecordingStatus",
    "Replayer",
    "default_path",
    "not_recording",
    "read_continuity",
    "start_recording",
]

_LAZY = {
    "Follower": "tui.recorder.follow",
    "Recorder": "tui.recorder.writer",
    "RecordingStatus": "tui.recorder.status",
    "Recording": "tui.recorder.reader",
    "RecordingError": "tui.recorder.db",
    "Replayer": "tui.recorder.replay",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


class RecordingHandle(Protocol):
    """What `start_recording` returns: `status` for the console to show, `reconfigure()` when
    the config is reloaded (whether to record at all is decided at start), `close()` at exit."""

    @property
    def status(self) -> RecordingStatus: ...

    def reconfigure(self, settings: Settings) -> None: ...

    def close(self) -> None: ...


class _NotRecording:
    """Recording is off (`--no-record`, `record = false`)."""

    def __init__(self) -> None:
        from tui.recorder.status import RecordingStatus

        self._status = RecordingStatus("off")

    @property
    def status(self) -> RecordingStatus:
        return self._status

    def reconfigure(self, settings: Settings) -> None:
        pass

    def close(self) -> None:
        pass


def not_recording() -> RecordingHandle:
    """A handle for a console that keeps no recording (attached, replaying, or told not to)."""
    return _NotRecording()


def default_path() -> Path:
    """Where recordings go unless told: `recording.db` in the user data directory (or in
    `$LIVETOP_DATA_DIR`)."""
    from tui.recorder.db import default_path as where

    return where()


def start_recording(
    store: SessionStore, settings: Settings, *, path: Path | None = None
) -> RecordingHandle:
    """Record `store` to `path` (default: `default_path()`) unless `settings.record` is off.

    Never raises and never blocks on the file: opening happens in the recorder's thread, and
    a file that cannot be used shows in `status` (state "stopped", one-line message) while
    the store goes on. Call from the event loop, before or after polling starts.
    """
    if not getattr(settings, "record", True):
        return _NotRecording()
    from tui.recorder.writer import Recorder

    recorder = Recorder(
        store,
        path or default_path(),
        kinds={p.name: p.kind.value for p in settings.providers},
        secrets=settings.secret_values(),
    )
    recorder.start()
    return recorder


@dataclass(frozen=True, slots=True)
class Continuity:
    """What a restarted console gets back from its recording: events and sparkline history."""

    events: list[StoreEvent]
    histories: dict[SessionKey, list[Sample]]

    def apply(self, store: SessionStore, *, before: float | None = None) -> None:
        """Put them in `store` (from the event loop; redraw afterwards). With `before` (when
        the console started), only what was recorded before then, ahead of what the store
        has taken in since (its first polls may have come first; they are kept)."""
        if before is None:
            store.restore(events=self.events, histories=self.histories)
            return
        events = [e for e in self.events if e.time < before]
        events += store.events
        histories: dict[SessionKey, list[Sample]] = {}
        for key, samples in self.histories.items():
            histories[key] = [s for s in samples if s.t < before]
        for session in store.sessions():
            now = store.history(session.key)
            if now:
                histories.setdefault(session.key, []).extend(now)
        store.restore(events=events, histories=histories)


def read_continuity(
    path: Path | None = None, *, history_size: int = 120, event_limit: int = 1000
) -> Continuity:
    """The event log and sparkline history at the end of the recording at `path` (blocking:
    run it in a thread; before or after `start_recording`). An empty `Continuity` when there
    is no recording yet; a recording that cannot be read raises `RecordingError` (one line)."""
    from tui.recorder.reader import Recording

    where = path or default_path()
    if not where.exists():
        return Continuity([], {})
    with Recording(where) as rec:
        bounds = rec.bounds()
        if bounds is None:
            return Continuity([], {})
        # Sparklines as the last poll left them: a console that already started recording
        # (a new run, nothing polled yet) still gets the previous run's.
        last_poll = rec.next_poll(bounds[1] + 1.0, forward=False) or bounds[1]
        events = rec.events(until=bounds[1], last=event_limit)
        return Continuity(events, rec.histories(last_poll, size=history_size))


async def continue_from(store: SessionStore, path: Path | None, before: float) -> bool:
    """A restarted console's event log and sparklines: `read_continuity` (in a thread) put in
    `store` ahead of what it took in since `before` (its start). False, changing nothing,
    when the recording cannot be read (the recorder's status says why)."""
    import asyncio

    from tui.recorder.db import RecordingError

    try:
        found = await asyncio.to_thread(read_continuity, path)
    except RecordingError:
        return False
    found.apply(store, before=before)
    return True
