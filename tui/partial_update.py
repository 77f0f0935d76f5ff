"""Partial screen updates that send only the cells that changed.

Textual (8.2) repaints a dirty region by re-sending its line from the left edge of the widget
up to the region's right end (`ChopsUpdate.render_segments`; its twin says "TODO: crop to x
extents"). A bitrate that changes at column 170 of a 200-column table re-sends 170 cells, and
a second that ticks in the provider bar re-sends the whole line: over SSH that is most of
livetop's output. `install()` makes the update start at the region's left edge too.

It cuts only between characters: a cut through a double-width character would overwrite half
of it with a space, so the cut moves out to the character's edge. If Textual's `ChopsUpdate`
no longer looks like the one this was written for, `install()` leaves Textual alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate
from textual.strip import Strip

_STOCK = ChopsUpdate.render_segments


def render_segments(self: ChopsUpdate, console: Console) -> str:
    """`ChopsUpdate.render_segments`, cropping each chop to the span on both sides."""
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    chops: Sequence[Mapping[int, Strip | None]] = self.chops
    chop_ends = self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(chop_ends[y], chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            if x >= x1 and end <= x2:
                append(move_to(x, y).segment.text)
                append(strip.render(console))
                continue
            start, stop = char_edges(strip, max(0, x1 - x), min(end, x2) - x)
            append(move_to(x + start, y).segment.text)
            append(strip.crop(start, stop).render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def char_edges(strip: Strip, start: int, stop: int) -> tuple[int, int]:
    """`start` and `stop` (cells) moved outwards so that neither cuts through a character."""
    if start <= 0 and stop >= strip.cell_length:
        return 0, strip.cell_length
    pos = 0
    first = start
    for text, _, control in strip:
        if control:
            continue
        for char in text:
            width = cell_len(char)
            if pos <= start < pos + width:
                first = pos
            if pos < stop < pos + width:
                return first, pos + width
            pos += width
            if pos >= stop:
                return first, stop
    return first, stop


def install() -> bool:
    """Send partial updates cropped on both sides; False (nothing done) on an unknown Textual."""
    current = ChopsUpdate.render_segments
    if current is render_segments:
        return True
    fields = list(inspect.signature(ChopsUpdate).parameters)
    if current is not _STOCK or fields != ["chops", "spans", "chop_ends"]:
        return False
    ChopsUpdate.render_segments = render_segments  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    ChopsUpdate.render_segments = _STOCK  # type: ignore[method-assign]
