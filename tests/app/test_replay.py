"""`livetop replay`: the console on a recording's past. Every key moves the store to a moment
and the screen shows what the live console showed then (the same snapshot JSON, the same
counts, rows, sparklines and event log); no provider is asked anything.

The recording is made once for the module, on clocks moved by hand (`support.replay`): a
simulator over a loopback socket polled every 2 s for a minute, Uiza failing for four polls.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.strip import Strip

from support.app import wait_for
from support.replay import INTERVAL, START, Recorded, make_recording, replay_app, shown_json
from tui.app import LivetopApp
from tui.models import SessionKey
from tui.recorder.reader import Recording
from tui.screens.rundown import RundownScreen
from tui.screens.session import SessionScreen
from tui.screens.sessions import RelatedScreen
from tui.store import SampleRing
from tui.widgets.detail_pane import DetailPane
from tui.widgets.event_log import EventLog, event_line
from tui.widgets.key_bar import KeyBar
from tui.widgets.line_view import LineView
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.rundown_view import RundownView
from tui.widgets.sessions_table import SessionsTable
from tui.widgets.status_header import StatusHeader
from tui.widgets.timeline_bar import TimelineBar


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    yield make_recording(tmp_path_factory.mktemp("replay") / "recording.db")


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def timeline(app: LivetopApp) -> Any:
    found = app.context.timeline
    assert found is not None
    return found


def bar_text(app: LivetopApp) -> str:
    return app.screen.query_one(TimelineBar).visible_text


async def opened(pilot: Any, app: LivetopApp, at: float) -> None:
    """Until the replay stands at `at` and its list is drawn."""
    await wait_for(pilot, lambda: app.source.providers and app.store.sessions())
    await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
    assert timeline(app).position == at
    await pilot.pause()


async def moved_to(pilot: Any, app: LivetopApp, t: float) -> None:
    await wait_for(pilot, lambda: timeline(app).position == t)
    await pilot.pause(0.1)  # the redraw the move asked for


def assert_shows(app: LivetopApp, recorded: Recorded, step: int) -> None:
    """The store and the screen are what the live console showed after `step`."""
    moment = recorded.at(step)
    assert shown_json(app.store, recorded, moment.t) == moment.json
    counts = app.store.counts()
    header = app.screen.query_one(StatusHeader).status_text().plain
    assert f"● {counts.live} live" in header and " REPLAY " in header
    listed = [s for s in app.store.sessions() if app.store.listed(s.key)]
    assert app.screen.query_one(SessionsTable).row_count == len(listed)
    assert f"{datetime.fromtimestamp(moment.t, UTC):%H:%M:%S} UTC" in bar_text(app)


async def test_seeking_shows_the_moment_the_live_console_showed(recorded: Recorded) -> None:
    app = replay_app(recorded, recorded.at(5).t)
    async with app.run_test(size=(120, 36)) as pilot:
        await opened(pilot, app, recorded.at(5).t)
        assert_shows(app, recorded, 5)
        seeks = ((12, "12:00:24"), (25, "+26s"), (3, "-44s"), (30, "2026-11-22T12:01:00Z"))
        for step, typed in seeks:
            await pilot.press("colon", *typed, "enter")
            await moved_to(pilot, app, recorded.at(step).t)
            assert_shows(app, recorded, step)
            if step == 12:  # Uiza was failing then: the provider bar says so
                assert "FAILING" in app.screen.query_one(ProviderBar).line_text("uiza")
        # A seek is not news: no row is marked as just live or just ended.
        assert all(not line.startswith(("+", "-")) for line in _rows(app))
        await pilot.press("colon", *"nonsense", "enter")
        await wait_for(pilot, lambda: any("cannot read the time" in t for t in toasts(app)))
        assert timeline(app).position == recorded.at(30).t


def _rows(app: LivetopApp) -> list[str]:
    return app.screen.query_one(SessionsTable).visible_text.splitlines()[1:]


async def test_stepping_poll_by_poll(recorded: Recorded) -> None:
    app = replay_app(recorded, recorded.at(6).t)
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot, app, recorded.at(6).t)
        await pilot.press("full_stop")  # every provider polls on each step: one step later
        await moved_to(pilot, app, recorded.at(7).t)
        assert_shows(app, recorded, 7)
        await pilot.press("right", "right")
        await moved_to(pilot, app, recorded.at(9).t)
        assert_shows(app, recorded, 9)
        await pilot.press("comma", "left", "left")
        await moved_to(pilot, app, recorded.at(6).t)
        assert_shows(app, recorded, 6)
        await pilot.press("colon", *"12:00:00", "enter")
        await moved_to(pilot, app, START)
        await pilot.press("comma")
        await wait_for(pilot, lambda: "at the start of the recording" in toasts(app))
        assert timeline(app).position == START


async def test_jumping_from_incident_to_incident(recorded: Recorded) -> None:
    with Recording(recorded.path) as rec:
        first = rec.incident(START, forward=True)
        assert first is not None
        failed = rec.incident(START + 19, forward=True)
        assert failed is not None and failed.event.kind.value == "provider_failed"
    app = replay_app(recorded, START)
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot, app, START)
        await pilot.press("right_square_bracket")
        await moved_to(pilot, app, first.at)
        assert_shows(app, recorded, round((first.at - START) / INTERVAL))
        assert event_line(first.event).plain in toasts(app)
        await pilot.press("colon", *"12:00:19", "enter", "right_square_bracket")
        await moved_to(pilot, app, failed.at)
        assert "FAILING" in app.screen.query_one(ProviderBar).line_text("uiza")
        await pilot.press("left_square_bracket")
        await moved_to(pilot, app, START + 18)
        assert_shows(app, recorded, 9)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: "no earlier incident in the recording" in toasts(app))
        assert timeline(app).position == first.at


async def test_play_pause_and_speed(recorded: Recorded) -> None:
    app = replay_app(recorded, START)
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot, app, START)
        assert "❚❚ ×1 " in bar_text(app)
        await pilot.press("greater_than_sign", "greater_than_sign", "greater_than_sign")
        assert timeline(app).speed == 10
        await pilot.press("less_than_sign")
        assert timeline(app).speed == 5
        await pilot.press("space")
        assert not timeline(app).paused
        await wait_for(pilot, lambda: "▶ ×5 " in bar_text(app))
        await wait_for(pilot, lambda: timeline(app).position >= START + 10)
        await pilot.press("space")
        await wait_for(pilot, lambda: "❚❚ ×5 " in bar_text(app))
        await pilot.pause(0.4)  # a move under way when paused is finished, not cut
        held = timeline(app).position
        await pilot.pause(0.6)
        assert timeline(app).position == held  # paused: the cursor stands still
        # Playing applied the recorded frames: the store is what it was then.
        assert shown_json(app.store, recorded, held) == _moment_json(recorded, held)
        for _ in range(6):
            await pilot.press("greater_than_sign")
        assert timeline(app).speed == 60  # the top
        await pilot.press("space")  # 60x plays the rest in about a second, then stops
        await wait_for(pilot, lambda: timeline(app).paused, limit=15)
        assert timeline(app).position == START + 60
        await wait_for(pilot, lambda: "❚❚ ×60 " in bar_text(app))  # by the next tick
        assert_shows(app, recorded, 30)


def _moment_json(recorded: Recorded, t: float) -> str:
    """The live snapshot as of `t` (the last step at or before it)."""
    with Recording(recorded.path) as rec:
        from tui.recorder.commands import snapshot_at
        from tui.snapshot import snapshot_json

        return snapshot_json(snapshot_at(rec, t))


async def test_sparklines_and_events_are_those_of_the_moment(recorded: Recorded) -> None:
    moment = recorded.at(20)
    app = replay_app(recorded, moment.t)
    async with app.run_test(size=(140, 40)) as pilot:
        await opened(pilot, app, moment.t)
        await pilot.press("slash", *"provider:studio state:live", "enter")
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        key = table.cursor_key
        assert key is not None and key in moment.histories
        # The cursor's history is loaded on demand, sample for sample the live one.
        await wait_for(pilot, lambda: _history(app, key) == moment.histories[key])
        assert "ingest" in app.screen.query_one(DetailPane).text
        await pilot.press("j")
        other = table.cursor_key
        assert other is not None and other != key
        await wait_for(pilot, lambda: _history(app, other) == moment.histories[other])
        # It follows the cursor back through a seek.
        earlier = recorded.at(15)
        await pilot.press("colon", *"-10s", "enter")
        await moved_to(pilot, app, earlier.t)
        assert _history(app, other) == earlier.histories.get(other, ())
        await pilot.press("e")
        log = app.screen.query_one(EventLog).text.splitlines()
        assert log[0] == event_line(earlier.events[-1]).plain  # the newest, as it was then
        assert len(log) == len(earlier.events)


def _history(app: LivetopApp, key: SessionKey) -> tuple[Any, ...]:
    ring = SampleRing(120)
    for sample in app.store.history(key):
        ring.append(*sample)
    return ring.samples()


async def test_drill_downs_answer_from_the_recording(recorded: Recorded) -> None:
    moment = recorded.at(30)
    with Recording(recorded.path) as rec:  # the session that went live during the recording
        key = next(e.key for e in rec.events() if e.kind.value == "went_live")
    assert key is not None
    app = replay_app(recorded, moment.t)
    async with app.run_test(size=(120, 36)) as pilot:
        await opened(pilot, app, moment.t)
        await pilot.press("slash", *key.id, "enter")
        await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).cursor_key == key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RelatedScreen))
        await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
        parent = app.store.get(key)
        assert parent is not None
        keys = set(app.screen.query_one(SessionsTable).keys)
        assert key in keys
        assert {getattr(app.store.get(k), "parent_id", None) for k in keys} == {parent.parent_id}
        table = app.screen.query_one(SessionsTable)
        table.select_key(key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        await wait_for(pilot, lambda: key.id in app.screen.query_one(DetailPane).text)
        assert "space play" in app.screen.query_one(KeyBar).visible_text
        # Back before it existed: the recording has nothing of it, and says so plainly.
        await pilot.press("colon", *"12:00:00", "enter")
        await moved_to(pilot, app, START)
        await wait_for(pilot, lambda: any("not recorded" in t for t in toasts(app)), limit=6)


async def test_polling_keys_say_they_mean_nothing_here(recorded: Recorded) -> None:
    app = replay_app(recorded, recorded.at(4).t)
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot, app, recorded.at(4).t)
        keys = app.screen.query_one(KeyBar).visible_text
        assert "space play" in keys and " refresh" not in keys and " pace" not in keys
        for key in ("r", "plus", "minus", "ctrl+r"):
            before = len(toasts(app))
            await pilot.press(key)
            assert "replaying a recording" in " ".join(toasts(app)[before:])
        assert timeline(app).position == recorded.at(4).t
        await pilot.press("p")  # p plays, as space does
        assert not timeline(app).paused
        await pilot.press("p")
        assert timeline(app).paused


async def test_the_rundown_in_replay_says_where_the_plan_is(recorded: Recorded) -> None:
    at = recorded.at(4).t
    app = replay_app(recorded, at)
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot, app, at)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RundownScreen))
        await pilot.pause(0.1)
        screen = app.screen
        assert " REPLAY " in screen.query_one(StatusHeader).status_text().plain
        assert "-" in screen.query_one(TimelineBar).visible_text  # the cursor, before the end
        assert screen.query_one(RundownView).text.startswith("No rundown here")
        keys = screen.query_one(KeyBar).visible_text
        assert "space play" in keys and "reload" not in keys and " refresh" not in keys
        await pilot.press("right_square_bracket")  # the replay keys work here too
        await wait_for(pilot, lambda: timeline(app).position > at)


def test_path_is_a_file(recorded: Recorded) -> None:
    assert isinstance(recorded.path, Path) and recorded.path.is_file()


def _ready(app: LivetopApp, at: float) -> Any:
    async def run_before(pilot: Any) -> None:
        await opened(pilot, app, at)
        key = app.screen.query_one(SessionsTable).cursor_key
        await wait_for(pilot, lambda: key is not None and timeline(app).history_key == key)
        await wait_for(pilot, lambda: bool(app.store.history(key)))  # type: ignore[arg-type]
        await pilot.pause(0.3)

    return run_before


def test_the_replay_screen_80x24(snap_compare: Any, recorded: Recorded) -> None:
    at = recorded.at(12).t  # Uiza failing: its rows stale
    app = replay_app(recorded, at)
    headers: list[str] = []

    async def run_before(pilot: Any) -> None:
        await _ready(app, at)(pilot)
        headers.append(app.screen.query_one(StatusHeader).visible_text)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    # Beside REPLAY the viewers affected give way (the count of unhealthy stays): the clock reads.
    assert " REPLAY " in headers[0] and "▲ 4 unhealthy  ~" in headers[0], headers
    assert headers[0].rstrip().endswith("UTC"), headers


def test_the_replay_screen_200x50(snap_compare: Any, recorded: Recorded) -> None:
    at = recorded.at(12).t
    app = replay_app(recorded, at)
    assert snap_compare(app, terminal_size=(200, 50), run_before=_ready(app, at))


class _Age(LineView):
    """One line: seconds since 1000 by its clock, built anew only when its memo says."""

    DEFAULT_CSS = "_Age { height: 1; }"

    def __init__(self, clock: list[float]) -> None:
        super().__init__(clock=lambda: clock[0])

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        return [self.memo(("age", width), partial(self._line, width))]

    def _line(self, width: int) -> tuple[Strip, float]:
        now = self.moment
        return self.text_line(Text(f"{now - 1000:.0f}s"), width), math.floor(now) + 1


async def test_a_clock_that_goes_back_redraws_what_depends_on_it() -> None:
    """A replay's clock goes back on a seek: an age built later must not be reused."""
    clock = [1005.0]

    class Ages(App[None]):
        def compose(self) -> ComposeResult:
            yield _Age(clock)

    app = Ages()
    async with app.run_test(size=(20, 3)) as pilot:
        age = app.query_one(_Age)
        age.redraw()
        await pilot.pause()
        assert age.visible_text.split("\n")[0].strip() == "5s"
        clock[0] = 1002.0
        age.redraw()
        await pilot.pause()
        assert age.visible_text.split("\n")[0].strip() == "2s"
