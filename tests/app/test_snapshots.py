"""Screens as pictures (pytest-textual-snapshot), with the simulator and the clock frozen.

Regenerate after an intended change: `pytest tests/app/test_snapshots.py --snapshot-update`,
then look at the report before committing.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from support.app import frozen_app, poll_each, wait_for
from tui.sim import Fault
from tui.widgets.sessions_table import SessionsTable


def ready(app: Any) -> Any:
    """Load the providers one after the other: in the order they arrive, the cursor (which
    follows the top row) shows other sessions first, and the detail pane keeps the height of
    the tallest, so a race between providers would change the picture."""

    async def run_before(pilot: Any) -> None:
        assert app.refresher.paused  # by frozen_app, so nothing polled yet
        await poll_each(pilot, app)
        app.refresher.resume()
        app.redraw(tick=True)  # as the pause key does: a poll's schedule alone redraws nothing
        await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
        await pilot.pause()

    return run_before


def test_main_view_100x30(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)
    assert snap_compare(app, terminal_size=(100, 30), run_before=ready(app))


def test_main_view_80x24(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready(app))


def test_main_view_120x36(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)
    assert snap_compare(app, terminal_size=(120, 36), run_before=ready(app))


def test_detail_of_a_session(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        await ready(app)(pilot)
        await pilot.press("slash", *"kind:livepeer", "enter", "n", "j", "enter")
        await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
        asked = frozen_sim.request_counts["livepeer"]
        await pilot.press("enter")
        # The full record's answer, drawn (a busy machine must not catch the list's record).
        await wait_for(pilot, lambda: frozen_sim.request_counts["livepeer"] > asked)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_drill_down_to_a_stream_150x40(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        await ready(app)(pilot)
        await pilot.press("slash", *"kind:livepeer", "enter", "n", "enter")
        await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(150, 40), run_before=run_before)


def test_filter_prompt(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        await ready(app)(pilot)
        await pilot.press("slash", *"state:live health:bad")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_help(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        await ready(app)(pilot)
        await pilot.press("question_mark")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_failing_provider_keeps_stale_data(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        await ready(app)(pilot)
        frozen_sim.set_fault("calls", Fault(html_5xx=1.0))
        app.refresher.refresh_now("calls")
        await wait_for(pilot, lambda: app.store.status("calls").failing)
        await pilot.press("slash", *"provider:calls", "enter")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_failing_provider_at_80x24(snap_compare: Any, frozen_sim: Any) -> None:
    """At 80 columns a failing line keeps its facts; the provider's words give way."""
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        await ready(app)(pilot)
        frozen_sim.set_fault("calls", Fault(html_5xx=1.0))
        for failures in (1, 2):
            app.refresher.refresh_now("calls")
            await wait_for(pilot, partial(failed, app, failures))
        app.redraw(tick=True)  # the clock stands still: the tick that shows "×2" never comes
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def failed(app: Any, times: int) -> bool:
    return bool(app.store.status("calls").consecutive_failures == times)


def test_light_theme(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        app.theme = "textual-light"
        await ready(app)(pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_main_view_200x50(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)
    assert snap_compare(app, terminal_size=(200, 50), run_before=ready(app))


def test_no_color_80x24(
    snap_compare: Any, frozen_sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: Textual draws in greys; trouble is a reversed band, the cursor still reads."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = frozen_app(frozen_sim)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready(app))


def test_sixteen_colours_120x36(snap_compare: Any, frozen_sim: Any) -> None:
    """The ANSI theme: the terminal's own 16 colours."""
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        app.theme = "ansi-dark"
        await ready(app)(pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_detail_opened_at_80x24(snap_compare: Any, frozen_sim: Any) -> None:
    app = frozen_app(frozen_sim)

    async def run_before(pilot: Any) -> None:
        await ready(app)(pilot)
        await pilot.press("d")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
