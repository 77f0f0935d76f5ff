"""A console restarted on the same recording gets its event log and sparkline history back
(#16.6), ahead of what it sees itself; and a console whose recording stops says so on screen
and goes on polling (#16.7)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

from support.app import wait_for
from support.recording import sim_settings
from tui.app import LivetopApp
from tui.models import SessionKey
from tui.sim import Fault, RunningSimulator
from tui.store import EventKind, Sample
from tui.widgets.event_log import EventLog, event_line
from tui.widgets.status_header import StatusHeader


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def grown(app: LivetopApp, key: SessionKey, samples: int) -> bool:
    """The restored samples, and one at least from this console's own polls."""
    return len(app.store.history(key)) > samples


def sampled(app: LivetopApp, at_least: int) -> dict[SessionKey, tuple[Sample, ...]]:
    histories = {s.key: app.store.history(s.key) for s in app.store.sessions()}
    return {k: h for k, h in histories.items() if len(h) >= at_least}


async def test_a_restarted_console_gets_its_events_and_sparklines_back(
    sim: RunningSimulator,
) -> None:
    settings = sim_settings(sim, record=True)
    first = LivetopApp(settings)
    async with first.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(sampled(first, 4)) >= 3)
        sim.set_fault("uiza", Fault(error_rate=1.0))
        failed = EventKind.PROVIDER_FAILED
        await wait_for(pilot, lambda: any(e.kind is failed for e in first.store.events))
        sim.clear_faults()
        await pilot.press("p")  # hold still: what the test compares must not move
        await pilot.pause(0.6)  # a poll in flight lands
        events = list(first.store.events)
        histories = sampled(first, 4)
        await pilot.press("q")
    assert first.recording.status.recording
    second = LivetopApp(settings)  # polls at once: its first polls may come before the rest
    async with second.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(second.store.events) >= len(events))
        assert list(second.store.events)[: len(events)] == events
        for key, samples in histories.items():
            await wait_for(pilot, partial(grown, second, key, len(samples)))
            assert second.store.history(key)[: len(samples)] == samples
        await pilot.press("e")
        log = second.screen.query_one(EventLog).text
        assert event_line(next(e for e in events if e.kind is failed)).plain in log
        await pilot.press("q")


async def test_a_console_whose_recording_stops_says_so_and_goes_on(
    sim: RunningSimulator,
) -> None:
    path = Path(os.environ["LIVETOP_DATA_DIR"]) / "recording.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00not a recording" * 256)  # another program's file: never touched
    app = LivetopApp(sim_settings(sim, record=True))
    async with app.run_test(size=(120, 30)) as pilot:
        head = app.screen.query_one(StatusHeader)
        await wait_for(pilot, lambda: "NOT RECORDING ⚠" in head.status_text().plain)
        assert "not a livetop recording" in head.status_text().plain
        await wait_for(pilot, lambda: any("NOT RECORDING" in t for t in toasts(app)))
        # Polling goes on.
        await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
        assert app.store.sessions()
        await pilot.press("q")
    assert path.read_bytes() == b"\x00not a recording" * 256
