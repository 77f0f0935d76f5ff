"""Putting a recording's state into a `SessionStore`, and answering drill-downs from it.

Shared by the follower (attach) and the replayer: both feed the same store the console reads,
through `SessionStore.mirror`, so the screens see ordinary diffs and never know the difference.
"""

from __future__ import annotations

from tui.models import FetchResult, Session
from tui.providers.errors import ProviderError
from tui.recorder.reader import State
from tui.recorder.state import Applied, ProviderState
from tui.store import SessionStore, StoreDiff

EVENT_LOG: int = 1000  # the store's default event log length


class NotRecorded(ProviderError):
    """A drill-down asked for something the recording does not hold."""


def put_state(store: SessionStore, state: State) -> list[StoreDiff]:
    """Make the store hold exactly `state` (sessions, statuses, staleness), one diff a provider.

    Providers the state does not know are left as they are; call from the event loop.
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


def related(state: ProviderState | None, provider: str, parent_id: str) -> FetchResult:
    """A parent's sessions as recorded; `NotRecorded` when there are none."""
    if state is None:
        raise NotRecorded(provider, "drill-down", "not recorded: this provider is not in it")
    found = tuple(s for s in state.sessions() if s.parent_id == parent_id)
    if not found:
        raise NotRecorded(
            provider, "drill-down", f"not recorded: no session of {parent_id} at this moment"
        )
    return FetchResult(found)


def one(state: ProviderState | None, provider: str, session_id: str) -> Session:
    """One session as recorded; `NotRecorded` when it is not in the recording then."""
    session = None if state is None else state.get(session_id)
    if session is None:
        raise NotRecorded(
            provider, "drill-down", f"not recorded: session {session_id} is not in it then"
        )
    return session
