"""The benchmark's baseline app still runs: it shares the product's screen logic, so a change
there can break it, and the benchmark would then measure nothing (it runs on demand, not here).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from support.app import wait_for
from tui.config import demo_settings

BENCH = Path(__file__).parent.parent / "bench" / "baseline_app.py"


def baseline_app_class() -> Any:
    spec = importlib.util.spec_from_file_location("baseline_app", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BaselineApp


async def test_the_baseline_draws_rows_and_keeps_them_fresh(sim: Any) -> None:
    app = baseline_app_class()(demo_settings(sim, refresh_interval=0.5))
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        polled = sim.request_counts["livepeer"]
        await wait_for(pilot, lambda: sim.request_counts["livepeer"] > polled + 1)
        await pilot.press("j", "j")
        app.redraw(tick=True)  # no await from here: the store stands still
        assert table.row_count == len(app.store.sessions())
