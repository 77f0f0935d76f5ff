"""Watching in the console, against the simulator over a socket: `w` stars the stream and
lists it first, a restart remembers it, `watched:yes` lists only it, and with
`alerts = "watched"` the toasts and the bell are for watched sessions only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support.app import live_app, wait_for
from tui import ui_state
from tui.models import ProviderKind, SessionKey
from tui.sim import RunningSimulator
from tui.store import EventKind, StoreEvent
from tui.widgets.event_log import EventLog
from tui.widgets.sessions_table import SessionsTable


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_w_stars_a_stream_lists_it_first_and_a_restart_remembers(
    sim: RunningSimulator,
) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: table.row_count > 20)
        # A Livepeer session far down the list: its stream is what gets watched.
        await pilot.press("slash", *"kind:livepeer", "enter", "G")
        chosen = app.store.get(table.cursor_key) if table.cursor_key else None
        assert chosen is not None and chosen.parent_id
        await pilot.press("w")
        assert f"watching stream {chosen.parent_id[:15]}" in " ".join(toasts(app))
        siblings = {s.key for s in app.store.sessions("studio") if s.parent_id == chosen.parent_id}
        await pilot.press("escape")  # the filter goes; the stream's sessions lead the list
        await wait_for(pilot, lambda: set(table.keys[: len(siblings)]) == siblings)
        assert table.cursor_key == chosen.key  # the cursor went up with its session
        top = table.visible_text.splitlines()[1]
        assert f"★ {chosen.name}"[:20] in top
        saved = json.loads(ui_state.state_path().read_text())
        assert saved["watched"] == [["studio", chosen.parent_id]]
        await pilot.press("slash", *"watched:yes", "enter")
        await wait_for(pilot, lambda: set(table.keys) == siblings)

    again = live_app(sim)  # a new run: the star is remembered
    async with again.run_test(size=(120, 36)) as pilot:
        table = again.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: table.row_count > 20)
        assert again.watchlist.covers("studio", chosen.id, chosen.parent_id)
        first = again.store.get(table.keys[0])
        assert first is not None and first.parent_id == chosen.parent_id
        await pilot.press("w")  # on the watched top row: stop watching
        assert "stopped watching" in " ".join(toasts(again))
        assert json.loads(ui_state.state_path().read_text())["watched"] == []


async def test_alerts_only_for_watched_sessions_when_asked(
    sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = live_app(sim)
    assert app.settings is not None
    app.settings = app.settings.model_copy(update={"alerts": "watched"})
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: len(app.store.sessions("calls")) >= 2)
        calls = [s for s in app.store.sessions("calls") if s.kind is ProviderKind.CALLS]
        watched, other = calls[0], calls[1]
        app.watchlist.toggle(watched)
        before = len(toasts(app))

        def unhealthy(key: SessionKey) -> StoreEvent:
            return StoreEvent(1.0, EventKind.UNHEALTHY, "calls", key, key.id, "test")

        app.store.announce("calls", [unhealthy(other.key)])
        await pilot.pause()
        assert toasts(app)[before:] == [] and bells == []  # not watched: no toast, no bell
        app.store.announce("calls", [unhealthy(watched.key)])
        await pilot.pause()
        assert any(watched.id in t for t in toasts(app)[before:]) and bells
        await pilot.press("e")
        log = app.screen.query_one(EventLog).text
        assert other.id in log and watched.id in log  # the log keeps everything
        failed = StoreEvent(2.0, EventKind.PROVIDER_FAILED, "uiza", None, "uiza", "down")
        app.store.announce("uiza", [failed])
        await pilot.pause()
        assert any("provider failed" in t for t in toasts(app))  # a provider's: always


async def test_shift_w_watches_one_session_and_r_shows_an_empty_rundown_says_how(
    sim: RunningSimulator,
) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(SessionsTable)
        await pilot.press("slash", *"kind:livepeer", "enter")
        await wait_for(pilot, lambda: table.row_count > 3)
        await pilot.press("j", "j")
        key = table.cursor_key
        chosen = app.store.get(key) if key else None
        assert chosen is not None
        await pilot.press("W")
        assert app.watchlist.items() == [("studio", chosen.id)]
        others = [s for s in app.store.sessions("studio") if s.parent_id == chosen.parent_id]
        assert not any(app.watchlist.is_watched(s) for s in others if s.id != chosen.id)
        await pilot.press("R")
        from tui.widgets.rundown_view import RundownView

        text = app.screen.query_one(RundownView).text
        assert text.startswith("No rundown: nothing planned tonight.") and "[[rundown]]" in text
