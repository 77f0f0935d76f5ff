"""Every key and drill-down path of the console, against the simulator."""

from __future__ import annotations

import time
from typing import Any

import pytest

from support.app import live_app, wait_for
from tui.app import LivetopApp
from tui.models import ProviderKind, Session, SessionKey, SessionState
from tui.screens.help import HelpScreen
from tui.screens.session import SessionScreen
from tui.screens.sessions import RelatedScreen, SessionsScreen
from tui.sim import Fault
from tui.store import ProviderHealth
from tui.widgets.detail_pane import MASK, DetailPane
from tui.widgets.event_log import EventLog
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.sessions_table import SessionsTable
from tui.widgets.status_header import StatusHeader


def table(app: LivetopApp) -> SessionsTable:
    return app.screen.query_one(SessionsTable)


def session_of(app: LivetopApp, key: SessionKey | None) -> Session:
    """The stored session behind a row (the test fails if there is none)."""
    assert key is not None
    session = app.store.get(key)
    assert session is not None
    return session


def list_screen(app: LivetopApp) -> SessionsScreen:
    screen = app.screen
    assert isinstance(screen, SessionsScreen)
    return screen


def loaded(app: LivetopApp) -> bool:
    statuses = app.store.statuses()
    return bool(statuses) and all(s.last_success for s in statuses) and table(app).row_count > 0


