"""SessionStore: diffs, staleness, provider status, events, history bounds, retention."""

from __future__ import annotations

import asyncio
import logging
import tracemalloc
from dataclasses import replace
from typing import Any

import pytest

from tui.clock import FakeClock
from tui.models import FetchResult, ProviderKind, Session, SessionKey, SessionState
from tui.providers.errors import ProviderConnectionError, ProviderNotFound
from tui.store import (
    STALE,
    Counts,
    EventKind,
    ProviderHealth,
    Sample,
    SampleRing,
    SessionStore,
    StoreDiff,
    StoreEvent,
)

LIVE, ENDED, SCHEDULED = SessionState.LIVE, SessionState.ENDED, SessionState.SCHEDULED


def mk(sid: str, provider: str = "lp", **kw: Any) -> Session:
    fields: dict[str, Any] = {
        "name": f"name-{sid}",
        "state": LIVE,
        "healthy": True,
        "ingest_bps": 1_000_000.0,
        "outgoing_bps": 3_000_000.0,
        "details": {"id": sid, "nested": [1, 2]},
    }
    fields.update(kw)
    return Session(provider=provider, kind=ProviderKind.LIVEPEER, id=sid, **fields)


def ok(*sessions: Session) -> FetchResult:
    return FetchResult(tuple(sessions))


def key(sid: str, provider: str = "lp") -> SessionKey:
    return SessionKey(provider, sid)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> SessionStore:
    return SessionStore(clock=clock, history_size=5, retention=600.0, event_limit=50)


def kinds(diff: StoreDiff) -> list[EventKind]:
    return [e.kind for e in diff.events]


# -- diffs ----------------------------------------------------------------------------------


def test_initial_load_adds_everything_without_session_events(store: SessionStore) -> None:
    diff = store.apply("lp", ok(mk("a"), mk("b", healthy=False, issues=("low fps",))))
    assert diff.added == (key("a"), key("b"))
    assert not diff.changed and not diff.removed
    assert diff.events == ()  # the initial load is state, not news
    assert diff.status_changed
    assert store.get(key("a")) == mk("a")
    assert store.counts() == Counts(total=2, live=2, unhealthy=1, stale=0)
    assert store.status("lp").health is ProviderHealth.OK


def test_diff_names_changed_fields_and_skips_equal_sessions(
    store: SessionStore, clock: FakeClock
) -> None:
    store.apply("lp", ok(mk("a"), mk("b"), mk("c")))
    clock._elapsed += 2
    diff = store.apply(
        "lp",
        ok(mk("a"), mk("b", ingest_bps=5.0, details={"id": "b", "nested": [1, 3]}), mk("d")),
    )
    assert diff.added == (key("d"),)
    assert dict(diff.changed) == {key("b"): frozenset({"ingest_bps", "details"})}
    assert diff.removed == (key("c"),)  # complete fetch: gone means gone
    assert store.get(key("c")) is None
    assert store.history(key("c")) == ()


def test_changed_mapping_is_read_only(store: SessionStore) -> None:
    store.apply("lp", ok(mk("a")))
    diff = store.apply("lp", ok(mk("a", name="renamed")))
    with pytest.raises(TypeError):
        diff.changed[key("x")] = frozenset()  # type: ignore[index]


def test_duplicates_and_foreign_sessions_are_ignored(
    store: SessionStore, caplog: pytest.LogCaptureFixture
) -> None:
    diff = store.apply("lp", ok(mk("a", name="first"), mk("a", name="second"), mk("z", "other")))
    assert diff.added == (key("a"),)
    assert store.get(key("a")).name == "first"  # type: ignore[union-attr]
    assert "provider lp returned 1 sessions of another provider" in caplog.text


# -- failures and staleness -----------------------------------------------------------------


