"""The benchmark's baseline: livetop with its sessions list drawn by a stock `DataTable`.

Everything else is the product's own: simulator, clients, refresher, store, header, provider
bar, detail pane, the screen's sync/tick logic, even the filter and sort. Only the table differs,
and it is used the way DESIGN.md (convention 6) and Textual's docs recommend: rows keyed by
session key, never cleared; `update_cell` for changed values, `remove_row`/`add_row` for the
rest, `sort()` for the order, the cursor moved back onto its session after a sort. Columns get
fixed widths (the product's), so no refresh re-measures them. Not part of the product.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from tui.app import LivetopApp
from tui.columns import fit_columns
from tui.models import Session, SessionKey
from tui.screens.sessions import SessionsScreen
from tui.store import StoreDiff
from tui.widgets.detail_pane import DetailPane
from tui.widgets.event_log import EventLog
from tui.widgets.filter_bar import FilterBar
from tui.widgets.key_bar import KeyBar
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.session_summary import SessionSummary
from tui.widgets.status_header import StatusHeader

_GUTTER = {"unhealthy": "!", "new": "+", "ended": "-", "stale": "~"}
SWEEP = 10  # each refresh re-checks 1/SWEEP of the idle rows (ages change slowly)


class _Cell(str):
    """The provider cell also carries its row's key, so `sort(key=...)` can order by rank."""

    __slots__ = ("key",)
    key: SessionKey

    def __new__(cls, text: str, key: SessionKey) -> _Cell:
        cell = super().__new__(cls, text)
        cell.key = key
        return cell


class DataTableSessions(DataTable[Any]):
    """A stock DataTable behind the `SessionsTable` interface the screen uses."""

    DEFAULT_CSS = "DataTableSessions { width: 1fr; height: 1fr; }"
    BINDINGS: ClassVar[list[Any]] = [
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g", "scroll_top", show=False),
        Binding("G", "scroll_bottom", show=False),
    ]

    def __init__(
        self,
        lookup: Callable[[SessionKey], Session | None],
        *,
        is_stale: Callable[[Session], bool],
        clock: Callable[[], datetime],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, cursor_type="row")
        self._lookup = lookup
        self._is_stale = is_stale
        self._clock = clock
        self._keys: list[SessionKey] = []  # the wanted order
        self._cells: dict[SessionKey, tuple[str, ...]] = {}  # what each row shows
        self._marks: dict[SessionKey, tuple[str, float]] = {}
        self._dirty: set[SessionKey] = set()
        self._sweep = 0
        self._columns = fit_columns(120)  # resized on mount

    def on_mount(self) -> None:
        # The product's widths: the detail pane takes 53 columns when wide (livetop.tcss), and
        # DataTable pads every cell by one column each side.
        width = self.app.size.width - (53 if self.app.size.width >= 140 else 0)
        self._columns = fit_columns(max(60, width - 1 - 2 * 10))
        self.add_column(" ", width=1, key="gutter")
        for column, width in self._columns:
            self.add_column(column.label, width=width, key=column.label)

    # -- the SessionsTable interface ----------------------------------------------------------

    @property
    def keys(self) -> Sequence[SessionKey]:
        return self._keys

    @property
    def cursor_key(self) -> SessionKey | None:
        if not self._cells or not self.is_valid_row_index(self.cursor_row):
            return None
        row_key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        return _key(row_key.value)

    def mark(self, key: SessionKey, kind: str, until: float) -> None:
        self._marks[key] = (kind, until)
        self._dirty.add(key)

    def expire_marks(self, now: float) -> None:
        for key in [k for k, (_, until) in self._marks.items() if until <= now]:
            del self._marks[key]
            self._dirty.add(key)

    def touch(self, keys: Iterable[SessionKey]) -> None:
        self._dirty.update(keys)

    def select_key(self, key: SessionKey) -> None:
        if key in self._cells:
            self.move_cursor(row=self.get_row_index(_row_key(key)))

    def set_rows(self, keys: list[SessionKey]) -> None:
        """Diff rows by key: remove the gone, add the new, then sort into the wanted order."""
        cursor = self.cursor_key
        wanted = set(keys)
        for key in [k for k in self._cells if k not in wanted]:
            self.remove_row(_row_key(key))
            del self._cells[key]
        for key in keys:
            if key not in self._cells:
                cells = self._cells_of(key)
                if cells is not None:
                    self._cells[key] = cells
                    self.add_row(_Cell(cells[0], key), *cells[1:], key=_row_key(key))
        self._keys = [k for k in keys if k in self._cells]
        rank = {k: i for i, k in enumerate(self._keys)}
        self.sort("gutter", key=lambda cell: rank[cell.key])
        if cursor is not None and cursor in rank:
            self.move_cursor(row=rank[cursor], animate=False)
        self.refresh_changed()

    def redraw(self) -> None:
        """What the screen calls on every redraw: `refresh_changed`."""
        self.refresh_changed()

    def refresh_changed(self) -> None:
        """`update_cell` where a value changed: changed sessions, live ones, and a sweep."""
        candidates = set(self._dirty)
        self._dirty.clear()
        self._sweep = (self._sweep + 1) % SWEEP
        for i, key in enumerate(self._keys):
            session = self._lookup(key)
            if session is not None and (session.is_live or i % SWEEP == self._sweep):
                candidates.add(key)
        for key in candidates:
            old = self._cells.get(key)
            new = self._cells_of(key)
            if old is None or new is None or new == old:
                continue
            self._cells[key] = new
            row = _row_key(key)
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                if a != b:
                    column = "gutter" if index == 0 else self._columns[index - 1][0].label
                    self.update_cell(row, column, _Cell(b, key) if index == 0 else b)

    # -- rendering ------------------------------------------------------------------------------

    def _cells_of(self, key: SessionKey) -> tuple[str, ...] | None:
        session = self._lookup(key)
        if session is None:
            return None
        now = self._clock()
        mark = self._marks.get(key, ("", 0.0))[0]
        if session.is_live and session.unhealthy:
            gutter = "!"
        elif mark:
            gutter = _GUTTER[mark]
        elif self._is_stale(session):
            gutter = "~"
        else:
            gutter = " "
        return (gutter, *(column.render(session, now) for column, _ in self._columns))


