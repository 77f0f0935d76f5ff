"""The console records what it sees by default (the data path's own recorder), and not with
`record = false`; the recording it leaves replays to what it showed."""

from __future__ import annotations

import os
from pathlib import Path

from support.app import wait_for
from support.recording import sim_settings
from tui.app import LivetopApp
from tui.recorder.reader import Recording
from tui.sim import RunningSimulator


async def test_the_console_records_by_default(sim: RunningSimulator) -> None:
    path = Path(os.environ["LIVETOP_DATA_DIR"]) / "recording.db"
    app = LivetopApp(sim_settings(sim, record=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
        assert app.recording.status.recording
        shown = {s.key for s in app.store.sessions()}
        await pilot.press("q")
    with Recording(path) as rec:
        bounds = rec.bounds()
        assert bounds is not None
        state = rec.state_at(bounds[1])
        assert state is not None
        recorded = {s.key for p in state.providers.values() for s in p.sessions()}
    assert shown <= recorded


async def test_record_false_leaves_no_recording(sim: RunningSimulator) -> None:
    path = Path(os.environ["LIVETOP_DATA_DIR"]) / "recording.db"
    app = LivetopApp(sim_settings(sim, record=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
        assert app.recording.status.state == "off"
        await pilot.press("q")
    assert not path.exists()
