"""The shared data path: built from settings, and stopped cleanly by SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import pytest

from tui.config import demo_settings
from tui.engine import build_refresher, poll_until_signalled
from tui.sim import RunningSimulator, SimConfig, start_in_thread
from tui.store import SessionStore


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=3, sessions=20)) as running:
        yield running


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_polls_the_simulator_until_a_signal_then_stops(
    sim: RunningSimulator, signum: signal.Signals
) -> None:
    store = SessionStore()
    refresher = build_refresher(demo_settings(sim, refresh_interval=0.5), store)
    polling = asyncio.ensure_future(poll_until_signalled(refresher))
    for _ in range(200):
        if all(s.last_success is not None for s in store.statuses()):
            break
        await asyncio.sleep(0.05)
    assert {s.name for s in store.statuses() if s.last_success} == {"studio", "uiza", "calls"}
    os.kill(os.getpid(), signum)
    assert await asyncio.wait_for(polling, 5.0) == signum
    before = sim.request_counts
    await asyncio.sleep(1.0)  # two intervals: a loop still running would have polled
    assert sim.request_counts == before
    # The handlers are gone again: the test process keeps its usual Ctrl+C.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
