"""Follower: a `SessionStore` fed live from a recording another process is writing.

Ten consoles attached to one recorder cost the providers one poller's requests: a follower
never builds a provider client. It loads the latest state (with the event log and the
sparklines' history), then reads the frames committed since, every `every` seconds, in a
thread, and hands each to the store on the event loop as the diff the recorder's store
published for it. When the writer restarts (a new run), it loads the new run's state.

It is a console source (`tui.source.ConsoleSource`, mode "attached"): `start`/`stop` (or
`async with`), `pause`/`resume`/`paused` (stop reading; the screen holds still),
`refresh_now` (read now), `interval`/`interval_for` (the recorder's polling intervals),
drill-downs answered from the recording (`fetch_*`, `follow_*`; `NotRecorded` when it holds
nothing), and a `banner` for the header that says when the recorder stopped writing. There is
no `set_interval`: the recorder polls at its own pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from tui import format as fmt
from tui.models import SessionKey
from tui.recorder import feed
from tui.recorder.db import RecordingError, writer_alive
from tui.recorder.reader import Recording, Run, State
from tui.recorder.state import Applied
from tui.source import Banner, Mode
from tui.store import SessionStore
from tui.store_types import Sample, StoreEvent

log = logging.getLogger("livetop.recorder")


@dataclass(frozen=True, slots=True)
class FollowStatus:
    """How following goes: the last recorded moment seen, whether a writer is there, trouble."""

    last: float | None = None
    writer: bool = False
    error: str | None = None


class Follower(feed.RecordedDrillDowns):
    """Feeds `store` from the recording at `path`; see the module doc."""

    mode: Mode = "attached"

    def __init__(
        self, store: SessionStore, path: Path, *, every: float = 0.5, history_size: int = 120
    ) -> None:
        self.path = path
        self._store = store
        self._every = every
        self._history = history_size
        self._rec: Recording | None = None
        self._state: State | None = None
        self._paused = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.status = FollowStatus()

    # -- life cycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the file and load the latest state; `RecordingError` (one line) if it cannot."""
        self._rec = await asyncio.to_thread(Recording, self.path)
        await self._load()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="livetop-follow")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._rec is not None:
            self._rec.close()
            self._rec = None

    async def __aenter__(self) -> Self:
        if self._rec is None:
            await self.open()
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- controls ---------------------------------------------------------------------------

    @property
    def providers(self) -> tuple[str, ...]:
        return () if self._state is None else tuple(self._state.providers)

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self._wake.set()

    def refresh_now(self, provider: str | None = None) -> None:
        """Read the recording now (there is nothing to ask a provider)."""
        self._wake.set()

    def focus(self, key: SessionKey | None) -> None:
        """Nothing to ask first: the recorder polls, not this console."""

    @property
    def interval(self) -> float:
        intervals = [self.interval_for(name) for name in self.providers]
        return min(intervals) if intervals else 2.0

    def interval_for(self, provider: str) -> float:
        if provider not in self._store.providers:
            return 2.0
        return self._store.status(provider).interval

    def banner(self, now: float) -> Banner:
        """`ATTACHED · recording.db`, and what is wrong: the file cannot be read, or no
        recorder writes it any more (since when)."""
        text = f"ATTACHED · {fmt.safe_text(self.path.name, 40)}"
        status = self.status
        if status.error is not None:
            return Banner(text, fmt.safe_text(status.error, 120))
        if status.writer or status.last is None:
            return Banner(text)
        when = datetime.fromtimestamp(status.last, UTC)
        ago = fmt.duration(now - status.last)
        return Banner(text, f"recorder stopped · last recorded {when:%H:%M:%S} UTC, {ago} ago")

    # -- reading ----------------------------------------------------------------------------

    async def _run(self) -> None:
        if self._rec is None:
            try:
                await self.open()
            except RecordingError as exc:
                self.status = FollowStatus(error=str(exc))
                log.warning("follow: %s", exc)
                return
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._every)
            self._wake.clear()
            if self._paused:
                continue
            try:
                await self._step()
            except RecordingError as exc:
                if str(exc) != self.status.error:
                    log.warning("follow: %s", exc)
                self.status = FollowStatus(self.status.last, self.status.writer, str(exc))
                self._state = None  # start again from a fresh state next time
            # Age-based staleness, as a polling console's store gets it: data the recorder
            # stopped bringing is marked stale on screen (the last good data stays).
            self._store.tick()

    async def _load(self) -> None:
        rec = self._rec
        assert rec is not None
        state, events, histories = await asyncio.to_thread(self._latest, rec)
        if state is None:
            return
        feed.put_state(self._store, state)
        self._store.restore(events=events, histories=histories)
        self._state = state
        self._note(state.t)

    def _latest(
        self, rec: Recording
    ) -> tuple[State | None, list[StoreEvent], dict[SessionKey, list[Sample]]]:
        bounds = rec.bounds()
        if bounds is None:
            return None, [], {}
        end = bounds[1]
        state = rec.state_at(end)
        if state is not None:
            for provider in state.providers.values():
                provider.sessions()  # build here, off the event loop
        events = rec.events(until=end, last=feed.EVENT_LOG)
        return state, events, rec.histories(end, size=self._history)

    async def _step(self) -> None:
        rec = self._rec
        assert rec is not None
        if self._state is None:
            await self._load()
            return
        latest = await asyncio.to_thread(rec.run_at, float("inf"))
        if latest is not None and latest.id != self._state.run.id:
            await self._load()
            return
        batches = await asyncio.to_thread(self._read, rec, self._state)
        for name, applied in batches:
            feed.put_applied(self._store, name, applied)
        self._note(max((p.t for p in self._state.providers.values()), default=None))

    @staticmethod
    def _read(rec: Recording, state: State) -> list[tuple[str, Applied]]:
        out = []
        run: Run = state.run
        for name, provider in state.providers.items():
            for applied in rec.advance(provider, run, float("inf")):
                out.append((name, applied))
        out.sort(key=lambda item: item[1].t)  # stable: each provider's frames stay in order
        return out

    def _note(self, last: float | None) -> None:
        if last is not None and last == float("-inf"):
            last = None
        self.status = FollowStatus(last, writer_alive(self.path), None)
