"""RundownScreen (`R`): tonight's plan and what became of it, item by item, in time order:
upcoming (a countdown), on air (for how long), late, ended early, overrunning, done, or
unknown while a provider cannot say. Esc or `R` goes back to the list as it was."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from tui.absence import ItemState
from tui.screens.live import LiveScreen
from tui.widgets.key_bar import KeyBar
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.rundown_view import HINT, NO_CONFIG, RundownView
from tui.widgets.status_header import StatusHeader
from tui.widgets.timeline_bar import TimelineBar

KEYS = (
    ("esc", "back"),
    ("↑ ↓", "scroll"),
    ("^r", "reload config"),
    ("p", "pause"),
    ("r", "refresh"),
    ("q", "quit"),
)


class RundownScreen(LiveScreen):
    """The rundown, full screen, kept up to date on the 1 s tick."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,R", "app.pop_screen", "Back"),
        Binding("p", "app.pause", "Pause"),
        Binding("r", "app.refresh_now", "Refresh"),
        Binding("q", "app.quit", "Quit"),
        Binding("question_mark", "app.help", "Help"),
    ]

    def compose(self) -> ComposeResult:
        context = self.context
        yield StatusHeader(clock=context.now)
        yield ProviderBar(context.providers, clock=context.clock.time, id="providers")
        yield RundownView(id="rundown")
        if context.timeline is not None:
            yield TimelineBar(id="timeline")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.ready = True
        self.query_one(KeyBar).show(self.key_entries(KEYS))
        self.redraw()
        self.query_one(RundownView).focus()

    def on_screen_resume(self) -> None:
        self.redraw()

    def redraw(self, *, tick: bool = False) -> None:
        if not self.ready:
            return
        context = self.context
        store, views = context.store, context.rundown.views
        trouble = sum(v.trouble for v in views)
        unknown = sum(v.state is ItemState.UNKNOWN for v in views)
        crumbs = "rundown" if views else "rundown: none"
        if trouble:
            crumbs += f" · {trouble} in trouble"
        if unknown:
            crumbs += f" · {unknown} unknown"
        header = self.query_one(StatusHeader)
        header.show(store.counts(), paused=context.paused, crumbs=crumbs, banner=context.banner())
        self.query_one(ProviderBar).show(store.statuses(), context.paused)
        hint = HINT if context.source.mode == "live" else NO_CONFIG
        self.query_one(RundownView).show(views, hint=hint)
        self.show_timeline()
