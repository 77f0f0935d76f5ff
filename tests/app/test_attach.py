"""`livetop --attach`: the normal console on a recording that `livetop record` (a real child
process) is writing, following it live and asking the providers nothing: every request the
simulator saw is one the recorder made. The header says so, and says when the recorder stops.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.app import wait_for
from support.recording import start_record, wait_for_polls, write_config
from tui.app import LivetopApp
from tui.recorder.reader import Recording
from tui.recorder.sources import attach_feed
from tui.screens.session import SessionScreen
from tui.screens.sessions import RelatedScreen
from tui.sim import RunningSimulator, SimConfig, start_in_thread
from tui.widgets.detail_pane import DetailPane
from tui.widgets.key_bar import KeyBar
from tui.widgets.sessions_table import SessionsTable
from tui.widgets.status_header import StatusHeader


@pytest.fixture
def busy_sim() -> Iterator[RunningSimulator]:
    """Sped up: sessions start and end while the console follows."""
    with start_in_thread(SimConfig(seed=11, sessions=80, churn=0.3, speed=20)) as running:
        yield running


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def header(app: LivetopApp) -> str:
    return app.screen.query_one(StatusHeader).status_text().plain


async def test_an_attached_console_follows_the_recorder_and_asks_nothing(
    busy_sim: RunningSimulator, tmp_path: Path
) -> None:
    sim = busy_sim
    db = tmp_path / "recording.db"
    proc = start_record(write_config(sim, tmp_path / "config.toml"), db, tmp_path / "logs")
    try:
        await asyncio.to_thread(wait_for_polls, db, 3)
        app = LivetopApp(None, feed=attach_feed(db))
        assert app.context.providers == ("studio", "uiza", "calls")
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.screen.query_one(SessionsTable)
            await wait_for(pilot, lambda: table.row_count > 0)
            assert "ATTACHED · recording.db" in header(app) and "⚠" not in header(app)
            assert {s.key for s in app.store.sessions()} >= set(table.keys)
            keys = app.screen.query_one(KeyBar).visible_text
            assert " refresh" not in keys and " pace" not in keys and "p pause" in keys
            # It follows: the recorder's next polls reach the screen.
            seen = app.store.status("studio").last_success
            await wait_for(pilot, lambda: app.store.status("studio").last_success != seen)
            # r, +, - and Ctrl+R say they do nothing here.
            for key in ("r", "plus", "ctrl+r"):
                before = len(toasts(app))
                await pilot.press(key)
                assert "attached to a recording" in " ".join(toasts(app)[before:])
            # A drill-down reads what the recorder has.
            with_parent = next(s for s in app.store.sessions("studio") if s.parent_id)
            table.select_key(with_parent.key)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RelatedScreen))
            await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
            app.screen.query_one(SessionsTable).select_key(with_parent.key)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
            detail = app.screen.query_one(DetailPane)
            await wait_for(pilot, lambda: with_parent.id in detail.text)
            # The recorder stops: the header says so (and a toast), the console goes on.
            proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proc.wait, 15)
            await wait_for(pilot, lambda: "recorder stopped" in header(app), limit=15)
            assert "ATTACHED · recording.db ⚠" in header(app)
            # The toast comes with the tick after the header first says so (within 1 s).
            await wait_for(pilot, lambda: any("recorder stopped" in t for t in toasts(app)))
            # What it showed last stays, marked stale as it ages.
            await wait_for(pilot, lambda: all(s.stale for s in app.store.statuses()))
            assert app.store.get(with_parent.key) is not None
            await pilot.press("q")
    finally:
        if proc.poll() is None:
            proc.kill()
    with Recording(db) as rec:
        polls = rec.polls(0.0, float("inf"))
    requests = sum(sim.poll_counts.values())
    # Every request the simulator saw was a poll of the recorder (one a provider a poll; one
    # cut short by SIGTERM may have been asked and not recorded): the console asked nothing.
    assert len(polls) <= requests <= len(polls) + 3, (requests, len(polls))
    # Nor beside them: one viewership request goes with each of the recorder's Livepeer polls.
    side = sum(sim.request_counts.values()) - requests
    studio = sum(1 for _, name, _ in polls if name == "studio")
    assert side <= studio + 1, (side, studio)


def test_attach_refuses_a_file_that_is_not_a_recording(tmp_path: Path) -> None:
    from tui.cli import main

    bad = tmp_path / "recording.db"
    bad.write_bytes(b"\x00garbage" * 64)
    assert main(["--attach", str(bad)]) == 1
    assert bad.read_bytes() == b"\x00garbage" * 64
