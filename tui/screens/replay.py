"""The replay keys and what they do, for every live screen (`LiveScreen` binds them; they
exist only in replay): play/pause, speed, a poll back or forward, the previous or next
incident, and a seek prompt. Each move runs in a worker of the screen and, once the store
stands at the new moment, posts `ReplayMoved` so the app draws at once."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from tui.models import SessionKey
from tui.source import Timeline
from tui.widgets.timeline_bar import TimelineBar

HISTORY_AFTER = 0.15  # seconds the cursor rests on a session before its history is rebuilt


class ReplayMoved(Message):
    """The replay moved the store to another moment (or changed how it plays): draw now,
    not on the tick."""


BINDINGS: list[BindingType] = [
    Binding("space", "replay('play')", "Play / pause", show=False),
    Binding("comma,left", "replay('back')", "A poll back", show=False),
    Binding("full_stop,right", "replay('forward')", "A poll forward", show=False),
    Binding("left_square_bracket", "replay('previous')", "Previous incident", show=False),
    Binding("right_square_bracket", "replay('next')", "Next incident", show=False),
    Binding("less_than_sign", "replay('slower')", "Slower", show=False),
    Binding("greater_than_sign", "replay('faster')", "Faster", show=False),
    Binding("colon", "replay('seek')", "Seek", show=False),
]
# The key bar's entries in replay, most wanted first (help and the README list them too).
KEYS: tuple[tuple[str, str], ...] = (
    ("space", "play"),
    ("← →", "step"),
    ("[ ]", "incident"),
    (":", "seek"),
    ("< >", "speed"),
)
# What the command palette offers in replay: (title, key, move).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Replay: play / pause", "space", "play"),
    ("Replay: a poll back", ", or ←", "back"),
    ("Replay: a poll forward", ". or →", "forward"),
    ("Replay: previous incident", "[", "previous"),
    ("Replay: next incident", "]", "next"),
    ("Replay: slower", "<", "slower"),
    ("Replay: faster", ">", "faster"),
    ("Replay: seek to a time", ":", "seek"),
)


def act(screen: Screen[None], timeline: Timeline, move: str) -> None:
    """Do what a replay key asks."""
    if move == "play":
        if timeline.paused:
            timeline.play()
            screen.notify(f"playing ×{timeline.speed:g}", timeout=2)
        else:
            timeline.pause()
            screen.notify("paused", timeout=2)
    elif move in ("faster", "slower"):
        speed = timeline.change_speed(1 if move == "faster" else -1)
        screen.notify(f"speed ×{speed:g}", timeout=2)
    elif move == "seek":
        screen.app.push_screen(SeekPrompt(), lambda text: _seek(screen, timeline, text))
        return
    else:
        screen.run_worker(_move(screen, timeline, move), group="replay")
        return
    screen.post_message(ReplayMoved())


def _seek(screen: Screen[None], timeline: Timeline, text: str | None) -> None:
    if not text or not text.strip():
        return
    from tui.recorder.commands import seek_time

    try:
        t = seek_time(text, timeline.position, timeline.bounds[1])
    except ValueError as exc:
        screen.notify(str(exc), title="Seek", severity="warning", markup=False)
        return
    first, last = timeline.bounds
    if not first <= t <= last:
        where = "its start" if t < first else "its end"
        screen.notify(f"{_clock(t)} is outside the recording: going to {where}", timeout=4)
    screen.run_worker(_move(screen, timeline, "seek", t), group="replay")


async def _move(screen: Screen[None], timeline: Timeline, move: str, t: float = 0.0) -> None:
    from tui.recorder.db import RecordingError

    try:
        if move == "seek":
            await timeline.seek(t)
        elif move in ("back", "forward"):
            if not await timeline.step(1 if move == "forward" else -1):
                end = "start" if move == "back" else "end"
                screen.notify(f"at the {end} of the recording", timeout=2)
        else:
            found = await timeline.incident(forward=move == "next")
            if found is None:
                which = "later" if move == "next" else "earlier"
                screen.notify(f"no {which} incident in the recording", timeout=3)
            else:
                from tui.widgets.event_log import event_line

                screen.notify(event_line(found.event).plain, title="Incident", markup=False)
    except RecordingError as exc:
        screen.notify(str(exc), severity="error", markup=False)
    screen.post_message(ReplayMoved())


async def load_history(screen: Screen[None], timeline: Timeline, key: SessionKey) -> None:
    """The session's sparklines as they stood at the cursor, then a redraw; after a pause, so
    that a cursor passing over rows (j j j) asks for none of theirs."""
    from tui.recorder.db import RecordingError

    await asyncio.sleep(HISTORY_AFTER)
    try:
        await timeline.history(key)
    except RecordingError:
        return  # the move that failed said why
    screen.post_message(ReplayMoved())


def show(screen: Screen[None], timeline: Timeline) -> None:
    playing, speed = not timeline.paused, timeline.speed
    for bar in screen.query(TimelineBar):
        bar.show(timeline.position, timeline.bounds, playing=playing, speed=speed)


def _clock(t: float) -> str:
    from datetime import UTC, datetime

    return f"{datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M:%S} UTC"


class SeekPrompt(ModalScreen[str | None]):
    """A one-line prompt for where to go: Enter seeks, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]
    PLACEHOLDER = "seek to: 21:14 (UTC) · -15m / +5m from here · 2026-11-22T21:14:00Z"

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.PLACEHOLDER, id="seek")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
