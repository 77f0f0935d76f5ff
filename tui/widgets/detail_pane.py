"""DetailPane: every field of the selected session, its issues, profiles and rate sparklines.

Widgets are updated in place (no recompose) — about a third of the cost per refresh. A stream
or ingest key stays masked until the operator reveals it, and hides itself again after
`REVEAL_SECONDS`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.timer import Timer

from tui import format as fmt
from tui.models import Session
from tui.store import Sample
from tui.widgets.line_static import LineStatic

REVEAL_SECONDS = 10.0
MASK = "••••••••"


def _raw(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _row(text: Text, label: str, value: str, style: str = "") -> None:
    text.append(f"{label:<11}", "dim")
    text.append(value + "\n", style)


def describe(session: Session, now: datetime, *, reveal: bool, stale: bool) -> Text:
    """The pane's text for a session; provider text is appended literally, never as markup."""
    s = session
    text = Text(overflow="fold")
    text.append(fmt.safe_text(s.name or s.id, 300) + "\n", "bold")
    text.append(f"{fmt.safe_text(s.provider, 40)} · {s.kind.value}\n", "dim")
    if stale:
        text.append("STALE: the provider's last poll failed; this is its last good data\n", "bold")
    health = {True: "ok", False: "UNHEALTHY", None: "unknown"}[s.healthy]
    _row(text, "state", s.state.value, "bold")
    _row(text, "health", health, "bold" if s.healthy is False else "")
    for issue in s.issues:
        text.append("  ▲ ", "bold")
        text.append(fmt.safe_text(issue, 300) + "\n")
    _row(text, "id", fmt.safe_text(s.id, 200))
    parent = {"livepeer": "stream", "uiza": "entity", "calls": "stream call"}[s.kind.value]
    _row(text, parent, fmt.safe_text(s.parent_id, 200) if s.parent_id else fmt.DASH)
    if s.is_live and s.started_at:
        _row(text, "on air", fmt.duration((now - s.started_at).total_seconds()))
    else:
        _row(text, "duration", fmt.duration(s.duration_s))
    _row(text, "ingest", fmt.bitrate(s.ingest_bps))
    _row(text, "outgoing", fmt.bitrate(s.outgoing_bps))
    _row(text, "recording", fmt.safe_text(s.recording, 40) if s.recording else fmt.DASH)
    _row(text, "created", fmt.timestamp(s.created_at))
    _row(text, "started", fmt.timestamp(s.started_at))
    _row(text, "last seen", f"{fmt.timestamp(s.last_seen)} ({fmt.age(s.last_seen, now)})")
    _row(text, "ended", fmt.timestamp(s.ended_at))
    if s.secret is not None:
        shown = fmt.safe_text(s.secret.get_secret_value(), 200) if reveal else MASK
        hint = " (hides in 10 s)" if reveal else "  x: reveal"
        _row(text, "stream key", shown + hint, "bold" if reveal else "dim")
    if s.profiles:
        text.append("profiles\n", "dim")
        for p in s.profiles:
            size = f"{p.width}x{p.height}" if p.width and p.height else "?"
            # Livepeer's fps 0 means "as the source".
            fps = "" if p.fps is None else ("source fps" if p.fps == 0 else f"{p.fps:g} fps")
            gop = f"gop {fmt.safe_text(p.gop, 10)}" if p.gop else ""
            parts = [fmt.safe_text(p.name, 30), size, fmt.bitrate(p.bitrate), fps, gop]
            parts.append(fmt.safe_text(p.profile or "", 30))
            text.append("  " + "  ".join(x for x in parts if x) + "\n")
    if s.details:
        text.append("fields\n", "dim")
        for key, value in s.details.items():
            text.append(f"  {fmt.safe_text(key, 40)}: ", "dim")
            text.append(fmt.safe_text(_raw(value), 300) + "\n")
    return text


