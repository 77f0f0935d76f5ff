"""SessionsScreen: the list of sessions (all, or one stream's / entity's), its detail pane, the
provider bar and the event log. Drilling down pushes another screen, so Esc comes back to this
one exactly as it was: cursor, filter and sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from tui import format as fmt
from tui.models import ProviderKind, Session, SessionKey, SessionState
from tui.store import StoreDiff
from tui.view import Filter, SessionList, SortKey, SortOrder, parse_filter
from tui.widgets.detail_pane import DetailPane
from tui.widgets.event_log import EventLog
from tui.widgets.filter_bar import FilterBar
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.sessions_table import SessionsTable
from tui.widgets.status_header import StatusHeader

if TYPE_CHECKING:
    from tui.app import LivetopApp

MARK_SECONDS = 15.0  # how long a row that just appeared or ended stays marked


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


class SessionsScreen(Screen[None]):
    """A live list with its detail pane; the app tells it when the store changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Footer order is priority order: it scrolls sideways when 80 columns cannot hold it all.
        Binding("slash", "filter", "Filter"),
        Binding("question_mark", "app.help", "Help"),
        Binding("q", "app.quit", "Quit"),
        Binding("p", "app.pause", "Pause"),
        Binding("r", "app.refresh_now", "Refresh"),
        Binding("e", "toggle_events", "Events"),
        Binding("n", "sort('name')", "Sort", key_display="n s h b l t"),
        Binding("s", "sort('state')", "Sort state", show=False),
        Binding("h", "sort('health')", "Sort health", show=False),
        Binding("b", "sort('bitrate')", "Sort bitrate", show=False),
        Binding("l", "sort('last seen')", "Sort last seen", show=False),
        Binding("t", "sort('trouble')", "Sort trouble", show=False),
        Binding("plus,equals_sign", "app.interval(-1)", "Interval", key_display="+ -"),
        Binding("minus", "app.interval(1)", "Slower", show=False),
        Binding("c", "copy_id", "Copy id"),
        Binding("x", "reveal", "Reveal key"),
        Binding("escape", "back", "Back / clear filter"),
    ]

    def __init__(self, scope: Scope | None = None) -> None:
        super().__init__()
        self._ready = False
        self.scope = scope or Scope()
        self.order = SortOrder()
        self.filter: Filter = parse_filter("")
        self._table: SessionsTable | None = None
        self._list = self._new_list()
        self._rebuild = True  # the next sync filters and sorts from scratch
        self._touched: set[SessionKey] = set()  # sessions the store changed since the last sync
        self._restale = False  # a provider's staleness flipped: all its rows look different
        self._bar_states: object = None  # the providers' states it showed

    def _new_list(self) -> SessionList:
        include = self.scope.includes if self.scope.provider is not None else None
        return SessionList(self.filter, self.order, include)

    @property
    def livetop(self) -> LivetopApp:
        return cast("LivetopApp", self.app)

    def compose(self) -> ComposeResult:
        app = self.livetop
        yield StatusHeader()
        yield ProviderBar([p.name for p in app.settings.providers], id="providers")
        with Horizontal(id="body"):
            self._table = SessionsTable(
                app.store.get,
                is_stale=lambda s: app.store.is_stale(s.key),
                clock=app.now,
                id="sessions",
            )
            yield self._table
            yield DetailPane(id="detail")
        yield EventLog(id="events")
        yield FilterBar(id="filter")
        yield Footer()

    @property
    def table(self) -> SessionsTable:
        assert self._table is not None
        return self._table

    def on_mount(self) -> None:
        self._ready = True
        self.query_one(FilterBar).display = False
        self.query_one(EventLog).display = False
        self.query_one(StatusHeader).crumbs = self._crumbs()
        self.sync()
        self.table.focus()

    def on_screen_resume(self) -> None:
        self.sync()

    def _crumbs(self) -> str:
        trail = [s.scope.crumb for s in self.app.screen_stack if isinstance(s, SessionsScreen)]
        if self not in self.app.screen_stack:
            trail.append(self.scope.crumb)
        return " › ".join(fmt.safe_text(c, 40) for c in trail)

    # -- the store → screen bridge --------------------------------------------------------

    def note_diffs(self, diffs: list[StoreDiff], initial: set[str]) -> None:
        """Note what changed for the next `sync`; mark rows that just appeared or ended (not
        a provider's first load)."""
        until = self.livetop.clock.monotonic() + MARK_SECONDS
        store = self.livetop.store
        touched = self._touched
        for diff in diffs:
            touched.update(diff.added)
            touched.update(diff.changed)
            touched.update(diff.removed)
            self._restale |= diff.stale_changed
            if diff.provider not in initial:
                for key in diff.added:
                    # A drill-down brings in old sessions too: only a new broadcast is "new".
                    added = store.get(key)
                    if added is not None and added.is_live:
                        self.table.mark(key, "new", until)
            for key, fields in diff.changed.items():
                session = store.get(key)
                if "state" in fields and session and session.state is SessionState.ENDED:
                    self.table.mark(key, "ended", until)

    def sync(self, *, routine: bool = False) -> None:
        """Redraw from the store: rows (re-sorted only if an order-deciding value changed),
        counts, providers, detail; only what changed is repainted. `routine`: the app's 1 s
        tick (see `_refresh`)."""
        if not self._ready:  # children are composed only once on_mount runs
            return
        store = self.livetop.store
        changed: set[SessionKey] | None = None  # rows that may look different (None: any)
        if self._rebuild:
            self._rebuild = False
            self._touched.clear()
            self._list.rebuild(store.sessions())
            moved = self._list.keys != self.table.keys
        else:
            changed, self._touched = self._touched, set()
            moved = bool(changed) and self._list.update(store.get, changed)
        if self._restale:
            self._restale, changed = False, None
        if moved:
            self.table.set_rows(self._list.keys)
        self._refresh(routine=routine, rows=changed)

    def _refresh(self, *, routine: bool, rows: set[SessionKey] | None) -> None:
        """Everything but the rows' order; each part compares before it repaints, so an
        unchanged screen costs no output. `rows`: the sessions changed since the last call
        (None: any row may look different). `routine` (the 1 s tick) also redraws the
        provider bar's times (a late provider's data age, "retry in"); after a store update
        it is redrawn only when a provider's state did."""
        if not self._ready:  # children are composed only once on_mount runs
            return
        app = self.livetop
        header = self.query_one(StatusHeader)
        header.counts = app.store.counts()
        header.paused = app.paused
        header.now = app.now()
        self._show_providers(routine)
        self.table.expire_marks(self.livetop.clock.monotonic())
        if rows is None:
            self.table.refresh_changed()
        else:  # most seconds no visible age reads differently: compare only changed rows
            self.table.refresh_rows(rows)
        self._show_detail()
        events = self.query_one(EventLog)
        if events.display:
            events.show(app.store.events)

    def _show_providers(self, routine: bool) -> None:
        app = self.livetop
        statuses, now, paused = app.store.statuses(), app.clock.time(), app.paused
        states = tuple((s.name, s.health, s.stale, s.session_count) for s in statuses)
        if not routine and (states, paused) == self._bar_states:
            return
        self._bar_states = (states, paused)
        self.query_one(ProviderBar).show(statuses, now, paused)

    def _show_detail(self) -> None:
        store = self.livetop.store
        key = self.table.cursor_key
        session = store.get(key) if key else None
        history = store.history(key) if key else ()
        stale = store.is_stale(key) if key else False
        self.query_one(DetailPane).show(session, history, self.livetop.now(), stale=stale)

    def on_sessions_table_highlighted(self, event: SessionsTable.Highlighted) -> None:
        self._show_detail()

    # -- drill-down ----------------------------------------------------------------------

    def on_sessions_table_selected(self, event: SessionsTable.Selected) -> None:
        session = self.livetop.store.get(event.key)
        if session is None:
            return
        from tui.screens.session import SessionScreen

        at_top = self.scope.provider is None
        if at_top and session.kind is not ProviderKind.CALLS and session.parent_id:
            parent = "stream" if session.kind is ProviderKind.LIVEPEER else "entity"
            crumb = f"{session.provider} {parent} {session.parent_id[:12]}"
            scope = Scope(crumb, session.provider, session.parent_id)
            self.app.push_screen(RelatedScreen(scope, select=event.key))
        else:
            self.app.push_screen(SessionScreen(event.key, self._crumbs()))

    # -- actions --------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterBar).open(self.filter.text)

    def on_input_changed(self, event: FilterBar.Changed) -> None:
        # As you type, a half-written term only turns the prompt red; Enter says what is wrong.
        self._set_filter(event.value)
        event.input.set_class(bool(self.filter.problems), "-invalid")

    def on_filter_bar_done(self, event: FilterBar.Done) -> None:
        self._set_filter(event.text)
        if self.filter.problems:
            self.notify("; ".join(self.filter.problems), title="Filter", severity="warning")
        self.table.focus()

    def _set_filter(self, text: str) -> None:
        self.filter = parse_filter(text)
        self._resort()

    def action_sort(self, key: str) -> None:
        self.order = self.order.pressed(SortKey(key))
        self.notify(f"sorted by {self.order.label}", timeout=1.5)
        self._resort()

    def _resort(self) -> None:
        self._list = self._new_list()
        self._rebuild = True
        self.sync()

    def action_back(self) -> None:
        if self.filter:
            self._set_filter("")
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_toggle_events(self) -> None:
        events = self.query_one(EventLog)
        events.display = not events.display
        self.set_class(events.display, "-events")
        if events.display:
            events.show(self.livetop.store.events)

    def action_copy_id(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self.app.copy_to_clipboard(key.id)
            self.notify(f"copied {fmt.safe_text(key.id, 60)}", timeout=2)

    def action_reveal(self) -> None:
        if not self.query_one(DetailPane).reveal_secret():
            self.notify("this session has no stream key", timeout=2)
        self._show_detail()


class RelatedScreen(SessionsScreen):
    """One stream's or entity's sessions, fetched on demand and kept fresh while shown."""

    def __init__(self, scope: Scope, *, select: SessionKey | None = None) -> None:
        super().__init__(scope)
        self._select = select

    def on_mount(self) -> None:
        super().on_mount()
        if self._select is not None:
            self.table.select_key(self._select)
        self.livetop.watch_related(self, self.scope)
