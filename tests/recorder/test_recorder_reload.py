"""A config reloaded while the console records: the new keys are never written either, a
provider that left is recorded as gone (not an error), and the rundown's events are kept."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tui.clock import FakeClock
from tui.config import settings_from_dict
from tui.models import FetchResult, ProviderKind, Session, SessionKey, SessionState
from tui.recorder.reader import Recording
from tui.recorder.writer import Recorder
from tui.store import EventKind, SessionStore, StoreEvent

OLD_KEY = "old-key-0123456789"
NEW_KEY = "new-key-9876543210"


def live(provider: str, sid: str, note: str = "") -> Session:
    return Session(
        provider, ProviderKind.CALLS, sid, sid, SessionState.LIVE, details={"note": note}
    )


async def test_a_reload_while_recording(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    store = SessionStore(clock=clock)
    store.register("calls")
    store.register("old")
    path = tmp_path / "recording.db"
    recorder = Recorder(store, path, kinds={"calls": "calls", "old": "calls"}, secrets=[OLD_KEY])
    recorder.start()
    store.apply("calls", FetchResult((live("calls", "c1"),)))
    store.apply("old", FetchResult((live("old", "o1"),)))
    await clock.advance(1.0)
    # The reload: "old" leaves, "new" comes with a key of its own.
    data = {
        "providers": [
            {"name": "calls", "kind": "calls", "api_key": OLD_KEY, "call_ids": ["c1"]},
            {"name": "new", "kind": "calls", "api_key": NEW_KEY, "call_ids": ["n1"]},
        ]
    }
    recorder.reconfigure(settings_from_dict(data, environ={}))
    with caplog.at_level(logging.ERROR):
        store.forget("old")
    assert not [r for r in caplog.records if "subscriber" in r.getMessage()]
    store.register("new")
    store.apply("new", FetchResult((live("new", "n1", f"a leak: {NEW_KEY}"),)))
    late = StoreEvent(
        clock.time(),
        EventKind.LATE,
        "calls",
        SessionKey("calls", "c1"),
        "Guest",
        "not live 3m after its 21:30 start",
    )
    store.announce("calls", [late])
    assert recorder.sync().recording
    recorder.close()
    with Recording(path) as rec:
        state = rec.state_at(clock.time())
        assert state is not None
        assert state.providers["old"].get("o1") is None  # gone with the config
        back = state.providers["new"].get("n1")
        assert back is not None and NEW_KEY not in str(back.details)
        kinds = {e.kind for e in rec.events(0.0, clock.time() + 1)}
    assert EventKind.LATE in kinds


async def test_a_calls_schedule_is_recorded_and_older_rows_read_without_it(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime

    from tui.recorder.codec import ROW_BEFORE_SCHEDULE, Scrubber, row_of, session_of

    clock = FakeClock()
    store = SessionStore(clock=clock)
    store.register("calls")
    path = tmp_path / "recording.db"
    recorder = Recorder(store, path, kinds={"calls": "calls"})
    recorder.start()
    planned = datetime(2026, 11, 22, 21, 30, 0, 123456, tzinfo=UTC)
    call = Session(
        "calls", ProviderKind.CALLS, "c1", "Guest", SessionState.SCHEDULED, scheduled_at=planned
    )
    store.apply("calls", FetchResult((call,)))
    await clock.advance(1.0)
    moved = Session(
        "calls",
        ProviderKind.CALLS,
        "c1",
        "Guest",
        SessionState.SCHEDULED,
        scheduled_at=planned.replace(minute=45),
    )
    store.apply("calls", FetchResult((moved,)))  # rescheduled: a change of that field alone
    assert recorder.sync().recording
    recorder.close()
    with Recording(path) as rec:
        first, then = rec.state_at(clock.time() - 1.0), rec.state_at(clock.time())
    assert first is not None and then is not None
    back, later = first.providers["calls"].get("c1"), then.providers["calls"].get("c1")
    assert back is not None and back.scheduled_at == planned  # to the microsecond
    assert later is not None and later.scheduled_at == planned.replace(minute=45)
    older = row_of(call, Scrubber())[:ROW_BEFORE_SCHEDULE]  # as livetop wrote rows before
    assert session_of("calls", "c1", older, {}).scheduled_at is None
