"""EventLog: the store's events, newest first, with their time; toggled with `e`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import islice

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui import format as fmt
from tui.store import EventKind, StoreEvent

SHOWN = 200

_WORDS = {
    EventKind.WENT_LIVE: ("●", "went live", ""),
    EventKind.UNHEALTHY: ("▲", "unhealthy", "bold"),
    EventKind.RECOVERED: ("✓", "recovered", ""),
    EventKind.ENDED: ("■", "ended", ""),
    EventKind.PROVIDER_FAILED: ("✖", "provider failed", "bold"),
    EventKind.PROVIDER_RECOVERED: ("✓", "provider recovered", ""),
}


def event_line(event: StoreEvent) -> Text:
    """One event as literal text: `12:00:01 ▲ unhealthy  studio  Main stage — Keyframe…`."""
    mark, words, style = _WORDS[event.kind]
    when = datetime.fromtimestamp(event.time).astimezone()
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{when:%H:%M:%S} ", "dim")
    text.append(f"{mark} {words:<18} ", style)
    text.append(fmt.safe_text(event.provider, 16) + "  ", "dim")
    if event.name:
        text.append(fmt.safe_text(event.name, 80))
    if event.detail:
        text.append(" — " + fmt.safe_text(event.detail, 200))
    return text


class EventLog(VerticalScroll, can_focus=False):
    """The newest `SHOWN` events; hidden until toggled."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown_count = -1
        self._newest: StoreEvent | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("No events yet.", "dim"), id="event-text")

    def show(self, events: Sequence[StoreEvent]) -> None:
        newest = events[-1] if events else None
        if newest is self._newest and len(events) == self._shown_count:
            return
        self._newest, self._shown_count = newest, len(events)
        if not events:
            return
        lines = [event_line(e) for e in islice(reversed(events), SHOWN)]
        self.query_one("#event-text", Static).update(Text("\n").join(lines))
