"""The recorder's writer thread: store diffs in, one transaction a second out.

`Committer.loop` takes what the recorder's subscriber queued, turns it into frames
(`tui.recorder.frames`), and commits every `flush_every` seconds (or on `sync()`): pages of new
sessions, chunks of frames, polls, events. It writes a provider's keyframe every
`keyframe_every` recorded seconds (or `keyframe_bytes` of frames), runs retention and the cap
now and then (`tui.recorder.retention`), and keeps the WAL within its share of the cap. Any
failure stops recording through `Recorder.stop`, with a one-line reason.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from tui.recorder import retention
from tui.recorder.db import RecordingError, explain
from tui.recorder.frames import PAGE_BITS, Ids, Pages, Track, dump_list, dumps

if TYPE_CHECKING:
    from tui.recorder.codec import Scrubber

ZLEVEL: Final = 6
MAX_BATCH: Final = 20_000  # items taken from the queue before a commit is considered
STOP: Final = object()  # put on the queue by `Recorder.close`

log = logging.getLogger("livetop.recorder")

_Item = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """How long a recording keeps data, how big it may grow, how often it commits."""

    retention: float = 48 * 3600.0  # seconds of recorded time kept
    cap: int = 1 << 30  # bytes on disk at most, WAL included
    flush_every: float = 1.0  # real seconds between commits
    keyframe_every: float = 60.0  # recorded seconds between a provider's keyframes at most
    keyframe_bytes: int = 2 << 20  # ... or this much frame JSON: what a seek replays at most
    housekeep_every: float = 60.0  # real seconds between retention and cap checks


class Owner(Protocol):
    """What the committer needs of its `Recorder` (which starts it, in its own thread)."""

    path: Path
    kinds: dict[str, str]
    scrub: Scrubber
    limits: Limits
    queue: queue.Queue[object]

    @property
    def recording(self) -> bool: ...

    def committed(self, size: int) -> None: ...

    def stop(self, error: RecordingError, *, opening: bool = False) -> None: ...


class Committer:
    """The writer thread's half of a `Recorder`: frames per provider, commits, keyframes,
    retention and the cap. Everything here runs in that thread."""

    def __init__(self, recorder: Owner, conn: sqlite3.Connection) -> None:
        self.r, self.conn = recorder, conn
        # The cap covers the WAL too: it gets a slice, the main file the rest.
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        wal = min(8 << 20, recorder.limits.cap // 8)
        self.main_cap = recorder.limits.cap - wal
        conn.execute(f"PRAGMA journal_size_limit={wal}")
        conn.execute(f"PRAGMA wal_autocheckpoint={max(16, wal // page_size // 2)}")
        conn.execute(f"PRAGMA max_page_count={max(16, self.main_cap // page_size)}")
        self.wal_cap = wal
        pages = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM pages").fetchone()[0]
        self.ids, self.pages = Ids(), Pages(pages)
        self.tracks: dict[str, Track] = {}
        self.events: list[tuple[Any, ...]] = []  # every provider's, in the order published
        self.key_due: dict[str, tuple[float, int]] = {}  # provider: (keyframe time, bytes since)
        self.run = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM runs").fetchone()[0]
        self.run_row: tuple[Any, ...] | None = None
        self.begun = float("inf")  # the run's first moment: when the store was captured

    def loop(self) -> None:
        """Until `close()`: take items, commit every `flush_every`, housekeep now and then.
        Returns when asked to stop, or when recording stopped (the status says why)."""
        r = self.r
        next_flush = time.monotonic() + r.limits.flush_every
        next_housekeeping = time.monotonic() + min(5.0, r.limits.housekeep_every)
        while True:
            try:
                item: Any = r.queue.get(timeout=max(0.0, next_flush - time.monotonic()))
            except queue.Empty:
                item = None
            stop, syncs, taken = False, [], 0
            while item is not None and taken < MAX_BATCH:
                taken += 1
                if item is STOP:
                    stop = True
                    break
                if item[0] == "sync":
                    syncs.append(item)
                else:
                    self.handle(item)
                try:
                    item = r.queue.get_nowait()
                except queue.Empty:
                    item = None
            now = time.monotonic()
            ok = True
            if stop or syncs or now >= next_flush:
                next_flush = now + r.limits.flush_every
                ok = self.flush(final=stop)
            if ok and (now >= next_housekeeping or any(s[2] for s in syncs)):
                next_housekeeping = now + r.limits.housekeep_every
                ok = self.housekeep()
            for sync in syncs:
                sync[1].set()
            if stop or not ok:
                return

    def handle(self, item: _Item) -> None:
        kind, name = item[0], item[1]
        track = self.tracks.get(name) or self._track(name)
        if kind == "reset":
            _, _, t, status, sessions, missing = item
            frame = track.reset(t, status, sessions, missing)
            self.begun = min(self.begun, frame["t"])
            frame["z"] = 1  # a reset: readers replace this provider's state
            track.frames.append(frame)
            self.key_due[name] = (frame["t"], 0)
        elif kind == "schedule":
            track.schedule(item[2], item[3])
        else:
            track.diff(*item[2:])

    def _track(self, name: str) -> Track:
        kind = self.r.kinds.get(name, "unknown")
        self.conn.execute(
            "INSERT INTO providers (name, kind) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind",
            (name, kind),
        )
        pid = self.conn.execute("SELECT id FROM providers WHERE name = ?", (name,)).fetchone()[0]
        track = self.tracks[name] = Track(
            name, pid, self.ids, self.pages, self.r.scrub, self.events
        )
        return track

    # -- committing ---------------------------------------------------------------------------

    def flush(self, *, final: bool = False) -> bool:
        """Write everything pending in one transaction; False once recording has stopped."""
        if not self.r.recording:
            return False
        rows = self._rows(final)
        for attempt in (1, 2):
            try:
                self._commit(rows)
                break
            except (sqlite3.Error, OSError) as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                full = "full" in str(exc).lower()
                if full and attempt == 1 and self._make_room():
                    continue
                self.r.stop(self._why(exc, full, rows))
                return False
        self.pages.fresh.clear()
        self._trim_wal()
        size = self._size()
        self.r.committed(size)
        return True

    def _why(
        self, exc: BaseException, full: bool, rows: dict[str, list[tuple[Any, ...]]]
    ) -> RecordingError:
        """ "Full" is the cap when what failed to go in would not fit under it, else the disk."""
        if not full:
            return explain(self.r.path, exc)
        new = sum(
            len(x) for table in rows.values() for row in table for x in row if isinstance(x, bytes)
        )
        try:
            used = retention.size(self.conn)
        except sqlite3.Error:
            used = 0
        if used + new < self.main_cap * retention.CAP_HIGH:
            return RecordingError(self.r.path, "disk full")
        mib = self.r.limits.cap / 2**20
        return RecordingError(
            self.r.path, f"what is new does not fit in its size cap ({mib:g} MiB) even alone"
        )

    def _rows(self, final: bool) -> dict[str, list[tuple[Any, ...]]]:
        run = []
        if self.tracks and (self.run_row is None or self.run_row[2] != list(self.tracks)):
            from tui import __version__  # a provider first seen now joins the run's list

            self.run_row = (self.run, self.begun, list(self.tracks), __version__)
            run = [(self.run, self.begun, json.dumps(list(self.tracks)), __version__)]
        chunks: list[tuple[Any, ...]] = []
        polls: list[tuple[Any, ...]] = []
        for name, track in self.tracks.items():
            frames = track.take()
            key_t, since = self.key_due.get(name, (float("-inf"), 0))
            due = (
                frames
                and not final
                and (
                    track.t - key_t >= self.r.limits.keyframe_every
                    or since >= self.r.limits.keyframe_bytes
                )
            )
            if due:
                frames.append(track.keyframe())
            for group in _split(frames):
                body = dump_list(group)
                if "K" in group[0]:
                    refs = self._refs(track)
                    self.key_due[name] = (group[0]["t"], 0)
                else:
                    refs = None
                    key_t, since = self.key_due.get(name, (float("-inf"), 0))
                    self.key_due[name] = (key_t, since + len(body))
                chunks.append(
                    (
                        track.pid,
                        self.run,
                        group[0]["t"],
                        group[-1]["t"],
                        int(refs is not None),
                        refs,
                        zlib.compress(body.encode(), ZLEVEL),
                    )
                )
            polls.extend(track.polls)
            track.polls = []
        events, self.events[:] = list(self.events), []
        pages = [
            (
                page.id,
                page.pid,
                page.t,
                zlib.compress(("[" + ",".join(page.rows) + "]").encode(), ZLEVEL),
                zlib.compress("\n".join(page.details).encode(), ZLEVEL),
            )
            for page in self.pages.fresh
        ]
        return {"runs": run, "pages": pages, "chunks": chunks, "polls": polls, "events": events}

    def _refs(self, track: Track) -> str:
        pages = sorted({m.base >> PAGE_BITS for m in track.sessions.values()})
        return dumps({"pages": pages, "page_hw": self.pages.next})

    def _commit(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)", rows["runs"])
        conn.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?)", rows["pages"])
        conn.executemany(
            "INSERT INTO chunks (provider, run, t0, t1, key, refs, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows["chunks"],
        )
        conn.executemany("INSERT INTO polls VALUES (?, ?, ?)", rows["polls"])
        conn.executemany(
            "INSERT INTO events (at, t, kind, provider, sid, name, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows["events"],
        )
        conn.execute("COMMIT")

    def _trim_wal(self) -> None:
        """Keep the WAL within its slice of the cap: a checkpoint moves its pages into the
        main file and empties it (a reader in the middle of a query can delay that)."""
        wal = Path(f"{self.r.path}-wal")
        try:
            if wal.stat().st_size > self.wal_cap:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except (OSError, sqlite3.Error) as exc:
            log.debug("recorder: checkpoint: %s", exc)

    def _size(self) -> int:
        try:
            return self.r.path.stat().st_size
        except OSError:
            return 0

    # -- retention and the cap ---------------------------------------------------------------

    def latest(self) -> float:
        return max((t.t for t in self.tracks.values()), default=time.time())

    def housekeep(self) -> bool:
        try:
            retention.expire(self.conn, self.latest() - self.r.limits.retention)
            retention.hold_cap(self.conn, self.main_cap)
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.r.stop(explain(self.r.path, exc))
            return False
        return True

    def _make_room(self) -> bool:
        """The file reached the cap: drop the oldest data; True when some was dropped."""
        try:
            return retention.hold_cap(self.conn, self.main_cap, full=True)
        except sqlite3.Error:
            return False

    def close(self) -> None:
        try:
            if self.r.recording:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning("recorder: closing: %s", explain(self.r.path, exc))
        finally:
            self.conn.close()


def _split(frames: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Chunks of frames: a keyframe always starts a chunk of its own kind."""
    groups: list[list[dict[str, Any]]] = []
    for frame in frames:
        if not groups or "K" in frame:
            groups.append([frame])
        else:
            groups[-1].append(frame)
    return groups
