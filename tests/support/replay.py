"""A recording made on clocks the test moves by hand (`support.recording.Driven`): every poll
lands at START + k × interval, so a replay of it draws the same frames on every run. The
moments the live store was looked at (after each step) come with it, to compare a replay
against; a fault makes one provider fail for a few polls (incidents to jump to)."""

from __future__ import annotations

import asyncio
import io
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from support.recording import START, Driven, Moment, look
from tui.app import LivetopApp
from tui.recorder.sources import replay_feed
from tui.sim import Fault, SimConfig
from tui.snapshot import snapshot_from_store, snapshot_json
from tui.store import SessionStore

INTERVAL = 2.0
STEPS = 30
FAILING = range(10, 14)  # the steps during which Uiza answers 500


@dataclass
class Recorded:
    """The file, and what the live store showed after each step (`moments[k]` at step k+1)."""

    path: Path
    moments: list[Moment] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)

    def at(self, step: int) -> Moment:
        return self.moments[step - 1]


class Steady(random.Random):
    """No jitter: a failing provider's retries fall on the steps (the clock moves 2 s at a
    time, and a poll started half way through a move would measure the move)."""

    def uniform(self, a: float, b: float) -> float:
        return 1.0


async def record(path: Path) -> Recorded:
    config = SimConfig(seed=4, sessions=60, churn=0.3, start_time=START)
    driven = Driven(config, interval=INTERVAL, rng=Steady())
    recorder = driven.recorder(path, keyframe_every=20.0)
    recorder.start()
    done = Recorded(path, kinds={p.name: p.kind.value for p in driven.settings.providers})
    try:
        async with driven.refresher:
            await _first_polls(driven.store)  # answered before the clock moves: no race
            for step in range(1, STEPS + 1):
                if step == FAILING.start:
                    driven.sim.set_fault("uiza", Fault(error_rate=1.0))
                elif step == FAILING.stop:
                    driven.sim.clear_faults()
                await driven.step()
                assert recorder.sync().recording, recorder.status
                done.moments.append(look(driven.store, driven.settings))
        recorder.close()
    finally:
        driven.close()
    return done


async def _first_polls(store: SessionStore) -> None:
    deadline = time.monotonic() + 20
    while not all(s.last_success and s.polling_since is None for s in store.statuses()):
        await asyncio.sleep(0.005)
        assert time.monotonic() < deadline, "the first polls did not come back"


def make_recording(path: Path) -> Recorded:
    return asyncio.run(record(path))


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def replay_app(recorded: Recorded, at: float) -> LivetopApp:
    """The console replaying `recorded`, its cursor at `at` (as `livetop replay --at` does)."""
    return LivetopApp(None, feed=replay_feed(recorded.path, iso(at), err=io.StringIO()))


def shown_json(store: SessionStore, recorded: Recorded, t: float) -> str:
    """The snapshot contract of what `store` holds, as of `t`."""
    from tui.models import ProviderKind

    kinds = {name: ProviderKind(kind) for name, kind in recorded.kinds.items()}
    return snapshot_json(snapshot_from_store(store, kinds, datetime.fromtimestamp(t, UTC)))


__all__ = ["INTERVAL", "START", "STEPS", "Recorded", "make_recording", "replay_app", "shown_json"]
