"""ProviderBar: one line per provider — ok or failing with its own message, data age or pace,
next poll, latency. A failing provider's line turns into an error banner so it cannot be
missed, and says its facts (failures in a row, data age, retry countdown, budget) before the
provider's message, in shorter words on a narrow screen: at 80 columns the message gives way,
never the facts. When a provider's request budget, not its interval, sets its pace, the line
says so ("every 8.4s · budget 50/min"); a server's Retry-After longer than livetop obeys
(15 min) is shown with what it asked for."""

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
NAME_WIDTH = 12  # the longest provider name shown whole; the bar pads names to its longest
MESSAGE_ROOM = 30  # columns a failing line keeps for the provider's message, shortening words

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


def describe(
    status: ProviderStatus,
    now: float,
    paused: bool,
    width: int | None = None,
    name_width: int = NAME_WIDTH,
) -> Text:
    """The provider's line as plain text (provider messages are never parsed as markup).

    A failing provider's line puts the facts first (state, failures in a row, data age, the
    retry countdown, the budget), then the provider's own message, which may be cut at the
    screen's edge, then the rest. Where the facts in whole words would leave the message less
    than `MESSAGE_ROOM` of `width`, they are said in short words: never left out.
    """
    name = f"{fmt.safe_text(status.name, NAME_WIDTH):<{max(1, min(name_width, NAME_WIDTH))}}"
    lead = f" {_MARKS[status.health]} "
    if not status.failing:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(lead)
        text.append(name, "bold")
        text.append(f" {status.health.value.upper():<7}")
        text.append("  · " + " · ".join(_healthy_parts(status, now, paused)), "dim")
        return text
    for short in (False, True):
        facts = _failing_facts(status, now, paused, short=short)
        head = len(lead) + len(name) + sum(len(part) + 3 for part in facts) + 1
        if width is None or head + MESSAGE_ROOM <= width:
            break
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(lead)
    text.append(name, "bold")
    text.append(" " + " · ".join(facts), "bold")
    message = fmt.safe_text(headline(status), 170)
    rest = _rest(status)
    text.append(" · ".join(["", message, *rest] if message else ["", *rest]))
    return text


def _healthy_parts(status: ProviderStatus, now: float, paused: bool) -> list[str]:
    parts = [f"{status.session_count} sessions"]
    # What did not come besides the sessions (viewers), early: it must read at 80 columns.
    if status.notice:
        parts.append(fmt.safe_text(status.notice, 100))
    elif (late := status.viewers_late(now)) is not None:
        parts.append(f"viewers {fmt.duration(late)} old")
    if status.last_success is None:
        parts.append("no data yet")
    elif (age := now - status.last_success) > status.interval + LATE:
        parts.append(f"data {fmt.duration(age)} old")
    else:  # on time: a steady "every 2s" rather than an age ticking 0s, 1s, 2s, 0s…
        every = status.interval
        parts.append(f"every {every:.2g}s" if every < 10 else f"every {fmt.duration(every)}")
    if status.budget_bound and status.budget is not None:
        parts.append(f"budget {status.budget}/min")  # what sets the pace: faster would exceed it
    if paused:
        parts.append("paused")
    elif (schedule := _schedule(status, now)) is not None:
        parts.append(schedule)
    return parts + _rest(status)


def _failing_facts(status: ProviderStatus, now: float, paused: bool, *, short: bool) -> list[str]:
    """What an operator acts on, in whole words or (`short`) in few: `FAILING (3 in a row)` or
    `FAILING ×3`, `data 1m old` or `1m old`, `retry in 8s` or `retry 8s`."""
    state = status.health.value.upper()
    failures = status.consecutive_failures
    if failures > 1:
        state += f" ×{failures}" if short else f" ({failures} in a row)"
    facts = [state]
    if status.last_success is None:
        facts.append("no data yet")
    else:
        age = fmt.duration(now - status.last_success)
        facts.append(f"{age} old" if short else f"data {age} old")
    if paused:
        facts.append("paused")
    elif (schedule := _schedule(status, now)) is not None:
        facts.append(schedule.replace("retry in ", "retry ") if short else schedule)
    if status.budget is not None:
        facts.append(f"budget {status.budget}/min")  # livetop's own pace is not the trouble
    return facts


def _rest(status: ProviderStatus) -> list[str]:
    parts = []
    if status.failing:  # after the provider's message: what a healthy line says first
        parts.append(f"{status.session_count} sessions")
        if status.notice:
            parts.append(fmt.safe_text(status.notice, 100))
    if status.last_latency is not None:
        parts.append(f"{status.last_latency * 1000:.0f} ms")
    if status.skipped:
        parts.append(f"{status.skipped} malformed skipped")
    return parts


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
        # Names padded to the longest, not to NAME_WIDTH: the columns it saves go to the facts.
        longest = max((len(fmt.safe_text(n, NAME_WIDTH)) for n in self._names), default=1)
        self._name_width = min(NAME_WIDTH, longest)
        self._statuses: dict[str, ProviderStatus] = {}
        self._paused = False
        self.styles.height = max(1, min(len(self._names), MAX_LINES))

    def show(self, statuses: Sequence[ProviderStatus], paused: bool) -> None:
        """Show these statuses; a line that reads as before is not repainted. A reloaded
        config may add or remove providers: the bar follows."""
        self._statuses = {s.name: s for s in statuses}
        if self._statuses.keys() != set(self._names):
            self._names = tuple(self._statuses)
            self.styles.height = max(1, min(len(self._names), MAX_LINES))
        self._paused = paused
        self.redraw()

    def line_text(self, name: str) -> str:
        """The whole text of a provider's line, worded for the bar's width (the screen shows
        what fits)."""
        status = self._statuses.get(name)
        if status is None:
            return ""
        width = self.size.width or None
        return describe(status, self._clock(), self._paused, width, self._name_width).plain

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
            text = describe(status, self.moment, self._paused, width, self._name_width)
            inputs = (text.plain, status.failing, width)
            strips.append(self.memo(inputs, partial(self._line, text, status.failing, width)))
        return strips

    def _line(self, text: Text, failing: bool, width: int) -> tuple[Strip, float]:
        style = self.get_component_rich_style("provider-bar--failing") if failing else None
        return self.text_line(text, width, style), math.inf
