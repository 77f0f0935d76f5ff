"""Values outside physical sense, decided once, when a record is normalized.

A provider can send a negative rate or duration, a rate of 1e30 bits per second, or a
timestamp in the year 9999. None of them is shown as a number: normalization stores None for
the field and names it in `Session.invalid`, so the table and the detail pane say "invalid",
the snapshot JSON says null, and nothing downstream does arithmetic on it. A timestamp more
than `FUTURE_SLACK` ahead of the client's clock is invalid too, so it never keeps a session live.
A name is kept as sent (it is made inert where it is shown, by `tui.format.safe_text`), but
only if it is text with something in it, and never longer than `MAX_NAME` characters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

MAX_RATE_BPS: Final = 1e12  # a terabit per second: no single video session comes near it
MAX_DURATION_S: Final = 10 * 365 * 86400.0  # ten years on air
FUTURE_SLACK: Final = timedelta(minutes=5)  # clocks differ; a server's is never this far ahead
MAX_VIEWERS: Final = 100_000_000  # watching one stream at once: past the largest audiences ever
MAX_NAME: Final = 500  # characters of a name kept: no screen shows more, a provider may send MBs
NOTHING: Final[frozenset[str]] = frozenset()


def display_name(value: object) -> str | None:
    """A name as the provider sent it, cut to `MAX_NAME` characters; None when it is not text
    or is blank (the caller then shows an id instead)."""
    if not isinstance(value, str) or not value[:MAX_NAME].strip():
        return None
    return value[:MAX_NAME]


class Sanity:
    """The checks for one record: each returns the value, or None after noting the field.

    `now` None skips the future check (a caller without a clock)."""

    __slots__ = ("_latest", "_noted")

    def __init__(self, now: datetime | None) -> None:
        self._latest = None if now is None else now + FUTURE_SLACK
        self._noted: list[str] | None = None

    def _note(self, field: str) -> None:
        if self._noted is None:
            self._noted = [field]
        else:
            self._noted.append(field)

    @property
    def invalid(self) -> frozenset[str]:
        """The `Session` fields found invalid so far."""
        return NOTHING if self._noted is None else frozenset(self._noted)

    def rate(self, field: str, bps: float | None) -> float | None:
        """Bits per second: from 0 to `MAX_RATE_BPS`."""
        if bps is None or 0.0 <= bps <= MAX_RATE_BPS:  # NaN fails both comparisons
            return bps
        self._note(field)
        return None

    def span(self, field: str, seconds: float | None) -> float | None:
        """A duration in seconds: from 0 to `MAX_DURATION_S`."""
        if seconds is None or 0.0 <= seconds <= MAX_DURATION_S:
            return seconds
        self._note(field)
        return None

    def count(self, field: str, n: float | None) -> int | None:
        """A head count: a whole number from 0 to `MAX_VIEWERS` (2.0 is 2; 2.5 is absurd)."""
        if n is None:
            return None
        if 0 <= n <= MAX_VIEWERS and n == int(n):
            return int(n)
        self._note(field)
        return None

    def share(self, field: str, x: float | None) -> float | None:
        """A share of a whole: from 0 to 1."""
        if x is None or 0.0 <= x <= 1.0:
            return x
        self._note(field)
        return None

    def moment(self, field: str, when: datetime | None) -> datetime | None:
        """An aware time no further ahead than `FUTURE_SLACK`."""
        if when is None or self._latest is None or when <= self._latest:
            return when
        self._note(field)
        return None

    def schedule(self, field: str, when: datetime | None) -> datetime | None:
        """A planned time: ahead of now is its nature, but not beyond `MAX_DURATION_S` either
        way (a call "scheduled" for the year 9999 or 1970 is a broken record, not a plan)."""
        if when is None or self._latest is None:
            return when
        span = abs((when - (self._latest - FUTURE_SLACK)).total_seconds())
        if span <= MAX_DURATION_S:
            return when
        self._note(field)
        return None

    def epoch_ms(self, field: str, ms: float | None) -> datetime | None:
        """Epoch milliseconds as aware UTC; beyond what a datetime holds is invalid too."""
        if ms is None:
            return None
        try:
            when = datetime.fromtimestamp(ms / 1000.0, UTC)
        except (OverflowError, OSError, ValueError):
            self._note(field)
            return None
        return self.moment(field, when)
