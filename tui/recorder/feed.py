"""Putting a recording's state into a `SessionStore`, and answering drill-downs from it.

Shared by the follower (attach) and the replayer: both feed the same store the console reads,
through `SessionStore.mirror`, so the screens see ordinary diffs and never know the difference.
Drill-downs are answered from that store (it holds exactly what the recording says, and is
only touched on the event loop), never by asking a provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from functools import partial
from typing import TypeVar

from tui.models import FetchResult, Session, SessionKey
from tui.providers.errors import ProviderError
from tui.recorder.reader import State
from tui.recorder.state import Applied
from tui.store import SessionStore, StoreDiff

EVENT_LOG: int = 1000  # the store's default event log length
MIN_PACE = 0.5  # seconds: a drill-down is answered again at most this often
T = TypeVar("T")


class NotRecorded(ProviderError):
    """A drill-down asked for something the recording does not hold."""


def put_state(store: SessionStore, state: State) -> list[StoreDiff]:
    """Make the store hold exactly `state` (sessions, statuses, staleness), one diff a provider.

    Providers the state does not know are left as they are; call from the event loop. The
    diffs say `reloaded`: a moment put whole (a seek, a new run), not changes as they came.
    """
    diffs = []
    for name, provider in state.providers.items():
        wanted = provider.sessions()
        keep = {s.id for s in wanted}
        gone = [s.id for s in store.sessions(name) if s.id not in keep]
        diffs.append(
            store.mirror(
                name,
                status=provider.status,
                put=wanted,
                drop=gone,
                missing=provider.missing_ids(),
                reloaded=True,
            )
        )
    return diffs


def put_applied(store: SessionStore, name: str, applied: Applied) -> StoreDiff:
    """One recorded frame, as the diff the recording's store published for it."""
    drop = applied.drop
    if applied.reset:
        keep = {s.id for s in applied.put}
        drop = [s.id for s in store.sessions(name) if s.id not in keep]
    return store.mirror(
        name,
        status=applied.status,
        put=applied.put,
        drop=drop,
        missing=applied.missing,
        sampled=applied.sampled,
        events=applied.events,
    )


def related(store: SessionStore, provider: str, parent_id: str) -> FetchResult:
    """A parent's sessions as recorded; `NotRecorded` when there are none."""
    if provider not in store.providers:
        raise NotRecorded(provider, "drill-down", "not recorded: this provider is not in it")
    found = tuple(s for s in store.sessions(provider) if s.parent_id == parent_id)
    if not found:
        raise NotRecorded(
            provider, "drill-down", f"not recorded: no session of {parent_id} at this moment"
        )
    return FetchResult(found)


def one(store: SessionStore, provider: str, session_id: str) -> Session:
    """One session as recorded; `NotRecorded` when it is not in the recording then."""
    session = store.get(SessionKey(provider, session_id))
    if session is None:
        raise NotRecorded(
            provider, "drill-down", f"not recorded: session {session_id} is not in it then"
        )
    return session


async def follow(
    answer: Callable[[], T], pace: Callable[[], float]
) -> AsyncGenerator[T | ProviderError, None]:
    """A drill-down's answers from the recording, again every `pace()` seconds (the provider's
    recorded interval): what the store holds, or the `NotRecorded` saying it holds nothing."""
    while True:
        outcome: T | ProviderError
        try:
            outcome = answer()
        except NotRecorded as exc:
            outcome = exc
        yield outcome
        await asyncio.sleep(max(MIN_PACE, pace()))


class RecordedDrillDowns:
    """The drill-downs of a console fed by a recording (the follower's, the replayer's):
    answered from `_store`, again at the provider's recorded pace (`interval_for`)."""

    _store: SessionStore

    def interval_for(self, provider: str) -> float:
        raise NotImplementedError

    async def fetch_related(self, provider: str, parent_id: str) -> FetchResult:
        return related(self._store, provider, parent_id)

    async def fetch_session(
        self, provider: str, session_id: str, parent_id: str | None = None
    ) -> Session:
        return one(self._store, provider, session_id)

    def follow_related(
        self, provider: str, parent_id: str
    ) -> AsyncGenerator[FetchResult | ProviderError, None]:
        answer = partial(related, self._store, provider, parent_id)
        return follow(answer, partial(self.interval_for, provider))

    def follow_session(
        self, provider: str, session_id: str, parent_id: str | None = None
    ) -> AsyncGenerator[Session | ProviderError, None]:
        answer = partial(one, self._store, provider, session_id)
        return follow(answer, partial(self.interval_for, provider))
