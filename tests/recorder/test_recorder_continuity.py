"""`Continuity.apply(store, before=...)`: what a restarted console gets back goes ahead of what
it has seen itself since it started (its first polls may come before the file is read); what
the recording holds from after `before` (this very console's, recorded meanwhile) is not
taken twice."""

from __future__ import annotations

from tui.clock import FakeClock
from tui.models import FetchResult, ProviderKind, Session, SessionKey, SessionState
from tui.recorder import Continuity
from tui.store import EventKind, Sample, SessionStore, StoreEvent

START = 1_795_348_800.0


def live(sid: str, rate: float) -> Session:
    return Session("studio", ProviderKind.LIVEPEER, sid, sid, SessionState.LIVE, ingest_bps=rate)


def test_the_recordings_part_goes_before_what_the_console_saw() -> None:
    clock = FakeClock(START + 100)
    store = SessionStore(clock=clock)
    store.register("studio")
    store.apply("studio", FetchResult((live("a", 5e6),)))  # this console's first poll
    key = SessionKey("studio", "a")
    mine = store.history(key)
    assert [s.t for s in mine] == [START + 100]
    old = StoreEvent(START + 10, EventKind.WENT_LIVE, "studio", key, "a")
    again = StoreEvent(START + 101, EventKind.UNHEALTHY, "studio", key, "a")  # recorded since
    samples = [Sample(START + t, 4e6, None) for t in (80.0, 90.0, 100.0, 102.0)]
    continuity = Continuity([old, again], {key: samples, SessionKey("studio", "b"): samples})
    continuity.apply(store, before=START + 100)
    assert list(store.events) == [old]
    assert store.history(key) == (*(Sample(START + t, 4e6, None) for t in (80.0, 90.0)), *mine)