def test_failed_fetch_keeps_sessions_and_marks_them_stale(
    store: SessionStore, clock: FakeClock
) -> None:
    store.apply("lp", ok(mk("a"), mk("b")), latency=0.25)
    clock._elapsed += 2
    error = ProviderNotFound("lp", "GET /session", 404, "not found")
    diff = store.fail("lp", error, latency=0.5, next_poll=clock.time() + 4)
    assert diff.stale_changed and diff.status_changed
    assert kinds(diff) == [EventKind.PROVIDER_FAILED]
    assert diff.events[0].detail == "not found"
    assert len(store) == 2 and store.is_stale(key("a"))
    status = store.status("lp")
    assert status.health is ProviderHealth.FAILING and status.failing and status.stale
    assert status.last_error == "not found"  # the provider's own words
    assert status.error_detail == "lp: GET /session: HTTP 404: not found"
    assert status.consecutive_failures == 1
    assert status.last_latency == 0.5
    assert status.next_poll == clock.time() + 4
    assert status.last_success == clock.time() - 2
    assert store.counts().stale == 2

    clock._elapsed += 4
    assert store.status("lp").consecutive_failures == 1
    again = store.fail("lp", "plain text")
    assert again.events == ()  # still failing: no second alert
    assert store.status("lp").consecutive_failures == 2
    assert store.status("lp").last_error == "plain text"

    clock._elapsed += 8
    back = store.apply("lp", ok(mk("a"), mk("b")))
    assert kinds(back) == [EventKind.PROVIDER_RECOVERED]
    assert back.events[0].detail == "after 2 failed polls"
    assert back.stale_changed and not store.is_stale(key("a"))
    status = store.status("lp")
    assert status.health is ProviderHealth.OK and status.last_error is None
    assert status.consecutive_failures == 0


def test_partial_fetch_upserts_and_marks_only_the_missing_stale(store: SessionStore) -> None:
    store.apply("lp", ok(mk("a"), mk("b"), mk("c")))
    errors = (
        ProviderNotFound("lp", "GET /v1/live/calls/b", 404, "call not found"),
        ProviderConnectionError("lp", "GET /v1/live/calls/c", "connection refused"),
    )
    diff = store.apply("lp", FetchResult((mk("a", ingest_bps=9.0),), errors=errors))
    assert diff.removed == ()
    assert dict(diff.changed) == {
        key("a"): frozenset({"ingest_bps"}),
        key("b"): frozenset({STALE}),
        key("c"): frozenset({STALE}),
    }
    assert kinds(diff) == [EventKind.PROVIDER_FAILED]
    assert len(store) == 3
    assert not store.is_stale(key("a")) and store.is_stale(key("b"))
    status = store.status("lp")
    assert status.health is ProviderHealth.PARTIAL and status.failing and not status.stale
    assert status.last_error == "call not found (+1 more)"
    assert store.counts().stale == 2

    diff = store.apply("lp", ok(mk("a", ingest_bps=9.0), mk("b")))
    assert diff.removed == (key("c"),)
    assert dict(diff.changed) == {key("b"): frozenset({STALE})}
    assert kinds(diff) == [EventKind.ENDED, EventKind.PROVIDER_RECOVERED]
    assert diff.events[1].detail == "every watched id answers again"  # no poll failed whole
    assert not store.is_stale(key("b"))


def test_data_older_than_three_intervals_turns_stale_on_tick(
    store: SessionStore, clock: FakeClock
) -> None:
    store.register("lp", interval=2.0)
    store.apply("lp", ok(mk("a")), latency=1.0)
    clock._elapsed += 7.0  # 3 intervals + the last latency: not yet
    assert store.tick() == []
    clock._elapsed += 0.5
    [diff] = store.tick()
    assert diff.stale_changed and store.is_stale(key("a"))
    assert diff.events == ()  # old data is not a provider failure
    assert store.tick() == []  # reported once
    fresh = store.apply("lp", ok(mk("a")))
    assert fresh.stale_changed and not store.is_stale(key("a"))


