"""`livetop check --rundown`: what of the rundown is late or ended early, as plain text. No
Textual. Cron and scripts read the exit status (2 when anything is); people read the lines."""

from __future__ import annotations

from collections.abc import Sequence

from tui import format as fmt
from tui.absence import ItemState, ItemView

# What the check lists: what went wrong (exit 2), and what it could not judge (a provider
# down: that exits 2 already, as a failed provider).
LISTED = (ItemState.LATE, ItemState.ENDED_EARLY, ItemState.UNKNOWN)
FAILED = frozenset({ItemState.LATE, ItemState.ENDED_EARLY})


def _clock(view: ItemView) -> str:
    if view.start is None:
        return fmt.DASH
    start = f"{view.start.astimezone():%H:%M}"
    return f"{start}–{view.end.astimezone():%H:%M}" if view.end else start


HEADERS = ("ITEM", "PROVIDER", "SLOT", "STATE", "NOTE")


def rundown_rows(views: Sequence[ItemView]) -> tuple[str, list[list[str]], bool]:
    """A title, the rows listed (`HEADERS`), and whether anything is late or ended early."""
    listed = [v for v in views if v.state in LISTED]
    failed = sum(v.state in FAILED for v in listed)
    title = f"rundown: {failed} of {len(views)} late or ended early"
    unknown = len(listed) - failed
    if unknown:
        title += f", {unknown} unknown"
    rows = [
        [
            fmt.safe_text(v.entry.title, 40),
            fmt.safe_text(v.entry.provider, 40),
            _clock(v),
            v.headline(),
            fmt.safe_text(v.note, 80),
        ]
        for v in sorted(listed, key=lambda v: (v.start is None, v.start or 0, v.index))
    ]
    return title, rows, failed > 0
