"""DetailPane: every field of the selected session, its issues, profiles and rate sparklines.

A `LineView`: moving to another session repaints only the cells whose text differs, and a
ticking age only its own cells. A stream or ingest key stays masked until the operator reveals
it, and hides itself again after `REVEAL_SECONDS`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.timer import Timer

from tui import format as fmt
from tui.issue_classes import classify
from tui.models import ProviderKind, Session, SessionState
from tui.store import Sample
from tui.widgets.line_view import LineView, Same
from tui.widgets.sparklines import sparklines

REVEAL_SECONDS = 10.0
MASK = "••••••••"


def _raw(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _or_invalid(invalid: frozenset[str], field: str, shown: str) -> str:
    return f"{fmt.INVALID} (the provider sent an absurd value)" if field in invalid else shown


def _row(label: str, value: str, style: str = "") -> Text:
    """A field on one line, cut to fit."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{label:<10} ", "dim")  # a space even after the longest ("stream call")
    text.append(value, style)
    return text


def _folded(*parts: tuple[str, str]) -> Text:
    """A line that folds onto the next ones when it is too long."""
    text = Text(overflow="fold")
    for part, style in parts:
        text.append(part, style)
    return text


def audience(session: Session, late: float | None = None) -> str:
    """Viewers and how many of their views fail, and how old the count is when it is late."""
    s, bad = session, session.invalid
    if not s.is_live or (s.viewers is None and s.playback_error_rate is None and not bad):
        return fmt.DASH
    viewers = _or_invalid(bad, "viewers", fmt.count(s.viewers))
    errors = _or_invalid(bad, "playback_error_rate", fmt.percent(s.playback_error_rate))
    text = f"{viewers} · {errors} of views fail"
    return text if late is None else f"{text} · counted {fmt.duration(late)} ago"


def describe(
    session: Session,
    now: datetime,
    *,
    reveal: bool,
    stale: bool,
    fields: bool = True,
    viewers_late: float | None = None,
) -> list[Text]:
    """The pane's lines for a session; provider text is appended literally, never as markup.

    First the fields every session has, one line each and cut to fit, so that moving from one
    session to another repaints their values and no line moves; then what varies in length:
    issues, profiles and the provider's raw fields (or, without `fields`, a line saying how
    many there are), which fold.
    """
    s = session
    lines = [
        Text(fmt.safe_text(s.name or s.id, 300), "bold", no_wrap=True, overflow="ellipsis"),
        Text(f"{fmt.safe_text(s.provider, 40)} · {s.kind.value}", "dim", no_wrap=True),
    ]
    if stale:
        lines.append(
            _folded(("STALE: the provider's last poll failed; this is its last good data", "bold"))
        )
    health = {
        True: "ok",
        False: "UNHEALTHY",
        None: "unknown: not reported by the provider",
    }[s.healthy]
    lines.append(_row("state", s.state.value, "bold"))
    lines.append(_row("health", health, "bold" if s.healthy is False else ""))
    lines.append(_row("id", fmt.safe_text(s.id, 200)))
    parent = {"livepeer": "stream", "uiza": "entity", "calls": "stream call"}[s.kind.value]
    lines.append(_row(parent, fmt.safe_text(s.parent_id, 200) if s.parent_id else fmt.DASH))
    bad = s.invalid  # fields the provider sent absurd values for: said, not shown as numbers
    if s.is_live and s.started_at:
        lines.append(_row("on air", fmt.duration((now - s.started_at).total_seconds())))
    else:
        lines.append(_row("duration", _or_invalid(bad, "duration_s", fmt.duration(s.duration_s))))
    lines.append(_row("ingest", _or_invalid(bad, "ingest_bps", fmt.bitrate(s.ingest_bps))))
    lines.append(_row("outgoing", _or_invalid(bad, "outgoing_bps", fmt.bitrate(s.outgoing_bps))))
    lines.append(_row("viewers", audience(s, viewers_late), "bold" if s.playback_failing else ""))
    recording = fmt.safe_text(s.recording, 40) if s.recording else fmt.DASH
    lines.append(_row("recording", recording))
    lines.append(_row("created", _or_invalid(bad, "created_at", fmt.timestamp(s.created_at))))
    if s.scheduled_at is not None:
        planned = f"{fmt.timestamp(s.scheduled_at)} ({schedule_note(s, now)})"
        lines.append(_row("scheduled", planned))
    elif "scheduled_at" in bad:
        lines.append(_row("scheduled", _or_invalid(bad, "scheduled_at", "")))
    lines.append(_row("started", _or_invalid(bad, "started_at", fmt.timestamp(s.started_at))))
    seen = f"{fmt.timestamp(s.last_seen)} ({fmt.age(s.last_seen, now)})"
    # A call's row time is when the row was last written, not a sign of life.
    seen_label = "updated" if s.kind is ProviderKind.CALLS else "last seen"
    lines.append(_row(seen_label, _or_invalid(bad, "last_seen", seen)))
    lines.append(_row("ended", _or_invalid(bad, "ended_at", fmt.timestamp(s.ended_at))))
    if s.secret is not None:
        shown = fmt.safe_text(s.secret.get_secret_value(), 200) if reveal else MASK
        hint = " (hides in 10 s)" if reveal else "  x: reveal"
        lines.append(_row("stream key", shown + hint, "bold" if reveal else "dim"))
    for issue in s.issues:  # where the fault is, then the provider's own words
        where = f"{classify(issue)}: "
        lines.append(_folded(("▲ ", "bold"), (where, "dim"), (fmt.safe_text(issue, 300), "")))
    if s.profiles:
        lines.append(_row("profiles", ""))
        for p in s.profiles:
            size = f"{p.width}x{p.height}" if p.width and p.height else "?"
            # Livepeer's fps 0 means "as the source".
            fps = "" if p.fps is None else ("source fps" if p.fps == 0 else f"{p.fps:g} fps")
            gop = f"gop {fmt.safe_text(p.gop, 10)}" if p.gop else ""
            parts = [fmt.safe_text(p.name, 30), size, fmt.bitrate(p.bitrate), fps, gop]
            parts.append(fmt.safe_text(p.profile or "", 30))
            lines.append(_folded(("  " + "  ".join(x for x in parts if x), "")))
    if s.details and not fields:
        hint = f"{len(s.details)} from the provider · f shows them"
        lines.append(_row("fields", hint, "dim"))
    elif s.details:
        lines.append(_row("fields", ""))
        for key, value in s.details.items():
            lines.append(
                _folded(
                    (f"  {fmt.safe_text(key, 40)}: ", "dim"), (fmt.safe_text(_raw(value), 300), "")
                )
            )
    return lines


