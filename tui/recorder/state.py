"""The reader's side of the format: one provider's state rebuilt from a keyframe and the frames
after it (see `tui.recorder.frames` for what they hold).

Sessions are kept as rows and details text until someone asks for a `Session`: a seek that
replays minutes of frames touches a few thousand rows, and builds each session at most once.
`apply` says what a frame changed, in the terms `SessionStore.mirror` takes.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from tui.models import Session, SessionKey
from tui.recorder.codec import (
    OLDER_ROWS,
    Damaged,
    event_kind,
    full_row,
    plain,
    session_of,
    status_of,
)
from tui.recorder.frames import PAGE_BITS
from tui.store_types import ProviderStatus, Sample, StoreEvent

INGEST: Final = 10  # row positions of the rates and counts (`codec.ROW_FIELDS`)
OUTGOING: Final = 11
VIEWERS: Final = 15
_MASK = (1 << PAGE_BITS) - 1


class DetailTexts:
    """A page's details, compressed until one is first read (then one JSON text per entry).
    Apart from the page: the sessions a page keeps built reach their details through this,
    not through the page, so a page dropped from the cache is freed at once (a cycle through
    it would wait for a full garbage collection: seconds with the event loop held)."""

    __slots__ = ("_blob", "_lines")

    def __init__(self, blob: bytes) -> None:
        self._blob: bytes | None = blob
        self._lines: list[bytes] = []

    def line(self, index: int) -> bytes:
        if self._blob is not None:
            try:
                self._lines = zlib.decompress(self._blob).split(b"\n")
            except zlib.error:
                raise Damaged("unreadable details") from None
            self._blob = None
        if index >= len(self._lines):
            raise Damaged("details missing")
        return self._lines[index]


class Page:
    """A page as read: its `[id, row]` entries decoded, its details kept compressed until a
    session's details are first read (`texts`)."""

    __slots__ = ("built", "rows", "texts")

    def __init__(self, rows: list[Any], details: bytes) -> None:
        self.rows = rows
        self.texts = DetailTexts(details)
        # Sessions built from an entry as written (no change since): the next seek that
        # meets the entry unchanged reuses the object, and the store sees it is the same.
        self.built: dict[int, Session] = {}


PageSource = Callable[[int], Page]


class Details(Mapping[str, Any]):
    """A session's details as recorded, decoded on first use.

    Tables, counts and snapshots never read details; only the detail pane does, for one
    session. Two of these over the same recorded text compare equal without decoding.
    """

    __slots__ = ("_decoded", "_dover", "_dpatch", "_index", "_texts")

    def __init__(
        self,
        texts: DetailTexts,
        index: int,
        dover: dict[str, Any] | None,
        dpatch: dict[str, Any],
    ) -> None:
        self._texts, self._index, self._dover, self._dpatch = texts, index, dover, dpatch
        self._decoded: dict[str, Any] | None = None

    def _value(self) -> dict[str, Any]:
        if self._decoded is None:
            if self._dover is not None:
                source: Any = self._dover
            else:
                try:
                    source = json.loads(self._texts.line(self._index))
                except ValueError:
                    raise Damaged("unreadable details") from None
            if not isinstance(source, dict):
                raise Damaged("bad details")
            out = plain(source)
            for key, value in self._dpatch.items():
                out[key] = plain(value)
            self._decoded = out
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self._value()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._value())

    def __len__(self) -> int:
        return len(self._value())

    def __eq__(self, other: object) -> bool:
        if (
            isinstance(other, Details)
            and self._texts is other._texts
            and self._index == other._index
            and self._dover == other._dover
            and self._dpatch == other._dpatch
        ):
            return True
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # a mapping, like dict

    def __repr__(self) -> str:
        return f"Details({self._value()!r})"


class _Entry:
    """One session: its current row, and its details as base text plus what changed."""

    __slots__ = ("dover", "dpatch", "index", "page", "pristine", "row", "session", "sid")

    def __init__(self, sid: str, row: list[Any], page: Page, index: int) -> None:
        self.sid = sid
        self.row = row
        self.page, self.index = page, index
        self.pristine = True  # still exactly its page entry
        self.dover: dict[str, Any] | None = None
        self.dpatch: dict[str, Any] = {}
        self.session: Session | None = None

    def details(self) -> Details:
        return Details(self.page.texts, self.index, self.dover, dict(self.dpatch))


@dataclass(slots=True)
class Applied:
    """What one frame did, for `SessionStore.mirror`: `reset` means `put` is the whole state."""

    t: float = 0.0
    status: ProviderStatus | None = None
    put: list[Session] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)
    missing: list[str] | None = None  # the whole missing set, when it changed
    sampled: list[str] | None = None  # a poll's sampled sessions
    events: list[StoreEvent] = field(default_factory=list)
    reset: bool = False


