"""The absence engine on the fake clock: late, ended early, overrunning, recordings, and the
bad inputs (a provider down at start, times in the past, overlaps, zones, unknown ids)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui.absence import HISTORY, ItemState, Rundown
from tui.clock import FakeClock
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.providers.errors import ProviderConnectionError, ProviderNotFound
from tui.rundown_config import RundownEntry
from tui.store import EventKind, SessionStore, StoreEvent

T0 = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # the load; the show starts at 21:00 UTC
LIVE, ENDED, SCHEDULED = SessionState.LIVE, SessionState.ENDED, SessionState.SCHEDULED
KINDS = {"studio": ProviderKind.LIVEPEER, "calls": ProviderKind.CALLS}


def at(minutes: float) -> datetime:
    """T0 + minutes (21:00 UTC is `at(60)`)."""
    return T0 + timedelta(minutes=minutes)


def stream_session(
    sid: str, state: SessionState, start: float, end: float | None = None, **kw: Any
) -> Session:
    """A Livepeer session of stream "main", on air from `start` (minutes after T0)."""
    ended = at(end) if end is not None else None
    fields: dict[str, Any] = {"parent_id": "main", "last_seen": ended or at(start), **kw}
    return Session(
        "studio",
        ProviderKind.LIVEPEER,
        sid,
        "Main",
        state,
        started_at=at(start),
        ended_at=ended,
        **fields,
    )


def call(state: SessionState, scheduled: float | None, **kw: Any) -> Session:
    return Session(
        "calls",
        ProviderKind.CALLS,
        "c1",
        "Guest",
        state,
        scheduled_at=None if scheduled is None else at(scheduled),
        **kw,
    )


class World:
    """A store, the fake clock, and a rundown loaded at T0."""

    def __init__(self, *entries: dict[str, Any], loaded: float = 0.0) -> None:
        self.clock = FakeClock(at(loaded).timestamp())
        self.store = SessionStore(clock=self.clock)
        self.rundown = Rundown([RundownEntry(**e) for e in entries], loaded_at=self.clock.time())
        self.events: list[StoreEvent] = []
        for provider in ("studio", "calls"):  # as the refresher does for every provider
            self.store.register(provider)

    async def to(self, minutes: float) -> None:
        await self.clock.advance(at(minutes).timestamp() - self.clock.time())

    def poll(self, provider: str, *sessions: Session) -> None:
        self.store.apply(provider, FetchResult(sessions))

    def judge(self) -> list[ItemState]:
        self.events += self.rundown.evaluate(self.store, self.clock.time())
        return [v.state for v in self.rundown.views]

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]


SHOW = {
    "provider": "studio",
    "id": "main",
    "label": "Main show",
    "start": "2026-11-22T21:00:00Z",
    "end": "2026-11-22T22:00:00Z",
}


async def test_a_show_not_live_by_its_start_plus_grace_is_late_once() -> None:
    w = World(SHOW)
    w.poll("studio")
    assert w.judge() == [ItemState.UPCOMING]
    assert w.rundown.views[0].headline() == "in 1h00m"
    await w.to(61.9)  # within the 2 minute grace
    w.poll("studio")
    assert w.judge() == [ItemState.UPCOMING] and w.events == []
    await w.to(63)
    w.poll("studio")
    assert w.judge() == [ItemState.LATE]
    (late,) = w.events
    assert late.kind is EventKind.LATE and late.name == "Main show"
    assert late.detail == "not live 3m after its 21:00 start"
    assert w.rundown.views[0].headline() == "LATE 3m"
    await w.to(70)
    w.poll("studio")
    assert w.judge() == [ItemState.LATE] and len(w.events) == 1  # once, not every second
    w.poll("studio", stream_session("s1", LIVE, 70))
    assert w.judge() == [ItemState.LIVE]
    assert w.rundown.views[0].note == "started 10m late"


async def test_live_within_the_grace_is_on_time_and_raises_nothing() -> None:
    w = World(SHOW)
    await w.to(61)
    w.poll("studio", stream_session("s1", LIVE, 60.5))
    await w.to(75)
    w.poll("studio", stream_session("s1", LIVE, 60.5))
    assert w.judge() == [ItemState.LIVE]
    assert w.rundown.views[0].headline() == "on air 14m" and w.rundown.views[0].note == ""
    assert w.events == []


async def test_ended_early_alerts_once_it_stays_off_air_for_the_grace() -> None:
    w = World(SHOW)
    await w.to(60)
    w.poll("studio", stream_session("s1", LIVE, 60))
    w.judge()
    await w.to(100)
    w.poll("studio", stream_session("s1", ENDED, 60, 100))
    assert w.judge() == [ItemState.ENDED_EARLY]
    assert w.rundown.views[0].headline() == "ENDED EARLY 20m"
    assert w.events == []  # a reconnect within the grace would be no ending
    await w.to(101)
    w.poll("studio", stream_session("s1", ENDED, 60, 100), stream_session("s2", LIVE, 100.8))
    assert w.judge() == [ItemState.LIVE] and w.events == []
    await w.to(110)
    w.poll("studio", stream_session("s1", ENDED, 60, 100), stream_session("s2", ENDED, 100.8, 110))
    assert w.judge() == [ItemState.ENDED_EARLY] and w.events == []
    await w.to(112.5)
    w.poll("studio", stream_session("s2", ENDED, 100.8, 110))
    assert w.judge() == [ItemState.ENDED_EARLY]
    (early,) = w.events
    assert early.kind is EventKind.ENDED_EARLY
    assert early.detail == "off air 10m before its 22:00 end"
    await w.to(125)
    w.poll("studio", stream_session("s2", ENDED, 100.8, 110))
    assert w.judge() == [ItemState.ENDED_EARLY] and len(w.events) == 1


async def test_ending_within_the_grace_of_the_end_is_done() -> None:
    w = World(SHOW)
    await w.to(60)
    w.poll("studio", stream_session("s1", LIVE, 60))
    w.judge()
    await w.to(119)
    w.poll("studio", stream_session("s1", ENDED, 60, 119))
    assert w.judge() == [ItemState.DONE]
    await w.to(140)  # the store has forgotten the session by now; the engine has not
    w.poll("studio")
    assert w.store.sessions() == []
    assert w.judge() == [ItemState.DONE] and w.events == []


async def test_still_live_long_after_its_end_is_overrunning() -> None:
    w = World(SHOW)
    await w.to(60)
    w.poll("studio", stream_session("s1", LIVE, 60))
    w.judge()
    await w.to(129)  # within the 10 minute overrun
    w.poll("studio", stream_session("s1", LIVE, 60))
    assert w.judge() == [ItemState.LIVE]
    await w.to(131)
    w.poll("studio", stream_session("s1", LIVE, 60))
    assert w.judge() == [ItemState.OVERRUN]
    assert w.kinds() == [EventKind.OVERRUN]
    assert w.events[0].detail == "still live 11m after its 22:00 end"


async def test_a_provider_down_at_start_time_is_unknown_not_late() -> None:
    w = World(SHOW)
    w.poll("studio")
    await w.to(59)
    w.store.fail("studio", ProviderConnectionError("studio", "GET /session", "refused"))
    await w.to(70)
    w.store.fail("studio", ProviderConnectionError("studio", "GET /session", "refused"))
    assert w.judge() == [ItemState.UNKNOWN]
    assert w.rundown.views[0].note == "studio is failing: cannot tell"
    assert w.events == []
    await w.to(75)
    w.poll("studio")  # back, and the show is not on air: late, said now
    assert w.judge() == [ItemState.LATE]
    assert w.kinds() == [EventKind.LATE]
    assert w.events[0].detail == "not live 15m after its 21:00 start"


async def test_before_the_first_answer_an_item_is_unknown() -> None:
    w = World(SHOW, loaded=65)  # livetop starts mid-slot
    assert w.judge() == [ItemState.UNKNOWN]
    assert w.rundown.views[0].note == "no answer from studio yet"
    w.poll("studio")
    assert w.judge() == [ItemState.LATE]  # started mid-slot: it tells you at once
    assert w.kinds() == [EventKind.LATE]


async def test_a_call_brings_its_own_start_and_a_reschedule_is_a_new_slot() -> None:
    w = World({"provider": "calls", "id": "c1"})
    assert w.judge() == [ItemState.UNKNOWN]  # its start is not known before the first answer
    w.poll("calls", call(SCHEDULED, 30))
    assert w.judge() == [ItemState.UPCOMING]
    assert w.rundown.views[0].start == at(30)
    await w.to(33)
    w.poll("calls", call(SCHEDULED, 30))
    assert w.judge() == [ItemState.LATE] and w.kinds() == [EventKind.LATE]
    assert w.rundown.late_keys() == {call(SCHEDULED, 30).key}
    w.poll("calls", call(SCHEDULED, 40))  # moved to 20:40
    assert w.judge() == [ItemState.UPCOMING]
    await w.to(43)
    w.poll("calls", call(SCHEDULED, 40))
    assert w.judge() == [ItemState.LATE] and w.kinds() == [EventKind.LATE, EventKind.LATE]
    w.poll("calls", call(SCHEDULED, None))
    assert w.judge() == [ItemState.LATE]  # the last start it had still holds


async def test_a_call_id_the_provider_does_not_know_is_unknown() -> None:
    """A 404 for one watched call makes the poll partial: that call cannot be judged."""
    w = World({"provider": "calls", "id": "c1", "start": "2026-11-22T20:10:00Z"})
    await w.to(20)
    missing = ProviderNotFound("calls", "GET /v1/live/calls/c1", 404, "not found")
    w.store.apply("calls", FetchResult((), errors=(missing,)))
    assert w.judge() == [ItemState.UNKNOWN]
    assert w.rundown.views[0].note == "calls answers only in part: cannot tell"
    assert w.events == []


async def test_times_in_the_past() -> None:
    over_long_ago = {
        **SHOW,
        "id": "old",
        "start": "2026-11-22T17:00:00Z",
        "end": "2026-11-22T18:00:00Z",
    }
    over_lately = {
        **SHOW,
        "id": "recent",
        "start": "2026-11-22T19:00:00Z",
        "end": "2026-11-22T19:30:00Z",
    }
    old_call = {
        "provider": "calls",
        "id": "c1",
        "start": "2026-11-22T17:00:00Z",
        "end": "2026-11-22T18:00:00Z",
    }
    w = World(over_long_ago, over_lately, old_call)
    # On air now, on the old item's stream: tonight's broadcast, not an overrun of that one.
    w.poll("studio", stream_session("tonight", LIVE, -10, parent_id="old"))
    # A call is fetched by id, whatever its age: its record shows it ended early.
    w.poll("calls", call(ENDED, -180, started_at=at(-180), ended_at=at(-150)))
    # Over more than an hour before the load: livetop could not see it, says nothing (what
    # the data shows is shown). Over within the hour the providers list: it would be seen;
    # it was not: late.
    assert w.judge() == [ItemState.PAST, ItemState.LATE, ItemState.ENDED_EARLY]
    assert w.kinds() == [EventKind.LATE]
    assert HISTORY == 3600.0


async def test_a_local_time_is_tonights(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaded at 20:00: "21:30" is in 1.5 hours, "00:15" after midnight, "13:30" tomorrow's
    (more than 6 hours ago), "19:30" half an hour ago."""
    entries = [
        {"provider": "studio", "id": i, "start": t}
        for i, t in (("a", "21:30"), ("b", "00:15"), ("c", "13:30"), ("d", "19:30"))
    ]
    w = World(*entries)
    w.poll("studio")
    w.judge()
    starts = [v.start for v in w.rundown.views]
    assert starts == [at(90), at(255), at(17.5 * 60), at(-30)]
    end_next_day = World({**SHOW, "start": "23:30", "end": "00:30"})
    end_next_day.judge()
    view = end_next_day.rundown.views[0]
    assert view.end is not None and view.start is not None
    assert view.end - view.start == timedelta(hours=1)


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


