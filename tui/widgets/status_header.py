"""StatusHeader: product name, where the data comes from (ATTACHED, REPLAY, NOT RECORDING),
what is live and what is in trouble, PAUSED, where you are, and the clocks, on one line."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from rich.text import Text
from textual.strip import Strip

from tui import format as fmt
from tui.store import Counts
from tui.widgets.line_view import LineView


class Banner(Protocol):
    """Where the data comes from (`tui.source.Banner`): a label, and what is wrong if any."""

    @property
    def text(self) -> str: ...

    @property
    def trouble(self) -> str | None: ...


class StatusHeader(LineView):
    """One line across the top. The clock ticks once a second (a `LineView`: only its cells
    are repainted); the rest changes with the store, the scope and the filter."""

    DEFAULT_CSS = "StatusHeader { height: 1; }"

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(clock=lambda: clock().timestamp())
        self._counts = Counts(0, 0, 0, 0)
        self._paused = False
        self._crumbs = ""
        self._banner: Banner | None = None

    def show(
        self, counts: Counts, *, paused: bool, crumbs: str, banner: Banner | None = None
    ) -> None:
        self._counts, self._paused, self._crumbs = counts, paused, crumbs
        self._banner = banner
        self.set_class(paused, "-paused")
        self.redraw()

    @property
    def crumbs(self) -> str:
        return self._crumbs

    def status_text(self, room: int | None = None) -> Text:
        """Everything left of the clock; the trail (scope and filter) gives way first, cut
        from its start, then "viewers affected" shortens to "viewers", then goes (beside a
        banner, at 80 columns, or for the trail's last part), so that counts, the filter
        and the clock read."""
        # Room for the trail's last part (the filter, or the step drilled into) comes before
        # the word "affected", then before the viewers: an operator must see what is hidden.
        # A long one is cut anyway: the counts keep their words.
        last = _PARTS.split(self._crumbs)[1:][-1:]
        need = len(last[0]) if last else 0  # as "…· /live": its leading space gives way
        need = need if need <= MAX_KEPT else 0
        text = self._counts_text(viewers=2)
        for viewers in (1, 0):
            if room is None or text.cell_len + 2 + need <= room:
                break
            text = self._counts_text(viewers=viewers)
        banner = self._banner
        if banner is not None and banner.trouble:  # what is wrong, in what room is left
            left = (room if room is not None else 1 << 30) - text.cell_len - 2
            if left > 8:
                trouble = Text(f" {banner.trouble} ", "bold")
                trouble.truncate(left, overflow="ellipsis")
                text.append_text(trouble)
        left = (room if room is not None else 1 << 30) - text.cell_len - 2
        crumbs = fit_trail(self._crumbs, left)
        if crumbs:
            text.append(f"  {crumbs}", "italic")
        return text

    def _counts_text(self, *, viewers: int) -> Text:
        """The counts; `viewers`: 2 "· 13 viewers affected", 1 "· 13 viewers", 0 neither."""
        c = self._counts
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" livetop ", "bold")
        banner = self._banner
        if banner is not None:  # trouble marks it, whatever room is left for saying what
            mark = " ⚠" if banner.trouble else ""
            text.append(f" {banner.text}{mark} ", "bold reverse")
        text.append(f" ● {c.live} live ", "bold")
        if c.unhealthy:
            affected = ""
            if c.affected is not None and viewers:  # who is watching the streams in trouble
                who = "viewer" if c.affected == 1 else "viewers"
                affected = f"· {fmt.count(c.affected)} {who}{' affected' * (viewers > 1)} "
            text.append(f" ▲ {c.unhealthy} unhealthy {affected}", "bold reverse")
        else:
            text.append(" 0 unhealthy ")
        if c.stale:
            text.append(f" ~ {c.stale} stale ")
        if self._paused:
            text.append(" ❚❚ PAUSED ", "bold reverse")
        return text

    def clock_text(self, width: int = 200) -> str:
        """UTC, and local time when it differs and the line is wide enough for both."""
        now = datetime.fromtimestamp(self.moment, UTC)
        local = now.astimezone()
        clock = f"{now:%H:%M:%S} UTC "
        if local.utcoffset() and width >= 100:
            clock = f"{clock}· {local:%H:%M:%S} {local:%Z} "
        return clock

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        clock = self.clock_text(width)
        status = self.status_text(room=width - len(clock) - 1)
        inputs = (status.plain, tuple(status.spans), clock, width)
        return [self.memo(inputs, lambda: (self._line(status, clock, width), math.inf))]

    def _line(self, status: Text, clock: str, width: int) -> Strip:
        # The clock only where it fits with a space to spare (the trail made room for it).
        if width - status.cell_len - len(clock) >= 1:
            status.pad_right(width - status.cell_len - len(clock))
            status.append(clock)
        return self.text_line(status, width)


_PARTS = re.compile(r"(?= › | · )")  # a trail's parts: the scope's steps, then the filter
MAX_KEPT = 32  # the longest trail's last part the viewer counts give way for (cells)


def fit_trail(trail: str, room: int) -> str:
    """The trail in `room` cells, cut from its start ("…stream 4c5f · /live"); a cut never
    leaves a piece of the root ("…ons"): "… · /live" then, and the root alone goes."""
    if len(trail) <= room:
        return trail
    if room <= 8:
        return ""
    root, *rest = _PARTS.split(trail)
    cut = len(trail) - room + 1  # where the kept tail starts
    if cut <= len(root):
        return "…" + "".join(rest) if rest else ""
    return "…" + trail[cut:]
