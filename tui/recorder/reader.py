"""Recording: a recording opened for reading, while another process may still be writing it.

It answers the headless questions (`state_at`, `events`, incidents, polls) and gives the
follower and the replayer their raw material. Every method blocks on the file: from the
console, call them in a thread (`asyncio.to_thread`). Anything unreadable in the file raises
`RecordingError` with one line.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tui.models import SessionKey
from tui.recorder.codec import Damaged, event_kind
from tui.recorder.db import RecordingError, explain, open_reader
from tui.recorder.state import INGEST, OUTGOING, Applied, Page, ProviderState, _rate
from tui.store_types import EventKind, Sample, StoreEvent

INCIDENTS: Final = frozenset({EventKind.PROVIDER_FAILED, EventKind.UNHEALTHY, EventKind.ENDED})
_PAGE_CACHE = 128
_CHUNK_CACHE = 48  # a keyframe interval of chunks: stepping back re-reads none


@dataclass(frozen=True, slots=True)
class Run:
    """One writer's stretch of the recording: when it started and its providers, in order."""

    id: int
    started: float
    providers: tuple[tuple[str, str], ...]  # (name, kind)


class Interrupted(Exception):
    """A long read was told to stop (`histories(stop=...)`)."""


@dataclass(frozen=True, slots=True)
class Incident:
    """A moment worth jumping to: a provider failing, a session unhealthy or ending."""

    at: float  # the recording's time of the frame that carried it (seek here)
    event: StoreEvent


class State:
    """Every provider of a run as it stood at `t` (after applying frames up to `t`)."""

    def __init__(self, run: Run, t: float) -> None:
        self.run, self.t = run, t
        self.providers: dict[str, ProviderState] = {
            name: ProviderState(name, kind) for name, kind in run.providers
        }


