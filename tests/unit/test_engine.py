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


def test_schedulers_carry_each_providers_budget_and_snapshot_says_when_it_is_slow() -> None:
    from tui.config import settings_from_dict
    from tui.engine import build_schedulers
    from tui.snapshot import budget_notices

    calls = {"name": "calls", "kind": "calls", "api_key": "k", "call_ids": ["a", "b"]}
    many = {**calls, "name": "many", "call_ids": [f"c{i}" for i in range(1000)]}
    studio = {"name": "studio", "kind": "livepeer", "api_key": "k"}
    settings = settings_from_dict({"providers": [calls, many, studio]}, environ={})
    schedulers = build_schedulers(settings)
    assert [s.budget for s in schedulers.values()] == [50, 50, None]
    assert budget_notices(settings, schedulers) == [
        "livetop: many: 1000 requests within its budget of 50/min: this takes about 19m"
    ]
    store = SessionStore()
    refresher = build_refresher(settings, store)
    assert refresher.scheduler_for("many") is not schedulers["many"]  # one set per data path
    assert refresher.interval_for("calls") == 2.4 and refresher.budget_bound("calls")
    assert refresher.interval_for("many") == 1200.0
    assert refresher.interval_for("studio") == 2.0 and not refresher.budget_bound("studio")
    assert store.status("many").budget_bound and store.status("many").interval == 1200.0
