"""SessionsTable: a virtual table of sessions keyed by (provider, id).

Only visible rows are ever rendered (`render_line`), each line is cached by its content, and a
refresh repaints only the lines whose text changed: with 10,000 rows refreshing every 2 s the
stock DataTable re-measures and repaints everything (see PERFORMANCE.md). The cursor is a
session key, not a row index, so it stays on its session across refreshes, sorts and filters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui import format as fmt
from tui.models import Session, SessionKey

Lookup = Callable[[SessionKey], Session | None]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: lower `priority` survives longer when the terminal is narrow."""

    label: str
    width: int
    priority: int
    render: Callable[[Session, datetime], str]
    right: bool = False


def _on_air(s: Session, now: datetime) -> str:
    if s.is_live and s.started_at:
        return fmt.duration((now - s.started_at).total_seconds())
    return fmt.duration(s.duration_s)


def _health(s: Session, now: datetime) -> str:
    return {True: "ok", False: "BAD", None: "—"}[s.healthy]


COLUMNS: tuple[Column, ...] = (
    Column("PROVIDER", 9, 5, lambda s, now: s.provider),
    Column("NAME", 0, 0, lambda s, now: s.name or s.id),  # width 0: takes what is left
    Column("STATE", 9, 0, lambda s, now: s.state.value),
    Column("HEALTH", 6, 1, _health),
    Column("ON AIR", 7, 3, _on_air, right=True),
    Column("INGEST", 10, 2, lambda s, now: fmt.bitrate(s.ingest_bps), right=True),
    Column("OUTGOING", 10, 6, lambda s, now: fmt.bitrate(s.outgoing_bps), right=True),
    Column("SEEN", 6, 4, lambda s, now: fmt.age(s.last_seen, now), right=True),
    Column("REC", 7, 7, lambda s, now: s.recording or "—"),
)
NAME_MIN = 24  # below this, columns drop by priority: names are what operators read
GUTTER = 2  # a status mark that reads without colour: ! unhealthy, + new, - ended, ~ stale


@lru_cache(maxsize=16)
def fit_columns(width: int) -> list[tuple[Column, int]]:
    """Columns that fit `width`, dropping the least important first; NAME takes the rest."""
    chosen = list(COLUMNS)
    while True:
        fixed = sum(c.width + 1 for c in chosen if c.width) + GUTTER
        if width - fixed >= NAME_MIN or len(chosen) <= 3:
            break
        chosen.remove(max((c for c in chosen if c.width), key=lambda c: c.priority))
    name_width = max(NAME_MIN, width - fixed)
    return [(c, c.width or name_width) for c in chosen]


def _cell(text: str, width: int, right: bool) -> str:
    text = fmt.safe_text(text, 400)
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.rjust(width) if right else text.ljust(width)


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
        self._marks: dict[SessionKey, tuple[str, float]] = {}  # key -> ("new"|"ended", until)
        self._drawn: dict[int, tuple[object, ...]] = {}  # screen line -> what it showed
        self._strips: dict[tuple[object, ...], Strip] = {}

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
        self.virtual_size = Size(0, len(keys) + 1)  # columns always fit: no sideways scroll
        if self._cursor not in self._index:
            # The session left the list: stay at the same height rather than jump to the top.
            self._move_to(min(old_row, len(keys) - 1) if keys else None)
        else:
            self._scroll_to_cursor()
        self.refresh()

    def mark(self, key: SessionKey, kind: str, until: float) -> None:
        """Flag a row as just added ("new") or just ended ("ended") until a monotonic time."""
        self._marks[key] = (kind, until)

    def expire_marks(self, now: float) -> None:
        for key in [k for k, (_, until) in self._marks.items() if until <= now]:
            del self._marks[key]

    def refresh_changed(self) -> None:
        """Repaint only the visible lines whose content is no longer what was drawn."""
        height = self.size.height
        for y in range(1, height):
            if self._line_state(y) != self._drawn.get(y):
                self.refresh_line(self.scroll_offset.y + y)

    # -- cursor -----------------------------------------------------------------------------

    def _move_to(self, row: int | None) -> None:
        key = self._keys[row] if row is not None and 0 <= row < len(self._keys) else None
        if key != self._cursor:
            self._cursor = key
            self.post_message(self.Highlighted(key))
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        if self._cursor is None:
            return
        row = self._index[self._cursor]
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)

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

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, len(self._keys) + 1)
        self._scroll_to_cursor()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._drawn.clear()

    # -- rendering ----------------------------------------------------------------------------

    @property
    def _width(self) -> int:
        # The content width: the vertical scrollbar takes its column out of `size`.
        return self.scrollable_content_region.width

    def _line_state(self, y: int) -> tuple[object, ...]:
        """Everything that decides how screen line `y` looks; equal state, equal strip."""
        width = self._width
        if y == 0:
            return ("header", width)
        row = self.scroll_offset.y + y - 1
        if row >= len(self._keys):
            return ("blank", width)
        key = self._keys[row]
        session = self._lookup(key)
        if session is None:
            return ("blank", width)
        now = self._clock()
        cells = tuple(col.render(session, now) for col, _ in fit_columns(width))
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

    def render_line(self, y: int) -> Strip:
        state = self._line_state(y)
        self._drawn[y] = state
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
            text = " " * GUTTER + " ".join(_cell(c.label, w, c.right) for c, w in columns)
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
            _cell(str(v), w, c.right) for v, (c, w) in zip(cells, columns, strict=True)
        )
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._drawn.clear()