def _row_key(key: SessionKey) -> str:
    return f"{key.provider}\x00{key.id}"


def _key(row_key: str | None) -> SessionKey | None:
    if row_key is None:
        return None
    provider, _, sid = row_key.partition("\x00")
    return SessionKey(provider, sid)


class BaselineScreen(SessionsScreen):
    """The product's sessions screen with the DataTable in place of `SessionsTable`."""

    def compose(self) -> ComposeResult:
        context = self.context
        store = context.store
        yield StatusHeader(clock=context.now)
        yield ProviderBar(context.providers, clock=context.clock.time, id="providers")
        with Horizontal(id="body"):
            yield DataTableSessions(
                store.get,
                is_stale=lambda s: store.is_stale(s.key),
                clock=context.now,
                id="sessions",
            )
            yield DetailPane(clock=context.now_s, fields=False, id="detail")
        yield SessionSummary(clock=context.now_s, id="summary")
        yield EventLog(id="events")
        yield FilterBar(id="filter")
        yield KeyBar(id="keys")

    @property
    def table(self) -> Any:
        return self.query_one(DataTableSessions)

    def note(self, diffs: Sequence[StoreDiff], first_loads: set[str]) -> None:
        super().note(diffs, first_loads)
        for diff in diffs:
            self.table.touch(diff.changed)

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()


class BaselineApp(LivetopApp):
    """`LivetopApp` showing `BaselineScreen`, on stock Textual output (whole-line updates)
    and Textual's own input thread."""

    BINDINGS: ClassVar[list[Any]] = list(LivetopApp.BINDINGS)
    PARTIAL_UPDATES = False
    QUIET_INPUT = False

    def on_mount(self, event: Any = None) -> None:
        event.prevent_default()  # LivetopApp.on_mount would push the product's screen
        import asyncio
        import signal

        self.push_screen(BaselineScreen(self.context))
        self.set_interval(1.0, self._tick)
        from tui.recorder import start_recording  # as the product: off for the demo

        assert self.settings is not None  # the baseline polls
        self.recording = start_recording(self.store, self.settings)
        self.refresher.start()
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit)
