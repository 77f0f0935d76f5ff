"""ProviderBar: one line per provider — ok or failing with its own message, data age, next poll,
latency. A failing provider's line turns into an error banner so it cannot be missed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tui import format as fmt
from tui.store import ProviderHealth, ProviderStatus
from tui.widgets.line_static import LineStatic

SLOW_POLL = 2.0  # seconds a poll may take before the bar says it is still going
LATE = 2.0  # seconds past the interval before the bar shows the data's age

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
    if status.last_success is None:
        parts.append("no data yet")
    elif (age := now - status.last_success) > status.interval + LATE or status.failing:
        parts.append(f"data {fmt.duration(age)} old")
    else:  # on time: a steady "every 2s" rather than an age ticking 0s, 1s, 2s, 0s…
        every = status.interval
        parts.append(f"every {every:.2g}s" if every < 10 else f"every {fmt.duration(every)}")
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
    if status.failing:
        return f"retry in {fmt.duration(wait)}"
    return f"next {fmt.duration(wait)}" if wait > status.interval + 1 else None


class ProviderLine(LineStatic):
    """One provider's status line; `-failing` and `-stale` drive its look. A `LineStatic`: the
    line changes every second ("data 1s old"), and only the changed cells are sent."""


class ProviderBar(Vertical):
    """The provider status lines, in configuration order."""

    def __init__(self, names: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._names = tuple(names)
        self._shown: dict[int, tuple[str, bool, bool]] = {}  # line: (text, failing, stale)

    def compose(self) -> ComposeResult:
        for index, _ in enumerate(self._names):
            yield ProviderLine(id=f"provider-{index}")

    def show(self, statuses: Sequence[ProviderStatus], now: float, paused: bool) -> None:
        by_name = {s.name: s for s in statuses}
        for index, name in enumerate(self._names):
            status = by_name.get(name)
            if status is None:
                continue
            text = describe(status, now, paused)
            # Called every second: a line that would look the same is left alone (its style
            # follows from `failing`, so the plain text and the two classes say it all).
            shown = (text.plain, status.failing, status.stale)
            if self._shown.get(index) == shown:
                continue
            self._shown[index] = shown
            line = self.query_one(f"#provider-{index}", ProviderLine)
            line.set_class(status.failing, "-failing")
            line.set_class(status.stale, "-stale")
            line.update(text)
