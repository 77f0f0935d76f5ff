"""SessionSummary: the selected session on one line, where there is no room for the detail
pane (80x24 over SSH): name, state, health and why, rates, last seen. `d` opens the pane."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from rich.text import Text
from textual.strip import Strip

from tui import format as fmt
from tui.models import ProviderKind, Session, SessionState
from tui.widgets.detail_pane import schedule_note, stays
from tui.widgets.line_view import LineView, Same


def summary(session: Session | None, now: datetime) -> Text:
    """The one line: what an operator needs first about the selected session."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if session is None:
        text.append(" no session selected", "dim")
        return text
    s = session
    text.append(f" {fmt.safe_text(s.name or s.id, 60)}", "bold")
    text.append(f" · {s.state.value}")
    if s.is_live and s.viewers is not None:  # before the why: who is affected reads at 80x24
        text.append(f" · {fmt.count(s.viewers)} watching")
    if s.playback_failing:
        text.append(f" · {fmt.percent(s.playback_error_rate)} of views fail", "bold")
    if s.healthy is False:
        why = f": {fmt.safe_text(s.issues[0], 80)}" if s.issues else ""
        text.append(f" · UNHEALTHY{why}", "bold")
    if s.is_live and (s.ingest_bps is not None or s.outgoing_bps is not None):
        text.append(f" · in {fmt.bitrate(s.ingest_bps)} out {fmt.bitrate(s.outgoing_bps)}")
    if s.state is SessionState.SCHEDULED and s.scheduled_at:
        text.append(f" · {schedule_note(s, now)}", "bold")
    if s.kind is not ProviderKind.CALLS:  # a call's row time is no sign of life
        text.append(f" · seen {fmt.age(s.last_seen, now)}", "dim")
    text.append("  d: details", "dim")
    return text


class SessionSummary(LineView):
    """One line about the session under the cursor."""

    DEFAULT_CSS = "SessionSummary { height: 1; }"

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__(clock=clock, id=id)
        self._session: Session | None = None

    def show(self, session: Session | None) -> None:
        self._session = session
        self.redraw()

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        session = self._session
        return [self.memo((Same(session), width), lambda: self._line(session, width))]

    def _line(self, session: Session | None, width: int) -> tuple[Strip, float]:
        now = datetime.fromtimestamp(self.moment, UTC)
        until = self.moment + (stays(session, now) if session else math.inf)
        return self.text_line(summary(session, now), width), until
