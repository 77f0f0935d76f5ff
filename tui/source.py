"""What the console needs from whatever feeds its store.

Three things can: the providers, polled live (`tui.refresher.Refresher`); a recording another
process is writing, followed live without a request to any provider (`tui.recorder.Follower`,
`livetop --attach`); and a recording's past (`tui.recorder.Replayer`, `livetop replay`). The
app and the screens see only `ConsoleSource`, and in replay the `Timeline` too: they draw the
same store whichever feeds it, and ask the source only what it says of itself (`mode`,
`banner`). No Textual here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Literal, Protocol

from tui.clock import Clock
from tui.models import FetchResult, Session, SessionKey
from tui.providers.errors import ProviderError
from tui.store import SessionStore
from tui.store_types import Sample, StoreEvent

Mode = Literal["live", "attached", "replay"]
# What `p` says, resumed / paused, by what feeds the console; and why r, + and - do nothing.
PAUSE_WORDS: dict[Mode, tuple[str, str]] = {
    "live": ("polling resumed", "polling paused — p resumes"),
    "attached": ("following the recording again", "following paused — p resumes"),
    "replay": ("playing", "paused"),
}
NOT_POLLING: dict[Mode, str] = {
    "attached": "attached to a recording: `livetop record` polls the providers, not this console",
    "replay": "replaying a recording: the past has no polls to hurry",
}


@dataclass(frozen=True, slots=True)
class Banner:
    """What the header says about where the data comes from: `text` ("ATTACHED ·
    recording.db", "REPLAY"), and `trouble` when it goes wrong ("recorder stopped 2m ago")."""

    text: str
    trouble: str | None = None


class ConsoleSource(Protocol):
    """Feeds the console's store and answers its drill-downs.

    `pause`/`resume` hold the screen still (polling, following) or stop playing (replay).
    `follow_related`/`follow_session` yield each answer (or the `ProviderError` saying why
    there is none) at the provider's pace for as long as they are iterated; a drill-down
    screen's worker iterates them.
    """

    @property
    def mode(self) -> Mode: ...

    @property
    def providers(self) -> tuple[str, ...]: ...

    @property
    def paused(self) -> bool: ...

    def start(self) -> None: ...

    async def stop(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def refresh_now(self, provider: str | None = None) -> None: ...

    def focus(self, key: SessionKey | None) -> None:
        """The operator selected `key` (None: nothing): polling asks for it first."""
        ...

    def banner(self, now: float) -> Banner | None:
        """What the header says about this source at wall time `now` (None: nothing)."""
        ...

    def follow_related(
        self, provider: str, parent_id: str
    ) -> AsyncGenerator[FetchResult | ProviderError, None]: ...

    def follow_session(
        self, provider: str, session_id: str, parent_id: str | None = None
    ) -> AsyncGenerator[Session | ProviderError, None]: ...


class Incident(Protocol):
    """Where a jump to an incident landed (`tui.recorder.reader.Incident`)."""

    @property
    def at(self) -> float: ...

    @property
    def event(self) -> StoreEvent: ...


class Timeline(Protocol):
    """A replay's cursor: where it is in the recording, and the moves the replay keys make.

    Every move puts the store as it stood at the new moment (the screens redraw from it);
    moves are taken one at a time, in the order asked.
    """

    @property
    def position(self) -> float:
        """The cursor, in epoch seconds (the replay's clock)."""
        ...

    @property
    def bounds(self) -> tuple[float, float]:
        """The first and last recorded moments."""
        ...

    @property
    def speed(self) -> float: ...

    @property
    def paused(self) -> bool: ...

    @property
    def history_key(self) -> SessionKey | None:
        """The session whose sparklines stand as they stood at the cursor (the last one asked
        of `history`); None after a seek, which leaves none."""
        ...

    def play(self, speed: float | None = None) -> None: ...

    def pause(self) -> None: ...

    def change_speed(self, step: int) -> float:
        """One step faster (1) or slower (-1) along the speeds offered; the speed now."""
        ...

    async def seek(self, t: float, *, history_for: SessionKey | None = None) -> None: ...

    async def step(self, direction: int) -> bool: ...

    async def incident(self, *, forward: bool) -> Incident | None: ...

    async def history(self, key: SessionKey) -> tuple[Sample, ...]: ...


@dataclass(frozen=True, slots=True)
class Feed:
    """A console fed by something other than its own polling (attach, replay): the store it
    draws, what feeds that store, the clock the screens read (the replay's cursor in replay),
    the providers' names in the recording's order, and in replay the timeline."""

    store: SessionStore
    source: ConsoleSource
    clock: Clock
    providers: tuple[str, ...]
    timeline: Timeline | None = None
