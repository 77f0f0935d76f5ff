"""Partial screen updates that send only the cells that changed.

Two things Textual (8.2) does for a partial update cost more than they need to:

- It repaints a dirty region by re-sending its line from the left edge of the widget up to the
  region's right end (`ChopsUpdate.render_segments`; its twin says "TODO: crop to x extents").
  A bitrate that changes at column 170 of a 200-column table re-sends 170 cells, and a second
  that ticks in the provider bar re-sends the whole line: over SSH that is most of livetop's
  output. Here the update starts at the region's left edge too. It cuts only between
  characters: a cut through a double-width character would overwrite half of it with a
  space, so the cut moves out to the character's edge.
- It renders every line of every widget that overlaps the box around all dirty regions
  (`Compositor.render_partial_update`), then sends the dirty lines only. The clock at the top
  and an age at the bottom make that box the whole screen, so each second every widget was
  rendered again. Here only the lines of the widgets that a dirty region touches are rendered.

If Textual's classes no longer look like the ones this was written for, `install()` leaves
Textual alone.
"""

from __future__ import annotations

import inspect
from bisect import bisect_left
from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip

_STOCK = ChopsUpdate.render_segments
_STOCK_UPDATE = Compositor.render_partial_update
# What `render_partial_update` uses of a compositor besides its public methods.
_COMPOSITOR_PARTS = ("_dirty_regions", "_regions_to_spans", "cuts", "visible_widgets", "size")


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


def render_partial_update(self: Compositor) -> ChopsUpdate | None:
    """`Compositor.render_partial_update`, rendering only the lines a dirty region touches."""
    regions = self._dirty_regions.copy()
    self._dirty_regions.clear()
    if not regions:
        return None
    screen = self.size.region
    spans = [span for span in self._regions_to_spans(regions) if 0 <= span[0] < screen.height]
    if not spans:
        return None
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    rows = [y for y, _, _ in spans]  # sorted, one span a line
    # Front to back, as Textual paints: the first strip a cut gets wins.
    for widget, (region, clip) in self.visible_widgets.items():
        shown = region.intersection(clip)
        left, right = shown.column_span
        top, bottom = shown.line_span
        dirty = [
            y
            for y, x1, x2 in spans[bisect_left(rows, top) : bisect_left(rows, bottom)]
            if x1 < right and x2 > left
        ]
        for first, last in _runs(dirty):
            crop = Region(left - region.x, first - region.y, right - left, last - first + 1)
            for y, strip in zip(range(first, last + 1), widget.render_lines(crop), strict=False):
                line_cuts = [cut for cut in cuts[y] if right >= cut >= left]
                chop_line = chops[y]
                divided = strip.divide([cut - left for cut in line_cuts[1:]])
                for cut, piece in zip(line_cuts, divided, strict=False):
                    if chop_line.get(cut) is None:
                        chop_line[cut] = piece
    return ChopsUpdate(chops, spans, [cut_set[1:] for cut_set in cuts])


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    """Sorted line numbers as runs of consecutive lines: (first, last) each."""
    runs: list[tuple[int, int]] = []
    for y in lines:
        if runs and runs[-1][1] == y - 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    return runs


def install() -> bool:
    """Send partial updates cropped on both sides, rendering only what they touch; False
    (nothing done) on an unknown Textual."""
    if ChopsUpdate.render_segments is render_segments:
        return True
    fields = list(inspect.signature(ChopsUpdate).parameters)
    known = (
        ChopsUpdate.render_segments is _STOCK
        and Compositor.render_partial_update is _STOCK_UPDATE
        and fields == ["chops", "spans", "chop_ends"]
        and all(hasattr(Compositor(), name) for name in _COMPOSITOR_PARTS)
    )
    if not known:
        return False
    ChopsUpdate.render_segments = render_segments  # type: ignore[method-assign]
    Compositor.render_partial_update = render_partial_update  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    ChopsUpdate.render_segments = _STOCK  # type: ignore[method-assign]
    Compositor.render_partial_update = _STOCK_UPDATE  # type: ignore[method-assign]