def test_register_and_schedule_publish_status(store: SessionStore, clock: FakeClock) -> None:
    seen: list[StoreDiff] = []
    store.subscribe(seen.append)
    store.register("lp", interval=5.0)
    assert store.status("lp").health is ProviderHealth.PENDING
    assert store.status("lp").interval == 5.0
    assert store.set_schedule("lp", next_poll=None, polling=True) is not None
    assert store.status("lp").polling_since == clock.time()
    clock._elapsed += 1
    assert store.set_schedule("lp", next_poll=None, polling=True) is None  # unchanged
    assert store.status("lp").polling_since == clock.time() - 1
    store.set_schedule("lp", next_poll=clock.time() + 2)
    assert store.status("lp").polling_since is None
    assert [d.status_changed for d in seen] == [True, True, True]
    # Registering is news to the screens; a poll starting or being scheduled is not.
    schedule = {"next_poll", "polling_since"}
    assert [d.status_fields <= schedule for d in seen] == [False, True, True]
    assert not store.apply("lp", ok(mk("a"))).status_fields <= schedule
    clock._elapsed += 100  # long past the staleness limit: the schedule diff carries it
    late = store.set_schedule("lp", next_poll=clock.time() + 2)
    assert late is not None and {"stale", "next_poll"} <= late.status_fields
    assert store.providers == ("lp",) and store.statuses()[0].name == "lp"
    with pytest.raises(KeyError):
        store.status("nope")


# -- events ---------------------------------------------------------------------------------


def test_session_transitions_become_events(store: SessionStore, clock: FakeClock) -> None:
    store.apply("lp", ok(mk("a", state=SCHEDULED), mk("b"), mk("c"), mk("d")))
    clock._elapsed += 2
    diff = store.apply(
        "lp",
        ok(
            mk("a"),  # scheduled -> live
            mk("b", healthy=False, issues=("low fps", "high jitter")),
            mk("c", state=ENDED),
            mk("e"),  # a new live session after the initial load
        ),
    )
    got = [(e.kind, e.key, e.detail) for e in diff.events]
    assert got == [
        (EventKind.WENT_LIVE, key("a"), ""),
        (EventKind.UNHEALTHY, key("b"), "low fps; high jitter"),
        (EventKind.ENDED, key("c"), ""),
        (EventKind.WENT_LIVE, key("e"), ""),
        (EventKind.ENDED, key("d"), "gone"),  # a live session vanished from a complete fetch
    ]
    assert all(e.time == clock.time() and e.provider == "lp" for e in diff.events)
    assert diff.events[0].name == "name-a"
    assert list(store.events) == list(diff.events)

    clock._elapsed += 2
    diff = store.apply("lp", ok(mk("a"), mk("b"), mk("c", state=ENDED), mk("e", healthy=None)))
    assert [(e.kind, e.key) for e in diff.events] == [(EventKind.RECOVERED, key("b"))]


def test_unhealthy_without_issues_and_no_repeat(store: SessionStore) -> None:
    store.apply("lp", ok(mk("a")))
    first = store.apply("lp", ok(mk("a", healthy=False)))
    assert [(e.kind, e.detail) for e in first.events] == [(EventKind.UNHEALTHY, "unhealthy")]
    again = store.apply("lp", ok(mk("a", healthy=False, issues=("x",))))
    assert again.events == ()  # still unhealthy: one alert, not one per poll


def test_event_log_is_bounded_newest_last(clock: FakeClock) -> None:
    store = SessionStore(clock=clock, event_limit=3)
    store.apply("lp", ok())
    for i in range(5):
        clock._elapsed += 1
        store.apply("lp", ok(*(mk(str(j)) for j in range(i + 1))))
    assert len(store.events) == 3
    assert [e.key for e in store.events] == [key("2"), key("3"), key("4")]


# -- history --------------------------------------------------------------------------------


