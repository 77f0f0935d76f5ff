"""Events seen after an outage: not stamped with the recovery, and one provider name a line."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tui.clock import FakeClock
from tui.models import FetchResult, ProviderKind, Session, SessionKey, SessionState
from tui.providers.errors import ProviderConnectionError
from tui.store import EventKind, SessionStore, StoreEvent
from tui.widgets.event_log import event_line


def mk(sid: str, state: SessionState = SessionState.LIVE, **kw: Any) -> Session:
    return Session(provider="calls", kind=ProviderKind.CALLS, id=sid, name=sid, state=state, **kw)


def hms(epoch: float) -> str:
    return f"{datetime.fromtimestamp(epoch).astimezone():%H:%M:%S}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_a_session_ended_during_an_outage_says_between_when(clock: FakeClock) -> None:
    store = SessionStore(clock=clock)
    store.apply("calls", FetchResult((mk("a"), mk("b"))))
    await clock.advance(2.0)
    store.apply("calls", FetchResult((mk("a"), mk("b"))))
    last_good = clock.time()
    await clock.advance(2.0)
    store.fail("calls", ProviderConnectionError("calls", "GET /x", "connection refused"))
    await clock.advance(190.0)
    diff = store.apply("calls", FetchResult((mk("a", SessionState.ENDED),)))
    ended = [e for e in diff.events if e.kind is EventKind.ENDED]
    assert {e.key for e in ended} == {SessionKey("calls", "a"), SessionKey("calls", "b")}
    assert all(e.since == last_good and e.time == clock.time() for e in ended)
    line = event_line(ended[0]).plain
    between = f"(seen after the outage; between {hms(last_good)} and {hms(clock.time())})"
    assert line.startswith(hms(last_good)) and line.endswith(between)
    # Once recovered, changes are on time again.
    await clock.advance(2.0)
    diff = store.apply("calls", FetchResult((mk("a", SessionState.ENDED), mk("c"))))
    assert [(e.kind, e.since) for e in diff.events] == [(EventKind.WENT_LIVE, None)]
    assert "seen after" not in event_line(diff.events[0]).plain


async def test_a_change_on_time_is_stamped_when_it_is_seen(clock: FakeClock) -> None:
    store = SessionStore(clock=clock)
    store.apply("calls", FetchResult((mk("a"),)))
    await clock.advance(2.0)
    diff = store.apply("calls", FetchResult((mk("a", SessionState.ENDED),)))
    (event,) = diff.events
    assert event.since is None
    assert event_line(event).plain.startswith(hms(clock.time()))


def test_a_provider_event_names_its_provider_once() -> None:
    event = StoreEvent(1.7e9, EventKind.PROVIDER_FAILED, "studio", None, "studio", "HTTP 502")
    line = event_line(event).plain
    assert line.count("studio") == 1 and line.endswith("studio — HTTP 502")
    session = StoreEvent(1.7e9, EventKind.ENDED, "studio", SessionKey("studio", "s"), "Stage")
    assert event_line(session).plain.endswith("studio  Stage")
