"""SessionScreen: one session's full record (`GET /session/{id}`, a Uiza session, a call's
status), refreshed live, with its sparklines. Esc goes back to the list it came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from tui import format as fmt
from tui.models import SessionKey
from tui.widgets.detail_pane import DetailPane
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.status_header import StatusHeader

if TYPE_CHECKING:
    from tui.app import LivetopApp


class SessionScreen(Screen[None]):
    """A single session, full screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("p", "app.pause", "Pause"),
        Binding("r", "app.refresh_now", "Refresh"),
        Binding("c", "copy_id", "Copy id"),
        Binding("x", "reveal", "Reveal key"),
    ]

    def __init__(self, key: SessionKey, trail: str) -> None:
        super().__init__()
        self._ready = False
        self.key = key
        self._trail = trail

    @property
    def livetop(self) -> LivetopApp:
        return cast("LivetopApp", self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield ProviderBar([p.name for p in self.livetop.settings.providers], id="providers")
        yield DetailPane(id="session-detail")
        yield Footer()

    def on_mount(self) -> None:
        self._ready = True
        session = self.livetop.store.get(self.key)
        name = session.name if session and session.name else self.key.id
        crumb = f"{self._trail} › {fmt.safe_text(name, 40)}"
        self.query_one(StatusHeader).crumbs = crumb
        self.sync()
        self.livetop.watch_session(self, self.key)

    def on_screen_resume(self) -> None:
        self.sync()

    def sync(self, *, routine: bool = False) -> None:
        """Redraw from the store (all of it is cheap here, so `routine` changes nothing)."""
        if not self._ready:  # children are composed only once on_mount runs
            return
        app = self.livetop
        header = self.query_one(StatusHeader)
        header.counts = app.store.counts()
        header.paused = app.paused
        header.now = app.now()
        self.query_one(ProviderBar).show(app.store.statuses(), app.clock.time(), app.paused)
        store = app.store
        self.query_one(DetailPane).show(
            store.get(self.key),
            store.history(self.key),
            app.now(),
            stale=store.is_stale(self.key),
        )

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.key.id)
        self.notify(f"copied {fmt.safe_text(self.key.id, 60)}", timeout=2)

    def action_reveal(self) -> None:
        if not self.query_one(DetailPane).reveal_secret():
            self.notify("this session has no stream key", timeout=2)
        self.sync()