class ProviderState:
    """One provider as a recording says it stood after the last frame applied."""

    def __init__(self, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        self.status = ProviderStatus(name)
        self.entries: dict[int, _Entry] = {}
        self.ords: dict[str, int] = {}
        self.missing: set[int] = set()
        self.sampled: set[int] = set()
        self.sampled_at: float | None = None
        self.t = float("-inf")
        self.pos: tuple[int, int] = (0, 0)  # (chunk seq, frame index) of the next frame
        # One session's history wanted (`Recording.histories(only=...)`): the others' changes
        # are not applied, so only that session's row reads true (never build sessions then).
        self.focus: str | None = None

    # -- reading --------------------------------------------------------------------------

    def session(self, ord_: int) -> Session:
        entry = self.entries[ord_]
        if entry.session is None:
            built = entry.page.built.get(entry.index) if entry.pristine else None
            if built is None:
                built = session_of(self.name, entry.sid, entry.row, entry.details())
                if entry.pristine:
                    entry.page.built[entry.index] = built
            entry.session = built
        return entry.session

    def sessions(self) -> list[Session]:
        return [self.session(o) for o in self.entries]

    def get(self, sid: str) -> Session | None:
        ord_ = self.ords.get(sid)
        return None if ord_ is None else self.session(ord_)

    def missing_ids(self) -> list[str]:
        return [self.entries[o].sid for o in self.missing if o in self.entries]

    def samples(self) -> Iterable[tuple[str, Sample]]:
        """The samples the last poll took (`sampled_at`, each sampled session's rates)."""
        t = self.sampled_at
        if t is None:
            return
        for o in self.sampled:
            entry = self.entries.get(o)
            if entry is not None:
                yield entry.sid, _sample(t, entry.row)

    def sample_of(self, sid: str) -> Sample | None:
        """`sid`'s sample of the last poll, if the poll sampled it."""
        ord_ = self.ords.get(sid)
        t = self.sampled_at
        if ord_ is None or t is None or ord_ not in self.sampled:
            return None
        return _sample(t, self.entries[ord_].row)

    # -- applying -------------------------------------------------------------------------

    def apply(self, frame: Any, pages: PageSource, *, build: bool = True) -> Applied:
        """Apply one frame; `build=False` skips making `Session`s (history scans)."""
        try:
            return self._apply(frame, pages, build)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, Damaged):
                raise
            raise Damaged(f"bad frame ({type(exc).__name__}: {exc})") from None

    def _apply(self, frame: dict[str, Any], pages: PageSource, build: bool) -> Applied:
        t = frame["t"]
        if not isinstance(t, int | float):
            raise Damaged("bad frame time")
        self.t = float(t)
        out = Applied(self.t)
        if "s" in frame:
            out.status = self.status = status_of(self.name, frame["s"])
        if "K" in frame:
            self._keyframe(frame, pages)
            out.reset = True
            out.missing = self.missing_ids()
            out.sampled = None
            if build:
                out.put = self.sessions()
            return out
        touched: list[int] = []
        for ord_, base in frame.get("a", ()):
            self._enter(ord_, base, pages)
            touched.append(ord_)
        for change in frame.get("c", ()):
            self._change(change)
            touched.append(change[0])
        if frame.get("x"):
            for ord_ in frame["x"]:
                self.missing.symmetric_difference_update((ord_,))
            out.missing = self.missing_ids()
        for item in frame.get("e", ()):
            when, kind, sid, name, detail = item
            key = None if sid is None else SessionKey(self.name, str(sid))
            out.events.append(
                StoreEvent(float(when), event_kind(kind), self.name, key, str(name), str(detail))
            )
        for ord_ in frame.get("r", ()):
            entry = self.entries.pop(ord_, None)
            if entry is not None:
                self.ords.pop(entry.sid, None)
                out.drop.append(entry.sid)
            self.missing.discard(ord_)
            self.sampled.discard(ord_)
        if "p" in frame:
            when, plus, minus = frame["p"]
            self.sampled.difference_update(minus)
            self.sampled.update(plus)
            self.sampled_at = None if when is None else float(when)
            out.sampled = [self.entries[o].sid for o in self.sampled if o in self.entries]
        if build:
            out.put = [self.session(o) for o in touched if o in self.entries]
        return out

    def _keyframe(self, frame: dict[str, Any], pages: PageSource) -> None:
        self.entries.clear()
        self.ords.clear()
        for ord_, base, rowpatch, dpatch, whole in frame["K"]:
            entry = self._enter(ord_, base, pages)
            if rowpatch or dpatch or whole is not None:
                entry.pristine = False
                _pairs(entry, rowpatch, absolute=True)
                _pairs(entry, dpatch, absolute=True)
                entry.dover = whole
        self.missing = set(frame["m"])
        self.sampled = set(frame["p"])
        self.sampled_at = frame["pt"]

    def _enter(self, ord_: int, base: int, pages: PageSource) -> _Entry:
        page, index = pages(base >> PAGE_BITS), base & _MASK
        sid, row = page.rows[index]
        if not isinstance(sid, str) or not isinstance(row, list):
            raise Damaged("bad page entry")
        if len(row) in OLDER_ROWS:  # a recording made before: viewers or schedule unknown
            row = full_row(row)
        entry = self.entries[ord_] = _Entry(sid, list(row), page, index)
        self.ords[sid] = ord_
        return entry

    def _change(self, change: list[Any]) -> None:
        entry = self.entries[change[0]]
        if self.focus is not None and entry.sid != self.focus:
            return
        entry.session, entry.pristine = None, False
        if len(change) > 3:
            entry.dover, entry.dpatch = change[3], {}
        _pairs(entry, change[1], absolute=True)
        _pairs(entry, change[2], absolute=False)


def _pairs(entry: _Entry, flat: list[Any], *, absolute: bool) -> None:
    row, dpatch = entry.row, entry.dpatch
    for i in range(0, len(flat), 2):
        key, value = flat[i], flat[i + 1]
        if type(key) is int:
            row[key] = value if absolute else row[key] + value
        elif type(key) is str:
            dpatch[key] = value if absolute else dpatch[key] + value
        else:
            raise Damaged("bad field code")


def _sample(t: float, row: list[Any]) -> Sample:
    """What a poll at `t` sampled of a session's row (the sparklines' one point)."""
    return Sample(t, _rate(row[INGEST]), _rate(row[OUTGOING]), _rate(row[VIEWERS]))


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