def schedule_note(s: Session, now: datetime) -> str:
    """How a planned start reads now: "starts in 12m", "late 3m" while it has not started;
    once it has, "started 3m late" or "started on time" (within a minute)."""
    assert s.scheduled_at is not None
    if s.state is SessionState.SCHEDULED:
        ahead = (s.scheduled_at - now).total_seconds()
        return ("starts " if ahead > 0 else "") + fmt.countdown(ahead)
    if s.started_at is None:
        return s.state.value
    late = (s.started_at - s.scheduled_at).total_seconds()
    return f"started {fmt.duration(late)} late" if late >= 60 else "started on time"


def stays(session: Session, now: datetime) -> float:
    """Seconds for which `describe` reads as it does at `now`: only its on-air time, its
    countdown and the last-seen age move with the clock."""
    wait = fmt.age_stays(session.last_seen, now)
    if session.is_live and session.started_at:
        wait = min(wait, fmt.duration_stays((now - session.started_at).total_seconds()))
    if session.state is SessionState.SCHEDULED and session.scheduled_at:
        ahead = (session.scheduled_at - now).total_seconds()
        wait = min(wait, fmt.countdown_stays(ahead))
    return wait


class DetailPane(LineView, can_focus=True):
    """Shows one session, sparklines first; `show(None)` shows a hint instead. It scrolls
    (↑/↓, PgUp/PgDn, Home/End) when focused, and with the mouse wheel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_lines(-1)", "Up", show=False),
        Binding("down,j", "scroll_lines(1)", "Down", show=False),
        Binding("pageup", "scroll_pages(-1)", "Page up", show=False),
        Binding("pagedown", "scroll_pages(1)", "Page down", show=False),
        Binding("home,g", "scroll_lines(-1000000)", "Top", show=False),
        Binding("end,G", "scroll_lines(1000000)", "Bottom", show=False),
    ]

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        fields: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(clock=clock, id=id)
        self.fields = fields  # the provider's raw fields, or a line saying how many
        self._session: Session | None = None
        self._history: Sequence[Sample] = ()
        self._stale = False
        self._late: float | None = None
        self._reveal_until = 0.0
        self._hide_timer: Timer | None = None
        self._lines: list[Strip] = []  # the whole document last drawn
        self._height = 0

    @property
    def session(self) -> Session | None:
        return self._session

    @property
    def text(self) -> str:
        """The whole document's plain text (the pane shows what fits; it scrolls)."""
        return "\n".join(line.text.rstrip() for line in self._lines)

    @property
    def revealed(self) -> bool:
        return time.monotonic() < self._reveal_until

    def show(
        self,
        session: Session | None,
        history: Sequence[Sample],
        *,
        stale: bool,
        viewers_late: float | None = None,
    ) -> None:
        """Show this session (its rate history, whether its data is stale, how old its
        viewer count is when late); only the cells that now read differently are repainted."""
        if session is None or self._session is None or session.key != self._session.key:
            self.hide_secret()
            if session is not None and self._session is not None:
                self.scroll_to(y=0, animate=False, immediate=True)
        self._session, self._history, self._stale = session, history, stale
        self._late = None if viewers_late is None else float(int(viewers_late))
        self.set_class(stale, "-stale")
        self.redraw()

    # -- drawing ------------------------------------------------------------------------------

    def content_height(self) -> int:
        return self._height

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        session, history = self._session, self._history
        inputs = (
            Same(session),
            history[-1] if history else None,
            self._stale,
            self._late,
            self.revealed,
            self.fields,
            width,
        )
        document: list[Strip] = self.memo(inputs, lambda: self._document(width))
        self._lines = document
        self._height = len(document)  # the scrollable height follows the document
        window = document[top : top + height]
        # No scrollbar (a thumb that moves with every other session repaints a whole
        # column): the first and last lines say what is above and below instead.
        below = len(document) - top - height
        if below > 0:
            window[-1] = self.memo(("below", below, width), partial(self._more, "▼", below, width))
        if top > 0 and window:
            window[0] = self.memo(("above", top, width), partial(self._more, "▲", top, width))
        return window

    def _more(self, arrow: str, lines: int, width: int) -> tuple[Strip, float]:
        keys = "↓ PgDn" if arrow == "▼" else "↑ PgUp"
        text = Text(f"{arrow} {lines} more line{'s' if lines > 1 else ''} ({keys})", "dim")
        return self.text_line(text, width), math.inf

    def _document(self, width: int) -> tuple[list[Strip], float]:
        """Every line of the pane, and until when the clock leaves them as they read."""
        session = self._session
        now = datetime.fromtimestamp(self.moment, UTC)
        if session is None:
            hint = Text("No session selected.\nMove with ↑/↓ or j/k; Enter drills down.", "dim")
            return self.text_lines(hint, width), math.inf
        strips = [
            self.text_line(line, width)
            for line in sparklines(self._history, max(8, width - 22)).split("\n")
        ]
        lines = describe(
            session,
            now,
            reveal=self.revealed,
            stale=self._stale,
            fields=self.fields,
            viewers_late=self._late,
        )
        for line in lines:
            if line.no_wrap:
                strips.append(self.text_line(line, width))
            else:
                strips.extend(self.text_lines(line, width))
        return strips, self.moment + stays(session, now) - 1e-6

    # -- the stream key ------------------------------------------------------------------------

    @property
    def allow_vertical_scroll(self) -> bool:
        # No scrollbar is drawn (Textual would then refuse to scroll): it scrolls all the same.
        return not self.disabled and self.max_scroll_y > 0

    def action_scroll_lines(self, lines: int) -> None:
        """Scroll at once (no animation: over SSH every step of one is a frame)."""
        self.scroll_to(y=self.scroll_offset.y + lines, animate=False, immediate=True)

    def action_scroll_pages(self, pages: int) -> None:
        self.action_scroll_lines(pages * max(1, self.size.height - 1))

    def toggle_fields(self) -> None:
        """Show or hide the provider's raw fields."""
        self.fields = not self.fields
        self.redraw()

    def reveal_secret(self) -> bool:
        """Reveal the selected session's key for `REVEAL_SECONDS`; False when it has none."""
        if self._session is None or self._session.secret is None:
            return False
        self._reveal_until = time.monotonic() + REVEAL_SECONDS
        if self._hide_timer is not None:
            self._hide_timer.stop()
        self._hide_timer = self.set_timer(REVEAL_SECONDS, self.conceal)
        self.redraw()
        return True

    def hide_secret(self) -> None:
        self._reveal_until = 0.0
        if self._hide_timer is not None:
            self._hide_timer.stop()
            self._hide_timer = None

    def conceal(self) -> None:
        """Hide a revealed key and redraw (its reveal timed out, or a screenshot is taken)."""
        self.hide_secret()
        self.redraw()
