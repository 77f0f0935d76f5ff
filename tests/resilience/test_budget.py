"""The request budget, end to end: the console against the simulator in budget mode.

The simulator counts every request's arrival and answers 429 past its budget, as the calls
backend does. The console runs with drill-downs open and keys pressed (`+`, `r`), and must
never meet a 429 nor send more than its budget in any 60 s window, measured at the
simulator. A small budget (20 a minute) makes a 30 s run meaningful: the console would send
several times that without it.
"""

from __future__ import annotations

import time
from typing import Any

from support.budget import most_in_a_window
from support.harness import bar_text, quit_app, wait_for
from tui.app import LivetopApp
from tui.config import settings_from_dict
from tui.models import SessionKey
from tui.screens.session import SessionScreen
from tui.sim import Fault, RunningSimulator
from tui.store import ProviderHealth

BUDGET = 20


def settings(sim: RunningSimulator, **calls: Any) -> Any:
    providers: list[dict[str, Any]] = [
        {"name": "studio", "kind": "livepeer"},
        {"name": "uiza", "kind": "uiza", "entity_ids": [sim.entity_ids[1]]},
        {"name": "calls", "kind": "calls", "call_ids": list(sim.call_ids[:2]), **calls},
    ]
    for entry in providers:
        kind = str(entry["kind"])
        entry |= {"base_url": sim.base_urls[kind], "api_key": sim.api_keys[kind]}
    data = {"refresh_interval": 0.5, "bell": False, "providers": providers}
    return settings_from_dict(data, source="<budget>", environ={})


async def test_drill_downs_and_keys_stay_within_the_budget(sim: RunningSimulator) -> None:
    sim.set_fault("calls", Fault(budget=BUDGET))
    app = LivetopApp(settings(sim, max_requests_per_minute=BUDGET))
    refused = sim.refused("calls")
    start = time.monotonic()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.store.status("calls").last_success is not None)
            await pilot.press("plus", "plus", "plus")  # as fast as it goes
            app.push_screen(
                SessionScreen(app.context, SessionKey("calls", sim.call_ids[0]), "calls")
            )
            await pilot.pause(0.5)
            app.push_screen(
                SessionScreen(app.context, SessionKey("calls", sim.call_ids[1]), "calls")
            )
            for _ in range(6):  # the operator insists: refresh now, again and again
                await pilot.pause(3.0)
                await pilot.press("r")
            await pilot.pause(8.0)
            await pilot.press("escape", "escape")
            await wait_for(pilot, lambda: "budget 20/min" in bar_text(app, "calls"), limit=3)
            status = app.store.status("calls")
            assert status.budget_bound and status.interval == 6.0  # 2 calls at 20 a minute
            assert status.health is ProviderHealth.OK
            await quit_app(pilot)
        arrivals = [t for t in sim.arrivals("calls") if t >= start]
        assert sim.refused("calls") == refused  # not one 429
        assert most_in_a_window(arrivals) <= BUDGET
        assert len(arrivals) >= BUDGET - 2  # and the budget is used, not left idle
    finally:
        sim.clear_faults()


async def test_an_absurd_retry_after_is_capped_shown_and_r_forces_one_request(
    sim: RunningSimulator,
) -> None:
    app = LivetopApp(settings(sim))
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: app.store.status("calls").last_success is not None)
            sim.set_fault("calls", Fault(rate_limit=1.0, retry_after=86400))
            app.refresher.refresh_now("calls")
            await wait_for(pilot, lambda: app.store.status("calls").failing)
            app.redraw(tick=True)
            await wait_for(pilot, lambda: "(asked 1d00h, capped)" in bar_text(app, "calls"))
            text = bar_text(app, "calls")
            assert "retry in 14m" in text or "retry in 15m" in text, text
            before = len(sim.arrivals("calls"))
            await pilot.pause(2.0)
            assert len(sim.arrivals("calls")) == before  # held: nothing asks
            await pilot.press("r")
            await pilot.pause(1.0)
            assert len(sim.arrivals("calls")) == before + 1  # `r`: one request, no more
            sim.set_fault("calls", None)
            await pilot.press("r")
            await wait_for(pilot, lambda: app.store.status("calls").health is ProviderHealth.OK)
            assert len(sim.arrivals("calls")) == before + 1 + 2  # the probe, then the rest
            await quit_app(pilot)
    finally:
        sim.clear_faults()
