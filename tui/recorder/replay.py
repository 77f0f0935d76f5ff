"""Replayer: a cursor over a recording that makes a `SessionStore` stand as it stood then.

`seek(t)` rebuilds every provider from its latest keyframe before `t` and the frames after it,
and puts the result in the store (one diff per provider: the screens redraw as after a poll).
`step(+1)` / `step(-1)` move one poll (of any provider), `incident(forward=...)` to the
previous/next provider failure, unhealthy session or ended session; `play(speed)` moves the
cursor in real time times `speed` (1×–60×), applying frames as they come. The store's event
log is the recording's last events up to the cursor; sparkline history is rebuilt for one
session on demand (`history`, a few hundred ms at 10,000 sessions: after the seek has been
drawn; a move asked meanwhile stops it, so a key never waits for sparklines), and grows for
every session while the cursor moves forward; a seek clears it (`history_key` None: ask
again). `clock` is the replay's clock: give it to the screens so ages and
"live for" read as they did then.

It is a console source (`tui.source.ConsoleSource`, mode "replay") and the replay's
`tui.source.Timeline`: `start`/`stop`, `pause`/`resume`/`paused` (of playing), `interval`/
`interval_for` (as recorded), and drill-downs answered from the state at the cursor
(`fetch_*`, `follow_*`; `NotRecorded` when it holds nothing).

Moves are taken one at a time, in the order asked (a lock). Everything reading the file runs
in one thread of its own, so reads never overlap even when a move is cancelled; the store is
only touched on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from tui.models import SessionKey
from tui.recorder import feed
from tui.recorder.db import RecordingError
from tui.recorder.reader import Incident, Interrupted, Recording, State
from tui.recorder.state import Applied
from tui.source import Banner, Mode
from tui.store import SessionStore
from tui.store_types import Sample, StoreEvent

MIN_SPEED, MAX_SPEED = 1.0, 60.0
SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # what the speed keys step through
TICK = 0.25  # real seconds between two moves of the cursor while playing
T = TypeVar("T")
log = logging.getLogger("livetop.recorder")


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


class Replayer(feed.RecordedDrillDowns):
    """Drives `store` from the recording at `path`; see the module doc. `at`: where `start()`
    puts the cursor (default: the end)."""

    mode: Mode = "replay"

    def __init__(
        self,
        store: SessionStore,
        path: Path,
        *,
        at: float | None = None,
        history_size: int = 120,
    ) -> None:
        self.path = path
        self._store = store
        self._at = at
        self._history = history_size
        self._rec: Recording | None = None
        self._state: State | None = None
        self._bounds: tuple[float, float] | None = None
        self._position = 0.0 if at is None else at
        self._speed = 1.0
        self._playing = False
        self._player: asyncio.Task[None] | None = None
        self._opening: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="livetop-replay")
        self._dirty = False  # a move was cancelled half way: the state is not the store's
        self._history_key: SessionKey | None = None  # whose sparklines follow the cursor
        # The latest history rebuild's stop: a move asked for (or a later rebuild) sets it,
        # and the rebuild gives way, whether reading or still waiting for its turn.
        self._history_stop = threading.Event()
        self.error: str | None = None  # why the recording could not be opened
        self.clock = ReplayClock(self)

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the file and seek to `at` in a task (a failure shows in `banner`)."""
        if self._opening is None:
            self._opening = asyncio.create_task(self._start(), name="livetop-replay-open")

    async def _start(self) -> None:
        try:
            await self.open(self._at)
        except RecordingError as exc:
            self.error = str(exc)
            log.warning("replay: %s", exc)

    async def open(self, at: float | None = None) -> None:
        """Open the file and seek to `at` (default: the end); `RecordingError` if it cannot."""
        async with self._lock:
            self._rec = await self._read(Recording, self.path)
            self._bounds = await self._read(self._rec.bounds)
            if self._bounds is None:
                raise RecordingError(self.path, "nothing recorded yet")
            await self._seek(self._bounds[1] if at is None else at)

    async def stop(self) -> None:
        self.pause()
        for task in (self._player, self._opening):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        async with self._lock:
            if self._rec is not None:
                await self._read(self._rec.close)
                self._rec = None
        self._reader.shutdown(wait=False)

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
        if provider not in self._store.providers:
            return 2.0
        return self._store.status(provider).interval

    @property
    def interval(self) -> float:
        intervals = [self.interval_for(name) for name in self.providers]
        return min(intervals) if intervals else 2.0

    def banner(self, now: float) -> Banner:
        return Banner("REPLAY", self.error)

    # -- moving -----------------------------------------------------------------------------

    async def seek(self, t: float, *, history_for: SessionKey | None = None) -> None:
        """Make the store stand as it stood at `t` (clamped to the recording); `history_for`:
        the session whose sparklines to rebuild with it (else none are)."""
        self._history_stop.set()
        async with self._lock:
            await self._seek(t, history_for)

    async def step(self, direction: int) -> bool:
        """One poll forward (`+1`) or back (`-1`); False at either end."""
        self._history_stop.set()
        async with self._lock:
            rec = self._need()
            target = await self._read(rec.next_poll, self._position, forward=direction > 0)
            if target is None:
                return False
            await (self._advance(target) if direction > 0 else self._seek(target))
            return True

    async def incident(self, *, forward: bool) -> Incident | None:
        """Jump to the next (or previous) incident; None, not moving, when there is none."""
        self._history_stop.set()
        async with self._lock:
            rec = self._need()
            found = await self._read(rec.incident, self._position, forward=forward)
            if found is not None:
                await (self._advance(found.at) if forward else self._seek(found.at))
            return found

    async def advance_to(self, t: float) -> None:
        """Move forward to `t` applying the frames on the way (the diffs a live store had)."""
        async with self._lock:
            await self._advance(t)

    async def _seek(self, t: float, key: SessionKey | None = None) -> None:
        rec = self._need()
        self._bounds = await self._read(rec.bounds) or self._bounds
        lo, hi = self.bounds
        t = min(max(t, lo), hi)
        state, events, histories = await self._read(self._build, rec, t, key)
        if state is None:
            raise RecordingError(self.path, "nothing recorded at that moment")
        self._state, self._position, self._dirty = state, t, False
        self._history_key = key
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

    async def _advance(self, t: float) -> None:
        rec, state = self._need(), self._state
        if state is not None and t >= self._position and not self._dirty:
            run = await self._read(rec.run_at, t)
            if run is not None and run.id == state.run.id:
                try:
                    batches = await self._read(self._frames, rec, state, t)
                except asyncio.CancelledError:
                    self._dirty = True  # the reader moved the state on without the store
                    raise
                for name, applied in batches:
                    feed.put_applied(self._store, name, applied)
                self._position = t
                return
        await self._seek(t)

    @staticmethod
    def _frames(rec: Recording, state: State, t: float) -> list[tuple[str, Applied]]:
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

    def change_speed(self, step: int) -> float:
        """The next speed of `SPEEDS` up (`step` > 0) or down; the speed now."""
        if step > 0:
            self.speed = next((s for s in SPEEDS if s > self._speed), MAX_SPEED)
        else:
            self.speed = next((s for s in reversed(SPEEDS) if s < self._speed), MIN_SPEED)
        return self._speed

    @property
    def paused(self) -> bool:
        return not self._playing

    @property
    def history_key(self) -> SessionKey | None:
        return self._history_key

    def play(self, speed: float | None = None) -> None:
        """Play from the cursor, up to the end of the recording (where it pauses)."""
        if speed is not None:
            self.speed = speed
        self._playing = True
        if self._player is None or self._player.done():
            self._player = asyncio.create_task(self._play(), name="livetop-replay")

    resume = play

    def pause(self) -> None:
        """Stop playing (after the move under way: a move is never cut half way)."""
        self._playing = False

    def refresh_now(self, provider: str | None = None) -> None:
        """Nothing to refresh: the past does not change."""

    def focus(self, key: SessionKey | None) -> None:
        """Nothing to ask first: the past does not change."""

    async def _play(self) -> None:
        try:
            last = time.monotonic()
            while self._playing:
                await asyncio.sleep(TICK)
                if not self._playing:
                    return
                async with self._lock:
                    rec = self._need()
                    self._bounds = await self._read(rec.bounds) or self._bounds
                    now = time.monotonic()
                    target = self._position + (now - last) * self._speed
                    last = now
                    end = self.bounds[1]
                    await self._advance(min(target, end))
                if target >= end:
                    return  # the end: paused there
        except RecordingError as exc:
            self.error = str(exc)
            log.warning("replay: %s", exc)
        finally:
            self._playing = False

    # -- sparkline history ------------------------------------------------------------------

    async def history(self, key: SessionKey) -> tuple[Sample, ...]:
        """Load `key`'s sparkline history at the cursor into the store (others are cleared);
        moving forward keeps it growing. A move asked meanwhile, even before this one's turn,
        goes first: then nothing is loaded (`history_key` None: ask again at the new moment).
        A later `history` supersedes this one the same way."""
        self._history_key = key  # asked for: not twice
        self._history_stop.set()  # an earlier rebuild, still reading, is no longer wanted
        stop = self._history_stop = threading.Event()
        async with self._lock:
            rec, t = self._need(), self._position
            try:
                if stop.is_set():
                    raise Interrupted
                found = await self._read(rec.histories, t, size=self._history, only=key, stop=stop)
            except Interrupted:
                if stop is self._history_stop:  # a move's doing (not a later history's)
                    self._history_key = None
                return ()
            self._store.restore(histories=found)
            self._history_key = key
            return self._store.history(key)

    # -- internals --------------------------------------------------------------------------

    async def _read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn` in the reader's own thread (one at a time, even after a cancelled move)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, partial(fn, *args, **kwargs))

    def _need(self) -> Recording:
        if self._rec is None:
            raise RecordingError(self.path, "not open")
        return self._rec
