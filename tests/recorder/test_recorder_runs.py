"""The recorder under pressure and across restarts: a queue that overflows (a stalled disk) is
caught up by capturing the provider whole again; a recorder restarted on the same file starts a
new run, which a follower attached meanwhile switches to; each run's moments rebuild."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui.clock import FakeClock
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.recorder.commands import snapshot_at
from tui.recorder.committer import Committer
from tui.recorder.follow import Follower
from tui.recorder.reader import Recording
from tui.recorder.writer import Limits, Recorder
from tui.snapshot import snapshot_from_store, snapshot_json
from tui.store import SessionStore

KINDS = {"studio": ProviderKind.LIVEPEER}


def sessions(tick: int, count: int = 30) -> FetchResult:
    return FetchResult(
        tuple(
            Session(
                provider="studio",
                kind=ProviderKind.LIVEPEER,
                id=f"s{i}",
                name=f"cam {i}",
                state=SessionState.LIVE if (i + tick) % 7 else SessionState.ENDED,
                healthy=(i * tick) % 5 != 0,
                ingest_bps=float(1000 * i + tick),
                recording="ready" if tick >= 10 else None,  # changes once, early
                details={"lastSeen": 1000 * tick, "segments": tick + i},
            )
            for i in range(tick % 3, count)
        )
    )


def live_json(store: SessionStore) -> str:
    t = store.clock.time()
    return snapshot_json(snapshot_from_store(store, KINDS, datetime.fromtimestamp(t, UTC)))


def test_an_overflowing_queue_is_caught_up_by_a_whole_capture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    slow = Committer.handle

    def stalled(self: Committer, item: tuple[object, ...]) -> None:
        time.sleep(0.01)  # a disk that cannot keep up
        slow(self, item)

    monkeypatch.setattr(Committer, "handle", stalled)
    clock = FakeClock()
    store = SessionStore(clock=clock)
    store.register("studio")
    path = tmp_path / "recording.db"
    # No periodic keyframe: it would heal the recording by itself and hide the catching up.
    recorder = Recorder(
        store, path, kinds={"studio": "livepeer"}, queue_size=4, limits=Limits(keyframe_every=1e9)
    )
    recorder.start()
    with caplog.at_level(logging.WARNING, "livetop.recorder"):
        for tick in range(60):
            clock._elapsed = float(tick)
            store.apply("studio", sessions(tick))
    assert "falling behind; studio will be captured again" in caplog.text
    time.sleep(0.3)  # the queue drains
    clock._elapsed = 100.0
    store.apply("studio", sessions(100))  # the next diff finds room: studio captured whole
    assert recorder.sync().recording
    recorder.close()
    with Recording(path) as rec:
        assert snapshot_json(snapshot_at(rec, clock.time())) == live_json(store)


async def test_a_restarted_recorder_starts_a_new_run_the_follower_follows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "recording.db"
    clock = FakeClock()
    first = SessionStore(clock=clock)
    first.register("studio")
    recorder = Recorder(first, path, kinds={"studio": "livepeer"})
    recorder.start()
    first.apply("studio", sessions(1))
    assert recorder.sync().recording
    follower_store = SessionStore()
    async with Follower(follower_store, path, every=0.05) as follower:
        await asyncio.sleep(0.2)
        assert {s.id for s in follower_store.sessions()} == {s.id for s in first.sessions()}
        recorder.close()
        clock._elapsed = 50.0
        second = SessionStore(clock=clock)  # a new console on the same file: a new run
        second.register("studio")
        restarted = Recorder(second, path, kinds={"studio": "livepeer"})
        restarted.start()
        second.apply("studio", sessions(2, count=10))
        assert restarted.sync().recording
        follower.refresh_now()
        for _ in range(100):
            if {s.id for s in follower_store.sessions()} == {s.id for s in second.sessions()}:
                break
            await asyncio.sleep(0.02)
        assert {s.id for s in follower_store.sessions()} == {s.id for s in second.sessions()}
        restarted.close()
    with Recording(path) as rec:
        assert snapshot_json(snapshot_at(rec, 1_700_000_010.0)) == _json_at(first, 10.0)
        assert snapshot_json(snapshot_at(rec, clock.time())) == live_json(second)


def _json_at(store: SessionStore, elapsed: float) -> str:
    t = 1_700_000_000.0 + elapsed
    return snapshot_json(snapshot_from_store(store, KINDS, datetime.fromtimestamp(t, UTC)))
