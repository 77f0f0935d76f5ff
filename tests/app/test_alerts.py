"""Alerts: a toast, the bell (when configured) and an event-log line, for the events that matter."""

from __future__ import annotations

from typing import Any

from support.app import live_app, wait_for
from tui.models import SessionKey
from tui.sim import Fault
from tui.store import EventKind, StoreDiff, StoreEvent
from tui.widgets.event_log import EventLog
from tui.widgets.sessions_table import SessionsTable


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_provider_failure_alerts_with_toast_bell_and_event(
    sim: Any, monkeypatch: Any
) -> None:
    app = live_app(sim)
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
        sim.set_fault("uiza", Fault(html_5xx=1.0))
        await wait_for(pilot, lambda: any("provider failed" in t for t in toasts(app)))
        assert bells
        assert any(e.kind is EventKind.PROVIDER_FAILED for e in app.store.events)
        await pilot.press("e")
        log = app.screen.query_one(EventLog).text
        assert "provider failed" in log and "uiza" in log
        assert app.screen.query_one(EventLog).display


async def test_bursts_collapse_into_one_toast_and_bell_can_be_off(
    sim: Any, monkeypatch: Any
) -> None:
    app = live_app(sim)
    assert app.settings is not None
    app.settings = app.settings.model_copy(update={"bell": False})
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        events = tuple(
            StoreEvent(1.0, EventKind.UNHEALTHY, "studio", SessionKey("studio", f"s{i}"), f"n{i}")
            for i in range(30)
        )
        before = len(toasts(app))
        app._on_store(StoreDiff("studio", events=events))
        await pilot.pause()
        new = toasts(app)[before:]
        assert new == ["30 × unhealthy"]
        assert bells == []


async def test_markup_in_an_alert_is_shown_literally(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        hostile = "[bold red]pwn[/] \x1b[31m"
        event = StoreEvent(1.0, EventKind.ENDED, "studio", SessionKey("studio", "x"), hostile)
        app._on_store(StoreDiff("studio", events=(event,)))
        await pilot.pause()
        assert any("[bold red]pwn[/]" in t and "\\x1b[31m" in t for t in toasts(app))


async def test_a_poll_finishing_while_the_app_closes_is_ignored(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # Closing: the screens are gone, but the refresher still delivers one last diff.
        stacks = app._screen_stacks
        app._screen_stacks = {app.current_mode: []}
        try:
            app._pending.append(StoreDiff("studio", added=(SessionKey("studio", "x"),)))
            app.on_store_updated(None)  # type: ignore[arg-type]
            app._tick()
        finally:
            app._screen_stacks = stacks
