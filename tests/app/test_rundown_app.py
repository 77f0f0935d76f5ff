"""The rundown in the console, against the frozen simulator over a socket: absence alerts (a
toast, the bell, the event log), the `R` view in time order, and its pictures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from support.app import FROZEN, frozen_app, poll_each, wait_for
from tui.absence import ItemState
from tui.screens.rundown import RundownScreen
from tui.screens.sessions import SessionsScreen
from tui.sim import Fault, RunningSimulator
from tui.store import EventKind
from tui.widgets.event_log import EventLog
from tui.widgets.rundown_view import RundownView


def iso(minutes: float) -> str:
    return datetime.fromtimestamp(FROZEN + minutes * 60, UTC).isoformat()


def tonight(sim: RunningSimulator) -> list[dict[str, Any]]:
    """A night on the simulator's timetable (minutes from FROZEN, 12:00 UTC)."""
    calls = sim.call_ids
    return [
        # scheduled at 11:57, on air at 12:04: late
        {"provider": "calls", "id": calls[7], "label": "Guest interview"},
        # scheduled 12:00:18: upcoming
        {"provider": "calls", "id": calls[1], "label": "Product launch"},
        # on air since 11:35, 5 minutes after its slot
        {"provider": "calls", "id": calls[0], "label": "Morning standup", "end": iso(45)},
        # errored at 11:51, planned until 12:30: ended early
        {"provider": "calls", "id": calls[3], "label": "Investor update", "end": iso(30)},
        {
            "provider": "studio",
            "id": sim.stream_ids[1],
            "label": "Late show",
            "start": iso(25),
            "end": iso(85),
        },
        # over hours before the console started: past, nothing said
        {
            "provider": "uiza",
            "id": sim.entity_ids[0],
            "label": "Matinee",
            "start": iso(-300),
            "end": iso(-240),
        },
    ]


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def loaded(pilot: Any, app: Any) -> None:
    """Every provider polled once, and the rundown judged (as the 1 s tick does)."""
    await poll_each(pilot, app)
    app.judge_rundown()
    await pilot.pause()


async def test_what_did_not_happen_is_alerted_and_listed(
    frozen_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = frozen_app(frozen_sim, tonight(frozen_sim))
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, app)
        said = toasts(app)
        assert any(
            "LATE" in t and "Guest interview" in t and "after its 11:57 start" in t for t in said
        ), said
        assert any("ENDED EARLY" in t and "Investor update" in t for t in said), said
        assert bells
        kinds = [e.kind for e in app.store.events]
        assert kinds.count(EventKind.LATE) == 1 and kinds.count(EventKind.ENDED_EARLY) == 1
        app.judge_rundown()  # judged again: nothing twice
        assert [e.kind for e in app.store.events] == kinds
        await pilot.press("e")
        log = app.screen.query_one(EventLog).text
        assert "LATE" in log and "Guest interview — not live 3m after its 11:57 start" in log

        await pilot.press("R")
        assert isinstance(app.screen, RundownScreen)
        lines = app.screen.query_one(RundownView).text.splitlines()
        items = [line[14:40].strip() for line in lines[1:]]
        assert items == [
            "Matinee",
            "Morning standup",
            "Investor update",
            "Guest interview",
            "Product launch",
            "Late show",
        ]
        row = dict(zip(items, lines[1:], strict=True))
        assert row["Matinee"].startswith("  07:00–08:00") and "past" in row["Matinee"]
        assert row["Morning standup"].startswith(">") and "on air 25m" in row["Morning standup"]
        assert "started 5m late" in row["Morning standup"]
        assert (
            row["Investor update"].startswith("!") and "ENDED EARLY 39m" in row["Investor update"]
        )
        assert row["Guest interview"].startswith("!") and "LATE 3m" in row["Guest interview"]
        assert "in 17s" in row["Product launch"]
        # its stream is on air already, before its slot
        assert (
            "on air 3m" in row["Late show"] and "on air before its 12:25 start" in row["Late show"]
        )
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)


async def test_a_rundown_item_is_unknown_while_its_provider_is_down(
    frozen_sim: RunningSimulator,
) -> None:
    app = frozen_app(frozen_sim, tonight(frozen_sim)[:1])
    async with app.run_test(size=(100, 30)) as pilot:
        frozen_sim.set_fault("calls", Fault(html_5xx=1.0))
        app.refresher.refresh_now("calls")
        await wait_for(pilot, lambda: app.store.status("calls").failing)
        app.judge_rundown()
        (view,) = app.rundown.views
        assert view.state is ItemState.UNKNOWN, view
        assert view.note == "no answer from calls yet"  # no start known: not late
        assert not any(e.kind is EventKind.LATE for e in app.store.events)
        frozen_sim.clear_faults()
        app.refresher.refresh_now("calls")
        await wait_for(pilot, lambda: app.store.status("calls").last_success is not None)
        app.judge_rundown()
        assert app.rundown.views[0].state is ItemState.LATE
        assert [e.kind for e in app.store.events].count(EventKind.LATE) == 1
        frozen_sim.set_fault("calls", Fault(html_5xx=1.0))
        app.refresher.refresh_now("calls")
        await wait_for(pilot, lambda: app.store.status("calls").failing)
        app.judge_rundown()
        # Its start is known now, its record stale: it cannot be told late any more than live.
        (again,) = app.rundown.views
        assert again.state is ItemState.UNKNOWN and again.note == "calls is failing: cannot tell"


def at_rundown(app: Any) -> Any:
    async def run_before(pilot: Any) -> None:
        await loaded(pilot, app)
        app.refresher.resume()
        await pilot.press("R")
        await pilot.pause(0.2)

    return run_before


def test_rundown_view_80x24(snap_compare: Any, frozen_sim: RunningSimulator) -> None:
    app = frozen_app(frozen_sim, tonight(frozen_sim))
    assert snap_compare(app, terminal_size=(80, 24), run_before=at_rundown(app))


def test_rundown_view_200x50(snap_compare: Any, frozen_sim: RunningSimulator) -> None:
    app = frozen_app(frozen_sim, tonight(frozen_sim))
    assert snap_compare(app, terminal_size=(200, 50), run_before=at_rundown(app))