async def test_clocks_in_different_zones_compare_as_instants(tokyo: None) -> None:
    """This machine in Tokyo (UTC+9), one item in local time, one in New York's offset, the
    providers in UTC: each is the same instant, and messages speak this machine's time."""
    local = {**SHOW, "id": "a", "start": "06:00", "end": "07:00"}  # 21:00 UTC
    new_york = {
        **SHOW,
        "id": "b",
        "start": "2026-11-22T16:00:00-05:00",
        "end": "2026-11-22T17:00:00-05:00",
    }  # 21:00 UTC
    w = World(local, new_york)
    w.poll("studio")
    w.judge()
    assert [v.start for v in w.rundown.views] == [at(60), at(60)]
    await w.to(63)
    w.poll("studio", stream_session("s1", LIVE, 62.5, parent_id="b"))
    assert w.judge() == [ItemState.LATE, ItemState.LIVE]
    assert w.events[0].detail == "not live 3m after its 06:00 start"


async def test_overlapping_items() -> None:
    """Different ids overlap freely; on one id, a later item takes the live session over at
    its start, so the earlier one does not overrun into it."""
    pre = {
        **SHOW,
        "label": "Pre-show",
        "start": "2026-11-22T20:30:00Z",
        "end": "2026-11-22T21:05:00Z",
    }
    other = {**SHOW, "id": "side", "label": "Side stage"}
    w = World(pre, SHOW, other)
    await w.to(30)
    w.poll("studio", stream_session("s1", LIVE, 30))
    w.judge()
    await w.to(90)
    w.poll("studio", stream_session("s1", LIVE, 30))
    assert w.judge() == [ItemState.LIVE, ItemState.LIVE, ItemState.LATE]
    assert w.kinds() == [EventKind.LATE]
    await w.to(135)
    w.poll("studio", stream_session("s1", LIVE, 30))
    assert w.judge()[1] is ItemState.OVERRUN  # the show overruns; the pre-show never did


