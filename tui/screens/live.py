"""What every screen of the console is handed, and the one way it is told to draw.

Attributes down: the app builds one `ConsoleContext` and passes it to each screen it pushes;
a screen reads the store through it and never touches the app. The app tells the screens what
the store changed (`note`) and when to draw (`redraw`); a screen answers with Textual messages
(or the framework's own services: `notify`, `push_screen`), never with the app's methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from textual.app import SystemCommand
from textual.screen import Screen

from tui.absence import Rundown
from tui.clock import Clock
from tui.models import SessionKey
from tui.refresher import Refresher
from tui.store import SessionStore, StoreDiff
from tui.watch import WatchList


@dataclass(frozen=True, slots=True)
class ConsoleContext:
    """The store a screen shows, the source that feeds it, the time, the providers' names in
    configuration order, the sessions the operator watches (`w`) and tonight's rundown."""

    store: SessionStore
    source: Refresher
    clock: Clock
    providers: tuple[str, ...]
    watch: WatchList = field(default_factory=WatchList)
    rundown: Rundown = field(default_factory=lambda: Rundown(loaded_at=0.0))

    def now(self) -> datetime:
        """Now as the screens show it: to the whole second, as the header's clock reads, so
        ages agree with the clock and a second passes before any of them can change."""
        return datetime.fromtimestamp(self.clock.time(), UTC).replace(microsecond=0)

    def now_s(self) -> float:
        """`now()` in epoch seconds (what the line views' memos compare against)."""
        return float(int(self.clock.time()))

    @property
    def paused(self) -> bool:
        return self.source.paused

    def viewers_late(self, key: SessionKey | None) -> float | None:
        """How old the viewer counts of this session's provider are, when they are late."""
        if key is None or key.provider not in self.store.providers:
            return None
        return self.store.status(key.provider).viewers_late(self.clock.time())


class LiveScreen(Screen[None]):
    """A screen drawn from the store."""

    def __init__(self, context: ConsoleContext) -> None:
        super().__init__()
        self.context = context
        self.ready = False  # its widgets are composed: set by the subclass's on_mount

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
        """This screen's own entries in the command palette."""
        return ()
