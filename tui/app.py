"""LivetopApp: wires settings → clients → refresher → store, and the store → the screens.

The store calls `_on_store` synchronously for every diff; the app only queues the diff and
posts one replaceable message, so a burst of provider updates becomes one redraw.

The screen is redrawn once a second, on the tick that moves its clock and ages, and new values
the store took in meanwhile (rates, last seen, staleness) are drawn with it: they wait at most
a second, and a quiet console draws one frame a second instead of one per poll as well. What
changes the picture is drawn at once: every event (a session live, ended, unhealthy or
recovered, a provider failing or back), sessions that appear (a provider's first load too),
and the first answer of a drill-down.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.driver import Driver
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from tui import ui_state
from tui.absence import Rundown
from tui.alerts import Alerts
from tui.clock import Clock, SystemClock
from tui.collector import Collector
from tui.config import ConfigError, Settings
from tui.config_watch import ConfigWatcher, apply_settings, config_file
from tui.engine import build_refresher
from tui.recorder import RecordingHandle, not_recording
from tui.refresher import Refresher
from tui.screens.help import HelpScreen
from tui.screens.live import ConsoleContext, LiveScreen
from tui.screens.replay import ReplayMoved
from tui.screens.sessions import SessionsScreen
from tui.session_list import SortKey, SortOrder
from tui.source import NOT_POLLING, PAUSE_WORDS, Feed
from tui.store import SessionStore, StoreDiff
from tui.textual_touches import install_partial_updates, quiet_driver_class
from tui.watch import WatchList

# Status fields that only say when a provider is next polled and whether a poll is running.
_SCHEDULE = frozenset({"next_poll", "polling_since"})


def styles_path() -> Path:
    """`styles/` ships inside the wheel as `tui/styles`; a source checkout has it beside `tui/`."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "styles", here.parent / "styles"):
        if (candidate / "livetop.tcss").is_file():
            return candidate / "livetop.tcss"
    raise FileNotFoundError("livetop.tcss not found beside the tui package")