async def test_recordings_failed_or_not_ready_ten_minutes_after_the_end() -> None:
    w = World(SHOW, {**SHOW, "id": "b", "label": "B"})
    await w.to(60)
    w.poll("studio", stream_session("s1", LIVE, 60), stream_session("s2", LIVE, 60, parent_id="b"))
    w.judge()
    await w.to(120)
    w.poll(
        "studio",
        stream_session("s1", ENDED, 60, 120, recording="waiting"),
        stream_session("s2", ENDED, 60, 120, recording="failed", parent_id="b"),
    )
    assert w.judge() == [ItemState.DONE, ItemState.DONE]
    assert [(e.name, e.detail) for e in w.events] == [("B", "recording failed")]
    assert w.rundown.views[1].note == "recording failed"
    await w.to(129.9)
    w.poll("studio", stream_session("s1", ENDED, 60, 120, recording="waiting"))
    w.judge()
    assert len(w.events) == 1
    # The store forgets ended sessions after 10 minutes; the engine remembers the recording.
    await w.to(131)
    w.store.tick()
    w.poll("studio")
    assert w.judge() == [ItemState.DONE, ItemState.DONE]
    assert w.events[-1].detail == "recording not ready 11m after the end"
    w.judge()
    assert len(w.events) == 2


async def test_a_reload_keeps_what_was_seen_and_raises_nothing_twice() -> None:
    w = World(SHOW)
    await w.to(63)
    w.poll("studio")
    w.judge()
    assert w.kinds() == [EventKind.LATE]
    w.rundown.replan(
        [RundownEntry(**SHOW), RundownEntry(**{**SHOW, "id": "new"})], loaded_at=w.clock.time()
    )
    w.poll("studio")
    assert w.judge() == [ItemState.LATE, ItemState.LATE]
    assert w.kinds() == [EventKind.LATE, EventKind.LATE]  # only the new item's
