"""Panes called again with what they already show do no work: the screen calls them after
every store update (two or three a poll) and every second, and at idle that is most of the
console's CPU."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.message import Message

from support.app import frozen_app, live_app, poll_each, wait_for
from tui.app import LivetopApp, StoreUpdated
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.screens.session import SessionScreen
from tui.screens.sessions import SessionsScreen
from tui.store import ProviderHealth, ProviderStatus, Sample, StoreDiff
from tui.widgets import detail_pane
from tui.widgets.detail_pane import DetailPane
from tui.widgets.line_view import LineView
from tui.widgets.provider_bar import ProviderBar

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
SESSION = Session(
    "studio",
    ProviderKind.LIVEPEER,
    "s1",
    "Main stage",
    SessionState.LIVE,
    last_seen=NOW - timedelta(seconds=5),
    ingest_bps=2.1e6,
)
HISTORY = (Sample(NOW.timestamp() - 2, 2.0e6, 4.0e6), Sample(NOW.timestamp(), 2.1e6, 4.2e6))
STATUS = ProviderStatus(
    name="studio",
    health=ProviderHealth.OK,
    interval=2.0,
    last_success=NOW.timestamp() - 1,
    last_latency=0.012,
    session_count=54,
)


class Panes(App[None]):
    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield ProviderBar(["studio"], clock=self.clock, id="providers")
        yield DetailPane(clock=self.clock, id="detail")


def counting(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[int]:
    """Count the calls of `module.describe`, the text each pane builds."""
    calls: list[int] = []
    original = module.describe

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "describe", spy)
    return calls


async def test_the_same_inputs_build_and_draw_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    repainted: list[str | None] = []
    original_refresh = LineView.refresh

    def refresh(self: LineView, *regions: Region, **kwargs: Any) -> LineView:
        repainted.append(self.id)
        return original_refresh(self, *regions, **kwargs)

    monkeypatch.setattr(LineView, "refresh", refresh)
    described = counting(monkeypatch, detail_pane)
    clock = [NOW.timestamp()]
    app = Panes(lambda: clock[0])
    async with app.run_test(size=(100, 30)) as pilot:
        bar, pane = app.query_one(ProviderBar), app.query_one(DetailPane)
        bar.show([STATUS], False)
        pane.show(SESSION, HISTORY, stale=False)
        await pilot.pause()
        assert described and "providers" in repainted
        described.clear()
        repainted.clear()

        for _ in range(3):  # store updates that touched neither, within the same second
            clock[0] += 0.3
            bar.show([STATUS], False)
            pane.show(SESSION, HISTORY, stale=False)
        assert described == [] and repainted == []

        clock[0] = NOW.timestamp() + 1  # the next second: the age reads 6s, not 5s
        pane.show(SESSION, HISTORY, stale=False)
        assert described == [1] and repainted == ["detail"]
        pane.show(replace(SESSION, name="Main stage 2"), HISTORY, stale=False)
        assert described == [1, 1]
        bar.show([replace(STATUS, last_latency=0.030)], False)  # "30 ms" now
        assert repainted[-1] == "providers"
        await pilot.pause()


async def test_a_poll_starting_or_scheduled_redraws_no_screen(
    sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of a poll's store updates only its result can change the screen: an update that only
    reschedules polls is not even a message to the app."""
    syncs = spy_syncs(monkeypatch)
    updates: list[tuple[bool, int]] = []  # (only a schedule, messages posted for it)
    posted = [0]
    original_post, original_on_store = LivetopApp.post_message, LivetopApp._on_store

    def post_message(self: LivetopApp, message: Message) -> bool:
        posted[0] += isinstance(message, StoreUpdated)
        return original_post(self, message)

    def on_store(self: LivetopApp, diff: StoreDiff) -> None:
        before = posted[0]
        original_on_store(self, diff)
        schedule_only = not (diff.sessions_changed or diff.events) and diff.status_fields <= {
            "next_poll",
            "polling_since",
        }
        updates.append((schedule_only, posted[0] - before))

    monkeypatch.setattr(LivetopApp, "post_message", post_message)
    monkeypatch.setattr(LivetopApp, "_on_store", on_store)
    app = live_app(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: updates.count((True, 0)) >= 6 and (False, 1) in updates)
        await pilot.press("q")
    assert set(updates) == {(True, 0), (False, 1)}, updates
    assert False in syncs  # the first results are drawn at once


