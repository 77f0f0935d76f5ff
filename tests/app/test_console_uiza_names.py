"""Uiza rows read as their entity's name, not its UUID (issue #18.12), through the real console
on the simulator over a socket."""

from __future__ import annotations

from support.app import live_app, wait_for
from tui.app import LivetopApp
from tui.screens.sessions import RelatedScreen
from tui.sim import RunningSimulator
from tui.widgets.sessions_table import SessionsTable


def rows(app: LivetopApp) -> list[str]:
    view = app.screen.query_one(SessionsTable)
    return [view.render_line(y).text for y in range(1, view.size.height)]


async def test_uiza_rows_and_their_drill_down_show_entity_names(sim: RunningSimulator) -> None:
    entities = sim.scenario.uiza.entities
    app = live_app(sim)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("slash", *"kind:uiza", "enter")
        # The names come beside the first poll; the next poll's rows carry them.
        await wait_for(
            pilot,
            lambda: any(e.name[:20] in row for row in rows(app) for e in entities),
        )
        shown = [row for row in rows(app) if row.strip()]
        assert shown and not any(e.id[:8] in row for row in shown for e in entities)
        await pilot.press("enter")  # drill into the entity under the cursor
        assert isinstance(app.screen, RelatedScreen)
        await wait_for(pilot, lambda: len([r for r in rows(app) if r.strip()]) > 1)
        named = [e.name[:20] for e in entities]
        drilled = [row for row in rows(app) if row.strip()]
        assert all(any(name in row for name in named) for row in drilled), drilled[:3]
