"""StatusHeader: product name, what is live and what is in trouble, PAUSED, and the clocks."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.store import Counts


class StatusHeader(Static):
    """One line across the top. The clock ticks once a second; counts change with the store."""

    counts: reactive[Counts] = reactive(Counts(0, 0, 0, 0), layout=False)
    paused: reactive[bool] = reactive(False, layout=False)
    now: reactive[datetime] = reactive(lambda: datetime.now(UTC), layout=False)
    crumbs: reactive[str] = reactive("", layout=False)

    def watch_paused(self, paused: bool) -> None:
        self.set_class(paused, "-paused")

    def render(self) -> Text:
        c = self.counts
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" livetop ", "bold")
        text.append(f" ● {c.live} live ", "bold")
        if c.unhealthy:
            text.append(f" ▲ {c.unhealthy} unhealthy ", "bold reverse")
        else:
            text.append(" 0 unhealthy ")
        if c.stale:
            text.append(f" ~ {c.stale} stale ")
        if self.paused:
            text.append(" ❚❚ PAUSED ", "bold reverse")
        if self.crumbs:
            text.append(f"  {self.crumbs}", "italic")
        local = self.now.astimezone()
        clock = f"{self.now:%H:%M:%S} UTC "
        if local.utcoffset():
            clock = f"{clock}· {local:%H:%M:%S} {local:%Z} "
        pad = self.size.width - text.cell_len - len(clock)
        if pad >= 1:
            text.append(" " * pad)
            text.append(clock)
        return text