def test_history_is_a_bounded_ring_oldest_first(store: SessionStore, clock: FakeClock) -> None:
    for i in range(8):
        clock._elapsed = float(i)
        store.apply("lp", ok(mk("a", ingest_bps=float(i), outgoing_bps=None)))
    samples = store.history(key("a"))
    assert [s.t - clock.time() for s in samples] == [-4, -3, -2, -1, 0]
    assert [s.ingest_bps for s in samples] == [3.0, 4.0, 5.0, 6.0, 7.0]
    assert all(s.outgoing_bps is None for s in samples)


def test_history_skips_sessions_without_rates_and_drill_downs(store: SessionStore) -> None:
    store.apply("lp", ok(mk("a", ingest_bps=None, outgoing_bps=None)))
    assert store.history(key("a")) == ()
    store.upsert("lp", [mk("b")])
    assert store.history(key("b")) == ()
    assert store.history(key("nope", "unknown")) == ()


def test_history_stops_when_a_session_ends(store: SessionStore, clock: FakeClock) -> None:
    store.apply("lp", ok(mk("a", ingest_bps=5e6)))
    clock._elapsed = 1.0
    store.apply("lp", ok(mk("a", ingest_bps=5e6, state=ENDED)))  # frozen rate, not a sample
    clock._elapsed = 2.0
    store.apply("lp", ok(mk("a", ingest_bps=5e6, state=ENDED)))
    assert len(store.history(key("a"))) == 1


def test_sample_ring_keeps_float32_rates_and_caps() -> None:
    ring = SampleRing(3)
    for i in range(10):
        ring.append(1e9 + i, 2_500_000.0 + i, None)
    assert len(ring) == 3
    assert [(s.t, s.ingest_bps, s.outgoing_bps) for s in ring.samples()] == [
        (1e9 + 7, 2_500_007.0, None),
        (1e9 + 8, 2_500_008.0, None),
        (1e9 + 9, 2_500_009.0, None),
    ]


def test_history_memory_stays_bounded(clock: FakeClock) -> None:
    store = SessionStore(clock=clock, history_size=120)
    sessions = tuple(mk(str(i)) for i in range(300))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(130):
        clock._elapsed += 2
        store.apply("lp", FetchResult(sessions))
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert all(len(store.history(s.key)) == 120 for s in sessions[:3])
    # 120 samples of (t, ingest, outgoing) plus bookkeeping: ~2.3 KB a session.
    assert used / len(sessions) < 3000


# -- retention and drill-down ---------------------------------------------------------------


def test_ended_sessions_are_forgotten_after_retention(
    store: SessionStore, clock: FakeClock
) -> None:
    store.apply("lp", ok(mk("a"), mk("b")))
    clock._elapsed += 10
    store.apply("lp", ok(mk("a", state=ENDED), mk("b")))
    clock._elapsed += 599
    assert [d.removed for d in store.tick()] == [()]  # (only: the data is now old, stale)
    clock._elapsed += 1
    [diff] = store.tick()
    assert diff.removed == (key("a"),)
    assert store.get(key("a")) is None and store.history(key("a")) == ()
    # Livepeer still lists it (ended) within its window: the tombstone keeps it out.
    diff = store.apply("lp", ok(mk("a", state=ENDED), mk("b")))
    assert diff.added == () and store.get(key("a")) is None
    # If it comes back live it is news again.
    diff = store.apply("lp", ok(mk("a"), mk("b")))
    assert diff.added == (key("a"),) and kinds(diff) == [EventKind.WENT_LIVE]


def test_tombstones_are_dropped_when_the_provider_stops_listing(
    store: SessionStore, clock: FakeClock
) -> None:
    store.apply("lp", ok(mk("a", state=ENDED)))
    clock._elapsed += 601
    store.apply("lp", ok(mk("a", state=ENDED)))
    assert store.get(key("a")) is None
    store.apply("lp", ok())  # no longer listed: tombstone goes
    diff = store.apply("lp", ok(mk("a", state=ENDED)))
    assert diff.added == (key("a"),)


