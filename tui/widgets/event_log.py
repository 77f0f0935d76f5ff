"""EventLog: the store's events, newest first, with their time; toggled with `e`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from rich.text import Text
from textual.strip import Strip

from tui import format as fmt
from tui.store import EventKind, StoreEvent
from tui.widgets.line_view import LineView, Same

SHOWN = 200

_WORDS = {
    EventKind.WENT_LIVE: ("●", "went live", ""),
    EventKind.UNHEALTHY: ("▲", "unhealthy", "bold"),
    EventKind.RECOVERED: ("✓", "recovered", ""),
    EventKind.ENDED: ("■", "ended", ""),
    EventKind.PROVIDER_FAILED: ("✖", "provider failed", "bold"),
    EventKind.PROVIDER_RECOVERED: ("✓", "provider recovered", ""),
    EventKind.LATE: ("▲", "LATE", "bold"),
    EventKind.ENDED_EARLY: ("▲", "ENDED EARLY", "bold"),
    EventKind.OVERRUN: ("▲", "overrunning", "bold"),
    EventKind.RECORDING: ("✖", "recording", "bold"),
}


def event_line(event: StoreEvent) -> Text:
    """One event as literal text: `12:00:01 ▲ unhealthy  studio  Main stage — Keyframe…`.

    A provider event names its provider once. An event seen late, after its provider's
    outage, is not stamped with the recovery: it starts at the last good poll and says
    "(seen after the outage; between 12:00:01 and 12:03:10)".
    """
    mark, words, style = _WORDS[event.kind]
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{_clock(event.since or event.time)} ", "dim")
    text.append(f"{mark} {words:<18} ", style)
    text.append(fmt.safe_text(event.provider, 16), "dim")
    if event.name and event.key is not None:  # a provider event's name is the provider's
        text.append("  " + fmt.safe_text(event.name, 80))
    if event.detail:
        text.append(" — " + fmt.safe_text(event.detail, 200))
    if event.since is not None:
        between = f"between {_clock(event.since)} and {_clock(event.time)}"
        text.append(f" (seen after the outage; {between})", "italic")
    return text


def _clock(epoch: float) -> str:
    return f"{datetime.fromtimestamp(epoch).astimezone():%H:%M:%S}"


class EventLog(LineView):
    """The newest `SHOWN` events, newest first; hidden until toggled."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._events: Sequence[StoreEvent] = ()

    def show(self, events: Sequence[StoreEvent]) -> None:
        self._events = events
        self.redraw()

    @property
    def text(self) -> str:
        """Every line the log holds (the screen shows what fits), newest first."""
        newest = list(self._events)[-SHOWN:]
        return "\n".join(event_line(e).plain for e in reversed(newest))

    def content_height(self) -> int:
        return max(1, min(len(self._events), SHOWN))

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        events = self._events
        if not events:
            return [self.text_line(Text("No events yet.", "dim"), width)]
        newest = len(events) - 1 - top
        shown = (events[i] for i in range(newest, max(-1, newest - height), -1))
        return [
            self.memo((Same(event), width), partial(self._line, event, width)) for event in shown
        ]

    def _line(self, event: StoreEvent, width: int) -> tuple[Strip, float]:
        return self.text_line(event_line(event), width), math.inf
