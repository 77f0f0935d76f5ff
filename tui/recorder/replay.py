"""Replayer: a cursor over a recording that makes a `SessionStore` stand as it stood then.

`seek(t)` rebuilds every provider from its latest keyframe before `t` and the frames after it,
and puts the result in the store (one diff per provider: the screens redraw as after a poll).
`step(+1)` / `step(-1)` move one poll (of any provider), `incident(forward=...)` to the
previous/next provider failure, unhealthy session or ended session; `play(speed)` moves the
cursor in real time times `speed` (1×–60×), applying frames as they come. The store's event
log is the recording's last events up to the cursor; sparkline history is rebuilt for one
session on demand (`history`) and then grows while playing. `clock` is the replay's clock: give
it to the screens so ages and "live for" read as they did then.

Like the follower it has the part of `Refresher`'s shape that fits: `start`/`stop`,
`pause`/`resume`/`paused` (of playing), `interval`/`interval_for` (as recorded), and
`fetch_related`/`fetch_session` answered from the state at the cursor (`NotRecorded`).
Everything reading the file runs in a thread; the store is only touched on the event loop.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tui.models import FetchResult, Session, SessionKey
from tui.recorder import feed
from tui.recorder.db import RecordingError
from tui.recorder.reader import Incident, Recording, State
from tui.recorder.state import Applied, ProviderState
from tui.store import SessionStore
from tui.store_types import Sample, StoreEvent

MIN_SPEED, MAX_SPEED = 1.0, 60.0
TICK = 0.25  # real seconds between two moves of the cursor while playing


class ReplayClock:
    """A `Clock` whose wall time is the replay's cursor; sleeping and durations are real."""

    def __init__(self, replayer: Replayer) -> None:
        self._replayer = replayer

    def time(self) -> float:
        return self._replayer.position

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Replayer:
    """Drives `store` from the recording at `path`; see the module doc."""

    def __init__(self, store: SessionStore, path: Path, *, history_size: int = 120) -> None:
        self.path = path
        self._store = store
        self._history = history_size
        self._rec: Recording | None = None
        self._state: State | None = None
        self._bounds: tuple[float, float] | None = None
        self._position = 0.0
        self._speed = 1.0
        self._player: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.clock = ReplayClock(self)

    # -- life cycle -------------------------------------------------------------------------

    async def open(self, at: float | None = None) -> None:
        """Open the file and seek to `at` (default: the end); `RecordingError` if it cannot."""
        self._rec = await asyncio.to_thread(Recording, self.path)
        self._bounds = await asyncio.to_thread(self._rec.bounds)
        if self._bounds is None:
            raise RecordingError(self.path, "nothing recorded yet")
        await self.seek(self._bounds[1] if at is None else at)

    async def stop(self) -> None:
        self.pause()
        if self._player is not None:
            await asyncio.gather(self._player, return_exceptions=True)
        if self._rec is not None:
            self._rec.close()
            self._rec = None

    # -- where the cursor is -----------------------------------------------------------------

    @property
    def position(self) -> float:
        return self._position

    @property
    def bounds(self) -> tuple[float, float]:
        """The first and last recorded moments (the end moves while a recorder writes)."""
        return self._bounds or (self._position, self._position)

    @property
    def providers(self) -> tuple[str, ...]:
        return () if self._state is None else tuple(self._state.providers)

    def interval_for(self, provider: str) -> float:
        return self._store.status(provider).interval

    @property
    def interval(self) -> float:
        intervals = [self.interval_for(name) for name in self.providers]
        return min(intervals) if intervals else 2.0

    # -- moving -----------------------------------------------------------------------------

    async def seek(self, t: float, *, history_for: SessionKey | None = None) -> None:
        """Make the store stand as it stood at `t` (clamped to the recording)."""
        async with self._lock:
            rec = self._need()
            self._bounds = await asyncio.to_thread(rec.bounds) or self._bounds
            lo, hi = self.bounds
            t = min(max(t, lo), hi)
            state, events, histories = await asyncio.to_thread(self._build, rec, t, history_for)
            if state is None:
                raise RecordingError(self.path, "nothing recorded at that moment")
            self._state, self._position = state, t
            feed.put_state(self._store, state)
            self._store.restore(events=events, histories=histories)

    def _build(
        self, rec: Recording, t: float, key: SessionKey | None
    ) -> tuple[State | None, list[StoreEvent], dict[SessionKey, list[Sample]]]:
        state = rec.state_at(t)
        if state is not None:
            for provider in state.providers.values():
                provider.sessions()  # build here, off the event loop
        events = rec.events(until=t, last=feed.EVENT_LOG)
        histories = {} if key is None else rec.histories(t, size=self._history, only=key)
        return state, events, histories

    async def step(self, direction: int) -> bool:
        """One poll forward (`+1`) or back (`-1`); False at either end."""
        rec = self._need()
        target = await asyncio.to_thread(rec.next_poll, self._position, forward=direction > 0)
        if target is None:
            return False
        if direction > 0:
            await self.advance_to(target)
        else:
            await self.seek(target)
        return True

    async def incident(self, *, forward: bool) -> Incident | None:
        """Jump to the next (or previous) incident; None, not moving, when there is none."""
        rec = self._need()
        found = await asyncio.to_thread(rec.incident, self._position, forward=forward)
        if found is not None:
            if forward:
                await self.advance_to(found.at)
            else:
                await self.seek(found.at)
        return found

    async def advance_to(self, t: float) -> None:
        """Move forward to `t` applying the frames on the way (the diffs a live store had)."""
        async with self._lock:
            rec, state = self._need(), self._state
            if state is not None and t >= self._position:
                run = await asyncio.to_thread(rec.run_at, t)
                if run is not None and run.id == state.run.id:
                    batches = await asyncio.to_thread(self._read, rec, state, t)
                    for name, applied in batches:
                        feed.put_applied(self._store, name, applied)
                    self._position = t
                    return
        await self.seek(t)

    @staticmethod
    def _read(rec: Recording, state: State, t: float) -> list[tuple[str, Applied]]:
        out = []
        for name, provider in state.providers.items():
            for applied in rec.advance(provider, state.run, t):
                out.append((name, applied))
        out.sort(key=lambda item: item[1].t)
        state.t = t
        return out

    # -- playing ----------------------------------------------------------------------------

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = min(max(float(value), MIN_SPEED), MAX_SPEED)

    @property
    def paused(self) -> bool:
        return self._player is None or self._player.done()

    def play(self, speed: float | None = None) -> None:
        if speed is not None:
            self.speed = speed
        if self.paused:
            self._player = asyncio.create_task(self._play(), name="livetop-replay")

    resume = play

    def pause(self) -> None:
        if self._player is not None:
            self._player.cancel()

    async def _play(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            target = self._position + (now - last) * self._speed
            last = now
            end = self.bounds[1]
            await self.advance_to(min(target, end))
            if target >= end:
                return  # the end: paused there

    # -- drill-downs and history ------------------------------------------------------------

    async def fetch_related(self, provider: str, parent_id: str) -> FetchResult:
        return feed.related(self._provider(provider), provider, parent_id)

    async def fetch_session(
        self, provider: str, session_id: str, parent_id: str | None = None
    ) -> Session:
        return feed.one(self._provider(provider), provider, session_id)

    async def history(self, key: SessionKey) -> tuple[Sample, ...]:
        """Load `key`'s sparkline history at the cursor into the store (others are cleared)."""
        rec = self._need()
        found = await asyncio.to_thread(rec.histories, self._position, size=self._history, only=key)
        self._store.restore(histories=found)
        return self._store.history(key)

    def _provider(self, name: str) -> ProviderState | None:
        return None if self._state is None else self._state.providers.get(name)

    def _need(self) -> Recording:
        if self._rec is None:
            raise RecordingError(self.path, "not open")
        return self._rec