def test_upsert_adds_drill_down_sessions_that_polls_do_not_remove(
    store: SessionStore, clock: FakeClock
) -> None:
    store.apply("lp", ok(mk("a"), mk("b")))
    diff = store.upsert("lp", [mk("old", state=ENDED), mk("a", healthy=False)])
    assert diff.added == (key("old"),)
    assert dict(diff.changed) == {key("a"): frozenset({"healthy"})}
    assert kinds(diff) == [EventKind.UNHEALTHY]  # a change to a watched session is news
    clock._elapsed += 2
    diff = store.apply("lp", ok(mk("a"), mk("b")))
    assert diff.removed == () and store.get(key("old")) is not None
    clock._elapsed += 600
    [diff] = store.tick()
    assert set(diff.removed) == {key("old")}
    assert len(store) == 2


def test_upsert_refreshes_a_session_a_partial_fetch_missed(store: SessionStore) -> None:
    store.apply("lp", ok(mk("a"), mk("b")))
    store.apply("lp", FetchResult((mk("a"),), errors=(ValueError("boom"),)))
    assert store.is_stale(key("b"))
    diff = store.upsert("lp", [mk("b")])
    assert dict(diff.changed) == {key("b"): frozenset({STALE})}
    assert not store.is_stale(key("b"))


# -- subscribers and reads ------------------------------------------------------------------


