"""Panes called again with what they already show do no work: the screen calls them after
every store update (two or three a poll) and every second, and at idle that is most of the
console's CPU."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import live_app, wait_for
from textual.app import App, ComposeResult

from tui.app import LivetopApp
from tui.models import ProviderKind, Session, SessionState
from tui.screens.sessions import SessionsScreen
from tui.store import ProviderHealth, ProviderStatus, Sample
from tui.widgets import detail_pane
from tui.widgets.detail_pane import DetailPane
from tui.widgets.line_static import LineStatic
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
    def compose(self) -> ComposeResult:
        yield ProviderBar(["studio"])
        yield DetailPane()


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
    updates: list[str | None] = []
    original_update = LineStatic.update

    def update(self: LineStatic, content: Any) -> None:
        updates.append(self.id)
        original_update(self, content)

    monkeypatch.setattr(LineStatic, "update", update)
    described = counting(monkeypatch, detail_pane)
    app = Panes()
    async with app.run_test(size=(100, 30)) as pilot:
        bar, pane = app.query_one(ProviderBar), app.query_one(DetailPane)
        t = NOW.timestamp()
        bar.show([STATUS], t, False)
        pane.show(SESSION, HISTORY, NOW)
        await pilot.pause()
        assert described == [1] and "provider-0" in updates
        described.clear()
        updates.clear()

        for _ in range(3):  # store updates that touched neither, within the same second
            bar.show([STATUS], t + 0.4, False)
            pane.show(SESSION, HISTORY, NOW)
        assert described == [] and updates == []

        later = NOW + timedelta(seconds=1)  # the next second: the age reads 6s, not 5s
        pane.show(SESSION, HISTORY, later)
        assert described == [1] and updates == ["detail-text"]
        pane.show(replace(SESSION, name="Main stage 2"), HISTORY, later)
        assert described == [1, 1]
        bar.show([replace(STATUS, last_latency=0.030)], t + 1, False)  # "30 ms" now
        assert updates[-1] == "provider-0"
        await pilot.pause()


async def test_a_poll_starting_or_scheduled_redraws_no_screen(
    sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of a poll's store updates only its result can change the screen: the app redraws for a
    batch of updates only when one of them is more than a schedule."""
    syncs: list[int] = []
    original_sync = SessionsScreen.sync

    def sync(self: SessionsScreen) -> None:
        syncs.append(1)
        original_sync(self)

    batches: list[tuple[bool, bool]] = []  # (only schedules in it, redrew)
    original_handler = LivetopApp.on_store_updated

    def handler(self: LivetopApp, message: Any) -> None:
        pending, before = list(self._pending), len(syncs)
        original_handler(self, message)
        if pending:  # a later message finds the batch taken already
            batches.append((all(d.schedule_only for d in pending), len(syncs) > before))

    monkeypatch.setattr(SessionsScreen, "sync", sync)
    monkeypatch.setattr(LivetopApp, "on_store_updated", handler)
    app = live_app(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: batches.count((True, False)) >= 6)
        await pilot.press("q")
    assert (False, True) in batches  # poll results are drawn
    assert (True, True) not in batches, batches
