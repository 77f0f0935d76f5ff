"""`[[rundown]]` in the config: tonight's plan, item by item, and how its times are read. No
Textual.

An item names a provider, the id it is about (a Livepeer stream, a Uiza entity, a call), a
label, when it should start and end, and a grace. Times are either a local time of day
("21:30", this machine's zone) or ISO 8601 with a zone ("2026-11-22T21:30:00+01:00", or a TOML
offset date-time); a date-time without a zone is refused, since it could mean any of them. A
call may leave out `start`: its own `scheduled_at` is used.

A local time is tonight's when the rundown is loaded: the occurrence from 6 hours before the
load to 18 hours after it (loaded at 15:00, "00:15" is tonight's, after midnight; at 02:00,
"23:30" is the one 2.5 hours ago). An `end` written as a local time is the first one after
the start (a show from 23:30 to 00:30 ends the next day).

The checks that span the config (the provider exists, the id is one it polls, a stream needs
a start) are in `tui.config`, with every other problem.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

BEFORE_LOAD: Final = timedelta(hours=6)  # a local time this far back is still tonight's
DEFAULT_GRACE: Final = 120.0
DEFAULT_OVERRUN: Final = 600.0
MAX_SPAN: Final = 24 * 3600.0  # grace and overrun: at most a day
MAX_TEXT: Final = 200

Moment = datetime | time  # an absolute instant (aware), or a local time of day

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_SPAN = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")
_MOMENT_HELP = 'a local time like "21:30", or ISO 8601 with a zone like "2026-11-22T21:30:00Z"'


def parse_moment(value: object) -> Moment:
    """A config time: a string (local "HH:MM[:SS]" or ISO 8601 with a zone) or what TOML
    parsed itself (a local time, an offset date-time). `ValueError` says what is wrong."""
    if isinstance(value, datetime):
        moment: Moment = value
    elif isinstance(value, time):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        clock = _CLOCK.fullmatch(text)
        if clock:
            hour, minute, second = (int(x) if x else 0 for x in clock.groups())
            if hour > 23 or minute > 59 or second > 59:
                raise ValueError(f"{text[:20]!r} is not a time of day")
            return time(hour, minute, second)
        try:
            moment = datetime.fromisoformat(text[:64].replace("z", "Z"))
        except ValueError:
            raise ValueError(f"must be {_MOMENT_HELP}") from None
    else:
        raise ValueError(f"must be {_MOMENT_HELP}")
    if isinstance(moment, time):
        if moment.tzinfo is not None:
            raise ValueError('a time of day is local time: write "21:30", not "21:30+01:00"')
        return moment.replace(microsecond=0)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            'needs a zone ("Z" or "+01:00"): a date and time without one could be any; '
            'or write a local time of day like "21:30"'
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


def parse_span(value: object, field: str) -> float:
    """Seconds, from a number of seconds or a string like "2m", "90s", "1h30m"."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError('must be seconds (a number) or a duration like "2m" or "90s"')
    if isinstance(value, str):
        match = _SPAN.fullmatch(value.strip().lower())
        if not value.strip() or match is None:
            raise ValueError(f'{value[:20]!r} is not a duration like "2m", "90s" or "1h30m"')
        hours, minutes, seconds = (float(x) if x else 0.0 for x in match.groups())
        value = hours * 3600 + minutes * 60 + seconds
    seconds = float(value)
    if not 0 <= seconds <= MAX_SPAN:  # NaN fails too
        raise ValueError(f"{field} must be from 0 to 24 hours")
    return seconds


class RundownEntry(BaseModel):
    """One `[[rundown]]` table, validated (times parsed, spans in seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    provider: str = Field(strict=True)
    id: str = Field(strict=True)
    label: str | None = Field(default=None, strict=True)
    start: Moment | None = None
    end: Moment | None = None
    grace: float = DEFAULT_GRACE
    overrun: float = DEFAULT_OVERRUN  # still live this long after `end`: an alert

    @property
    def title(self) -> str:
        return self.label or self.id

    @field_validator("id", "label")
    @classmethod
    def _check_text(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > MAX_TEXT):
            raise ValueError(f"must be 1-{MAX_TEXT} characters")
        return value

    @field_validator("start", "end", mode="before")
    @classmethod
    def _check_moment(cls, value: Any) -> Moment | None:
        return None if value is None else parse_moment(value)

    @field_validator("grace", "overrun", mode="before")
    @classmethod
    def _check_span(cls, value: Any, info: ValidationInfo) -> float:
        return parse_span(value, info.field_name or "it")


def resolve(moment: Moment, anchor: datetime) -> datetime:
    """An item time as an aware UTC instant: absolute as is; a local time of day, its
    occurrence from `BEFORE_LOAD` before `anchor` to 24 hours after that (local zone)."""
    if isinstance(moment, datetime):
        return moment
    local = anchor.astimezone()
    earliest = anchor - BEFORE_LOAD
    for days in (-1, 0, 1):
        day = local.date() + timedelta(days=days)
        when = datetime.combine(day, moment).astimezone()  # naive: this machine's zone
        if earliest <= when < earliest + timedelta(days=1):
            return when.astimezone(UTC)
    raise AssertionError("a time of day occurs once in every 24 hours")  # pragma: no cover


def resolve_end(moment: Moment, start: datetime | None, anchor: datetime) -> datetime:
    """An end: absolute as is; a local time, the first occurrence after the start (or as a
    start would be read, when the start is not known yet)."""
    if isinstance(moment, datetime) or start is None:
        return resolve(moment, anchor)
    local = start.astimezone()
    when = datetime.combine(local.date(), moment).astimezone()
    while when <= start:
        when = datetime.combine(when.date() + timedelta(days=1), moment).astimezone()
    return when.astimezone(UTC)