def test_subscribers_get_every_diff_and_a_failing_one_is_isolated(
    store: SessionStore, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[StoreDiff] = []

    def broken(diff: StoreDiff) -> None:
        raise RuntimeError("subscriber bug")

    store.subscribe(broken)
    unsubscribe = store.subscribe(got.append)
    with caplog.at_level(logging.ERROR, "livetop.store"):
        diff = store.apply("lp", ok(mk("a")))
    assert got == [diff]
    assert "subscriber" in caplog.text
    unsubscribe()
    unsubscribe()  # twice is harmless
    store.apply("lp", ok(mk("a"), mk("b")))
    assert len(got) == 1


def test_reads(store: SessionStore) -> None:
    store.apply("lp", ok(mk("a"), mk("b", state=ENDED, healthy=False)))
    store.apply("ui", ok(mk("c", "ui", healthy=False)))
    assert [s.id for s in store.sessions()] == ["a", "b", "c"]
    assert [s.id for s in store.sessions("ui")] == ["c"]
    assert store.sessions("unknown") == []
    assert key("a") in store and ("lp", "a") in store
    assert key("zz") not in store and "a" not in store
    assert len(store) == 3
    assert store.counts() == Counts(3, 2, 1, 0)  # an ended unhealthy session is not counted
    assert store.counts("ui") == Counts(1, 1, 1, 0)
    assert store.counts("unknown") == Counts(0, 0, 0, 0)
    assert not store.is_stale(key("a", "unknown"))


async def test_apply_async_yields_between_slices_and_matches_apply(
    store: SessionStore, clock: FakeClock
) -> None:
    sessions = tuple(mk(str(i)) for i in range(10))
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(count_turns())
    await asyncio.sleep(0)
    start = turns
    diff = await store.apply_async("lp", FetchResult(sessions), latency=0.5, slice_size=3)
    assert turns - start >= 3  # four slices, three yields
    task.cancel()
    assert diff.added == tuple(s.key for s in sessions)
    assert store.status("lp").last_latency == 0.5
    again = await store.apply_async("lp", FetchResult(sessions[:5]))
    assert again.removed == tuple(s.key for s in sessions[5:])


def test_session_objects_are_kept_as_given(store: SessionStore) -> None:
    a = mk("a")
    store.apply("lp", ok(a))
    assert store.get(key("a")) is a
    b = replace(a, details=dict(a.details))
    diff = store.apply("lp", ok(b))
    assert not diff.changed and store.get(key("a")) is b  # newest object, no diff


def test_a_slow_subscriber_is_reported(
    store: SessionStore, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.store

    monkeypatch.setattr(tui.store, "_SLOW_SUBSCRIBER", -1.0)
    store.subscribe(lambda diff: None)
    with caplog.at_level(logging.WARNING, "livetop.store"):
        store.apply("lp", ok(mk("a")))
    assert "keep it cheap" in caplog.text


def test_the_same_objects_again_change_nothing_and_stay(store: SessionStore) -> None:
    # A client hands back last poll's object for a record that did not change.
    sessions = [mk(f"s{i}") for i in range(5)]
    store.apply("lp", ok(*sessions))
    diff = store.apply("lp", ok(*sessions))
    assert not diff.changed and not diff.added and not diff.removed
    assert all(store.get(s.key) is s for s in sessions)


# -- what a recording needs: sampled keys in diffs, mirror, restore ------------------------


def test_a_poll_diff_names_what_it_sampled(store: SessionStore) -> None:
    diff = store.apply(
        "lp", ok(mk("a"), mk("b", ingest_bps=None, outgoing_bps=None), mk("c", state=ENDED))
    )
    assert diff.sampled == (key("a"),)
    assert store.apply("lp", ok()).sampled == ()  # a poll that sampled nothing says so
    assert store.fail("lp", "down").sampled is None  # not a poll's merge
    assert store.upsert("lp", [mk("d")]).sampled is None
    assert store.register("lp").sampled is None


def test_mirror_sets_a_provider_as_recorded(store: SessionStore, clock: FakeClock) -> None:
    got: list[StoreDiff] = []
    store.subscribe(got.append)
    store.register("xx")
    status = replace(store.status("xx"), last_success=clock.time(), stale=True)
    a, b = mk("a", "xx"), mk("b", "xx", ingest_bps=2.0)
    diff = store.mirror("xx", status=status, put=[a, b], missing=["b"], sampled=["b"])
    assert got[-1] is diff and set(diff.added) == {key("a", "xx"), key("b", "xx")}
    assert diff.status_changed and diff.stale_changed  # staleness as recorded, not recomputed
    assert store.status("xx") is status and store.is_stale(key("b", "xx"))
    assert store.history(key("b", "xx")) == (Sample(clock.time(), 2.0, 3_000_000.0),)
    assert store.history(key("a", "xx")) == ()
    a2 = mk("a", "xx", name="renamed")
    event = StoreEvent(clock.time(), EventKind.UNHEALTHY, "xx", key("a", "xx"), "renamed")
    diff = store.mirror("xx", put=[a2, b], drop=["b", "zz"], missing=[], events=[event])
    assert diff.changed == {key("a", "xx"): frozenset({"name"})}
    assert diff.removed == (key("b", "xx"),) and diff.sampled is None
    assert diff.events == (event,) and store.events[-1] is event
    assert store.get(key("a", "xx")) is a2 and store.get(key("b", "xx")) is None
    assert store.mirror("xx", put=[a2]).sessions_changed is False  # the same object: nothing


def test_restore_brings_back_events_and_histories(store: SessionStore, clock: FakeClock) -> None:
    store.register("lp")
    old = StoreEvent(1.0, EventKind.WENT_LIVE, "lp", key("a"), "a")
    store.restore(
        events=[old],
        histories={key("a"): [Sample(1.0, 2.0, None)], key("q", "unknown"): [Sample(1, 1, 1)]},
    )
    assert list(store.events) == [old]
    assert "unknown" not in store.providers  # a provider not configured is not made up
    store.apply("lp", ok(mk("a", ingest_bps=5.0)))  # the session appears: its history waits
    assert [s.ingest_bps for s in store.history(key("a"))] == [2.0, 5.0]
    store.restore(histories={})
    assert store.history(key("a")) == ()
