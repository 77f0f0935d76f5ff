"""Provider-neutral session model shared by the store, the snapshot command and the UI.

Every provider's wire records are normalized into `Session` by one function in that provider's
module. `Session` carries the public snapshot fields (see `SNAPSHOT_FIELDS`) plus a few that only
the console shows (start of air time, encoding profiles, extra details, a masked secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, NamedTuple

from pydantic import SecretStr

# The longest livetop obeys a server's Retry-After (15 min): a server asking for a day, or for
# the year 9999, is capped. The request scheduler applies it; the provider bar says it did.
MAX_HOLD: Final = 900.0
# A live stream whose viewers see errors this often is failing, whatever its ingest says.
PLAYBACK_FAILING: Final = 0.05


class ProviderKind(StrEnum):
    """The API a provider speaks."""

    LIVEPEER = "livepeer"
    UIZA = "uiza"
    CALLS = "calls"


class SessionState(StrEnum):
    """Where a session is in its life, the same words for every provider."""

    LIVE = "live"
    ENDED = "ended"
    SCHEDULED = "scheduled"
    ERRORED = "errored"
    UNKNOWN = "unknown"


class SessionKey(NamedTuple):
    """A session is unique per configured provider name and the provider's own id."""

    provider: str
    id: str


class Profile(NamedTuple):
    """One encoding rendition (Livepeer `profiles[]`).

    A NamedTuple, not a frozen dataclass: a 10,000-session poll builds ~30,000 of them, and a
    tuple is built and compared several times faster.
    """

    name: str
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None
    fps: float | None = None
    gop: str | None = None
    profile: str | None = None
    encoder: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """One live session, call or broadcast, whatever provider it came from.

    Rates are in bits per second. Times are timezone-aware UTC. `secret` holds a stream/ingest
    key when the provider returns one; it is a `SecretStr` so no repr or str ever shows it.
    `details` is the validated wire record (secrets removed) for the detail pane to show as is.
    `invalid` names the fields whose value the provider sent was outside physical sense (a
    negative rate, a time years ahead): they hold None, and are shown as "invalid".
    `viewers` (watching now) and `playback_error_rate` (the share of their views that fail, 0
    to 1) come from the provider's realtime viewership, for live sessions only; None: unknown.
    """

    provider: str
    kind: ProviderKind
    id: str
    name: str
    state: SessionState
    healthy: bool | None = None
    issues: tuple[str, ...] = ()
    parent_id: str | None = None
    created_at: datetime | None = None
    last_seen: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    ingest_bps: float | None = None
    outgoing_bps: float | None = None
    recording: str | None = None
    viewers: int | None = None
    playback_error_rate: float | None = None
    # Console-only fields, not part of the snapshot contract.
    started_at: datetime | None = None
    scheduled_at: datetime | None = None  # when it is due on air (a call's own schedule)
    profiles: tuple[Profile, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)
    secret: SecretStr | None = None
    invalid: frozenset[str] = frozenset()

    @property
    def key(self) -> SessionKey:
        return SessionKey(self.provider, self.id)

    @property
    def is_live(self) -> bool:
        return self.state is SessionState.LIVE

    @property
    def unhealthy(self) -> bool:
        return self.healthy is False

    @property
    def playback_failing(self) -> bool:
        """Live, and its viewers see errors at least `PLAYBACK_FAILING` of the time."""
        rate = self.playback_error_rate
        return rate is not None and rate >= PLAYBACK_FAILING and self.is_live


# The exact keys and order of a session in `livetop snapshot --format json` (a public contract).
SNAPSHOT_FIELDS: tuple[str, ...] = (
    "provider",
    "kind",
    "id",
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
    "viewers",
    "playback_error_rate",
    # Not `Session` fields: the operator's watch list (the console's UI state) and the
    # rundown's judgement (`tui.absence`), added by the snapshot.
    "watched",
    "late",
)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one poll of a provider produced.

    `skipped` counts list items that failed validation and were dropped. `errors` holds failures
    of part of the fetch (one watched call, one entity); when it is non-empty the result is not
    authoritative, so the store must not treat missing sessions as gone.
    `viewers_at` is when the viewer counts joined to the sessions were measured (None: none
    were); `notice` a remark on data besides the sessions that did not come, which is not a
    failure of the poll ("viewers need a private key (403)").
    """

    sessions: tuple[Session, ...]
    skipped: int = 0
    errors: tuple[Exception, ...] = ()
    viewers_at: datetime | None = None
    notice: str | None = None

    @property
    def complete(self) -> bool:
        return not self.errors
