"""What is on screen goes first (issue #15): with more watched calls than the budget lets a
poll ask at once, the call the operator selects is asked next, not at its turn in the poll.

The console runs on the simulator over a socket; its clock is a `FakeClock`, so the budget's
minute passes when the test says so, and the simulator's log of paths shows the order in
which the requests came.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.app import FROZEN, wait_for
from tui.app import LivetopApp
from tui.clock import FakeClock
from tui.config import settings_from_dict
from tui.models import SessionKey
from tui.sim import RunningSimulator, SimConfig, start_in_thread
from tui.widgets.sessions_table import SessionsTable

BUDGET = 3


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=7, sessions=20, start_time=FROZEN, speed=1e-9)) as s:
        yield s


def console(sim: RunningSimulator, clock: FakeClock) -> LivetopApp:
    calls = {
        "name": "calls",
        "kind": "calls",
        "base_url": sim.base_urls["calls"],
        "api_key": sim.api_keys["calls"],
        "call_ids": list(sim.call_ids),
        "max_requests_per_minute": BUDGET,
    }
    data = {"refresh_interval": 2.0, "bell": False, "record": False, "providers": [calls]}
    app = LivetopApp(settings_from_dict(data, source="<test>", environ={}), clock=clock)
    app.refresher.pause()  # polls only when the test asks
    return app


async def test_the_selected_call_is_asked_before_the_rest_of_the_poll(
    sim: RunningSimulator,
) -> None:
    ids = list(sim.call_ids)
    assert len(ids) > 2 * BUDGET  # a poll that needs three minutes of budget
    clock = FakeClock(FROZEN + 1.0)
    app = console(sim, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        # A first poll, minute by minute, so that every call has a row to select.
        app.refresher.refresh_now("calls")
        while app.store.status("calls").polls < 1:
            await wait_for(pilot, lambda: app.refresher.scheduler_for("calls").in_flight == 0)
            await clock.advance(60.0)
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: table.row_count == len(ids))

        # The next poll, a scheduled one (in the background), a minute later: a budget's
        # worth goes, the rest waits its minute.
        await wait_for(pilot, lambda: app.refresher.scheduler_for("calls").in_flight == 0)
        await clock.advance(60.0)
        asked = len(sim.paths("calls"))
        app.refresher.resume()  # its poll is due: it goes at once
        await wait_for(pilot, lambda: len(sim.paths("calls")) == asked + BUDGET)
        first = sim.paths("calls")[asked:]
        assert first == [f"/v1/live/calls/{i}" for i in ids[:BUDGET]]

        # The operator moves to the last call, still waiting its turn.
        target = SessionKey("calls", ids[-1])
        for _ in range(len(ids)):
            if table.cursor_key == target:
                break
            await pilot.press("j")
        assert table.cursor_key == target
        await wait_for(pilot, lambda: app.refresher.scheduler_for("calls").in_flight == 0)
        await clock.advance(60.0)
        await wait_for(pilot, lambda: len(sim.paths("calls")) >= asked + 2 * BUDGET)
        second = sim.paths("calls")[asked + BUDGET : asked + 2 * BUDGET]
        assert second[0] == f"/v1/live/calls/{ids[-1]}"  # selected: first of the next minute
        assert second[1:] == [f"/v1/live/calls/{i}" for i in ids[BUDGET : BUDGET + 2]]
        assert sim.refused("calls") == 0
