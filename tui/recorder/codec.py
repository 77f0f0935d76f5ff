"""How sessions, statuses and events become JSON values in a recording, and back.

A session is a *row* (its fields but `details` and `secret`, as a list in `ROW_FIELDS` order,
times as integer microseconds so they come back exactly) plus its `details` (the wire record,
scrubbed). `secret` is never written. Details lose every key that names a secret (`streamKey`,
`api_key`, `token`, ...) and every `SecretStr`; any string holding a known secret (the
configured API keys, the session's own stream key) has it replaced. Strings are capped.

Everything read back is checked: a recording is a file anyone could have edited, so a value of
the wrong type raises `Damaged` (the reader reports it in one line) instead of reaching a screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import SecretStr

from tui.models import Profile, ProviderKind, Session, SessionState
from tui.store_types import EventKind, ProviderHealth, ProviderStatus

ROW_FIELDS: Final = (
    "kind",
    "name",
    "state",
    "healthy",
    "issues",
    "parent_id",
    "created_at",
    "last_seen",
    "ended_at",
    "duration_s",
    "ingest_bps",
    "outgoing_bps",
    "recording",
    "started_at",
    "profiles",
    "viewers",  # from here on: rows written since viewers came (shorter ones read as None)
    "playback_error_rate",
    "scheduled_at",  # since the rundown: a call's own schedule
)
ROW_BEFORE_VIEWERS: Final = 15  # the row's length in recordings made before
ROW_BEFORE_SCHEDULE: Final = 17
OLDER_ROWS: Final = frozenset({ROW_BEFORE_VIEWERS, ROW_BEFORE_SCHEDULE})  # read with None added
CODE: Final = {name: i for i, name in enumerate(ROW_FIELDS)}
TIMES: Final = frozenset(
    CODE[f] for f in ("created_at", "last_seen", "ended_at", "started_at", "scheduled_at")
)
MAX_TEXT: Final = 16_384  # a longer string is cut: a recording is not a dump of absurd input
MAX_DEPTH: Final = 24
REDACTED: Final = "**********"
_MIN_SECRET = 4
_SECRET_NAME = re.compile(r"key|secret|token|passw|credential|authori", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DT, _DICT = "$dt", "$dict"  # tags of a datetime and of a dict that looks like a tag


class Damaged(ValueError):
    """A value read from a recording is not what livetop writes there."""


# -- writing --------------------------------------------------------------------------------


class Scrubber:
    """Removes secrets from text and details before they are written."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True)

    def add(self, secrets: Iterable[str]) -> None:
        """Also remove these (a reloaded config's keys); the list is swapped whole, so the
        writer thread reads either the old one or the new one."""
        known = {*self._secrets, *(s for s in secrets if len(s) >= _MIN_SECRET)}
        self._secrets = sorted(known, key=len, reverse=True)

    def text(self, value: str, extra: str | None = None) -> str:
        if len(value) > MAX_TEXT:
            value = value[:MAX_TEXT] + "…"
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        if extra and len(extra) >= _MIN_SECRET and extra in value:
            value = value.replace(extra, REDACTED)
        return value

    def value(self, value: Any, extra: str | None, depth: int = 0) -> Any:
        """A details value as JSON; None-able `extra` is the session's own stream key."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.text(value, extra)
        if isinstance(value, datetime):
            return {_DT: value.isoformat()}
        if depth >= MAX_DEPTH:
            return "…"
        if isinstance(value, Mapping):
            out = self.mapping(value, extra, depth + 1)
            return {_DICT: out} if len(out) == 1 and next(iter(out)) in (_DT, _DICT) else out
        if isinstance(value, list | tuple):
            return [self.value(v, extra, depth + 1) for v in value]
        return self.text(str(value), extra)

    def mapping(
        self, value: Mapping[Any, Any], extra: str | None, depth: int = 0
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = self.text(str(k), extra)
            if isinstance(v, SecretStr) or _SECRET_NAME.search(name):
                continue
            out[name] = self.value(v, extra, depth)
        return out


def secret_of(session: Session) -> str | None:
    return session.secret.get_secret_value() if session.secret is not None else None


def micros(when: datetime | None) -> int | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // _US


def field_value(code: int, session: Session, scrub: Scrubber, extra: str | None) -> Any:
    """One row field of `session` as JSON."""
    value = getattr(session, ROW_FIELDS[code])
    if code in TIMES:
        return micros(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, ProviderKind | SessionState):
        return value.value
    if isinstance(value, str):
        return scrub.text(value, extra)
    if code == CODE["issues"]:
        return [scrub.text(str(i), extra) for i in value]
    if code == CODE["profiles"]:
        return [[scrub.value(x, extra) for x in p] for p in value]
    return scrub.text(str(value), extra)


def row_of(session: Session, scrub: Scrubber) -> list[Any]:
    extra = secret_of(session)
    return [field_value(i, session, scrub, extra) for i in range(len(ROW_FIELDS))]


def delta(old: Any, new: Any) -> int | float | None:
    """`new - old` when adding it back gives exactly `new` (same type, no rounding)."""
    kind = type(new)
    if kind is not type(old) or (kind is not int and kind is not float):
        return None
    step = new - old
    return step if old + step == new else None


_STATUS_FIELDS: Final = tuple(f.name for f in fields(ProviderStatus))


def status_json(status: ProviderStatus, scrub: Scrubber) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _STATUS_FIELDS:
        value = getattr(status, name)
        if isinstance(value, ProviderHealth):
            value = value.value
        elif isinstance(value, str):
            value = scrub.text(value)
        out[name] = value
    return out


# -- reading --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Damaged(f"expected text, got {type(value).__name__}")
    return value


def _opt_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _opt_number(value: Any) -> float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise Damaged(f"expected a number, got {type(value).__name__}")


def _opt_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Damaged(f"expected a time, got {type(value).__name__}")
    try:
        return _EPOCH + value * _US
    except OverflowError:
        raise Damaged("time out of range") from None


_PROFILES: dict[tuple[Any, ...], Profile] = {}  # recorded ladders repeat: one object each
_PROFILES_MAX = 4096


def _profile(value: Any) -> Profile:
    if not isinstance(value, list) or len(value) != len(Profile._fields):
        raise Damaged("bad profile")
    try:
        key = tuple(value)
        found = _PROFILES.get(key)
    except TypeError:  # an unhashable item: not what livetop writes
        raise Damaged("bad profile") from None
    if found is not None:
        return found
    name, width, height, bitrate, fps, gop, profile, encoder = value
    for number in (width, height, bitrate, fps):
        _opt_number(number)
    found = Profile(
        _text(name),
        width,
        height,
        bitrate,
        fps,
        _opt_text(gop),
        _opt_text(profile),
        _opt_text(encoder),
    )
    if len(_PROFILES) >= _PROFILES_MAX:
        _PROFILES.clear()
    _PROFILES[key] = found
    return found


def session_of(provider: str, sid: str, row: Any, details: Mapping[str, Any]) -> Session:
    """A `Session` from a row as written by `row_of`; `Damaged` if it is not one."""
    if isinstance(row, list) and len(row) in OLDER_ROWS:
        row = full_row(row)
    if not isinstance(row, list) or len(row) != len(ROW_FIELDS):
        raise Damaged("bad session row")
    viewers = row[15]
    if viewers is not None and (type(viewers) is not int or viewers < 0):
        raise Damaged("bad viewers")
    try:
        kind, state = ProviderKind(row[0]), SessionState(row[2])
    except ValueError:
        raise Damaged("unknown kind or state") from None
    healthy, issues, profiles = row[3], row[4], row[14]
    if healthy is not None and not isinstance(healthy, bool):
        raise Damaged("bad health")
    if not isinstance(issues, list) or not isinstance(profiles, list):
        raise Damaged("bad issues or profiles")
    return Session(
        provider=provider,
        kind=kind,
        id=sid,
        name=_text(row[1]),
        state=state,
        healthy=healthy,
        issues=tuple(_text(i) for i in issues),
        parent_id=_opt_text(row[5]),
        created_at=_opt_time(row[6]),
        last_seen=_opt_time(row[7]),
        ended_at=_opt_time(row[8]),
        duration_s=_opt_number(row[9]),
        ingest_bps=_opt_number(row[10]),
        outgoing_bps=_opt_number(row[11]),
        recording=_opt_text(row[12]),
        started_at=_opt_time(row[13]),
        profiles=tuple(_profile(p) for p in profiles),
        details=details,
        viewers=viewers,
        playback_error_rate=_opt_number(row[16]),
        scheduled_at=_opt_time(row[17]),
    )


def full_row(row: list[Any]) -> list[Any]:
    """A row of a recording made before a field was added, with that field unknown."""
    return row + [None] * (len(ROW_FIELDS) - len(row))


def plain(value: Any) -> Any:
    """A details value as the provider's client had it (datetimes come back as datetimes)."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, inner),) = value.items()
            if tag == _DT and isinstance(inner, str):
                try:
                    return datetime.fromisoformat(inner)
                except ValueError:
                    return inner
            if tag == _DICT and isinstance(inner, dict):
                return {k: plain(v) for k, v in inner.items()}
        return {k: plain(v) if type(v) is dict or type(v) is list else v for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) if type(v) is dict or type(v) is list else v for v in value]
    return value


def status_of(name: str, value: Any) -> ProviderStatus:
    if not isinstance(value, dict):
        raise Damaged("bad provider status")
    known = {k: v for k, v in value.items() if k in _STATUS_FIELDS and k != "name"}
    try:
        known["health"] = ProviderHealth(known.get("health", "pending"))
        status = ProviderStatus(name, **known)
    except (TypeError, ValueError):
        raise Damaged("bad provider status") from None
    for field_name in ("last_error", "error_detail", "notice"):
        _opt_text(getattr(status, field_name))
    for field_name in (
        "last_success",
        "last_attempt",
        "last_latency",
        "next_poll",
        "polling_since",
        "interval",
        "viewers_at",
    ):
        _opt_number(getattr(status, field_name))
    return status


def event_kind(value: Any) -> EventKind:
    try:
        return EventKind(value)
    except ValueError:
        raise Damaged(f"unknown event kind {value!r}") from None
