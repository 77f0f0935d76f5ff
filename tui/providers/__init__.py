"""Provider clients: one async httpx client per API, all behind the `Provider` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from tui.models import ProviderKind, Session
from tui.providers.base import DEFAULT_TIMEOUT, Provider, UtcNow, utc_now
from tui.providers.bounds import DEFAULT_DEADLINE, DEFAULT_MAX_BODY
from tui.providers.calls import CallsClient, call_endpoint
from tui.providers.errors import (
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderInvalidPayload,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderTimeout,
)
from tui.providers.livepeer import LivepeerClient, stream_sessions_endpoint
from tui.providers.uiza import UizaClient, entity_sessions_endpoint

if TYPE_CHECKING:
    from tui.providers.scheduler import RequestScheduler

__all__ = [
    "CallsClient",
    "LivepeerClient",
    "Provider",
    "ProviderAuthError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderInvalidPayload",
    "ProviderNotFound",
    "ProviderRateLimited",
    "ProviderTimeout",
    "UizaClient",
    "build_client",
    "poll_endpoint",
]


def poll_endpoint(session: Session) -> str | None:
    """The request of a poll that brings `session` back (the scheduler lets it go first while
    the session is selected): its call, its stream's sessions, its entity's sessions."""
    if session.kind is ProviderKind.CALLS:
        return call_endpoint(session.id)
    if session.parent_id is None:
        return None
    if session.kind is ProviderKind.LIVEPEER:
        return stream_sessions_endpoint(session.parent_id)
    return entity_sessions_endpoint(session.parent_id)


def build_client(
    kind: ProviderKind,
    name: str,
    api_key: SecretStr,
    *,
    base_url: str | None = None,
    ids: Sequence[str] = (),
    timeout: httpx.Timeout | None = None,
    clock: UtcNow | None = None,
    deadline: float = DEFAULT_DEADLINE,
    max_body: int = DEFAULT_MAX_BODY,
    scheduler: RequestScheduler | None = None,
    one_shot: bool = False,
) -> Provider:
    """One client for a configured provider; `ids` are stream, entity or call ids by kind.

    `deadline` (seconds) and `max_body` (bytes) bound each request (see `BaseClient`);
    `scheduler` admits its requests (without one, the client makes its own, unlimited);
    `one_shot`: a fetch waits for Livepeer's viewers and Uiza's entity names (within
    `deadline`) instead of leaving them to the next poll."""
    common: dict[str, Any] = {
        "base_url": base_url,
        "timeout": timeout or DEFAULT_TIMEOUT,
        "clock": clock or utc_now,
        "deadline": deadline,
        "max_body": max_body,
        "scheduler": scheduler,
    }
    if kind is ProviderKind.LIVEPEER:
        wait = deadline if one_shot else 0.0
        return LivepeerClient(name, api_key, stream_ids=ids, viewers_wait=wait, **common)
    if kind is ProviderKind.UIZA:
        names = deadline if one_shot else 0.0
        return UizaClient(name, api_key, entity_ids=ids, names_wait=names, **common)
    return CallsClient(name, api_key, call_ids=ids, **common)