def spy_syncs(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record each `SessionsScreen.redraw` as its `tick` flag (True: the 1 s tick)."""
    syncs: list[bool] = []
    original_redraw = SessionsScreen.redraw

    def redraw(self: SessionsScreen, *, tick: bool = False) -> None:
        syncs.append(tick)
        original_redraw(self, tick=tick)

    monkeypatch.setattr(SessionsScreen, "redraw", redraw)
    return syncs


async def test_new_values_wait_for_the_tick_and_events_are_drawn_at_once(
    frozen_sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quiet console draws one frame a second: a new rate waits for the tick (at most a
    second); a session turning unhealthy, or one appearing, is drawn at once."""
    syncs = spy_syncs(monkeypatch)
    app = frozen_app(frozen_sim)
    async with app.run_test(size=(140, 40)) as pilot:
        await poll_each(pilot, app)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        await wait_for(pilot, lambda: screen.table.row_count > 0)
        app._ticker.pause()  # the test ticks by hand
        studio = [s for s in app.store.sessions() if s.provider == "studio"]
        live = next(s for s in studio if s.is_live and not s.unhealthy)
        screen.table.select_key(live.key)
        await pilot.pause()

        def detail() -> str:
            return screen.query_one(DetailPane).visible_text

        def apply(changed: Session, *more: Session) -> None:
            others = tuple(s for s in studio if s.key != changed.key)
            app.store.apply("studio", FetchResult((changed, *others, *more)))

        assert "9.9 Mb/s" not in detail()
        syncs.clear()
        apply(replace(live, ingest_bps=9.87e6))
        await pilot.pause()
        assert syncs == [] and "9.9 Mb/s" not in detail()  # drawn with the next tick
        app._tick()
        assert syncs == [True] and "9.9 Mb/s" in detail()

        apply(replace(live, ingest_bps=9.87e6, healthy=False, issues=("no keyframes",)))
        await pilot.pause()
        assert syncs == [True, False] and "no keyframes" in detail()

        newcomer = replace(live, id="brand-new", name="Brand new show")
        apply(replace(live, ingest_bps=9.87e6, healthy=False, issues=("no keyframes",)), newcomer)
        await pilot.pause()
        assert syncs == [True, False, False] and newcomer.key in screen.table.keys
        app._ticker.resume()


async def test_a_drill_down_draws_its_first_answer_at_once(frozen_sim: Any) -> None:
    """The operator just pressed Enter: the full record is drawn when it comes, not at the
    next tick (a changed rate alone would wait for it)."""
    app = frozen_app(frozen_sim)
    async with app.run_test(size=(120, 30)) as pilot:
        app.refresher.resume()
        await wait_for(pilot, lambda: app.store.status("studio").last_success)
        await pilot.pause()
        app._ticker.pause()  # no tick: only the drill-down's answer can draw
        studio = [s for s in app.store.sessions() if s.provider == "studio"]
        live = next(s for s in studio if s.is_live and s.ingest_bps)
        others = tuple(s for s in studio if s.key != live.key)
        # What the list said a moment ago; the full record the drill-down fetches says otherwise.
        app.store.apply("studio", FetchResult((replace(live, ingest_bps=7.7e9), *others)))
        before = frozen_sim.request_counts["livepeer"]
        await app.push_screen(SessionScreen(app.context, live.key, "all sessions"))

        def ingest() -> str:
            """The record's ingest row (the sparkline above it shows the last sample)."""
            text = app.screen.query_one(DetailPane).visible_text
            return [line for line in text.splitlines() if line.startswith("ingest     ")][-1]

        assert "7.7 Gb/s" in ingest()
        await wait_for(pilot, lambda: frozen_sim.request_counts["livepeer"] > before)
        await wait_for(pilot, lambda: "7.7 Gb/s" not in ingest(), limit=0.5)
        app._ticker.resume()
