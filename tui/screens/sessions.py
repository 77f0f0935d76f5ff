"""SessionsScreen: the list of sessions (all, or one stream's / entity's), its detail pane, the
provider bar and the event log. Drilling down pushes another screen, so Esc comes back to this
one exactly as it was: cursor, filter and sort.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message

from tui import format as fmt
from tui.columns import SORT_COLUMNS
from tui.models import ProviderKind, Session, SessionKey, SessionState
from tui.screens.drill import follow_related
from tui.screens.live import ConsoleContext, LiveScreen
from tui.session_list import Filter, SessionList, SortKey, SortOrder, parse_filter
from tui.store import StoreDiff
from tui.widgets.detail_pane import DetailPane
from tui.widgets.event_log import EventLog
from tui.widgets.filter_bar import FilterBar
from tui.widgets.key_bar import KeyBar
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.session_summary import SessionSummary
from tui.widgets.sessions_table import SessionsTable
from tui.widgets.status_header import StatusHeader
from tui.widgets.timeline_bar import TimelineBar

MARK_SECONDS = 15.0  # how long a row that just appeared or ended stays marked
SORTS = ("trouble", "name", "state", "health", "bitrate", "last seen", "viewers")


@dataclass(frozen=True, slots=True)
class Scope:
    """Which sessions a list shows: everything, or the children of one stream or entity."""

    crumb: str = "all sessions"
    provider: str | None = None
    parent_id: str | None = None

    def includes(self, session: Session) -> bool:
        if self.provider is None:
            return True
        return session.provider == self.provider and session.parent_id == self.parent_id


class SessionsScreen(LiveScreen):
    """A live list with its detail pane."""

    class SortChanged(Message):
        """The operator picked another order (the app remembers it for the next run)."""

        def __init__(self, order: SortOrder) -> None:
            self.order = order
            super().__init__()

    class WatchChanged(Message):
        """The operator watched or unwatched something (the app remembers it)."""

    # What the key bar shows, most wanted first: it keeps what fits (help has them all).
    KEYS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("⏎", "drill down"),
        ("/", "filter"),
        ("d", "details"),
        ("q", "quit"),
        ("p", "pause"),
        ("r", "refresh"),
        ("e", "events"),
        ("w", "watch"),
        ("R", "rundown"),
        ("t n s h b l v", "sort"),
        ("+ -", "pace"),
        ("c", "copy id"),
        ("x", "stream key"),
        ("f", "raw fields"),
        ("esc", "back"),
        ("^p", "palette"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        # A priority binding runs as the key is read, so that the keys typed (or pasted) right
        # after it already find the prompt focused; Textual routes each key to the widget
        # focused when it reads it.
        Binding("slash", "filter", "Filter", priority=True),
        Binding("question_mark", "app.help", "Help"),
        Binding("q", "app.quit", "Quit"),
        Binding("p", "app.pause", "Pause"),
        Binding("r", "app.refresh_now", "Refresh"),
        Binding("e", "toggle_events", "Events"),
        Binding("n", "sort('name')", "Sort", key_display="n s h b l v t"),
        Binding("s", "sort('state')", "Sort state", show=False),
        Binding("h", "sort('health')", "Sort health", show=False),
        Binding("b", "sort('bitrate')", "Sort bitrate", show=False),
        Binding("l", "sort('last seen')", "Sort last seen", show=False),
        Binding("t", "sort('trouble')", "Sort trouble", show=False),
        Binding("v", "sort('viewers')", "Sort viewers", show=False),
        Binding("plus,equals_sign", "app.interval(-1)", "Interval", key_display="+ -"),
        Binding("minus", "app.interval(1)", "Slower", show=False),
        Binding("c", "copy_id", "Copy id"),
        Binding("x", "reveal", "Reveal key"),
        Binding("f", "toggle_fields", "Raw fields", show=False),
        Binding("d", "details", "Details", show=False),
        Binding("w", "watch", "Watch", show=False),
        Binding("W", "watch(False)", "Watch one session", show=False),
        Binding("escape", "back", "Back / clear filter"),
    ]

    def __init__(
        self,
        context: ConsoleContext,
        scope: Scope | None = None,
        trail: str = "",
        *,
        order: SortOrder | None = None,
    ) -> None:
        super().__init__(context)
        self.scope = scope or Scope()
        self.trail = f"{trail} › {self.scope.crumb}" if trail else self.scope.crumb
        self.order = order or SortOrder()
        self._watching = context.watch.version  # the watch list this list was sorted with
        self.filter: Filter = self._parse("")
        self._list = self._new_list()
        self._rebuild = True  # the next redraw filters and sorts from scratch
        self._touched: set[SessionKey] = set()  # sessions the store changed since the last redraw
        self._table: SessionsTable | None = None
        self._chosen: SessionKey | None = None  # the cursor's session while a filter is typed

    def _new_list(self) -> SessionList:
        watched = self.context.watch.is_watched
        if self.scope.provider is not None:
            return SessionList(self.filter, self.order, self.scope.includes, watched)
        # What a drill-down fetched (an entity's whole history) stays in the drill-down.
        store = self.context.store
        return SessionList(self.filter, self.order, lambda s: store.listed(s.key), watched)

    def compose(self) -> ComposeResult:
        context = self.context
        store = context.store
        yield StatusHeader(clock=context.now)
        yield ProviderBar(context.providers, clock=context.clock.time, id="providers")
        with Horizontal(id="body"):
            self._table = SessionsTable(
                store.get,
                is_stale=lambda s: store.is_stale(s.key),
                is_watched=context.watch.is_watched,
                clock=context.now,
                id="sessions",
            )
            yield self._table
            # Beside the list, the raw fields wait for `f`: they differ in length from one
            # session to the next, and every line below them would repaint on each move.
            yield DetailPane(clock=context.now_s, fields=False, id="detail")
        yield SessionSummary(clock=context.now_s, id="summary")
        yield EventLog(id="events")
        yield FilterBar(id="filter")
        if context.timeline is not None:
            yield TimelineBar(id="timeline")
        yield KeyBar(id="keys")

    @property
    def table(self) -> SessionsTable:
        assert self._table is not None, "composed"
        return self._table

    def on_mount(self) -> None:
        self.ready = True
        self.query_one(FilterBar).display = False
        self.query_one(EventLog).display = False
        self.query_one(KeyBar).show(self.key_entries(self.KEYS))
        self.redraw()
        self.table.focus()

    def on_screen_resume(self) -> None:
        self.redraw()

    # -- the store → screen bridge --------------------------------------------------------

    def note(self, diffs: Sequence[StoreDiff], first_loads: set[str]) -> None:
        """Note what changed for the next redraw; mark rows that just appeared or ended (not
        a provider's first load)."""
        until = self.context.clock.monotonic() + MARK_SECONDS
        store = self.context.store
        touched = self._touched
        table = self.table if self.ready else None
        for diff in diffs:
            if diff.stale_changed and "issue:polling" in self.filter.text.casefold():
                self._rebuild = True  # `issue:polling` follows the provider's staleness
            if diff.reloaded and table is not None:  # another moment: its marks are not news
                table.expire_marks(math.inf)
            touched.update(diff.added)
            touched.update(diff.changed)
            touched.update(diff.removed)
            if table is None or diff.provider in first_loads:
                continue
            for key in diff.added:
                # A drill-down brings in old sessions too: only a new broadcast is "new".
                added = store.get(key)
                if added is not None and added.is_live:
                    table.mark(key, "new", until)
            for key, fields in diff.changed.items():
                session = store.get(key)
                if "state" in fields and session and session.state is SessionState.ENDED:
                    table.mark(key, "ended", until)

    def redraw(self, *, tick: bool = False) -> None:
        """Rows (re-sorted only if an order-deciding value changed), counts, providers, detail
        and events, each repainting only what changed."""
        if not self.ready:
            return
        context, table = self.context, self.table
        store = context.store
        if self._watching != context.watch.version:  # watched rows come first: sort again
            self._watching = context.watch.version
            self._list = self._new_list()
            self._rebuild = True
        if self._rebuild:
            self._rebuild = False
            self._touched.clear()
            self._list.rebuild(store.sessions())
            moved = self._list.keys != table.keys
        else:
            touched, self._touched = self._touched, set()
            moved = bool(touched) and self._list.update(store.get, touched)
        table.expire_marks(context.clock.monotonic())
        table.sort_mark = (SORT_COLUMNS[self.order.key.value], self.order.reverse)
        if moved:
            table.set_rows(self._list.keys)
        else:
            table.redraw()
        self.query_one(StatusHeader).show(
            store.counts(), paused=context.paused, crumbs=self._crumbs(), banner=context.banner()
        )
        self.query_one(ProviderBar).show(store.statuses(), context.paused)
        self.show_timeline()
        self._show_detail()
        events = self.query_one(EventLog)
        if events.display:
            events.show(store.events)

    def _crumbs(self) -> str:
        """Where the list is (the drill-down trail) and what it leaves out (the filter)."""
        crumbs = fmt.safe_text(self.trail, 120)
        if self.filter.text:
            crumbs += f" · /{fmt.safe_text(self.filter.text, 60)}"
        return crumbs

    def _show_detail(self) -> None:
        store = self.context.store
        key = self.table.cursor_key
        session = store.get(key) if key else None
        history = store.history(key) if key else ()
        stale = store.is_stale(key) if key else False
        late = self.context.viewers_late(key)
        self.query_one(DetailPane).show(session, history, stale=stale, viewers_late=late)
        self.query_one(SessionSummary).show(session)
        self.want_history(key)

    def on_sessions_table_highlighted(self, event: SessionsTable.Highlighted) -> None:
        self._show_detail()
        self.context.source.focus(event.key)  # the selected call is asked first

    # -- drill-down ----------------------------------------------------------------------

    def on_sessions_table_selected(self, event: SessionsTable.Selected) -> None:
        session = self.context.store.get(event.key)
        if session is None:
            return
        from tui.screens.session import SessionScreen

        at_top = self.scope.provider is None
        if at_top and session.kind is not ProviderKind.CALLS and session.parent_id:
            parent = "stream" if session.kind is ProviderKind.LIVEPEER else "entity"
            crumb = f"{session.provider} {parent} {session.parent_id[:12]}"
            scope = Scope(crumb, session.provider, session.parent_id)
            # The drill-down keeps the order the operator chose.
            related = RelatedScreen(
                self.context, scope, self.trail, select=event.key, order=self.order
            )
            self.app.push_screen(related)
        else:
            self.app.push_screen(SessionScreen(self.context, event.key, self.trail))

    # -- actions --------------------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.has_focus:  # the priority binding took a `/` typed into the filter itself
            bar.insert_text_at_cursor("/")
            return
        # The session to keep the cursor on while the filter is typed, if it still matches:
        # a half-typed filter may match nothing for a moment.
        self._chosen = self.table.cursor_key
        self.query_one(FilterBar).open(self.filter.text)

    def on_input_changed(self, event: FilterBar.Changed) -> None:
        # As you type, a half-written term only turns the prompt red; Enter says what is wrong.
        self._set_filter(event.value)
        event.input.set_class(bool(self.filter.problems), "-invalid")

    def on_filter_bar_done(self, event: FilterBar.Done) -> None:
        self._set_filter(event.text)
        self._chosen = None
        if self.filter.problems:
            self.notify("; ".join(self.filter.problems), title="Filter", severity="warning")
        self.table.focus()

    def _set_filter(self, text: str) -> None:
        self.filter = self._parse(text)
        self._resort()

    def _parse(self, text: str) -> Filter:
        store = self.context.store
        watched = self.context.watch.is_watched
        return parse_filter(text, stale=lambda s: store.is_stale(s.key), watched=watched)

    def action_sort(self, key: str) -> None:
        self.order = self.order.pressed(SortKey(key))
        self._resort()
        self.post_message(self.SortChanged(self.order))

    def _resort(self) -> None:
        self._list = self._new_list()
        self._rebuild = True
        cursor = self._chosen or self.table.cursor_key
        self.redraw()
        if cursor is not None and cursor in self._list.keys:
            self.table.select_key(cursor)  # still shown: the cursor stays on its session

    def action_details(self) -> None:
        """Open the detail pane (where it is folded to a summary line) and give it the keys
        (↑/↓ scroll it); again, back to the list."""
        pane = self.query_one(DetailPane)
        if pane.has_focus:
            self.remove_class("-detail-open")
            self.table.focus()
        else:
            self.add_class("-detail-open")
            pane.focus()

    def action_watch(self, whole: bool = True) -> None:
        """`w`: watch the row's stream, entity or call (or stop watching it); `W`: only this
        session. Watched rows are starred and come first."""
        key = self.table.cursor_key
        session = self.context.store.get(key) if key else None
        if session is None:
            return
        try:
            watched, what = self.context.watch.toggle(session, whole=whole)
        except ValueError as exc:
            self.notify(str(exc), severity="warning", timeout=3)
            return
        self.notify(f"{'watching' if watched else 'stopped watching'} {what}", timeout=2)
        self.post_message(self.WatchChanged())
        self._resort()

    def action_back(self) -> None:
        if self.query_one(DetailPane).has_focus:
            self.action_details()  # Esc in the pane: back to the list
        elif self.filter:
            self._set_filter("")
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_toggle_events(self) -> None:
        events = self.query_one(EventLog)
        events.display = not events.display
        self.set_class(events.display, "-events")
        if events.display:
            events.show(self.context.store.events)

    def action_copy_id(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self.app.copy_to_clipboard(key.id)
            self.notify(f"copied {fmt.safe_text(key.id, 60)}", timeout=2)

    def action_toggle_fields(self) -> None:
        self.query_one(DetailPane).toggle_fields()

    def action_reveal(self) -> None:
        if not self.query_one(DetailPane).reveal_secret():
            self.notify("this session has no stream key", timeout=2)

    def system_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Filter the list", "/", self.action_filter)
        yield SystemCommand("Toggle the event log", "e", self.action_toggle_events)
        yield SystemCommand("Watch / unwatch the selected stream or call", "w", self.action_watch)
        yield SystemCommand("Copy the selected id", "c", self.action_copy_id)
        yield SystemCommand("Reveal the stream key", "x", self.action_reveal)
        yield SystemCommand("Show / hide raw fields", "f", self.action_toggle_fields)
        for key in SORTS:
            title = "Sort trouble first (the default)" if key == "trouble" else f"Sort by {key}"
            yield SystemCommand(title, "the same again reverses", _sorter(self, key))
        yield from super().system_commands()


def _sorter(screen: SessionsScreen, key: str) -> Callable[[], None]:
    return lambda: screen.action_sort(key)


class RelatedScreen(SessionsScreen):
    """One stream's or entity's sessions, fetched on demand and kept fresh while shown."""

    def __init__(
        self,
        context: ConsoleContext,
        scope: Scope,
        trail: str,
        *,
        select: SessionKey | None = None,
        order: SortOrder | None = None,
    ) -> None:
        super().__init__(context, scope, trail, order=order)
        self._select = select

    def on_mount(self) -> None:
        super().on_mount()
        if self._select is not None:
            self.table.select_key(self._select)
        assert self.scope.provider is not None and self.scope.parent_id is not None
        self.run_worker(
            follow_related(self, self.scope.provider, self.scope.parent_id),
            name="follow",
            group="follow",
            exclusive=True,
        )
