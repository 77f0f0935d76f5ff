"""SessionsTable: a virtual table of sessions keyed by (provider, id).

Only visible rows are ever rendered (`render_line`), each line is cached by its content, and a
refresh repaints only the lines whose text changed: with 10,000 rows refreshing every 2 s the
stock DataTable re-measures and repaints everything (see PERFORMANCE.md). The cursor is a
session key, not a row index, so it stays on its session across refreshes, sorts and filters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from math import ceil, inf
from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from tui.models import Session, SessionKey
from tui.widgets.session_columns import (
    COLUMNS,
    GUTTER,
    NAME_MIN,
    Column,
    cell,
    fit_columns,
    stable_for,
)
from tui.widgets.strip_diff import changed_span

__all__ = ["COLUMNS", "GUTTER", "NAME_MIN", "Column", "SessionsTable", "fit_columns"]

Lookup = Callable[[SessionKey], Session | None]


def _thumb(size: int, virtual: float, window: float, position: float) -> tuple[int, int]:
    """Where Textual draws a vertical scrollbar's thumb, in eighths of a cell
    (`ScrollBarRender.render_bar`'s arithmetic)."""
    if not (window and size and virtual) or size == virtual or virtual <= window:
        return (-1, -1)
    thumb = max(1.0, window / (virtual / size))
    start = int((size - thumb) * (position / (virtual - window)) * 8)
    return start, start + ceil(thumb * 8)


class SessionsTable(ScrollView, can_focus=True):
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
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._lookup = lookup
        self._is_stale = is_stale
        self._clock = clock
        self._keys: list[SessionKey] = []
        self._index: dict[SessionKey, int] = {}
        self._cursor: SessionKey | None = None
        self._follow_top = True  # until the operator moves the cursor
        self._marks: dict[SessionKey, tuple[str, float]] = {}  # key -> ("new"|"ended", until)
        self._drawn: dict[int, tuple[object, ...]] = {}  # screen line -> what it showed
        self._strips: dict[tuple[object, ...], Strip] = {}
        # key -> (session, valid until, width, cells): a row's text is computed again only
        # when its session object changes or its ages would read differently (`stable_for`).
        self._cells: dict[SessionKey, tuple[Session, float, int, tuple[str, ...]]] = {}
        # What `refresh_changed` last compared against, and until when the clock alone leaves
        # every visible line as it is; `refresh_rows` compares only changed rows inside that.
        self._settled: tuple[tuple[object, ...], float] | None = None
        self._version = 0  # bumped by whatever the settled fingerprint cannot see (rows, marks)

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
        """Show these sessions in this order; the cursor stays on its session if still shown.

        Only the lines that now look different are repainted (a re-sort that leaves the
        visible rows in place costs no output).
        """
        old_row = self._index.get(self._cursor, 0) if self._cursor else 0
        self._keys = keys
        self._version += 1
        self._index = {k: i for i, k in enumerate(keys)}
        self._set_virtual_height(len(keys) + 1)
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
        if len(self._cells) > 4 * max(64, self.size.height):
            shown = set(keys[self.scroll_offset.y : self.scroll_offset.y + self.size.height])
            self._cells = {k: v for k, v in self._cells.items() if k in shown}
        self.refresh_changed()

    def _set_virtual_height(self, height: int) -> None:
        """Resize the scrollable area (columns always fit: no sideways scroll).

        Assigning `virtual_size` lays the whole screen out again and repaints all of it (~11 KB
        at 200x50), and the row count changes on most polls. Unless the scrollbar appears or
        goes, only its window changes: set the size quietly and update the scrollbar, as
        Textual's own `_size_updated(layout=False)` does.
        """
        size = Size(0, height)
        old = self.virtual_size
        if size == old:
            return
        view = self.size.height
        if not self.is_mounted or (old.height > view) != (height > view):
            self.virtual_size = size
            if self.is_mounted:
                # The scrollbar comes or goes. The layout this asks for leaves the table's own
                # size as it is, so `_size_updated` below will not tell the scrollbars.
                self._scroll_update(size)
            return
        self.set_reactive(SessionsTable.virtual_size, size)
        bar = self.vertical_scrollbar
        y, window = self.scroll_y, bar.window_size
        if _thumb(bar.size.height, old.height, window, y) != _thumb(
            bar.size.height, height, window, y
        ):
            self._scroll_update(size)
        else:  # the thumb would look the same: tell the scrollbar without repainting it
            bar.set_reactive(ScrollBar.window_virtual_size, height)
            self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def mark(self, key: SessionKey, kind: str, until: float) -> None:
        """Flag a row as just added ("new") or just ended ("ended") until a monotonic time."""
        self._marks[key] = (kind, until)
        self._version += 1

    def expire_marks(self, now: float) -> None:
        for key in [k for k, (_, until) in self._marks.items() if until <= now]:
            del self._marks[key]
            self._version += 1

    def refresh_rows(self, keys: Collection[SessionKey]) -> None:
        """`refresh_changed` for when only these sessions changed since the last call (none:
        only the clock moved). Only their lines are compared, and the lines whose ages can
        read differently by now; all of them if the rows, marks, cursor, scroll or size
        changed."""
        settled = self._settled
        if settled is None or settled[0] != self._fingerprint():
            self.refresh_changed()
            return
        now = self._clock()
        moment = now.timestamp()
        if not keys and moment < settled[1]:
            return
        width, top, cells = self._width, self.scroll_offset.y, self._cells
        rows = self._keys[top : top + self.size.height - 1]
        for y, key in enumerate(rows, start=1):
            cached = cells.get(key)
            if key in keys or cached is None or moment >= cached[1]:
                self._compare_line(y, now, width)
        self._settled = (settled[0], self._stable_until())

    def _fingerprint(self) -> tuple[object, ...]:
        return (self._version, self._cursor, self.scroll_offset.y, self.size, self._width)

    def refresh_changed(self) -> None:
        """Repaint only the cells of the visible lines that no longer show what was drawn.

        A live row whose rates moved repaints those ten cells, not its 200 (with
        `tui/partial_update.py`, Textual sends only the dirty span).
        """
        width = self._width
        now = self._clock()
        for y in range(self.size.height):
            self._compare_line(y, now, width)
        self._settled = (self._fingerprint(), self._stable_until())

    def _compare_line(self, y: int, now: datetime, width: int) -> None:
        """Repaint the cells of screen line `y` that no longer show what was drawn."""
        state, before = self._line_state(y, now, width), self._drawn.get(y)
        if state == before:
            return
        span: tuple[int, int] | None = (0, width)
        if before is not None and before[:2] == state[:2]:  # both rows at this width
            old = self._strips.get(before)
            span = span if old is None else changed_span(old, self._strip(state))
        if span is not None:
            # Not `refresh_line`: its region takes in the scrollbar, which Textual would then
            # re-send too (~25 bytes a line).
            self.refresh(Region(span[0], y, span[1] - span[0], 1))
        else:
            self._drawn[y] = state  # looks the same (a cell text that rendered alike)

    def _stable_until(self) -> float:
        """When the clock alone may first change a visible row: the soonest end of their
        cached cells (`_line_state` has just brought those up to date)."""
        top = self.scroll_offset.y
        cells = self._cells
        visible = (cells.get(key) for key in self._keys[top : top + self.size.height])
        return min((c[1] for c in visible if c is not None), default=inf)

    # -- cursor -----------------------------------------------------------------------------

    def _move_to(self, row: int | None, *, by_user: bool = True) -> None:
        if by_user:
            self._follow_top = False
        key = self._keys[row] if row is not None and 0 <= row < len(self._keys) else None
        if key != self._cursor:
            self._cursor = key
            self.post_message(self.Highlighted(key))
        self._scroll_to_cursor()
        self.refresh_changed()  # the old and the new cursor line (everything after a scroll)

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

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # ScrollView compares its parent's size with its own content size, which differ
        # whenever the detail pane sits beside the list: every layout anywhere on screen (a
        # toast coming or going) then repainted the scrollbar (~1 KB) and sent a Resize.
        if size == self.outer_size and self.container_size == size - self.styles.gutter.totals:
            return False
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_resize(self, event: events.Resize) -> None:
        self._set_virtual_height(len(self._keys) + 1)
        self._scroll_to_cursor()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._drawn.clear()

    # -- rendering ----------------------------------------------------------------------------

    @property
    def _width(self) -> int:
        # The content width: the vertical scrollbar takes its column out of `size`.
        return self.scrollable_content_region.width

    def _line_state(self, y: int, now: datetime, width: int) -> tuple[object, ...]:
        """Everything that decides how screen line `y` looks at content `width`; equal state,
        equal strip."""
        if y == 0:
            return ("header", width)
        row = self.scroll_offset.y + y - 1
        if row >= len(self._keys):
            return ("blank", width)
        key = self._keys[row]
        session = self._lookup(key)
        if session is None:
            return ("blank", width)
        moment = now.timestamp()
        cached = self._cells.get(key)
        if (
            cached is not None
            and cached[0] is session
            and cached[2] == width
            and moment < cached[1]
        ):
            cells = cached[3]
        else:
            cells = tuple(col.render(session, now) for col, _ in fit_columns(width))
            until = moment + stable_for(session, now) - 1e-6  # float error: never late
            self._cells[key] = (session, until, width, cells)
        mark = self._marks.get(key, ("", 0.0))[0]
        return ("row", width, cells, self._row_style(session, mark), key == self._cursor)

    def _row_style(self, session: Session, mark: str) -> str:
        if session.is_live and session.unhealthy:
            return "unhealthy"
        if mark:
            return mark
        if self._is_stale(session):
            return "stale"
        return "" if session.is_live else "dim"

    def render_lines(self, crop: Region) -> list[Strip]:
        # Textual keeps every refreshed region in `_dirty_regions` for its default
        # `render_line` (which renders the whole content while any is pending). This table
        # renders line by line and never reads them: unemptied, they pile up, one per changed
        # span, for as long as the console runs.
        self._dirty_regions.clear()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        state = self._line_state(y, self._clock(), self._width)
        self._drawn[y] = state
        return self._strip(state)

    def _strip(self, state: tuple[object, ...]) -> Strip:
        strip = self._strips.get(state)
        if strip is None:
            if len(self._strips) > 2000:
                self._strips.clear()
            strip = self._strips[state] = self._build(state)
        return strip

    def _build(self, state: tuple[object, ...]) -> Strip:
        width = self._width
        base = self.rich_style
        if state[0] == "blank":
            return Strip.blank(width, base)
        columns = fit_columns(width)
        if state[0] == "header":
            style = base + self.get_component_rich_style("sessions-table--header")
            text = " " * GUTTER + " ".join(cell(c.label, w, c.right) for c, w in columns)
            return Strip([Segment(text, style)]).adjust_cell_length(width, style)
        _, _, cells, kind, is_cursor = state
        assert isinstance(cells, tuple) and isinstance(kind, str)
        style = base
        if kind:
            style += self.get_component_rich_style(f"sessions-table--{kind}")
        if is_cursor:
            style += self.get_component_rich_style("sessions-table--cursor")
        gutter = {"unhealthy": "! ", "new": "+ ", "ended": "- ", "stale": "~ "}.get(kind, "  ")
        text = gutter + " ".join(
            cell(str(v), w, c.right) for v, (c, w) in zip(cells, columns, strict=True)
        )
        # One segment, one style: every extra style change costs its full SGR sequence.
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._drawn.clear()
