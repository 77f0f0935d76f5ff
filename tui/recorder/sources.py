"""The console's feeds from a recording: `livetop --attach` (follow it live, no provider
asked) and `livetop replay` (its past). Each checks the file first, so that a recording that
cannot be used is one line on stderr before any screen opens."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from tui.clock import SystemClock
from tui.recorder.commands import moment
from tui.recorder.db import RecordingError
from tui.recorder.follow import Follower
from tui.recorder.reader import Recording
from tui.recorder.replay import Replayer
from tui.source import Feed
from tui.store import SessionStore


def attach_feed(path: Path) -> Feed:
    """A console following the recording at `path` (blocking; `RecordingError`)."""
    providers = _providers(path, None, None)[0]
    # A poll reaches a follower up to ~1.5 s after the recorder took it (it commits once a
    # second, the follower reads twice): one interval more before data counts as stale.
    store = SessionStore(stale_after=4.0)
    return Feed(store, Follower(store, path), SystemClock(), providers)


def replay_feed(path: Path, at: str | None, *, err: TextIO) -> Feed:
    """A console on the recording at `path`, its cursor at `at` (as `snapshot --recording`
    reads it; default: the end); a moment past the end is noted on `err` and taken as the end.
    Blocking; `RecordingError` or `ValueError` (an unreadable time), one line each."""
    providers, t = _providers(path, at, err)
    store = SessionStore()
    replayer = Replayer(store, path, at=t)
    return Feed(store, replayer, replayer.clock, providers, timeline=replayer)


def _providers(path: Path, at: str | None, err: TextIO | None) -> tuple[tuple[str, ...], float]:
    """The providers of the run at the moment asked (the end by default), and that moment."""
    with Recording(path) as rec:
        t = moment(rec, at, err)
        run = rec.run_at(t)
        if run is None:
            raise RecordingError(path, "nothing recorded yet")
        return tuple(name for name, _ in run.providers), t
