"""StatusHeader: product name, what is live and what is in trouble, PAUSED, and the clocks."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Span, Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from tui.store import Counts


class _Status(Static):
    DEFAULT_CSS = "_Status { width: 1fr; height: 1; }"


class _Clock(Static):
    DEFAULT_CSS = "_Clock { width: auto; height: 1; }"


class StatusHeader(Horizontal):
    """One line across the top. The clock ticks once a second; counts change with the store.

    The clock is a widget of its own: Textual re-sends a changed widget's line from the start
    of that widget, so its tick costs ~40 bytes instead of the whole header's ~340. The
    reactives do not repaint the header themselves (that would re-send both parts): `_show`
    updates the part that changed.
    """

    counts: reactive[Counts] = reactive(Counts(0, 0, 0, 0), repaint=False)
    paused: reactive[bool] = reactive(False, repaint=False)
    now: reactive[datetime] = reactive(lambda: datetime.now(UTC), repaint=False)
    crumbs: reactive[str] = reactive("", repaint=False)

    def __init__(self) -> None:
        super().__init__()
        self._shown_status: tuple[str, list[Span]] | None = None
        self._shown_clock: str | None = None

    def compose(self) -> ComposeResult:
        yield _Status()
        yield _Clock()

    def on_mount(self) -> None:
        self._show()

    def on_resize(self, _: events.Resize) -> None:
        self._show()

    def watch_paused(self, paused: bool) -> None:
        self.set_class(paused, "-paused")

    def _watch_counts(self) -> None:
        self._show()

    def _watch_paused(self) -> None:
        self._show()

    def _watch_now(self) -> None:
        self._show()

    def _watch_crumbs(self) -> None:
        self._show()

    def status_text(self) -> Text:
        """Everything left of the clock."""
        c = self.counts
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" livetop ", "bold")
        text.append(f" ● {c.live} live ", "bold")
        if c.unhealthy:
            text.append(f" ▲ {c.unhealthy} unhealthy ", "bold reverse")
        else:
            text.append(" 0 unhealthy ")
        if c.stale:
            text.append(f" ~ {c.stale} stale ")
        if self.paused:
            text.append(" ❚❚ PAUSED ", "bold reverse")
        if self.crumbs:
            text.append(f"  {self.crumbs}", "italic")
        return text

    def clock_text(self) -> str:
        local = self.now.astimezone()
        clock = f"{self.now:%H:%M:%S} UTC "
        if local.utcoffset():
            clock = f"{clock}· {local:%H:%M:%S} {local:%Z} "
        return clock

    def _show(self) -> None:
        if not self.is_mounted:
            return
        text, clock = self.status_text(), self.clock_text()
        # The clock only where it fits with a space to spare; each part only when it changed.
        shown = clock if self.size.width - text.cell_len - len(clock) >= 1 else ""
        if (text.plain, text.spans) != self._shown_status:
            self._shown_status = (text.plain, text.spans)
            self.query_one(_Status).update(text, layout=False)
        if shown != self._shown_clock:
            # A clock of another length (shown, hidden) takes another width: lay out.
            layout = len(shown) != len(self._shown_clock or "")
            self._shown_clock = shown
            self.query_one(_Clock).update(Text(shown), layout=layout)
