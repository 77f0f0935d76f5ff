"""Recording what a store sees, for the recorder's tests: the real refresher polls a simulator
over a loopback socket, a real recorder writes a real SQLite file, and the test keeps what the
live store showed at chosen moments to compare with what the recording rebuilds."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.config import Settings, settings_from_dict
from tui.engine import build_refresher
from tui.models import ProviderKind, SessionKey
from tui.recorder.reader import Recording
from tui.recorder.writer import Limits, Recorder
from tui.sim import RunningSimulator
from tui.snapshot import snapshot_from_store, snapshot_json
from tui.store import SessionStore
from tui.store_types import Sample, StoreEvent


def sim_settings(
    sim: RunningSimulator, *, interval: float = 0.5, calls: int = 1, record: bool = True
) -> Settings:
    """The three providers on `sim`, each one request a poll (calls: one per watched call)."""
    providers: list[dict[str, Any]] = [
        {"name": "studio", "kind": "livepeer", "base_url": sim.base_urls["livepeer"]},
        {
            "name": "uiza",
            "kind": "uiza",
            "base_url": sim.base_urls["uiza"],
            "entity_ids": [sim.entity_ids[1]],
        },
        {
            "name": "calls",
            "kind": "calls",
            "base_url": sim.base_urls["calls"],
            "call_ids": sim.call_ids[:calls],
        },
    ]
    for p in providers:
        p["api_key"] = sim.api_keys[str(p["kind"])]
        p["interval"] = interval
        p["timeout"] = 2.0
        p["max_requests_per_minute"] = 6000  # the simulator is ours: poll it at the interval
    data = {"refresh_interval": interval, "record": record, "providers": providers}
    return settings_from_dict(data, source="<test>", environ={})


def kinds_of(settings: Settings) -> dict[str, ProviderKind]:
    return {p.name: p.kind for p in settings.providers}


@dataclass
class Moment:
    """What the live store showed at `t`."""

    t: float
    json: str
    histories: dict[SessionKey, tuple[Sample, ...]]
    events: list[StoreEvent]
    stale: set[SessionKey]  # sessions marked stale (their provider's, or missed by a fetch)


@dataclass
class Live:
    """A recorded run: the file, and the moments the live store was looked at."""

    path: Path
    settings: Settings
    moments: list[Moment] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)


def look(store: SessionStore, settings: Settings) -> Moment:
    t = store.clock.time()
    snap = snapshot_from_store(store, kinds_of(settings), datetime.fromtimestamp(t, UTC))
    histories = {s.key: store.history(s.key) for s in store.sessions()}
    stale = {s.key for s in store.sessions() if store.is_stale(s.key)}
    kept = {k: h for k, h in histories.items() if h}
    return Moment(t, snapshot_json(snap), kept, list(store.events), stale)


async def record_live(
    sim: RunningSimulator,
    path: Path,
    *,
    seconds: float,
    settings: Settings | None = None,
    every: float = 0.5,
    script: Callable[[float], Awaitable[None] | None] | None = None,
    **recorder: Any,
) -> Live:
    """Poll `sim` and record to `path` for `seconds`, looking at the store every `every`
    seconds; `script(elapsed)` runs before each look (to switch faults)."""
    settings = settings or sim_settings(sim)
    store = SessionStore()
    refresher = build_refresher(settings, store, now=sim.now)
    rec = Recorder(
        store,
        path,
        kinds={p.name: p.kind.value for p in settings.providers},
        secrets=settings.secret_values(),
        limits=Limits(**{"flush_every": 0.2, **recorder}),
    )
    rec.start()
    assert rec.wait_ready().recording, rec.status
    live = Live(path, settings)
    started = time.monotonic()
    async with refresher:
        while (elapsed := time.monotonic() - started) < seconds:
            await asyncio.sleep(every)
            if script is not None:
                result = script(elapsed)
                if result is not None:
                    await result
            live.moments.append(look(store, settings))
    rec.close()
    assert rec.status.recording, rec.status
    live.requests = sim.request_counts
    return live


START = 1_795_348_800.0  # 2026-11-22 12:00:00 UTC


class Driven:
    """A simulator, a store and the real refresher on clocks the test moves by hand: hours of
    recording in seconds, every request still over the loopback socket."""

    def __init__(self, config: Any, *, interval: float, rng: Any = None) -> None:
        from tui.clock import FakeClock
        from tui.sim import start_in_thread
        from tui.sim.scenario import SimClock

        self.moved = 0.0
        sim_clock = SimClock(1.0, START, monotonic=lambda: self.moved)
        self.sim = start_in_thread(config, clock=sim_clock)
        self.clock = FakeClock(START)
        self.store = SessionStore(clock=self.clock)
        self.settings = sim_settings(self.sim, interval=interval)
        self.interval = interval
        self.refresher = build_refresher(
            self.settings, self.store, clock=self.clock, now=self.sim.now, rng=rng
        )

    def recorder(self, path: Path, **kwargs: Any) -> Recorder:
        return Recorder(
            self.store,
            path,
            kinds={p.name: p.kind.value for p in self.settings.providers},
            secrets=self.settings.secret_values(),
            limits=Limits(**{"flush_every": 3600.0, **kwargs}),  # commits come from sync()
        )

    async def step(self) -> None:
        """One interval later, every due poll answered."""
        self.moved += self.interval
        await self.clock.advance(self.interval)
        deadline = time.monotonic() + 20
        while any(s.polling_since is not None for s in self.store.statuses()):
            await asyncio.sleep(0.001)
            if time.monotonic() > deadline:
                raise AssertionError("a poll did not finish")

    def close(self) -> None:
        self.sim.stop()


ROOT = Path(__file__).resolve().parents[2]


def write_config(sim: RunningSimulator, path: Path) -> Path:
    """One request per poll per provider (one Uiza entity, one call), every half second."""
    text = f"""refresh_interval = 0.5
[[providers]]
name = "studio"
kind = "livepeer"
base_url = "{sim.base_urls["livepeer"]}"
api_key = "{sim.api_keys["livepeer"]}"
[[providers]]
name = "uiza"
kind = "uiza"
base_url = "{sim.base_urls["uiza"]}"
api_key = "{sim.api_keys["uiza"]}"
entity_ids = ["{sim.entity_ids[1]}"]
[[providers]]
name = "calls"
kind = "calls"
base_url = "{sim.base_urls["calls"]}"
api_key = "{sim.api_keys["calls"]}"
call_ids = ["{sim.call_ids[0]}"]
interval = 0.5
"""
    path.write_text(text)
    path.chmod(0o600)
    return path


def start_record(config: Path, db: Path, logs: Path, *more: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIVETOP_LOG_DIR": str(logs), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "record", "--config", str(config), "--db", str(db), *more],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_polls(db: Path, polls: int, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with Recording(db) as rec:
                    if len(rec.polls(0.0, float("inf"))) >= polls:
                        return
            except Exception:
                pass
        time.sleep(0.1)
    raise AssertionError("the recorder did not record")
