"""The writer's side of the format: one provider's store diffs turned into frames.

Each provider is a stream of *frames*, one per store diff, each a small JSON object:

    {"t": time, "s": status, "a": [[ord, base]], "c": [[ord, abs, delta, details?]],
     "r": [ord], "x": [ord], "p": [t, [ord+], [ord-]], "e": [[t, kind, id, name, detail]]}

`a` adds sessions whose full record (`base`: page << 20 | index; a page entry is `[id, row,
details JSON]`) goes to a page of the same flush; `c` changes fields, as pairs of code and value
(an int code is a row field, a string a details key) either absolute or as a delta from the
previous value (numbers that add back exactly; a details key only once it is in the session's
patch, so a reader never needs the base's details to apply it), or replaces the whole details
when its keys change; `r` removes; `x` flips a session's own staleness; `p` is a poll's sampled
set, as changes from the last poll's, sampled at `t`; `e` the events. Only what changed is
written: an unchanged session costs nothing.

A *keyframe* (`{"t", "s", "K": [[ord, base, rowpatch, detailspatch, details?]], "m": [missing],
"p": [sampled], "pt": t}`) is the whole state, each session as its base plus what changed since;
readers start from the latest one before the moment they want.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Final

from tui.models import Session
from tui.recorder.codec import CODE, Scrubber, delta, field_value, row_of, secret_of, status_json
from tui.store_types import STALE, ProviderHealth, ProviderStatus, StoreEvent

PAGE_BITS: Final = 20  # a base reference is page << 20 | index
_SKIP = frozenset({"details", "secret", STALE})


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def dump_list(items: Iterable[Any]) -> str:
    """A JSON list made one item at a time: a big list in one `json.dumps` call would hold the
    GIL, and so the event loop, for tens of milliseconds."""
    return "[" + ",".join(dumps(item) for item in items) + "]"


class Ids:
    """Sessions numbered (`ords`) in the order a run first wrote them; the number stands for
    the session in every frame of that run (its id is in its page entry, once)."""

    def __init__(self) -> None:
        self.next = 1

    def new(self) -> int:
        self.next += 1
        return self.next - 1


class Page:
    """Full records written in one flush: `[id, row]` entries, and their details JSON apart
    (one line each), so a reader decodes details only for the session it shows."""

    __slots__ = ("details", "id", "pid", "rows", "t")

    def __init__(self, page: int, pid: int, t: float) -> None:
        self.id, self.pid, self.t = page, pid, t
        self.rows: list[str] = []
        self.details: list[str] = []


class Pages:
    """Page numbers, handed out in order by the only writer."""

    def __init__(self, first: int) -> None:
        self.next = first
        self.fresh: list[Page] = []

    def open(self, pid: int, t: float) -> Page:
        page = Page(self.next, pid, t)
        self.next += 1
        self.fresh.append(page)
        return page


class _Mirrored:
    """One session as the writer last wrote it: the object, its base and what changed since."""

    __slots__ = ("base", "details", "dpatch", "ord", "rowpatch", "session")

    def __init__(self, session: Session, ord_: int, base: int) -> None:
        self.session = session
        self.ord = ord_
        self.base = base
        self.rowpatch: dict[int, Any] = {}
        self.dpatch: dict[str, Any] = {}
        self.details: dict[str, Any] | None = None  # whole details, when its keys changed


class Track:
    """The writer's mirror of one provider's sessions, producing its frames."""

    def __init__(
        self,
        name: str,
        pid: int,
        ids: Ids,
        pages: Pages,
        scrub: Scrubber,
        events: list[tuple[float, float, str, str, str | None, str, str]],
    ) -> None:
        self.name = name
        self.pid = pid
        self._ids, self._pages, self._scrub = ids, pages, scrub
        self.sessions: dict[str, _Mirrored] = {}
        self.missing: set[str] = set()
        self.sampled: set[int] = set()
        self.sampled_at: float | None = None
        self.status: ProviderStatus | None = None
        self.status_json: dict[str, Any] | None = None
        self.frames: list[dict[str, Any]] = []
        self.polls: list[tuple[float, int, int]] = []  # (t, provider, health code)
        self.events = events  # shared by every provider: rows in the order they happened
        self.t = float("-inf")  # the last frame's time: frames never go back in time
        self._page: Page | None = None
        self._mark = 0  # pages from this number on were written since the last keyframe

    # -- frames ---------------------------------------------------------------------------

    def reset(
        self, t: float, status: ProviderStatus, sessions: Sequence[Session], missing: Iterable[str]
    ) -> dict[str, Any]:
        """Forget the mirror and start again from this whole state: a keyframe."""
        self.sessions.clear()
        self.sampled, self.sampled_at = set(), None
        t = self._time(t)
        for session in sessions:
            self._add(session, t)
        self.missing = {sid for sid in missing if sid in self.sessions}
        self._status(status)
        return self.keyframe(t)

    def keyframe(self, t: float | None = None) -> dict[str, Any]:
        """The whole state as it stands after the last frame.

        Sessions that settled (no longer live) since their base, and sessions whose base is
        in one of the small pages written since the last keyframe, get a fresh base first,
        in one page: a keyframe then stays small (mostly bare references) and a reader
        starting from it reads few pages.
        """
        assert self.status_json is not None
        entries = []
        t = self.t if t is None else t
        for m in self.sessions.values():
            recent = m.base >> PAGE_BITS >= self._mark
            settled = (m.rowpatch or m.dpatch or m.details is not None) and not m.session.is_live
            if recent or settled:
                self._rebase(m, t)
            rowpatch = [x for kv in m.rowpatch.items() for x in kv]
            dpatch = [x for kv in m.dpatch.items() for x in kv]
            entries.append([m.ord, m.base, rowpatch, dpatch, m.details])
        self._mark = self._pages.next
        self._page = None  # sessions added after this keyframe go to pages of their own
        return {
            "t": t,
            "s": self.status_json,
            "K": entries,
            "m": [self.sessions[sid].ord for sid in self.missing],
            "p": sorted(self.sampled),
            "pt": self.sampled_at,
        }

    def diff(
        self,
        t: float,
        status: ProviderStatus | None,
        added: Sequence[Session | None],
        changed: Sequence[tuple[str, frozenset[str], Session | None]],
        removed: Sequence[str],
        events: Sequence[StoreEvent],
        sampled: Sequence[str] | None,
    ) -> None:
        t = self._time(t)
        frame: dict[str, Any] = {"t": t}
        fresh = [self._add(s, t) for s in added if s is not None]
        if fresh:
            frame["a"] = [[m.ord, m.base] for m in fresh]
        flips, changes, gone = [], [], list(removed)
        for sid, fields, session in changed:
            m = self.sessions.get(sid)
            if m is None:
                continue
            if session is None:
                gone.append(sid)
                continue
            if STALE in fields:
                flips.append(m.ord)
                (self.missing.discard if sid in self.missing else self.missing.add)(sid)
            change = self._change(m, fields, session)
            if change is not None:
                changes.append(change)
        if changes:
            frame["c"] = changes
        if flips:
            frame["x"] = flips
        if events:  # before removals: an event names the session that just went
            frame["e"] = [self._event(t, e) for e in events]
        dropped = [m.ord for sid in gone if (m := self._drop(sid)) is not None]
        if dropped:
            frame["r"] = dropped
        if sampled is not None:
            frame["p"] = self._sampled(sampled, status)
        failed = self._poll_outcome(t, status, sampled is not None)
        if status is not None and self._status(status):
            frame["s"] = self.status_json
        if len(frame) > 1 or failed:
            self.frames.append(frame)

    def schedule(self, t: float, status: ProviderStatus) -> None:
        if self._status(status):
            self.frames.append({"t": self._time(t), "s": self.status_json})

    def take(self) -> list[dict[str, Any]]:
        frames, self.frames = self.frames, []
        self._page = None
        return frames

    # -- internals ------------------------------------------------------------------------

    def _time(self, t: float) -> float:
        self.t = max(self.t, t)  # a wall clock stepped back must not reorder the recording
        return self.t

    def _add(self, session: Session, t: float) -> _Mirrored:
        old = self.sessions.get(session.id)
        if old is not None:
            return old
        m = self.sessions[session.id] = _Mirrored(session, self._ids.new(), self._base(session, t))
        return m

    def _base(self, session: Session, t: float) -> int:
        """Write `session` whole into this flush's page; its reference."""
        page = self._page
        if page is None or len(page.rows) >= 1 << PAGE_BITS:
            page = self._page = self._pages.open(self.pid, t)
        details = self._scrub.mapping(session.details, secret_of(session))
        page.rows.append(dumps([session.id, row_of(session, self._scrub)]))
        page.details.append(dumps(details))  # JSON text has no raw newline: one line each
        return page.id << PAGE_BITS | len(page.rows) - 1

    def _rebase(self, m: _Mirrored, t: float) -> None:
        m.base = self._base(m.session, t)
        m.rowpatch, m.dpatch, m.details = {}, {}, None

    def _drop(self, sid: str) -> _Mirrored | None:
        self.missing.discard(sid)
        return self.sessions.pop(sid, None)

    def _change(self, m: _Mirrored, fields: frozenset[str], new: Session) -> list[Any] | None:
        old, scrub, extra = m.session, self._scrub, secret_of(new)
        m.session = new
        absolute: list[Any] = []
        steps: list[Any] = []
        for name in fields - _SKIP:
            code = CODE.get(name)
            if code is None:
                continue
            value = field_value(code, new, scrub, extra)
            step = delta(field_value(code, old, scrub, extra), value)
            (absolute if step is None else steps).extend((code, value if step is None else step))
            m.rowpatch[code] = value
        whole = None
        if "details" in fields:
            od, nd = old.details, new.details
            if list(od) != list(nd):
                whole = m.details = scrub.mapping(nd, extra)
                m.dpatch = {}
            else:
                for key, value in nd.items():
                    if od[key] == value:
                        continue
                    enc = scrub.mapping({key: value}, extra)
                    for k, v in enc.items():
                        step = delta(m.dpatch[k], v) if k in m.dpatch else None
                        (absolute if step is None else steps).extend(
                            (k, v if step is None else step)
                        )
                        m.dpatch[k] = v
        if not (absolute or steps or whole is not None):
            return None
        change: list[Any] = [m.ord, absolute, steps]
        if whole is not None:
            change.append(whole)
        return change

    def _sampled(self, sampled: Sequence[str], status: ProviderStatus | None) -> list[Any]:
        now = {m.ord for sid in sampled if (m := self.sessions.get(sid)) is not None}
        plus, minus = sorted(now - self.sampled), sorted(self.sampled - now)
        self.sampled = now
        self.sampled_at = status.last_success if status is not None else self.sampled_at
        return [self.sampled_at, plus, minus]

    def _poll_outcome(self, t: float, status: ProviderStatus | None, polled: bool) -> bool:
        """Note a poll (a success, or one more failure) for the replay's steps."""
        if status is None:
            return False
        before = self.status.consecutive_failures if self.status is not None else 0
        failed = status.consecutive_failures > before
        if polled or failed:
            health = ProviderHealth.FAILING if failed else status.health
            self.polls.append((t, self.pid, _HEALTH_CODES[health]))
        return failed

    def _status(self, status: ProviderStatus) -> bool:
        """Take a new status; True when it differs from the last one written."""
        if status is self.status or status == self.status:
            self.status = status
            return False
        self.status = status
        self.status_json = status_json(status, self._scrub)
        return True

    def _event(self, t: float, event: StoreEvent) -> list[Any]:
        scrub = self._scrub
        sid = event.key.id if event.key is not None else None
        name, detail = scrub.text(event.name), scrub.text(event.detail)
        self.events.append((t, event.time, event.kind.value, self.name, sid, name, detail))
        return [event.time, event.kind.value, sid, name, detail]


_HEALTH_CODES: Final = {
    ProviderHealth.PENDING: 0,
    ProviderHealth.OK: 1,
    ProviderHealth.PARTIAL: 2,
    ProviderHealth.FAILING: 3,
}
