"""Regenerate the README's screenshots from the demo simulator.

    python screenshots/make.py

The simulator and the app's clock are frozen at one moment with a fixed seed, so the pictures
only change when the console does.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tui.app import LivetopApp
from tui.clock import FakeClock
from tui.config import demo_settings
from tui.sim import Fault, SimConfig, start_in_thread
from tui.sim.calls import demo_plan
from tui.widgets.sessions_table import SessionsTable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the snapshot tests' way to settle the console
from support.app import poll_each  # noqa: E402

MOMENT = 1_795_348_800.0  # 2026-11-22 12:00:00 UTC
Steps = Callable[[Any, LivetopApp, Any], Awaitable[None]]


async def until(pilot: Any, condition: Callable[[], bool], limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not get there")
        await pilot.pause(0.05)


async def main_view(pilot: Any, app: LivetopApp, sim: Any) -> None:
    await pilot.press("j")


async def drill_down(pilot: Any, app: LivetopApp, sim: Any) -> None:
    await pilot.press("slash", *"kind:livepeer", "enter", "n", "enter")
    await until(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 1)


async def failing_provider(pilot: Any, app: LivetopApp, sim: Any) -> None:
    sim.set_fault("uiza", Fault(html_5xx=1.0))
    app.refresher.refresh_now("uiza")
    await until(pilot, lambda: app.store.status("uiza").failing)
    await pilot.press("e")


async def rundown(pilot: Any, app: LivetopApp, sim: Any) -> None:
    app.judge_rundown()  # as the 1 s tick does
    await pilot.press("R")


SHOTS: dict[str, tuple[tuple[int, int], Steps]] = {
    "main": ((140, 40), main_view),
    "drill-down": ((140, 40), drill_down),
    "failing-provider": ((110, 32), failing_provider),
    "rundown": ((110, 24), rundown),
}


async def shoot(name: str, size: tuple[int, int], steps: Steps) -> None:
    config = SimConfig(seed=7, sessions=200, start_time=MOMENT, speed=1e-9)
    with start_in_thread(config) as sim:
        plan = demo_plan(sim.call_ids, MOMENT) if name == "rundown" else []
        settings = demo_settings(sim, rundown=plan)
        app = LivetopApp(settings, clock=FakeClock(MOMENT + 1.0), rng=random.Random(7))
        app.refresher.pause()  # polled one provider after another, as the snapshot tests do
        async with app.run_test(size=size) as pilot:
            await poll_each(pilot, app)
            app.refresher.resume()
            app.redraw(tick=True)
            await until(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
            await steps(pilot, app, sim)
            await pilot.pause(0.3)
            app.save_screenshot(f"{name}.svg", str(HERE))
    print(f"wrote screenshots/{name}.svg")


def main() -> None:
    os.environ["TZ"] = "UTC"  # the header shows local time
    time.tzset()
    for name, (size, steps) in SHOTS.items():
        # Not the user's remembered choices (a sort order picked last time would show), nor
        # the shot before's (the drill-down sorts by name).
        with tempfile.TemporaryDirectory(prefix="livetop-shots-") as state:
            os.environ["LIVETOP_STATE_DIR"] = state
            asyncio.run(shoot(name, size, steps))


if __name__ == "__main__":
    main()