def stays(session: Session, now: datetime) -> float:
    """Seconds for which `describe` reads as it does at `now`: only its on-air time and
    last-seen age move with the clock."""
    wait = fmt.age_stays(session.last_seen, now)
    if session.is_live and session.started_at:
        wait = min(wait, fmt.duration_stays((now - session.started_at).total_seconds()))
    return wait


class DetailPane(VerticalScroll, can_focus=False):
    """Shows one session; `show(None)` shows a hint instead."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._session: Session | None = None
        self._reveal_until = 0.0
        self._hide_timer: Timer | None = None
        self._last: Text | None = None
        self._sparks: str | None = None
        self._now = datetime.now().astimezone()
        self._stale = False
        self._inputs: tuple[object, ...] = ()
        self._until = 0.0  # when the clock alone may change the text drawn for `_inputs`

    def compose(self) -> ComposeResult:
        yield LineStatic(id="detail-sparks")
        yield LineStatic(id="detail-text")

    @property
    def session(self) -> Session | None:
        return self._session

    @property
    def revealed(self) -> bool:
        return time.monotonic() < self._reveal_until

    def show(
        self,
        session: Session | None,
        history: Sequence[Sample],
        now: datetime,
        *,
        stale: bool = False,
    ) -> None:
        # Most calls come after a poll that did not touch this session, or on a tick that
        # moves none of its ages: nothing to draw.
        inputs = (session, history[-1] if history else None, stale, self.revealed, self.size)
        moment = now.timestamp()
        if inputs == self._inputs and moment < self._until:
            return
        self._inputs = inputs
        self._until = moment + (stays(session, now) if session else math.inf) - 1e-6
        if session is None or self._session is None or session.key != self._session.key:
            self.hide_secret()
        self._session = session
        self._now = now
        self._stale = stale
        self._redraw()
        self._draw_sparks(history)

    def _draw_sparks(self, history: Sequence[Sample]) -> None:
        width = max(8, self.scrollable_content_region.width - 22)
        text = Text(no_wrap=True, overflow="ellipsis")
        for label, values in (
            ("ingest", [s.ingest_bps or 0.0 for s in history]),
            ("outgoing", [s.outgoing_bps or 0.0 for s in history]),
        ):
            text.append(f"{label:<11}", "dim")
            text.append(fmt.spark(values, width), "bold")
            text.append(f" {fmt.bitrate(values[-1] if values else None)}\n")
        text.rstrip()
        if self._sparks is None or text.plain != self._sparks:
            self._sparks = text.plain
            # Two lines, always (livetop.tcss); a new sample repaints its bar and the value.
            self.query_one("#detail-sparks", LineStatic).update(text)

    def _redraw(self) -> None:
        session = self._session
        if session is None:
            text = Text("No session selected.\nMove with ↑/↓ or j/k; Enter drills down.", "dim")
        else:
            text = describe(session, self._now, reveal=self.revealed, stale=self._stale)
        # Skip identical text: an unchanged pane should cost no output at all.
        if self._last is None or text.plain != self._last.plain or text.spans != self._last.spans:
            self._last = text
            self._update_text(text)
        self.set_class(self._stale, "-stale")

    def _update_text(self, text: Text) -> None:
        # Only the lines that changed are repainted (a ticking age is one line, not the pane).
        self.query_one("#detail-text", LineStatic).update(text)

    def reveal_secret(self) -> bool:
        """Reveal the selected session's key for `REVEAL_SECONDS`; False when it has none."""
        if self._session is None or self._session.secret is None:
            return False
        self._reveal_until = time.monotonic() + REVEAL_SECONDS
        if self._hide_timer is not None:
            self._hide_timer.stop()
        self._hide_timer = self.set_timer(REVEAL_SECONDS, self._rehide)
        return True

    def hide_secret(self) -> None:
        self._reveal_until = 0.0
        if self._hide_timer is not None:
            self._hide_timer.stop()
            self._hide_timer = None

    def _rehide(self) -> None:
        self.hide_secret()
        self._inputs = ()
        self._redraw()
