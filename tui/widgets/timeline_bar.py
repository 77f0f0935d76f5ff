"""TimelineBar: where a replay stands, on one line above the key bar.

    ❚❚ ×1  2026-11-22 21:14:05 UTC  20:14 ━━━━━━━━━●─────────────── 22:14  -1h00m

Playing or paused and the speed; the replay's clock (the cursor); the recording's span with
the cursor in it; how far the cursor is from the end. Narrow terminals drop the date first,
then the span's labels; the bar takes what is left.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui import format as fmt
from tui.widgets.line_view import LineView

MIN_BAR = 8  # cells: narrower than that, no bar


def _at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class TimelineBar(LineView):
    """The replay's timeline; `show` gives the cursor, the span, playing and the speed."""

    DEFAULT_CSS = "TimelineBar { height: 1; }"
    COMPONENT_CLASSES = {  # noqa: RUF012 (Textual's API)
        "timeline-bar--state",
        "timeline-bar--played",
        "timeline-bar--cursor",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._position = 0.0
        self._bounds = (0.0, 0.0)
        self._playing = False
        self._speed = 1.0

    def show(
        self, position: float, bounds: tuple[float, float], *, playing: bool, speed: float
    ) -> None:
        self._position, self._bounds = position, bounds
        self._playing, self._speed = playing, speed
        self.redraw()

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        # To the second: the cursor's clock reads in seconds, and so does the bar.
        lo, hi = (float(int(b)) for b in self._bounds)
        inputs = (int(self._position), lo, hi, self._playing, self._speed, width)
        return [self.memo(inputs, lambda: (self._line(width), math.inf))]

    def _line(self, width: int) -> Strip:
        pos = self._position
        lo, hi = self._bounds
        state = Text(f" {'▶' if self._playing else '❚❚'} ×{self._speed:g} ")
        state.stylize(self.get_component_rich_style("timeline-bar--state"))
        days = _at(lo).date() != _at(hi).date()
        clock = f"{_at(pos):{'%Y-%m-%d %H:%M:%S' if width >= 100 or days else '%H:%M:%S'}} UTC"
        left = hi - pos
        offset = "end" if left < 1 else f"-{fmt.duration(left)}"
        edge = "%m-%d %H:%M" if days else "%H:%M"
        start, end = f"{_at(lo):{edge}}", f"{_at(hi):{edge}}"
        head = Text(no_wrap=True)
        head.append_text(state)
        head.append(f" {clock}  ")
        tail = f" {end}  {offset} "
        room = width - head.cell_len - len(start) - 1 - len(tail)
        if room < MIN_BAR:  # no room for the span's labels: the bar alone
            start, tail = "", f"  {offset} "
            room = width - head.cell_len - len(tail)
        text = head
        if room >= MIN_BAR:
            if start:
                text.append(f"{start} ")
            text.append_text(self._bar(room, pos, lo, hi))
            text.append(tail)
        else:
            text.append(offset)
        return self.text_line(text, width)

    def _bar(self, cells: int, pos: float, lo: float, hi: float) -> Text:
        """`cells` wide: played ━, the cursor ●, the rest ─."""
        share = 1.0 if hi <= lo else min(max((pos - lo) / (hi - lo), 0.0), 1.0)
        at = round(share * (cells - 1))
        played: Style = self.get_component_rich_style("timeline-bar--played")
        cursor: Style = self.get_component_rich_style("timeline-bar--cursor")
        bar = Text()
        bar.append("━" * at, played)
        bar.append("●", cursor)
        bar.append("─" * (cells - at - 1), "dim")
        return bar