async def test_rows_arrive_and_cursor_keys_move(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("p")  # hold the data still: live polls reorder rows (the cursor follows)
        t = table(app)
        first = t.keys[0]
        assert t.cursor_key == first
        await pilot.press("j", "j", "down")
        assert t.cursor_key == t.keys[3]
        await pilot.press("k", "up")
        assert t.cursor_key == t.keys[1]
        await pilot.press("G")
        assert t.cursor_key == t.keys[-1]
        await pilot.press("g")
        assert t.cursor_key == t.keys[0]
        await pilot.press("pagedown")
        assert t.keys.index(t.cursor_key) > 5
        await pilot.press("pageup")
        assert t.cursor_key == t.keys[0]


async def test_cursor_stays_on_its_session_across_refresh_sort_and_filter(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("j", "j", "j")
        chosen = table(app).cursor_key
        assert chosen is not None
        before = sim.request_counts["livepeer"]
        await pilot.press("r")
        await pilot.pause(1.2)  # at least two more polls
        assert sim.request_counts["livepeer"] >= before + 2
        assert table(app).cursor_key == chosen
        for key in "nsbhlt":
            await pilot.press(key)
            assert table(app).cursor_key == chosen, key
        name = session_of(app, chosen).name
        await pilot.press("slash", *name[:6], "enter")
        assert table(app).cursor_key == chosen
        word = name[:6].split()[0].casefold()
        for row in table(app).keys:
            shown = session_of(app, row)
            assert word in f"{shown.name} {shown.id} {shown.provider}".casefold()


async def test_sort_key_pressed_twice_reverses(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("n")
        names = [session_of(app, k).name.casefold() for k in table(app).keys]
        assert names == sorted(names)
        await pilot.press("n")
        names = [session_of(app, k).name.casefold() for k in table(app).keys]
        assert names == sorted(names, reverse=True)
        await pilot.press("b")
        rates = [session_of(app, k).ingest_bps or 0 for k in table(app).keys]
        assert rates == sorted(rates, reverse=True)


async def test_filter_terms_and_escape_clears(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        total = table(app).row_count
        await pilot.press("slash", *"state:live provider:studio", "enter")
        shown = [session_of(app, k) for k in table(app).keys]
        assert shown and all(s.state is SessionState.LIVE and s.provider == "studio" for s in shown)
        await pilot.press("slash", *" health:bad", "escape")  # Esc in the prompt: keep the old
        assert list_screen(app).filter.text == "state:live provider:studio"
        await pilot.press("escape")  # Esc on the list: clear the filter
        await wait_for(pilot, lambda: table(app).row_count >= total - 2)
        assert not list_screen(app).filter


async def test_livepeer_drill_down_and_back_keeps_the_list(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"kind:livepeer", "enter", "n", "j")
        main = app.screen
        chosen = table(app).cursor_key
        session = session_of(app, chosen)
        await pilot.press("enter")
        assert isinstance(app.screen, RelatedScreen)
        await wait_for(pilot, lambda: table(app).row_count > 0)
        related = [session_of(app, k) for k in table(app).keys]
        assert all(s.parent_id == session.parent_id for s in related)
        assert table(app).cursor_key == chosen
        crumbs = app.screen.query_one(StatusHeader).crumbs
        assert "all sessions" in crumbs and "stream" in crumbs
        await pilot.press("enter")
        assert isinstance(app.screen, SessionScreen)
        assert app.screen.key == chosen
        await pilot.press("escape", "escape")
        assert app.screen is main
        assert table(app).cursor_key == chosen
        assert main.filter.text == "kind:livepeer"
        assert main.order.key.value == "name"


async def test_uiza_and_calls_drill_down(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"kind:uiza", "enter", "enter")
        assert isinstance(app.screen, RelatedScreen)
        assert app.screen.scope.provider == "uiza"
        await wait_for(pilot, lambda: table(app).row_count > 0)
        await pilot.press("enter")
        assert isinstance(app.screen, SessionScreen)
        assert session_of(app, app.screen.key).kind is ProviderKind.UIZA
        await pilot.press("escape", "escape", "escape")  # back to main, then clear the filter
        await pilot.press("slash", *"kind:calls", "enter", "enter")
        assert isinstance(app.screen, SessionScreen)  # a call drills straight to its status
        assert session_of(app, app.screen.key).kind is ProviderKind.CALLS


async def test_pause_refresh_interval_events_copy_reveal_help_quit(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("p")
        assert app.refresher.paused
        assert app.screen.query_one(StatusHeader).has_class("-paused")
        before = sim.request_counts["livepeer"]
        await pilot.pause(1.2)
        assert sim.request_counts["livepeer"] == before  # paused means no polls
        await pilot.press("p")
        assert not app.refresher.paused
        await pilot.press("plus")
        assert app.refresher.factor == 0.5
        assert app.refresher.interval_for("studio") == 0.5  # already at the floor
        await pilot.press("minus", "minus")
        assert app.refresher.factor == 2.0
        assert app.refresher.interval_for("studio") == 1.0  # each provider's own, doubled
        assert app.refresher.budget_bound("calls")  # its budget, not the factor, sets its pace
        await pilot.press("e")
        assert app.screen.query_one(EventLog).display
        await pilot.press("e")
        assert not app.screen.query_one(EventLog).display
        await pilot.press("c")
        assert app.clipboard == table(app).cursor_key.id
        await pilot.press("slash", *"kind:uiza state:live", "enter")
        pane = app.screen.query_one(DetailPane)
        secret = app.store.get(table(app).cursor_key).secret.get_secret_value()
        text = app.screen.query_one(DetailPane).text
        assert MASK in text and secret not in text
        await pilot.press("x")
        text = app.screen.query_one(DetailPane).text
        assert secret in text and pane.revealed
        pane.hide_secret()
        app.redraw(tick=True)
        assert secret not in app.screen.query_one(DetailPane).text
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_failing_provider_is_shown_and_its_sessions_kept_stale(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        # The store has them once `loaded`; the table, once the app has taken that update.
        await wait_for(pilot, lambda: any(k.provider == "calls" for k in table(app).keys))
        before = {k for k in table(app).keys if k.provider == "calls"}
        # Between polls, so that no poll straddles the fault (it would fail only in part),
        # and at once rather than at the next poll, up to 8.4 s away.
        await wait_for(pilot, lambda: app.store.status("calls").polling_since is None)
        sim.set_fault("calls", Fault(auth=True))
        app.refresher.refresh_now("calls")
        await wait_for(pilot, lambda: app.store.status("calls").health is ProviderHealth.FAILING)
        app.redraw(tick=True)
        bar = app.screen.query_one(ProviderBar)
        assert bar.is_banner("calls")
        line = bar.line_text("calls")
        assert "401" in line or "unauthor" in line.lower()
        assert {k for k in table(app).keys if k.provider == "calls"} == before
        assert all(app.store.is_stale(k) for k in before)
        assert not app.store.status("studio").failing
        sim.clear_faults()
        await pilot.press("r")  # the operator fixed it: refresh now, past any backoff
        await wait_for(pilot, lambda: not app.store.status("calls").failing)
        assert not any(app.store.is_stale(k) for k in before)


async def test_actions_are_in_the_command_palette(sim: Any) -> None:
    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in (
            "Pause / resume polling",
            "Refresh now",
            "Poll more often",
            "Poll less often",
            "Help: keys",
            "Filter the list",
            "Toggle the event log",
            "Copy the selected id",
            "Reveal the stream key",
            "Sort by name",
            "Sort by bitrate",
        ):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"pause / resume")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.refresher.paused, limit=3)


async def test_a_drilled_call_is_polled_at_the_calls_pace(sim: Any) -> None:
    # The calls backend allows ~60 requests a minute, so its provider polls every
    # 1.2 s × watched calls; the drill-down's own fetch must keep that pace, not the 0.5 s one.
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("slash", *"kind:calls", "enter", "enter")
        assert isinstance(app.screen, SessionScreen)
        interval = app.refresher.interval_for("calls")
        assert interval == pytest.approx(1.2 * len(sim.call_ids))
        before, started = sim.request_counts["calls"], time.monotonic()
        await pilot.pause(1.5 * interval)
        made = sim.request_counts["calls"] - before
        polls = (time.monotonic() - started) / interval + 1  # each loop at most this often
        assert made <= polls * (len(sim.call_ids) + 1)  # the list's polls plus the drill-down's