class StoreUpdated(Message):
    """The store changed; queued diffs are in the app. Replaceable: bursts collapse into one."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreUpdated)


class LivetopApp(App[None]):
    """The operator console: polling the configured providers (`settings`), or fed by a
    recording (`feed`: attached to one another process writes, or replaying one)."""

    TITLE = "livetop"
    CSS_PATH: ClassVar[Any] = styles_path()
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("R", "rundown", "Rundown"),
        Binding("ctrl+r", "reload", "Reload the config"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]  # noqa: RUF012 (Textual's API)
    # Short and narrow (80x24 over SSH): the detail pane folds into a summary line.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012 (Textual's API)
    # Send only the changed cells of a line (see partial_update.py); the benchmark's stock
    # baseline turns it off.
    PARTIAL_UPDATES: ClassVar[bool] = True
    # An input thread that sleeps until a key comes (see quiet_driver.py); the baseline's
    # stock Textual turns it off.
    QUIET_INPUT: ClassVar[bool] = True

    def __init__(
        self,
        settings: Settings | None,
        *,
        feed: Feed | None = None,
        clock: Clock | None = None,
        store: SessionStore | None = None,
        start_polling: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        if self.PARTIAL_UPDATES:
            install_partial_updates()
        self.settings = settings
        self._refresher: Refresher | None = None
        if feed is None:
            assert settings is not None, "a console that polls needs its settings"
            clock = clock or SystemClock()
            store = store or SessionStore(clock=clock)
            # Clients judge "live" by the app's clock, so a frozen clock freezes everything.
            self._refresher = build_refresher(settings, store, clock=clock, now=self.now, rng=rng)
            feed = Feed(store, self._refresher, clock, tuple(p.name for p in settings.providers))
        self.clock, self.store, self.source = feed.clock, feed.store, feed.source
        self.recording: RecordingHandle = not_recording()  # started on mount, if it polls
        self._ui_path = ui_state.state_path()
        self.ui_state = ui_state.load(self._ui_path)  # the operator's choices of last time
        self.watchlist = WatchList(self.ui_state.watched)
        plan = settings.rundown if settings is not None else ()
        self.rundown = Rundown(plan, loaded_at=self.clock.time())
        self.context = ConsoleContext.of(
            feed, self.watchlist, self.rundown, recording=lambda: self.recording.status
        )
        self._config = ConfigWatcher(config_file(settings) if settings is not None else None)
        self._reloading: asyncio.Task[None] | None = None
        self.alerts = Alerts(self, self.store, self.watchlist, lambda: self.settings)
        self._trouble = False  # the header's banner says something is wrong (told once)
        self._start_polling = start_polling
        self._pending: list[StoreDiff] = []
        self._loaded: set[str] = set()  # providers past their first load (for "new" marks)
        self._unsubscribe = self.store.subscribe(self._on_store)
        self._collector = Collector()

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        return quiet_driver_class(driver) if self.QUIET_INPUT else driver

    # -- time ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """Now as the screens show it (see `ConsoleContext.now`)."""
        return self.context.now()

    @property
    def refresher(self) -> Refresher:
        """The polling loops (a console that polls; attached or replaying there are none)."""
        if self._refresher is None:
            raise AttributeError("this console does not poll: it is fed by a recording")
        return self._refresher

    @property
    def paused(self) -> bool:
        return self.source.paused

    # -- life cycle ----------------------------------------------------------------------

    def on_mount(self) -> None:
        self._collector.start()
        if self.ui_state.theme in self.available_themes:
            self.theme = self.ui_state.theme
        self.push_screen(SessionsScreen(self.context, order=self._remembered_order()))
        self._ticker = self.set_interval(1.0, self._tick)
        if self._refresher is not None and self.settings is not None:
            from tui.recorder import start_recording  # the recorder's thread opens the file

            self.recording = start_recording(self.store, self.settings)
            if self.recording.status.state != "off":
                self.run_worker(self._continue(), name="continuity")
        if self._start_polling:
            self.source.start()
        # An SSH drop hangs up the terminal: leave at once instead of spinning on a dead tty.
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit)

    async def on_unmount(self) -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if self._reloading is not None:
            self._reloading.cancel()
        self._unsubscribe()
        await self.source.stop()
        self.recording.close()
        self._collector.stop()

    # -- remembered choices ------------------------------------------------------------------

    def _remembered_order(self) -> SortOrder:
        state = self.ui_state
        if state.sort not in {k.value for k in SortKey}:
            return SortOrder()
        return SortOrder(SortKey(state.sort), state.sort_reverse)

    def watch_theme(self, theme: str) -> None:
        if theme != self.ui_state.theme and self.is_running:
            self.ui_state.theme = theme
            ui_state.save(self._ui_path, self.ui_state)

    def on_sessions_screen_sort_changed(self, event: SessionsScreen.SortChanged) -> None:
        self.ui_state.sort = event.order.key.value
        self.ui_state.sort_reverse = event.order.reverse
        ui_state.save(self._ui_path, self.ui_state)

    def on_sessions_screen_watch_changed(self, _: SessionsScreen.WatchChanged) -> None:
        self.ui_state.watched = self.watchlist.items()
        ui_state.save(self._ui_path, self.ui_state)  # (lists behind sort again on resume)

    # -- store → screens -----------------------------------------------------------------

    def _on_store(self, diff: StoreDiff) -> None:
        # A poll starting or being scheduled (two of a poll's three updates) changes nothing
        # shown at once: the tick shows a slow poll or a retry countdown.
        if not (diff.sessions_changed or diff.events) and diff.status_fields <= _SCHEDULE:
            return
        self._pending.append(diff)
        self.post_message(StoreUpdated())

    def on_store_updated(self, _: StoreUpdated) -> None:
        if self._take_pending():
            self.redraw()

    def _take_pending(self) -> bool:
        """Hand the queued diffs to the screens and raise their alerts; True when they hold
        something to draw at once (see the module doc), else it waits for the tick."""
        diffs, self._pending = self._pending, []
        # A poll can finish while the app is closing, after its screens are gone.
        if not diffs or not self.screen_stack:
            return False
        # A first load, or a recording's moment put whole (a seek): nothing in it is news.
        initial = {
            d.provider for d in diffs if d.reloaded or (d.added and d.provider not in self._loaded)
        }
        for screen in self.screen_stack:
            if isinstance(screen, LiveScreen):
                screen.note(diffs, initial)
        self._loaded.update(d.provider for d in diffs if d.added or d.changed)
        if all(s.last_success is not None for s in self.store.statuses()):
            self._collector.loaded()
        if self.context.timeline is None:  # a replay's incidents are long over: no alarms
            self.alerts.raise_events(e for d in diffs for e in d.events)
        return any(d.added or d.events or d.reloaded for d in diffs)

    def redraw(self, *, tick: bool = False) -> None:
        """Draw the shown screen from the store now, with whatever is still queued. `tick`:
        the 1 s tick, which also moves clocks and ages."""
        self._take_pending()
        # The top screen, or the one behind a dialog (help, the palette) that still shows.
        screen = next((s for s in reversed(self.screen_stack) if isinstance(s, LiveScreen)), None)
        if screen is not None:
            with suppress(NoMatches):  # the app is closing: the screen's children are gone
                screen.redraw(tick=tick)

    def _tick(self) -> None:
        self._collector.tick()
        self.judge_rundown()
        self.redraw(tick=True)
        if self._config.path is not None and (self._reloading is None or self._reloading.done()):
            self._reloading = asyncio.create_task(self._reload(manual=False))
        # A toast when the header starts saying something is wrong (recording stopped, the
        # recorder attached to stopped writing); the header keeps saying it.
        banner = self.context.banner()
        trouble = banner is not None and banner.trouble is not None
        if trouble and not self._trouble and banner is not None:
            self.notify(f"{banner.text}: {banner.trouble}", severity="error", timeout=10)
        self._trouble = trouble

    def judge_rundown(self) -> None:
        """What did not happen: the rundown judged against the store, its alerts published
        (they reach the event log, the screens and the alerts as a poll's events do)."""
        self.rundown.publish(self.store, self.clock.time())

    def on_replay_moved(self, _: ReplayMoved) -> None:
        self.redraw()

    async def _continue(self) -> None:
        """The event log and sparklines the last run left in the recording (#16.6)."""
        from tui.recorder import continue_from

        if await continue_from(self.store, self.recording.status.path, self.clock.time()):
            self.redraw()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._collector.typed()
        await super().on_event(event)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast is plain text: they carry ids, names and filter words, and markup in
        them could break the toast or, with `[@click=...]`, run an action."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        """The palette's "Screenshot": no revealed key in it, a private file, a plain toast
        (see `tui/screenshot.py`). Nothing is delivered to a browser, so no delivery key."""
        from tui import screenshot

        screenshot.take(self, filename, path)
        return None

    # -- actions ---------------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_pause(self) -> None:
        """`p`: pause or resume polling; attached, following the recording; in replay,
        playing it."""
        source = self.source
        resumed, paused = PAUSE_WORDS[source.mode]
        if source.paused:
            source.resume()
            self.notify(resumed, timeout=2)
        else:
            source.pause()
            self.notify(paused, timeout=2)
        self.redraw(tick=True)

    def action_rundown(self) -> None:
        from tui.screens.rundown import RundownScreen

        # From a live screen only: not over help or the palette, nor over itself.
        if isinstance(self.screen, LiveScreen) and not isinstance(self.screen, RundownScreen):
            self.judge_rundown()
            self.push_screen(RundownScreen(self.context))

    def action_reload(self) -> None:
        """Ctrl+R: load the config file again now (it is also reloaded when it changes)."""
        if self._not_polling("Ctrl+R does"):
            return
        if self._config.path is None:
            self.notify("no config file to reload: this is the demo", timeout=3)
        elif self._reloading is None or self._reloading.done():
            self._reloading = asyncio.create_task(self._reload(manual=True))

    async def _reload(self, *, manual: bool) -> None:
        """Apply the config file if it changed (or when asked): providers, their ids, the
        rundown, alerts; a broken file is said, line by line, and the running config stays."""
        try:
            if not await self._config.changed() and not manual:
                return
            settings = await self._config.load()
        except ConfigError as exc:
            lines = "\n".join(str(p) for p in exc.problems)
            self.notify(
                lines,
                title="Config not reloaded: still running the old one",
                severity="error",
                timeout=15,
            )
            return
        old, self.settings = self.settings, settings
        assert old is not None, "only a console that polls has a config file to reload"
        said = await apply_settings(
            old, settings, self.refresher, self.store, self.rundown, now=self.now
        )
        self.recording.reconfigure(settings)
        self.judge_rundown()
        self.notify(said, timeout=4)
        self.redraw(tick=True)

    def action_refresh_now(self) -> None:
        if self._not_polling("r does"):
            return
        self.source.refresh_now()
        self.notify("refreshing", timeout=1)

    def action_interval(self, step: int) -> None:
        """`+` (-1) / `-` (1): scale every provider's own interval; budgets still bind."""
        if self._not_polling("+ and - do"):
            return
        refresher = self.refresher
        factor = refresher.scale(step)
        paces = ", ".join(
            f"{name} {refresher.interval_for(name):.3g} s"
            + (" (budget)" if refresher.budget_bound(name) else "")
            for name in refresher.providers
        )
        self.notify(f"polling ×{1 / factor:g} speed: {paces}", timeout=3)

    def _not_polling(self, keys: str) -> bool:
        """Attached or replaying, nothing here polls: say so instead of pretending."""
        if self._refresher is not None:
            return False
        self.notify(f"{NOT_POLLING[self.source.mode]} ({keys} nothing here)", timeout=4)
        return True

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        mode = self.source.mode
        if mode != "replay":  # a replay's own commands come with its screens
            what = "polling" if mode == "live" else "following the recording"
            yield SystemCommand(f"Pause / resume {what}", "p", self.action_pause)
        if mode == "live":
            yield SystemCommand("Refresh now", "r", self.action_refresh_now)
            yield SystemCommand("Poll more often", "+", lambda: self.action_interval(-1))
            yield SystemCommand("Poll less often", "-", lambda: self.action_interval(1))
        yield SystemCommand("Help: keys", "?", self.action_help)
        yield SystemCommand("Tonight's rundown", "R", self.action_rundown)
        yield SystemCommand("Reload the config file", "Ctrl+R", self.action_reload)
        if isinstance(screen, LiveScreen):
            yield from screen.system_commands()
