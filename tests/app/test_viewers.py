"""Viewer impact in the console (issue #21), through the real app on the simulator over a
socket: the VIEWERS column, sort `v`, the header's viewers affected, the `issue:` filter, the
detail pane's viewers and their sparkline, and a viewership the key may not read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.app import live_app, wait_for
from tui import format as fmt
from tui.app import LivetopApp
from tui.columns import cell
from tui.models import Session
from tui.session_list import issue_classes
from tui.sim import Fault, RunningSimulator, SimConfig, start_in_thread
from tui.widgets.detail_pane import DetailPane
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.sessions_table import SessionsTable
from tui.widgets.status_header import StatusHeader


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """An account busy enough to have unhealthy streams with viewers at any moment."""
    with start_in_thread(SimConfig(seed=11, sessions=400, churn=0.3)) as running:
        yield running


def table(app: LivetopApp) -> SessionsTable:
    return app.screen.query_one(SessionsTable)


def shown(app: LivetopApp) -> list[Session]:
    found = (app.store.get(k) for k in table(app).keys)
    return [s for s in found if s is not None]


def watched(app: LivetopApp) -> bool:
    """Loaded, with viewer counts joined, and some stream in trouble being watched."""
    sessions = app.store.sessions("studio")
    return (
        table(app).row_count > 20
        and any(s.viewers for s in sessions)
        and app.store.counts().affected is not None
    )


def header(app: LivetopApp) -> str:
    return app.screen.query_one(StatusHeader).visible_text


async def test_the_viewers_column_is_the_first_to_go(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: watched(app), 20.0)
        await pilot.pause(0.1)
        labels = table(app).render_line(0).text
        assert "VIEWERS" in labels
        top = shown(app)[:40]  # on screen
        y, row = next((y, s) for y, s in enumerate(top, 1) if s.viewers and s.viewers >= 10)
        assert row.viewers is not None
        assert f" {fmt.count(row.viewers)} " in table(app).render_line(y).text
        await pilot.resize_terminal(120, 36)
        await pilot.pause(0.2)
        labels = table(app).render_line(0).text
        assert "VIEWERS" not in labels and "ISSUE" in labels and "OUTGOING" in labels


async def test_v_sorts_by_viewers(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: watched(app), 20.0)
        await pilot.press("v")
        assert "VIEW… ↓" in table(app).render_line(0).text  # cut to fit, its arrow kept
        counts = [s.viewers if s.viewers is not None else -1 for s in shown(app)]
        assert counts == sorted(counts, reverse=True) and counts[0] > 0
        await pilot.press("v")
        assert "VIEW… ↑" in table(app).render_line(0).text


async def test_trouble_first_by_viewers_affected_and_counted_in_the_header(
    sim: RunningSimulator,
) -> None:
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: watched(app), 20.0)

        def counted() -> bool:
            """The header says the store's counts (it draws them on the next tick)."""
            counts = app.store.counts()
            affected = fmt.count(counts.affected or 0)
            return f"▲ {counts.unhealthy} unhealthy · {affected} viewers affected" in header(app)

        await wait_for(pilot, counted, 5.0)
        top = shown(app)[0]
        assert top.unhealthy or top.playback_failing
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        narrow = header(app)
        assert narrow.rstrip().endswith("UTC"), narrow  # the clock still reads
        assert f"· {fmt.count(app.store.counts().affected)} viewers" in narrow


async def test_the_issue_filter_keeps_one_class(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: watched(app), 20.0)
        await pilot.press("slash", *"issue:encoder", "enter")
        rows = shown(app)
        assert rows and all("encoder" in issue_classes(s) for s in rows)
        line = table(app).render_line(1).text
        assert "encoder: " in line  # the ISSUE column leads with the class
        await pilot.press("escape", "slash", *"issue:keyframe", "enter")
        await pilot.pause(0.1)
        assert any("issue: encoder, ingest" in str(n.message) for n in app._notifications)


async def test_the_detail_pane_shows_viewers_with_a_sparkline(sim: RunningSimulator) -> None:
    app = live_app(sim)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: watched(app), 20.0)
        await pilot.press("v", "g")  # the most watched on top, and the cursor on it
        key = table(app).cursor_key
        assert key is not None
        await wait_for(pilot, lambda: len(app.store.history(key)) >= 3, 10.0)

        def drawn() -> bool:
            """The pane shows the store's count (it draws new values on the next tick)."""
            session = app.store.get(key)
            viewers = fmt.count(session.viewers) if session and session.viewers else "?"
            text = app.screen.query_one(DetailPane).text
            return f"viewers    {viewers} · " in text and "of views fail" in text

        await wait_for(pilot, drawn, 5.0)
        session = app.store.get(key)
        assert session is not None and session.viewers
        text = app.screen.query_one(DetailPane).text
        sparks = [x for x in text.splitlines() if x.startswith("viewers") and "█" in x]
        assert len(sparks) == 1 and sparks[0].endswith(f" {fmt.count(session.viewers)}")


async def test_a_key_that_may_not_read_viewers_is_said_once_on_its_line(
    sim: RunningSimulator,
) -> None:
    sim.set_fault("livepeer", Fault(views_forbidden=True))
    try:
        app = live_app(sim)
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_for(pilot, lambda: app.store.status("studio").polls >= 3, 20.0)
            bar = app.screen.query_one(ProviderBar)
            line = bar.line_text("studio")
            assert "viewers need a private key (403)" in line
            assert "OK" in line and not bar.is_banner("studio")  # the sessions poll is fine
            assert all(s.viewers is None for s in app.store.sessions("studio"))
            notes = [n for n in app._notifications if "viewers" in str(n.message)]
            assert not notes  # on its line, not a toast at every poll
    finally:
        sim.clear_faults()


def test_cells_fit_whatever_the_count() -> None:
    for n in (0, 9_999, 99_949, 999_499, 10**8):
        assert len(cell(fmt.count(n), 7, True)) == 7
