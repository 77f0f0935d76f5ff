"""ProviderBar: one line per provider — ok or failing with its own message, data age or pace,
next poll, latency. A failing provider's line turns into an error banner so it cannot be
missed. When a provider's request budget, not its interval, sets its pace, the line says so
("every 8.4s · budget 50/min"); a server's Retry-After longer than livetop obeys (15 min) is
shown with what it asked for."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.strip import Strip

from tui import format as fmt
from tui.models import MAX_HOLD
from tui.store import ProviderHealth, ProviderStatus
from tui.widgets.line_view import LineView

SLOW_POLL = 2.0  # seconds a poll may take before the bar says it is still going
LATE = 2.0  # seconds past the interval before the bar shows the data's age
MAX_LINES = 6  # more providers than this scroll

_MARKS = {
    ProviderHealth.PENDING: "…",
    ProviderHealth.OK: "●",
    ProviderHealth.PARTIAL: "▲",
    ProviderHealth.FAILING: "✖",
}


def headline(status: ProviderStatus) -> str:
    """The provider's own message, with the HTTP status in front when there was one.

    `last_error` is the provider's text alone ("invalid API key"); `error_detail` names the
    endpoint and status too ("studio: GET /session: HTTP 401: invalid API key"). 401 and 403,
    or 502 and 504, call for different fixes, so the status is worth its eight characters.
    """
    message = status.last_error or ""
    found = re.search(r"HTTP (\d{3}): " + re.escape(message) + "$", status.error_detail or "")
    return f"HTTP {found.group(1)}: {message}" if found and message else message


def describe(status: ProviderStatus, now: float, paused: bool) -> Text:
    """The provider's line as plain text (provider messages are never parsed as markup)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {_MARKS[status.health]} ")
    text.append(f"{fmt.safe_text(status.name, 12):<12}", "bold")
    text.append(f" {status.health.value.upper():<7}")
    if status.failing and status.last_error:
        failures = status.consecutive_failures
        times = f" ({failures} in a row)" if failures > 1 else ""
        text.append(f"{times}: {fmt.safe_text(headline(status), 170)}")
    parts = [f"{status.session_count} sessions"]
    # What did not come besides the sessions (viewers), early: it must read at 80 columns.
    if status.notice:
        parts.append(fmt.safe_text(status.notice, 100))
    elif (late := status.viewers_late(now)) is not None:
        parts.append(f"viewers {fmt.duration(late)} old")
    if status.last_success is None:
        parts.append("no data yet")
    elif (age := now - status.last_success) > status.interval + LATE or status.failing:
        parts.append(f"data {fmt.duration(age)} old")
    else:  # on time: a steady "every 2s" rather than an age ticking 0s, 1s, 2s, 0s…
        every = status.interval
        parts.append(f"every {every:.2g}s" if every < 10 else f"every {fmt.duration(every)}")
    if status.budget_bound and status.budget is not None and not status.failing:
        parts.append(f"budget {status.budget}/min")  # what sets the pace: faster would exceed it
    if paused:
        parts.append("paused")
    elif (schedule := _schedule(status, now)) is not None:
        parts.append(schedule)  # before the latency: a long error message may cut the end
    if status.last_latency is not None:
        parts.append(f"{status.last_latency * 1000:.0f} ms")
    if status.skipped:
        parts.append(f"{status.skipped} malformed skipped")
    text.append("  · " + " · ".join(parts), "dim" if not status.failing else "")
    return text


def _schedule(status: ProviderStatus, now: float) -> str | None:
    """What the operator needs about the next poll: nothing while polls come on time (a
    countdown ticking every second is noise, and output over SSH); a poll that is slow; or
    how long a failing or rate-limited provider waits before it is asked again."""
    if status.polling_since is not None:
        slow = now - status.polling_since
        return f"polling… {fmt.duration(slow)}" if slow >= SLOW_POLL else None
    if status.next_poll is None:
        return None
    wait = max(0.0, status.next_poll - now)
    asked = status.retry_after
    capped = f" (asked {fmt.duration(asked)}, capped)" if asked and asked > MAX_HOLD else ""
    if status.failing:
        return f"retry in {fmt.duration(wait)}{capped}"
    return f"next {fmt.duration(wait)}{capped}" if wait > status.interval + 1 else None


class ProviderBar(LineView):
    """The provider status lines, in configuration order; a failing provider's line is an
    error banner (`provider-bar--failing`)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"provider-bar--failing"}

    def __init__(
        self,
        names: Sequence[str],
        *,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(clock=clock, id=id)
        self._names = tuple(names)
        self._statuses: dict[str, ProviderStatus] = {}
        self._paused = False
        self.styles.height = max(1, min(len(self._names), MAX_LINES))

    def show(self, statuses: Sequence[ProviderStatus], paused: bool) -> None:
        """Show these statuses; a line that reads as before is not repainted."""
        self._statuses = {s.name: s for s in statuses}
        self._paused = paused
        self.redraw()

    def line_text(self, name: str) -> str:
        """The whole text of a provider's line (the screen shows what fits)."""
        status = self._statuses.get(name)
        return "" if status is None else describe(status, self._clock(), self._paused).plain

    def is_banner(self, name: str) -> bool:
        """Whether the provider's line is drawn as an error banner."""
        banner = self.get_component_rich_style("provider-bar--failing").bgcolor
        strip = self.render_line(self._names.index(name) - self.scroll_offset.y)
        return any(s.style is not None and s.style.bgcolor == banner for s in strip)

    def content_height(self) -> int:
        return len(self._names)

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        strips: list[Strip] = []
        for name in self._names[top : top + height]:
            status = self._statuses.get(name)
            if status is None:
                strips.append(self.blank(width))
                continue
            text = describe(status, self.moment, self._paused)
            inputs = (text.plain, status.failing, width)
            strips.append(self.memo(inputs, partial(self._line, text, status.failing, width)))
        return strips

    def _line(self, text: Text, failing: bool, width: int) -> tuple[Strip, float]:
        style = self.get_component_rich_style("provider-bar--failing") if failing else None
        return self.text_line(text, width, style), math.inf
