"""What every screen of the console is handed, and the one way it is told to draw.

Attributes down: the app builds one `ConsoleContext` and passes it to each screen it pushes;
a screen reads the store through it and never touches the app. The app tells the screens what
the store changed (`note`) and when to draw (`redraw`); a screen answers with Textual messages
(or the framework's own services: `notify`, `push_screen`), never with the app's methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from textual.app import SystemCommand
from textual.binding import BindingType
from textual.screen import Screen
from textual.worker import Worker

from tui.absence import Rundown
from tui.clock import Clock
from tui.models import SessionKey
from tui.recorder.status import RecordingStatus
from tui.screens import replay
from tui.source import Banner, ConsoleSource, Feed, Timeline
from tui.store import SessionStore, StoreDiff
from tui.watch import WatchList


def _no_recording() -> RecordingStatus | None:
    return None


@dataclass(frozen=True, slots=True)
class ConsoleContext:
    """The store a screen shows, the source that feeds it, the time (in replay, the replay's
    cursor), the providers' names in configuration order, the sessions the operator watches
    (`w`) and tonight's rundown; in replay the `timeline`; and how the console's own recording
    goes (`recording`)."""

    store: SessionStore
    source: ConsoleSource
    clock: Clock
    providers: tuple[str, ...]
    watch: WatchList = field(default_factory=WatchList)
    rundown: Rundown = field(default_factory=lambda: Rundown(loaded_at=0.0))
    timeline: Timeline | None = None
    recording: Callable[[], RecordingStatus | None] = _no_recording

    @classmethod
    def of(
        cls,
        feed: Feed,
        watch: WatchList,
        rundown: Rundown,
        *,
        recording: Callable[[], RecordingStatus | None],
    ) -> ConsoleContext:
        """The context of a console fed by `feed`; `recording`: its own recording's status."""
        return cls(
            feed.store,
            feed.source,
            feed.clock,
            feed.providers,
            watch,
            rundown,
            feed.timeline,
            recording,
        )

    def now(self) -> datetime:
        """Now as the screens show it: to the whole second, as the header's clock reads, so
        ages agree with the clock and a second passes before any of them can change."""
        return datetime.fromtimestamp(self.clock.time(), UTC).replace(microsecond=0)

    def now_s(self) -> float:
        """`now()` in epoch seconds (what the line views' memos compare against)."""
        return float(int(self.clock.time()))

    @property
    def paused(self) -> bool:
        """Polling or following held still (a replay standing still is not "paused": the
        timeline bar says whether it plays)."""
        return self.timeline is None and self.source.paused

    def banner(self) -> Banner | None:
        """What the header says about where the data comes from, or that recording stopped."""
        found = self.source.banner(self.clock.time())
        status = self.recording()
        if found is None and status is not None and status.state == "stopped":
            return Banner("NOT RECORDING", status.message)
        return found

    def viewers_late(self, key: SessionKey | None) -> float | None:
        """How old the viewer counts of this session's provider are, when they are late."""
        if key is None or key.provider not in self.store.providers:
            return None
        return self.store.status(key.provider).viewers_late(self.clock.time())


class LiveScreen(Screen[None]):
    """A screen drawn from the store. In replay it also takes the replay keys (`replay.py`)."""

    BINDINGS: ClassVar[list[BindingType]] = replay.BINDINGS

    def __init__(self, context: ConsoleContext) -> None:
        super().__init__()
        self.context = context
        self.ready = False  # its widgets are composed: set by the subclass's on_mount
        self._history_asked: tuple[SessionKey, Worker[None]] | None = None  # in replay

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The replay keys exist only in replay; elsewhere the key goes on to other bindings.
        return self.context.timeline is not None or action != "replay"

    def action_replay(self, move: str) -> None:
        if self.context.timeline is not None:
            replay.act(self, self.context.timeline, move)

    def key_entries(self, keys: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """What the key bar shows: in replay the replay keys first; attached or in replay,
        without the keys that only mean something when polling (they say so if pressed)."""
        if self.context.source.mode == "live":
            return tuple(keys)
        polling = {"r", "+ -", "^r"} | ({"p"} if self.context.timeline is not None else set())
        kept = tuple(k for k in keys if k[0] not in polling)
        return (replay.KEYS + kept) if self.context.timeline is not None else kept

    def want_history(self, key: SessionKey | None) -> None:
        """In replay, load this session's sparklines as they stood at the cursor (again after
        a seek, which clears them; moving forward keeps them growing)."""
        timeline = self.context.timeline
        if timeline is None or key is None or key == timeline.history_key:
            return
        asked = self._history_asked
        if asked is not None and asked[0] == key and not asked[1].is_finished:
            return  # on its way
        # The latest cursor only: one that was waiting is dropped (scrolling past rows costs
        # nothing; the one the cursor rests on is loaded).
        work = replay.load_history(self, timeline, key)
        self._history_asked = (key, self.run_worker(work, group="history", exclusive=True))

    def show_timeline(self) -> None:
        """Draw the timeline bar (in replay; elsewhere there is none)."""
        timeline = self.context.timeline
        if timeline is not None:
            replay.show(self, timeline)

    def on_mount(self) -> None:
        # Without colour (NO_COLOR) Textual draws in greys: styles that lean on colour to
        # stand out (trouble) switch to reverse video (livetop.tcss, `.-mono`).
        self.set_class(getattr(self.app, "no_color", False), "-mono")

    def note(self, diffs: Sequence[StoreDiff], first_loads: set[str]) -> None:
        """What the store changed since the last call (`first_loads`: providers whose first
        data these diffs carry). Called for every screen on the stack, shown or not."""

    def redraw(self, *, tick: bool = False) -> None:
        """Draw from the store now, repainting only what changed; `tick`: the 1 s tick that
        also moves clocks and ages."""
        raise NotImplementedError

    def system_commands(self) -> Iterable[SystemCommand]:
        """This screen's own entries in the command palette (in replay, the replay's)."""
        if self.context.timeline is None:
            return
        for title, key, move in replay.COMMANDS:
            yield SystemCommand(title, key, partial(self.action_replay, move))