class Recording:
    """A recording file, open read-only; see the module doc. Close it (or use `with`)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn = open_reader(self.path)
        self._pids: dict[str, int] = {}
        self._pages: OrderedDict[int, Page] = OrderedDict()
        self._chunks: OrderedDict[int, list[Any]] = OrderedDict()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise explain(self.path, exc) from None

    # -- the timeline -----------------------------------------------------------------------

    def bounds(self) -> tuple[float, float] | None:
        """The first and last recorded moments, or None when nothing is recorded yet."""
        first, last = self._query("SELECT min(t0), max(t1) FROM chunks")[0]
        return None if first is None else (float(first), float(last))

    def run_at(self, t: float) -> Run | None:
        rows = self._query(
            "SELECT id, started, providers FROM runs WHERE started <= ? "
            "ORDER BY started DESC, id DESC LIMIT 1",
            (t,),
        )
        if not rows:
            rows = self._query("SELECT id, started, providers FROM runs ORDER BY id LIMIT 1")
            if not rows or t < rows[0][1]:
                return None
        run_id, started, names = rows[0]
        kinds = dict(self._query("SELECT name, kind FROM providers"))
        for name, pid in self._query("SELECT name, id FROM providers"):
            self._pids[name] = pid
        try:
            order = [str(n) for n in json.loads(names)]
        except (ValueError, TypeError):
            raise RecordingError(self.path, "damaged: unreadable run") from None
        return Run(run_id, float(started), tuple((n, str(kinds.get(n, "unknown"))) for n in order))

    def polls(self, since: float, until: float) -> list[tuple[float, str, int]]:
        """(t, provider, health code) of every poll in [since, until]: the replay's steps."""
        names = {pid: name for name, pid in self._query("SELECT name, id FROM providers")}
        rows = self._query(
            "SELECT t, provider, ok FROM polls WHERE t >= ? AND t <= ? ORDER BY t", (since, until)
        )
        return [(float(t), names.get(pid, "?"), int(ok)) for t, pid, ok in rows]

    def next_poll(self, t: float, *, forward: bool) -> float | None:
        if forward:
            (found,) = self._query("SELECT min(t) FROM polls WHERE t > ?", (t,))[0]
        else:
            (found,) = self._query("SELECT max(t) FROM polls WHERE t < ?", (t,))[0]
        return None if found is None else float(found)

    # -- events -----------------------------------------------------------------------------

    def events(
        self, since: float | None = None, until: float | None = None, *, last: int | None = None
    ) -> list[StoreEvent]:
        """Events recorded in [since, until], oldest first (only the `last` n if given)."""
        lo = float("-inf") if since is None else since
        hi = float("inf") if until is None else until
        sql = "SELECT t, kind, provider, sid, name, detail FROM events WHERE at >= ? AND at <= ?"
        if last is not None:
            rows = self._query(sql + " ORDER BY id DESC LIMIT ?", (lo, hi, last))[::-1]
        else:
            rows = self._query(sql + " ORDER BY id", (lo, hi))
        return [self._event(row) for row in rows]

    def _event(self, row: Sequence[Any]) -> StoreEvent:
        t, kind, provider, sid, name, detail = row
        try:
            key = None if sid is None else SessionKey(str(provider), str(sid))
            return StoreEvent(
                float(t), event_kind(kind), str(provider), key, str(name), str(detail)
            )
        except (Damaged, TypeError, ValueError):
            raise RecordingError(self.path, "damaged: unreadable event") from None

    def incident(self, t: float, *, forward: bool) -> Incident | None:
        """The first incident after `t` (or the last before it)."""
        kinds = sorted(k.value for k in INCIDENTS)
        marks = ",".join("?" * len(kinds))
        op, order = (">", "ASC") if forward else ("<", "DESC")
        rows = self._query(
            f"SELECT at, t, kind, provider, sid, name, detail FROM events "
            f"WHERE at {op} ? AND kind IN ({marks}) ORDER BY at {order}, id {order} LIMIT 1",
            (t, *kinds),
        )
        return Incident(float(rows[0][0]), self._event(rows[0][1:])) if rows else None

    # -- state ------------------------------------------------------------------------------

    def state_at(self, t: float, *, build: bool = True) -> State | None:
        """Every provider as it stood at `t`; None before the recording starts."""
        run = self.run_at(t)
        if run is None:
            return None
        state = State(run, t)
        for provider in state.providers.values():
            if self._seat(provider, run, t, strict=False):
                for _ in self.advance(provider, run, t, build=False, keyframes=True):
                    pass
        return state

    def _seat(self, provider: ProviderState, run: Run, t: float, *, strict: bool) -> bool:
        """Put `provider` on its latest keyframe at (or, `strict`, before) `t`, else on the
        run's first; False when the run has none for it."""
        pid = self._pids.get(provider.name)
        if pid is None:
            return False
        op = "<" if strict else "<="
        (seq,) = self._query(
            f"SELECT max(seq) FROM chunks WHERE provider = ? AND run = ? AND key = 1 AND t0 {op} ?",
            (pid, run.id, t),
        )[0]
        if seq is None:
            (seq,) = self._query(
                "SELECT min(seq) FROM chunks WHERE provider = ? AND run = ? AND key = 1",
                (pid, run.id),
            )[0]
        if seq is None:
            return False
        provider.pos = (int(seq), 0)
        return True

    def advance(
        self,
        provider: ProviderState,
        run: Run,
        until: float,
        *,
        build: bool = True,
        keyframes: bool = False,
    ) -> Iterator[Applied]:
        """Apply the provider's frames after its position, up to time `until`, yielding what
        each did. Keyframes are skipped (they repeat the state) unless they reset it, or
        `keyframes` (the first one, from `state_at`)."""
        pid = self._pids.get(provider.name)
        if pid is None:
            return
        seq, index = provider.pos
        rows = self._query(
            "SELECT seq FROM chunks WHERE provider = ? AND run = ? AND seq >= ? AND t0 <= ? "
            "ORDER BY seq",
            (pid, run.id, seq, until),
        )
        for (chunk_seq,) in rows:
            frames = self._chunk(chunk_seq)
            start = index if chunk_seq == seq else 0
            for i in range(start, len(frames)):
                frame = frames[i]
                if not isinstance(frame, dict) or not isinstance(frame.get("t"), int | float):
                    raise RecordingError(self.path, "damaged: unreadable frame")
                if frame["t"] > until:
                    provider.pos = (chunk_seq, i)
                    return
                provider.pos = (chunk_seq, i + 1)
                if "K" in frame and not (keyframes or "z" in frame):
                    provider.t = float(frame["t"])
                    continue
                keyframes = False
                try:
                    yield provider.apply(frame, self._page, build=build)
                except Damaged as exc:
                    raise RecordingError(self.path, f"damaged: {exc}") from None

    def _chunk(self, seq: int) -> list[Any]:
        found = self._chunks.get(seq)
        if found is not None:
            self._chunks.move_to_end(seq)
            return found
        rows = self._query("SELECT body FROM chunks WHERE seq = ?", (seq,))
        if not rows:
            raise RecordingError(self.path, "changed under the reader (data was trimmed)")
        frames = self._decode(rows[0][0], "chunk")
        self._chunks[seq] = frames
        if len(self._chunks) > _CHUNK_CACHE:
            self._chunks.popitem(last=False)
        return frames

    def _page(self, page: int) -> Page:
        found = self._pages.get(page)
        if found is not None:
            self._pages.move_to_end(page)
            return found
        rows = self._query("SELECT body, details FROM pages WHERE id = ?", (page,))
        if not rows or not isinstance(rows[0][1], bytes):
            raise RecordingError(self.path, f"damaged: page {page} is missing")
        entries = self._pages[page] = Page(self._decode(rows[0][0], "page"), rows[0][1])
        if len(self._pages) > _PAGE_CACHE:
            self._pages.popitem(last=False)
        return entries

    def _decode(self, body: Any, what: str) -> list[Any]:
        try:
            value = json.loads(zlib.decompress(body))
        except (zlib.error, ValueError, TypeError, RecursionError):
            raise RecordingError(self.path, f"damaged: unreadable {what}") from None
        if not isinstance(value, list):
            raise RecordingError(self.path, f"damaged: unreadable {what}")
        return value

    # -- sparkline history --------------------------------------------------------------------

    def histories(
        self,
        t: float,
        *,
        size: int = 120,
        only: SessionKey | None = None,
        stop: threading.Event | None = None,
    ) -> dict[SessionKey, list[Sample]]:
        """The samples each session's sparkline held at `t` (the last `size` polls' worth),
        rebuilt from the polls' sampled sets and the rates then; `only` one session's. Once
        `stop` is set, `Interrupted` (a replay's move wants the file)."""
        run = self.run_at(t)
        if run is None:
            return {}
        out: dict[SessionKey, list[Sample]] = {}
        for name, _ in run.providers:
            if only is not None and only.provider != name:
                continue
            pid = self._pids.get(name)
            rows = self._query(
                "SELECT t FROM polls WHERE provider = ? AND t <= ? AND t >= ? "
                "ORDER BY t DESC LIMIT 1 OFFSET ?",
                (pid, t, run.started, size - 1),
            )
            start = float(rows[0][0]) if rows else run.started
            provider = ProviderState(name, "")
            if not self._seat(provider, run, start, strict=True):
                continue
            if only is not None:
                provider.focus = only.id  # the others' changes are skipped: 3x faster
            rings: dict[str, deque[Sample]] = {}
            for applied in self.advance(provider, run, t, build=False, keyframes=True):
                if stop is not None and stop.is_set():
                    raise Interrupted
                if applied.sampled is None or applied.t < start:
                    continue
                if only is not None:
                    sample = provider.sample_of(only.id)
                    if sample is not None:
                        rings.setdefault(only.id, deque(maxlen=size)).append(sample)
                    continue
                for sid, sample in provider.samples():
                    rings.setdefault(sid, deque(maxlen=size)).append(sample)
            for sid, ring in rings.items():
                if sid in provider.ords:
                    out[SessionKey(name, sid)] = list(ring)
        return out


def rates(row: list[Any]) -> tuple[float | None, float | None]:
    return _rate(row[INGEST]), _rate(row[OUTGOING])
