"""The live-calls API: `GET /v1/live/calls/{id}`.

A call is a database row plus a best-effort live status from the video backend. There is no list
endpoint, so the operator names the calls to watch. When the row and the backend disagree, the
call is shown unhealthy with an issue saying how: that disagreement is what an operator must see.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Required
from urllib.parse import quote

from pydantic import SecretStr, TypeAdapter
from typing_extensions import TypedDict

from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.providers.base import (
    BaseClient,
    as_utc,
    finish_partial,
    gather_partial,
    one_line,
)
from tui.providers.errors import redacting
from tui.providers.sanity import Sanity


class LiveStatusWire(TypedDict, total=False):
    """`live`: the video backend's view, or null when the lookup failed."""

    is_live: bool | None
    current_session_id: str | None
    ended_at: datetime | None


class CallWire(TypedDict, total=False):
    """A call, field by field. The schema requires every field, but all but `id` may be null."""

    id: Required[str]
    host_user_id: str | None
    title: str | None
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    stream_call_id: str | None
    stream_call_type: str | None
    recording_url: str | None
    recording_ready_at: datetime | None
    status: str | None
    created_at: datetime | None
    updated_at: datetime | None
    live: LiveStatusWire | None


CALL = TypeAdapter(CallWire)

_STATES = {
    "scheduled": SessionState.SCHEDULED,
    "live": SessionState.LIVE,
    "ended": SessionState.ENDED,
    "errored": SessionState.ERRORED,
}


def _health(status: str | None, live: LiveStatusWire | None) -> tuple[bool | None, tuple[str, ...]]:
    """Health from the row's status against the backend's view."""
    backend_live = live.get("is_live") if live is not None else None
    if status == "errored":
        return False, ("call errored",)
    if status == "live":
        if live is None or backend_live is None:
            return False, ("video backend status unknown (lookup failed)",)
        if not backend_live:
            return False, ("row says live but the video backend says not live",)
        return True, ()
    if backend_live:
        return False, (f"row says {one_line(status or 'nothing', 40)} but the backend is live",)
    return None, ()


def status_mismatch(call: Session) -> bool:
    """The call's row and the video backend disagree on whether it is live (`_health`'s two
    "row says … but the backend …" cases), read back from the call's wire record."""
    details = call.details
    status, live = details.get("status"), details.get("live")
    backend_live = live.get("is_live") if isinstance(live, dict) else None
    if status == "errored" or not isinstance(backend_live, bool):
        return False
    return backend_live != (status == "live")


def normalize_call(provider: str, wire: CallWire, now: datetime | None = None) -> Session:
    """A call as a neutral `Session`; `state` follows the row, `healthy` the agreement.
    Absurd values are None and named in `invalid` (see `sanity.py`; `now` for times ahead)."""
    check = Sanity(now)
    status = wire.get("status")
    live = wire.get("live")
    healthy, issues = _health(status, live)
    started = check.moment("started_at", as_utc(wire.get("started_at")))
    ended = check.moment("ended_at", as_utc(wire.get("ended_at")))
    duration = None
    if started and ended:
        duration = check.span("duration_s", (ended - started).total_seconds())
    created = check.moment("created_at", as_utc(wire.get("created_at")))
    last_seen = check.moment("last_seen", as_utc(wire.get("updated_at")))
    scheduled = check.schedule("scheduled_at", as_utc(wire.get("scheduled_at")))
    recording = None
    if wire.get("recording_ready_at"):
        recording = "ready"
    elif wire.get("recording_url"):
        recording = "waiting"
    return Session(
        provider=provider,
        kind=ProviderKind.CALLS,
        id=wire["id"],
        name=wire.get("title") or "",
        state=_STATES.get(status or "", SessionState.UNKNOWN),
        healthy=healthy,
        issues=issues,
        parent_id=wire.get("stream_call_id"),
        created_at=created,
        last_seen=last_seen,
        ended_at=ended,
        duration_s=duration,
        recording=recording,
        started_at=started,
        scheduled_at=scheduled,
        details=wire,
        invalid=check.invalid,
    )


def call_endpoint(call_id: str) -> str:
    """How a poll's request for one call is named (in errors, and to the scheduler)."""
    return f"GET /v1/live/calls/{one_line(call_id, 80)}"


class CallsClient(BaseClient):
    """The watched calls, fetched one by one. Auth: `Authorization: Bearer <token>`."""

    kind: ClassVar[ProviderKind] = ProviderKind.CALLS
    default_base_url: ClassVar[str] = "https://live.platform.loop.health"

    def __init__(
        self,
        name: str,
        api_key: SecretStr | str,
        *,
        call_ids: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(name, api_key, **kwargs)
        self.call_ids = tuple(call_ids)

    def _auth_header(self, key: str) -> str:
        return f"Bearer {key}"

    def _error_message(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        message, error = body.get("message"), body.get("error")
        if isinstance(message, str) and isinstance(error, str):
            return f"{message} ({one_line(error, 40)})"
        if isinstance(message, str):
            return message
        return error if isinstance(error, str) else None

    @redacting
    async def get_call(self, call_id: str) -> Session:
        """`GET /v1/live/calls/{id}`: the row and the backend's live status."""
        endpoint = call_endpoint(call_id)
        body, _ = await self._get_url(
            f"v1/live/calls/{quote(call_id, safe='')}", None, endpoint=endpoint
        )
        return normalize_call(self.name, self._validate(CALL, body, endpoint), self._clock())

    async def _one(self, call_id: str) -> FetchResult:
        return FetchResult((await self.get_call(call_id),))

    # -- Provider protocol ----------------------------------------------------------------

    @redacting
    async def fetch(self) -> FetchResult:
        sessions, skipped, errors = await gather_partial(self._one(c) for c in self.call_ids)
        return finish_partial(sessions, skipped, errors, len(self.call_ids))

    @redacting
    async def fetch_related(self, parent_id: str) -> FetchResult:
        """Calls have no parent collection: the "related" view of a call is the call itself."""
        return await self._one(parent_id)

    @redacting
    async def fetch_session(self, session_id: str, parent_id: str | None) -> Session:
        return await self.get_call(session_id)
