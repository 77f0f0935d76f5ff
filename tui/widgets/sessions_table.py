"""SessionsTable: a virtual table of sessions keyed by (provider, id).

Only visible rows are ever drawn, and a redraw repaints only the cells that changed (see
`LineView`): with 10,000 rows refreshing every 2 s the stock DataTable re-measures and repaints
everything (see PERFORMANCE.md). The cursor is a session key, not a row index, so it stays on
its session across refreshes, sorts and filters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from tui.columns import GUTTER, TAIL, cell, fit_columns, stable_for
from tui.models import Session, SessionKey
from tui.widgets.line_view import LineView, Same

Lookup = Callable[[SessionKey], Session | None]

# Marks that read without colour: what happened (unhealthy, just live, just ended), then
# whether the data is stale; both show when both hold ("!~"). A watched session's name
# starts with a star (`w`; watched rows also sort first).
_MARKS = {"unhealthy": "!", "new": "+", "ended": "-"}
WATCH_MARK = "★ "


class SessionsTable(LineView, can_focus=True):
    """The list of sessions. Feed it keys with `set_rows`; it reads sessions via `lookup`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("g,home", "jump(0)", "Top", show=False),
        Binding("G,end", "jump(-1)", "Bottom", show=False),
        Binding("enter", "select", "Drill down"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sessions-table--header",
        "sessions-table--cursor",
        "sessions-table--unhealthy",
        "sessions-table--ended",
        "sessions-table--new",
        "sessions-table--stale",
        "sessions-table--dim",
    }

    class Highlighted(Message):
        """The cursor moved to another session (or to none)."""

        def __init__(self, key: SessionKey | None) -> None:
            self.key = key
            super().__init__()

    class Selected(Message):
        """Enter was pressed on a session."""

        def __init__(self, key: SessionKey) -> None:
            self.key = key
            super().__init__()

    def __init__(
        self,
        lookup: Lookup,
        *,
        is_stale: Callable[[Session], bool] = lambda s: False,
        is_watched: Callable[[Session], bool] = lambda s: False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        id: str | None = None,
    ) -> None:
        super().__init__(clock=lambda: clock().timestamp(), id=id)
        self._lookup = lookup
        self._is_stale = is_stale
        self._is_watched = is_watched
        self._now = clock
        self._keys: list[SessionKey] = []
        self._index: dict[SessionKey, int] = {}
        self._cursor: SessionKey | None = None
        self._follow_top = True  # until the operator moves the cursor
        self._marks: dict[SessionKey, tuple[str, float]] = {}  # key -> ("new"|"ended", until)
        # The column the rows are sorted by ("": the marks, for trouble first) and whether
        # reversed; set by the screen, drawn in the header.
        self.sort_mark: tuple[str, bool] = ("", False)

    # -- data -------------------------------------------------------------------------------

    @property
    def cursor_key(self) -> SessionKey | None:
        return self._cursor

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> Sequence[SessionKey]:
        return self._keys

    def set_rows(self, keys: list[SessionKey]) -> None:
        """Show these sessions in this order; the cursor stays on its session if still shown."""
        old_row = self._index.get(self._cursor, 0) if self._cursor else 0
        self._keys = keys
        self._index = {k: i for i, k in enumerate(keys)}
        if self._follow_top:
            # Until the operator moves it, the cursor shows the top row: what needs eyes first.
            self._move_to(0 if keys else None, by_user=False)
        elif self._cursor not in self._index:
            # The session left the list: stay at the same height rather than jump to the top.
            self._move_to(min(old_row, len(keys) - 1) if keys else None, by_user=False)
        else:
            # The data moved the cursor's session out of view: bring it back to the middle,
            # not to the edge, or the next refresh (and every next key) would scroll again.
            self._scroll_to_cursor(center=True)
            self.redraw()

    def mark(self, key: SessionKey, kind: str, until: float) -> None:
        """Flag a row as just added ("new") or just ended ("ended") until a monotonic time."""
        self._marks[key] = (kind, until)

    def expire_marks(self, now: float) -> None:
        for key in [k for k, (_, until) in self._marks.items() if until <= now]:
            del self._marks[key]

    # -- cursor -----------------------------------------------------------------------------

    def _move_to(self, row: int | None, *, by_user: bool = True) -> None:
        if by_user:
            self._follow_top = False
        key = self._keys[row] if row is not None and 0 <= row < len(self._keys) else None
        if key != self._cursor:
            self._cursor = key
            self.post_message(self.Highlighted(key))
        self._scroll_to_cursor()
        self.redraw()

    def _scroll_to_cursor(self, *, center: bool = False) -> None:
        """Scroll just enough to show the cursor (to the middle, with `center`)."""
        if self._cursor is None:
            return
        row = self._index[self._cursor]
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if top <= row < top + visible:
            return
        edge = row if row < top else row - visible + 1
        y = max(0, row - visible // 2) if center else edge
        self.scroll_to(y=y, animate=False, immediate=True)

    def select_key(self, key: SessionKey) -> None:
        if key in self._index:
            self._move_to(self._index[key])

    def action_cursor(self, delta: int) -> None:
        if self._keys:
            row = self._index.get(self._cursor, -1) if self._cursor else -1
            self._move_to(max(0, min(len(self._keys) - 1, row + delta)))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 2))

    def action_jump(self, row: int) -> None:
        if self._keys:
            self._move_to(row % len(self._keys))

    def action_select(self) -> None:
        if self._cursor is not None:
            self.post_message(self.Selected(self._cursor))

    def on_click(self, event: events.Click) -> None:
        row = self.scroll_offset.y + event.y - 1
        if event.y >= 1 and 0 <= row < len(self._keys):
            self._move_to(row)
            if event.chain == 2:
                self.action_select()

    def on_resize(self) -> None:
        super().on_resize()
        self._scroll_to_cursor()

    # -- drawing ------------------------------------------------------------------------------

    def content_height(self) -> int:
        return len(self._keys) + 1  # the header line and the rows

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        header = ("header", self.sort_mark, width)
        strips = [self.memo(header, lambda: (self._header(width), float("inf")))]
        now = self._now()
        for key in self._keys[top : top + height - 1]:
            session = self._lookup(key)
            if session is None:
                strips.append(self.blank(width))
                continue
            kind = self._row_kind(session, self._marks.get(key, ("", 0.0))[0])
            stale = self._is_stale(session)
            cursor = key == self._cursor
            watched = self._is_watched(session)
            build = partial(self._row, session, kind, stale, cursor, now, watched)
            inputs = (Same(session), kind, stale, cursor, width, watched)
            strips.append(self.memo(inputs, build))
        return strips

    def _row_kind(self, session: Session, mark: str) -> str:
        if session.is_live and (session.unhealthy or session.playback_failing):
            return "unhealthy"  # its viewers seeing errors is trouble too
        if mark:
            return mark
        return "" if session.is_live else "dim"

    def _header(self, width: int) -> Strip:
        """Column labels; the sorted one carries the direction (↓ as the key orders, ↑
        reversed); sorted by trouble, the marks' column does."""
        columns = fit_columns(width)
        style = self.rich_style + self.get_component_rich_style("sessions-table--header")
        sorted_by, reverse = self.sort_mark
        arrow = "↑" if reverse else "↓"
        gutter = f"!{arrow} " if sorted_by == "" else " " * GUTTER
        labels = (  # a label cut to fit keeps its arrow (TAIL)
            cell(f"{c.label}{TAIL} {arrow}" if c.label == sorted_by else c.label, w, c.right)
            for c, w in columns
        )
        text = gutter + " ".join(labels)
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def _row(
        self,
        session: Session,
        kind: str,
        stale: bool,
        is_cursor: bool,
        now: datetime,
        watched: bool = False,
    ) -> tuple[Strip, float]:
        """A row's strip, and until when the clock leaves its ages as they read now."""
        width = self.scrollable_content_region.width
        columns = fit_columns(width)
        style = self.rich_style
        if kind:
            style += self.get_component_rich_style(f"sessions-table--{kind}")
        if stale:
            style += self.get_component_rich_style("sessions-table--stale")
        if is_cursor:
            style += self.get_component_rich_style("sessions-table--cursor")
        gutter = _MARKS.get(kind, " ") + ("~ " if stale else "  ")
        text = gutter + " ".join(
            cell(
                (WATCH_MARK if watched and col.label == "NAME" else "") + col.render(session, now),
                w,
                col.right,
            )
            for col, w in columns
        )
        # One segment, one style: every extra style change costs its full SGR sequence.
        strip = Strip([Segment(text, style)]).adjust_cell_length(width, style)
        return strip, now.timestamp() + stable_for(session, now) - 1e-6  # never late
