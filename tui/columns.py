"""The sessions table's columns: what each shows, how wide, which go first when narrow.

Pure functions of a `Session` and the time, no Textual: the table renders them, the fuzz tests
feed them hostile sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from math import inf

from rich.cells import cell_len, set_cell_size

from tui import format as fmt
from tui.issue_classes import IssueClass, classify
from tui.models import ProviderKind, Session, SessionState


@dataclass(frozen=True, slots=True)
class Column:
    """One column: lower `priority` survives longer when the terminal is narrow."""

    label: str
    width: int
    priority: int
    render: Callable[[Session, datetime], str]
    right: bool = False


def _on_air(s: Session, now: datetime) -> str:
    if s.is_live and s.started_at:
        return fmt.duration((now - s.started_at).total_seconds())
    if s.state is SessionState.SCHEDULED and s.scheduled_at and s.scheduled_at > now:
        return fmt.countdown((s.scheduled_at - now).total_seconds())  # "in 12m"
    return fmt.INVALID if "duration_s" in s.invalid else fmt.duration(s.duration_s)


def _state(s: Session, now: datetime) -> str:
    """The state; a scheduled session past its planned start says how late it is instead
    ("late 3m"): the column every width keeps."""
    if s.state is SessionState.SCHEDULED and s.scheduled_at and s.scheduled_at <= now:
        return fmt.countdown((s.scheduled_at - now).total_seconds())
    return s.state.value


def _health(s: Session, now: datetime) -> str:
    return {True: "ok", False: "BAD", None: "—"}[s.healthy]


def _rate(s: Session, field: str, bps: float | None) -> str:
    # A session that is not on air sends nothing: its last reported rate, in a column read
    # at a glance, would pass for a live one (the detail pane keeps the last figures).
    if not s.is_live:
        return fmt.DASH
    return fmt.INVALID if field in s.invalid else fmt.bitrate(bps)


def _seen(s: Session, now: datetime) -> str:
    # Under a minute in steps of 5 s, "now" under 10 s (a healthy stream reports every few
    # seconds): an age that ticks every second repaints the busiest rows every second. The
    # detail pane shows the exact age.
    if s.kind is ProviderKind.CALLS:
        # A call's row says when it was last *edited*, not that anything is on air: its age
        # ("43m" on a call that is live) would read as a stalled stream. When it ended, then.
        return fmt.age(s.ended_at, now) if s.ended_at else fmt.DASH
    if s.last_seen is None:
        return fmt.INVALID if "last_seen" in s.invalid else fmt.age(None, now)
    seconds = (now - s.last_seen).total_seconds()
    if seconds < 10:
        return "now"
    if seconds < 60:
        return f"{int(seconds) // 5 * 5}s"
    return fmt.age(s.last_seen, now)


TAIL = "\x00"  # in a cell's text: what follows is kept when the rest is cut (never in data:
# `safe_text` shows a NUL from a provider as the four characters \x00)


def _issue(s: Session, now: datetime) -> str:
    """Why a session is in trouble: where the fault is (`tui.issue_classes`), then the first
    issue in the provider's words and how many more (the detail pane has them all); or that
    its viewers see errors."""
    if not s.issues:
        if s.playback_failing:
            return f"{IssueClass.PLAYBACK}: {fmt.percent(s.playback_error_rate)} of views fail"
        return ""
    more = f"{TAIL} +{len(s.issues) - 1}" if len(s.issues) > 1 else ""
    return f"{classify(s.issues[0])}: {fmt.safe_text(s.issues[0], 80)}{more}"


def _viewers(s: Session, now: datetime) -> str:
    if "viewers" in s.invalid:
        return fmt.INVALID
    return fmt.count(s.viewers) if s.is_live else fmt.DASH


COLUMNS: tuple[Column, ...] = (
    Column("PROVIDER", 9, 5, lambda s, now: s.provider),
    Column("NAME", 0, 0, lambda s, now: s.name or s.id),  # width 0: takes what is left
    Column("STATE", 9, 0, _state),
    Column("HEALTH", 6, 1, _health),
    Column("VIEWERS", 7, 9, _viewers, right=True),  # dropped first: not every provider has them
    Column("ISSUE", 24, 6, _issue),
    Column("ON AIR", 7, 3, _on_air, right=True),
    Column("INGEST", 10, 2, lambda s, now: _rate(s, "ingest_bps", s.ingest_bps), right=True),
    Column("OUTGOING", 10, 7, lambda s, now: _rate(s, "outgoing_bps", s.outgoing_bps), right=True),
    Column("SEEN", 6, 4, _seen, right=True),
    Column("REC", 7, 8, lambda s, now: s.recording or "—"),
)


def stable_for(s: Session, now: datetime) -> float:
    """Seconds for which the clock alone leaves this session's cells as they are at `now`
    (ON AIR and SEEN age): a row's text is computed again only then, or when its data
    changes, not on every tick."""
    wait = inf
    if s.is_live and s.started_at:
        wait = fmt.duration_stays((now - s.started_at).total_seconds())
    elif s.state is SessionState.SCHEDULED and s.scheduled_at:
        wait = fmt.countdown_stays((s.scheduled_at - now).total_seconds())
    if s.kind is ProviderKind.CALLS:
        return min(wait, fmt.age_stays(s.ended_at, now))
    if s.last_seen is not None:
        seen = (now - s.last_seen).total_seconds()
        if seen < 10:  # "now"
            wait = min(wait, 10 - seen)
        elif seen < 60:  # in steps of 5 s
            wait = min(wait, 5 - seen % 5)
        else:
            wait = min(wait, fmt.duration_stays(seen))
    return wait


# The column each sort order is read from ("": the marks' column, trouble first).
SORT_COLUMNS = {
    "trouble": "",
    "name": "NAME",
    "state": "STATE",
    "health": "HEALTH",
    "bitrate": "INGEST",
    "last seen": "SEEN",
    "viewers": "VIEWERS",
}

NAME_MIN = 22  # below this, columns drop by priority: names are what operators read
# Marks that read without colour, then a space: ! unhealthy, + new, - ended; ~ stale.
GUTTER = 3


@lru_cache(maxsize=16)
def fit_columns(width: int) -> list[tuple[Column, int]]:
    """Columns that fit `width`, dropping the least important first; NAME takes the rest."""
    chosen = list(COLUMNS)
    while True:
        fixed = sum(c.width + 1 for c in chosen if c.width) + GUTTER
        if width - fixed >= NAME_MIN or len(chosen) <= 3:
            break
        chosen.remove(max((c for c in chosen if c.width), key=lambda c: c.priority))
    name_width = max(NAME_MIN, width - fixed)
    return [(c, c.width or name_width) for c in chosen]


def cell(text: str, width: int, right: bool) -> str:
    """`text` made safe and fitted to `width` cells (cut with an ellipsis, or padded); a
    `TAIL` part stays whole when the head is cut."""
    head, _, tail = text.partition(TAIL)
    if tail and cell_len(head) + cell_len(tail) > width:
        return cell(head, max(0, width - cell_len(tail)), right) + tail
    if tail:
        text = head + tail
    text = fmt.safe_text(text, 400)
    # Measure in terminal cells, not characters: a CJK or emoji name is twice as wide.
    used = cell_len(text)
    if used > width:
        return set_cell_size(text, max(0, width - 1)) + "…"
    pad = " " * (width - used)
    return pad + text if right else text + pad
