"""A failing provider's line keeps its facts on screen at 80 and 120 columns (issue #18.8): the
provider's message used to come first and push the data age and the retry countdown off the
end. Through the real console on the simulator over a socket."""

from __future__ import annotations

import re

import pytest

from support.app import live_app, wait_for
from tui.app import LivetopApp
from tui.sim import Fault, RunningSimulator
from tui.widgets.provider_bar import ProviderBar


def shown(app: LivetopApp, name: str) -> str:
    """The provider's line as the screen shows it (cut at its edge)."""
    bar = app.screen.query_one(ProviderBar)
    return next(
        line
        for y in range(bar.size.height)
        if (line := bar.render_line(y).text).split()[1:2] == [name]
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_a_failing_line_shows_its_facts_before_the_message(
    sim: RunningSimulator, size: tuple[int, int]
) -> None:
    app = live_app(sim)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
        sim.set_fault("calls", Fault(html_5xx=1.0))
        sim.set_fault("uiza", Fault(error_rate=1.0))
        try:
            app.refresher.refresh_now()
            failing = ("calls", "uiza")
            await wait_for(
                pilot,
                lambda: all(app.store.status(n).consecutive_failures >= 2 for n in failing),
                limit=20.0,
            )
            app.redraw(tick=True)
            await pilot.pause()
            for name in failing:
                line = shown(app, name)
                assert len(line) == size[0]
                failures = app.store.status(name).consecutive_failures
                assert re.search(rf"FAILING( ×{failures}| \({failures} in a row\))", line), line
                assert re.search(r" · (data )?\d+s old · ", line), line
                assert re.search(r" · (retry (in )?\d+s|polling…)", line), line
                assert "HTTP 50" in line, line  # and the provider's words start after them
            assert "budget 50/min" in shown(app, "calls")
            assert "studio" in shown(app, "studio") and "OK" in shown(app, "studio")
        finally:
            sim.clear_faults()
