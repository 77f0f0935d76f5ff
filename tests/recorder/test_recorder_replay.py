"""A recording rebuilds what the live store showed: the same snapshot JSON at every moment
looked at, the same sparkline samples, the same event log; and the replayer jumps from
incident to incident and steps poll by poll, and a move never waits for a sparkline history
being rebuilt.

One recording, made once for the module: the real refresher polls a simulator over a loopback
socket (sped up, so sessions start, falter and end), while a fault makes the Uiza provider
fail for a while and the calls provider fail now and then (partial fetches: stale sessions).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from support.recording import Live, record_live, sim_settings
from tui.models import ProviderKind, SessionKey
from tui.recorder import feed
from tui.recorder.commands import snapshot_at
from tui.recorder.feed import NotRecorded
from tui.recorder.reader import INCIDENTS, Incident, Recording
from tui.recorder.replay import Replayer
from tui.recorder.state import Applied, ProviderState
from tui.sim import Fault, SimConfig, start_in_thread
from tui.snapshot import snapshot_from_store, snapshot_json
from tui.store import EventKind, ProviderHealth, SampleRing, SessionStore, StoreEvent


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("rec") / "recording.db"
    config = SimConfig(seed=5, sessions=400, churn=0.3, speed=40)
    with start_in_thread(config) as sim:

        def script(elapsed: float) -> None:
            if 1.0 <= elapsed < 2.6:
                sim.set_fault("uiza", Fault(error_rate=1.0))
                sim.set_fault("calls", Fault(error_rate=0.5))
            else:
                sim.clear_faults()

        settings = sim_settings(sim, calls=3)
        yield asyncio.run(
            record_live(
                sim, path, seconds=5.0, settings=settings, script=script, keyframe_every=1.5
            )
        )


def test_a_snapshot_at_any_moment_equals_the_live_one(live: Live) -> None:
    with Recording(live.path) as rec:
        for moment in live.moments:
            assert snapshot_json(snapshot_at(rec, moment.t)) == moment.json
    states = {m.json.count('"ok": false') for m in live.moments}
    assert len(states) > 1, "the fault must have shown: some moments with a failing provider"


def test_sparkline_history_is_rebuilt_sample_for_sample(live: Live) -> None:
    with Recording(live.path) as rec:
        for moment in live.moments[2::3]:
            rebuilt = rec.histories(moment.t)
            assert moment.histories, "live sessions were sampled"
            for key, samples in moment.histories.items():
                ring = SampleRing(120)  # the store keeps rates as float32: compare alike
                for sample in rebuilt.get(key, []):
                    ring.append(*sample)
                assert ring.samples() == samples, key
            for key in list(moment.histories)[:5]:  # one session's alone: the same samples
                assert rec.histories(moment.t, only=key) == {key: rebuilt[key]}


def test_what_a_seek_builds_is_freed_without_the_garbage_collector(live: Live) -> None:
    """Sessions built from a recording's pages (and their details, read or not) hold no
    reference cycle: a page dropped from the reader's cache is freed at once. A cycle per page
    piles up until a full collection walks it: a million objects, seconds with the screen held
    (the reader's thread holds the interpreter meanwhile)."""
    gc.collect()
    gc.disable()
    try:
        rec = Recording(live.path)
        for moment in live.moments[::4]:
            state = rec.state_at(moment.t)
            assert state is not None
            for provider in state.providers.values():
                for session in provider.sessions()[:20]:
                    assert isinstance(dict(session.details), dict)  # decoded, as the pane does
        rec.close()
        del rec, state, provider, session
        left = gc.collect()
    finally:
        gc.enable()
    assert left == 0


def test_the_event_log_is_the_live_one(live: Live) -> None:
    with Recording(live.path) as rec:
        for moment in live.moments:
            assert rec.events(until=moment.t, last=1000) == moment.events
    kinds = {e.kind for e in live.moments[-1].events}
    assert {EventKind.PROVIDER_FAILED, EventKind.PROVIDER_RECOVERED} <= kinds


def test_stale_marks_are_the_live_ones(live: Live) -> None:
    """Partial calls fetches mark the calls they missed stale, session by session."""
    missed = False
    with Recording(live.path) as rec:
        for moment in live.moments:
            state = rec.state_at(moment.t)
            assert state is not None
            store = SessionStore()
            feed.put_state(store, state)
            assert {s.key for s in store.sessions() if store.is_stale(s.key)} == moment.stale
            missed |= bool(state.providers["calls"].missing_ids())
    assert missed, "some calls fetch was partial: one call missed, the others kept"


async def test_jumping_from_incident_to_incident(live: Live) -> None:
    with Recording(live.path) as rec:
        bounds = rec.bounds()
        assert bounds is not None
        expected = sorted({round(i.at, 9) for i in _incidents(rec)})
    assert len(expected) >= 3
    store = SessionStore()
    replayer = Replayer(store, live.path)
    await replayer.open(at=bounds[0])
    landed = []
    while (incident := await replayer.incident(forward=True)) is not None:
        assert replayer.position == incident.at
        landed.append(round(incident.at, 9))
        _assert_shows(store, incident.event)
    assert landed == expected
    back = await replayer.incident(forward=False)
    assert back is not None and round(back.at, 9) == expected[-2]
    assert replayer.position == back.at
    _assert_shows(store, back.event)
    await replayer.stop()


def _incidents(rec: Recording) -> list[Incident]:
    out = []
    t = float("-inf")
    while (found := rec.incident(t, forward=True)) is not None:
        out.append(found)
        t = found.at
    return out


def _assert_shows(store: SessionStore, event: StoreEvent) -> None:
    assert event.kind in INCIDENTS
    if event.kind is EventKind.PROVIDER_FAILED:
        assert store.status(event.provider).health in (
            ProviderHealth.FAILING,
            ProviderHealth.PARTIAL,
        )
    elif event.kind is EventKind.UNHEALTHY:
        assert event.key is not None
        session = store.get(event.key)
        assert session is None or session.healthy is False or session.state.value == "ended"
    else:
        assert event.key is not None
        session = store.get(event.key)
        assert session is None or session.state.value == "ended"


async def test_stepping_poll_by_poll_matches_seeking(live: Live) -> None:
    """A step forward applies frames as a live store got them; it lands where a seek does."""
    stepped, sought = SessionStore(), SessionStore()
    replayer = Replayer(stepped, live.path)
    checker = Replayer(sought, live.path)
    with Recording(live.path) as rec:
        bounds = rec.bounds()
        run = rec.run_at(float("inf"))
    assert bounds is not None and run is not None
    kinds = {name: ProviderKind(kind) for name, kind in run.providers}
    await replayer.open(at=bounds[0])
    await checker.open(at=bounds[0])

    def json_of(store: SessionStore, t: float) -> str:
        return snapshot_json(snapshot_from_store(store, kinds, datetime.fromtimestamp(t, UTC)))

    with Recording(live.path) as rec:
        polls = {t for t, _, _ in rec.polls(bounds[0] + 1e-9, bounds[1])}
    steps = 0
    while await replayer.step(+1):
        steps += 1
        await checker.seek(replayer.position)
        assert json_of(stepped, replayer.position) == json_of(sought, replayer.position)
    assert steps == len(polls) >= 15  # every poll, one at a time, to the end
    before = replayer.position
    assert await replayer.step(-1)
    assert replayer.position < before
    await replayer.stop()
    await checker.stop()


async def test_drill_downs_in_replay_answer_from_the_recording(live: Live) -> None:
    store = SessionStore()
    replayer = Replayer(store, live.path)
    await replayer.open()
    session = next(s for s in store.sessions("studio") if s.parent_id)
    related = await replayer.fetch_related("studio", session.parent_id or "")
    assert session.id in {s.id for s in related.sessions}
    assert (await replayer.fetch_session("studio", session.id)) == session
    with pytest.raises(NotRecorded, match="not recorded"):
        await replayer.fetch_session("studio", "no-such-session")
    with pytest.raises(NotRecorded, match="not recorded"):
        await replayer.fetch_related("studio", "no-such-stream")
    await replayer.stop()


def test_path_type(live: Live) -> None:
    assert isinstance(live.path, Path) and live.path.stat().st_mode & 0o777 == 0o600


# -- a move goes before a sparkline history being rebuilt ---------------------------------------


class SlowHistories:
    """`Recording.advance` with every frame of a one-session history rebuild (the provider
    has a `focus`) taking `pause` seconds, counted; `reading` is set at the first one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, pause: float = 0.05) -> None:
        self.applied = 0
        self.reading = threading.Event()
        original = Recording.advance

        def advance(
            rec: Recording, provider: ProviderState, *args: Any, **kwargs: Any
        ) -> Iterator[Applied]:
            for applied in original(rec, provider, *args, **kwargs):
                if provider.focus is not None:
                    self.applied += 1
                    self.reading.set()
                    time.sleep(pause)
                yield applied

        monkeypatch.setattr(Recording, "advance", advance)

    def reset(self) -> None:
        self.applied = 0
        self.reading.clear()


async def _at_the_end(live: Live) -> tuple[Replayer, SessionKey]:
    replayer = Replayer(SessionStore(), live.path)
    await replayer.open()
    key = next(k for k, h in live.moments[-1].histories.items() if len(h) >= 5)
    assert await replayer.history(key), "the session has sparklines at the end"
    return replayer, key


async def test_a_move_interrupts_a_history_rebuild(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    replayer, key = await _at_the_end(live)
    slow = SlowHistories(monkeypatch)
    assert await replayer.history(key)
    whole = slow.applied
    assert whole >= 5, "a rebuild applies frame after frame"
    slow.reset()
    rebuild = asyncio.create_task(replayer.history(key))
    assert await asyncio.to_thread(slow.reading.wait, 10)
    lo, hi = replayer.bounds
    await replayer.seek((lo + hi) / 2)
    assert replayer.position == (lo + hi) / 2
    # The rebuild gave way within a frame or two, loaded nothing, and is to be asked again.
    assert await rebuild == ()
    assert slow.applied < whole / 2, (slow.applied, whole)
    assert replayer.history_key is None
    assert replayer.position == (lo + hi) / 2
    await replayer.stop()


async def test_a_move_asked_while_a_rebuild_waits_its_turn_goes_first(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    replayer, key = await _at_the_end(live)
    slow = SlowHistories(monkeypatch, pause=0.0)
    end = replayer.bounds[1]
    seeking = asyncio.create_task(replayer.seek(end))  # holds the file
    rebuild = asyncio.create_task(replayer.history(key))  # waits for it
    stepping = asyncio.create_task(replayer.step(-1))  # asked after the rebuild
    await asyncio.gather(seeking, stepping)
    assert await rebuild == ()
    assert slow.applied == 0, "the rebuild never read"
    assert replayer.position < end and replayer.history_key is None
    await replayer.stop()


async def test_a_later_history_supersedes_one_being_rebuilt(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    replayer, key = await _at_the_end(live)
    other = next(k for k in live.moments[-1].histories if k != key and k.provider == "studio")
    slow = SlowHistories(monkeypatch)
    first = asyncio.create_task(replayer.history(key))
    assert await asyncio.to_thread(slow.reading.wait, 10)
    samples = await replayer.history(other)
    assert await first == ()
    assert samples and replayer.history_key == other
    await replayer.stop()
