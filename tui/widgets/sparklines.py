"""The detail pane's sparklines: a session's rates, and its viewers, over the kept samples."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from tui import format as fmt
from tui.store import Sample


def sparklines(history: Sequence[Sample], width: int) -> Text:
    """Ingest and outgoing rates over the kept samples, two lines; and viewers, a third,
    once any count came (a poll without one keeps the last one's level)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for label, values in (
        ("ingest", [s.ingest_bps or 0.0 for s in history]),
        ("outgoing", [s.outgoing_bps or 0.0 for s in history]),
    ):
        text.append(f"{label:<11}", "dim")
        text.append(fmt.spark(values, width), "bold")
        text.append(f" {fmt.bitrate(values[-1] if values else None)}\n")
    counts = _held([s.viewers for s in history])
    if counts:
        text.append(f"{'viewers':<11}", "dim")
        text.append(fmt.spark(counts, width), "bold")
        text.append(f" {fmt.count(round(counts[-1]))}")
    text.rstrip()
    return text


def _held(values: Sequence[float | None]) -> list[float]:
    """Missing values take the last known one; none before the first."""
    out: list[float] = []
    last: float | None = None
    for value in values:
        last = value if value is not None else last
        if last is not None:
            out.append(last)
    return out
