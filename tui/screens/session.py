"""SessionScreen: one session's full record (`GET /session/{id}`, a Uiza session, a call's
status), refreshed live, with its sparklines. Esc goes back to the list it came from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType

from tui import format as fmt
from tui.models import SessionKey
from tui.screens.drill import follow_session
from tui.screens.live import ConsoleContext, LiveScreen
from tui.widgets.detail_pane import DetailPane
from tui.widgets.key_bar import KeyBar
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.status_header import StatusHeader
from tui.widgets.timeline_bar import TimelineBar


class SessionScreen(LiveScreen):
    """A single session, full screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("p", "app.pause", "Pause"),
        Binding("r", "app.refresh_now", "Refresh"),
        Binding("c", "copy_id", "Copy id"),
        Binding("x", "reveal", "Reveal key"),
        Binding("q", "app.quit", "Quit"),
        Binding("question_mark", "app.help", "Help"),
    ]

    def __init__(self, context: ConsoleContext, key: SessionKey, trail: str) -> None:
        super().__init__(context)
        self.key = key
        self._trail = trail

    def compose(self) -> ComposeResult:
        yield StatusHeader(clock=self.context.now)
        yield ProviderBar(self.context.providers, clock=self.context.clock.time, id="providers")
        yield DetailPane(clock=self.context.now_s, id="session-detail")
        if self.context.timeline is not None:
            yield TimelineBar(id="timeline")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.ready = True
        self.query_one(KeyBar).show(
            self.key_entries(
                (
                    ("esc", "back"),
                    ("↑ ↓ PgUp PgDn", "scroll"),
                    ("p", "pause"),
                    ("r", "refresh"),
                    ("c", "copy id"),
                    ("x", "stream key"),
                    ("q", "quit"),
                    ("^p", "palette"),
                )
            )
        )
        session = self.context.store.get(self.key)
        self._name = session.name if session and session.name else self.key.id
        self.redraw()
        self.query_one(DetailPane).focus()  # ↑/↓ and PgUp/PgDn scroll the record
        self.run_worker(
            follow_session(self, self.key, session.parent_id if session else None),
            name="follow",
            group="follow",
            exclusive=True,
        )

    def on_screen_resume(self) -> None:
        self.redraw()

    def redraw(self, *, tick: bool = False) -> None:
        if not self.ready:
            return
        context = self.context
        store = context.store
        crumbs = f"{fmt.safe_text(self._trail, 80)} › {fmt.safe_text(self._name, 40)}"
        header = self.query_one(StatusHeader)
        header.show(store.counts(), paused=context.paused, crumbs=crumbs, banner=context.banner())
        self.query_one(ProviderBar).show(store.statuses(), context.paused)
        self.show_timeline()
        self.query_one(DetailPane).show(
            store.get(self.key),
            store.history(self.key),
            stale=store.is_stale(self.key),
            viewers_late=context.viewers_late(self.key),
        )
        self.want_history(self.key)

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.key.id)
        self.notify(f"copied {fmt.safe_text(self.key.id, 60)}", timeout=2)

    def action_reveal(self) -> None:
        if not self.query_one(DetailPane).reveal_secret():
            self.notify("this session has no stream key", timeout=2)

    def system_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Copy the session id", "c", self.action_copy_id)
        yield SystemCommand("Reveal the stream key", "x", self.action_reveal)
        yield from super().system_commands()
