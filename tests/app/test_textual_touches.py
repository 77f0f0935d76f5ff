"""Every private Textual touch falls back to stock Textual, never a crash: forced here by
taking away what each one needs, and by switching each off as the benchmark does."""

from __future__ import annotations

import sys

import pytest
from textual.app import App, ComposeResult
from textual.drivers.linux_driver import LinuxDriver
from textual.widget import Widget

from support.app import live_app, wait_for
from tui import textual_touches
from tui.sim import RunningSimulator
from tui.textual_touches import (
    ENV,
    engaged,
    forget_repainted_regions,
    install_partial_updates,
    quiet_driver_class,
)
from tui.widgets.sessions_table import SessionsTable


def test_every_touch_engages_on_the_pinned_textual() -> None:
    assert engaged() == dict.fromkeys(textual_touches.TOUCHES, True)


def test_a_moved_private_module_means_stock_textual(monkeypatch: pytest.MonkeyPatch) -> None:
    # A module set to None in sys.modules raises ImportError when imported.
    for name in ("textual._compositor", "textual._xterm_parser", "textual._time"):
        monkeypatch.setitem(sys.modules, name, None)
    for name in ("partial_update", "quiet_driver"):  # as if never imported
        monkeypatch.delitem(sys.modules, f"tui.textual_touches.{name}", raising=False)
        monkeypatch.delattr(textual_touches, name, raising=False)
    assert install_partial_updates() is False
    assert quiet_driver_class(LinuxDriver) is LinuxDriver


def test_switched_off_touches_leave_textual_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "partial_update,quiet_input")
    assert install_partial_updates() is False
    assert quiet_driver_class(LinuxDriver) is LinuxDriver
    monkeypatch.setenv(ENV, "all")
    assert not textual_touches.enabled("forget_repainted_regions")


def test_other_drivers_are_kept() -> None:
    class Headless(LinuxDriver):
        pass

    assert quiet_driver_class(Headless) is Headless


async def test_a_layout_elsewhere_leaves_the_list_scrollbar_alone() -> None:
    """A layout (a toast coming or going) tells every widget its size again, with its
    parent's content size, which differs from the list's own beside a pane: the list does not
    repaint its scrollbar for it (with the touch off, stock Textual does)."""
    from textual.containers import Horizontal
    from textual.scrollbar import ScrollBar
    from textual.widgets import Static

    from tui.models import ProviderKind, Session, SessionKey, SessionState

    rows = [SessionKey("studio", f"s{n}") for n in range(40)]

    def lookup(key: SessionKey) -> Session:
        return Session("studio", ProviderKind.LIVEPEER, key.id, key.id, SessionState.LIVE)

    class Beside(App[None]):
        CSS = "Static { width: 20; }"

        def compose(self) -> ComposeResult:
            with Horizontal():
                yield SessionsTable(lookup)
                yield Static("pane")

    app = Beside()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(SessionsTable)
        table.set_rows(rows)
        await pilot.pause()
        repaints: list[int] = []
        bar = table.vertical_scrollbar
        stock = bar.refresh

        def counted(*args: object, **kwargs: object) -> ScrollBar:
            repaints.append(1)
            return stock(*args, **kwargs)  # type: ignore[arg-type]

        bar.refresh = counted  # type: ignore[method-assign]
        parent = app.query_one(Horizontal).container_size  # what a layout passes along
        try:
            for quiet in (True, False):
                textual_touches._QUIET_LAYOUT = quiet
                repaints.clear()
                table._size_updated(table.outer_size, table.virtual_size, parent)
                assert bool(repaints) is not quiet, quiet
        finally:
            textual_touches._QUIET_LAYOUT = textual_touches.enabled("quiet_layout")


async def test_forgetting_regions_without_them_is_a_no_op() -> None:
    class Bare(Widget):
        pass

    bare = Bare()
    assert forget_repainted_regions(bare) is True  # the pinned Textual keeps a set
    bare._dirty_regions = frozenset()  # type: ignore[assignment]  # a future shape
    assert forget_repainted_regions(bare) is False


class Two(App[None]):
    def compose(self) -> ComposeResult:
        yield SessionsTable(lambda key: None)


async def test_the_console_runs_on_stock_textual(
    sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every touch off: the console still loads, moves and drills down."""
    from tui.textual_touches import partial_update

    partial_update.uninstall()
    monkeypatch.setenv(ENV, "all")
    monkeypatch.setattr(textual_touches, "_FORGET", False)
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: table.row_count > 5)
        await pilot.press("p")  # held still: a poll reordering the rows would move them
        await pilot.pause()
        top = table.cursor_key
        await pilot.press("j", "j")
        assert top is not None and table.cursor_key is not None
        assert table.keys.index(table.cursor_key) == table.keys.index(top) + 2
        from textual._compositor import ChopsUpdate

        assert ChopsUpdate.render_segments is not partial_update.render_segments
