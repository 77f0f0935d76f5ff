"""Watched sessions: what the operator pinned with `w`, by provider and id. No Textual.

An id is a session's own, or its parent's (a Livepeer stream, a Uiza entity): watching a
stream watches every session it has and will have, which is what an operator means (a
stream's session id changes at each reconnection). A call is watched by its own id.

Watched rows are marked and sorted first (`tui.session_list`), `watched:yes` lists them, the
UI state file remembers them (`tui.ui_state`), and `alerts = "watched"` in the config keeps
toasts and the bell for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from tui import format as fmt
from tui.models import ProviderKind, Session

# The state file stays small (it is read whole at start, at most 64 KiB); a console watching
# more than this is better served by a filter.
MAX_WATCHED: Final = 200
MAX_ID: Final = 100

_PARENT_WORD = {ProviderKind.LIVEPEER: "stream", ProviderKind.UIZA: "entity"}


class WatchList:
    """The watched (provider, id) pairs; `version` grows with every change (lists that sort
    watched rows first compare it to know when to sort again)."""

    def __init__(self, ids: Iterable[tuple[str, str]] = ()) -> None:
        self._ids: set[tuple[str, str]] = set()
        for provider, id_ in ids:
            if len(self._ids) >= MAX_WATCHED:
                break
            self._ids.add((provider, id_))
        self.version = 0

    def __len__(self) -> int:
        return len(self._ids)

    def items(self) -> list[tuple[str, str]]:
        """Every watched pair, sorted (what the state file keeps)."""
        return sorted(self._ids)

    def covers(self, provider: str, id_: str, parent_id: str | None = None) -> bool:
        """Whether this id, or its parent's, is watched."""
        ids = self._ids
        if not ids:
            return False
        return (provider, id_) in ids or (parent_id is not None and (provider, parent_id) in ids)

    def is_watched(self, session: Session) -> bool:
        return self.covers(session.provider, session.id, session.parent_id)

    def toggle(self, session: Session, *, whole: bool = True) -> tuple[bool, str]:
        """Watch the session's stream or entity (`whole`, when it has one), else the session
        itself; or, when it is watched either way, stop watching both. Returns whether it is
        watched now and what was (un)watched, in words ("stream 1a2b3c4d…"). `ValueError`
        (saying why) when it cannot be: too many watched, an id too long to remember."""
        provider = session.provider
        if self.is_watched(session):
            what = self._words(session, (provider, session.id) not in self._ids)
            self._ids.discard((provider, session.id))
            if session.parent_id is not None:
                self._ids.discard((provider, session.parent_id))
            self.version += 1
            return False, what
        parent = whole and session.kind in _PARENT_WORD and session.parent_id
        target = session.parent_id if parent and session.parent_id else session.id
        if len(self._ids) >= MAX_WATCHED:
            raise ValueError(f"at most {MAX_WATCHED} watched ids: unwatch some first")
        if len(target) > MAX_ID or len(provider) > MAX_ID:
            raise ValueError(f"an id longer than {MAX_ID} characters cannot be watched")
        self._ids.add((provider, target))
        self.version += 1
        return True, self._words(session, bool(parent))

    @staticmethod
    def _words(session: Session, parent: bool) -> str:
        if parent and session.parent_id is not None:
            word = _PARENT_WORD.get(session.kind, "parent")
            return f"{word} {fmt.safe_text(session.parent_id, 16)} (all its sessions)"
        word = "call" if session.kind is ProviderKind.CALLS else "session"
        return f"{word} {fmt.safe_text(session.name or session.id, 40)}"
