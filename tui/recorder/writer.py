"""Recorder: everything a `SessionStore` sees, written to a recording by a thread of its own.

On the event loop the recorder only subscribes: for each diff it takes references to the
immutable objects the diff names (sessions, status, events) and puts one tuple on a bounded
queue, a few microseconds for an ordinary poll. A writer thread turns them into frames
(`tui.recorder.frames`), and about once a second commits them in one transaction; keyframes,
retention and the disk cap run there too. If the queue ever fills (the disk stalls), that
provider's diffs are dropped and, once there is room, its whole state is captured again.

Nothing stops polling: when the file cannot be opened, or the disk is full, the recorder stops,
says why in `status` (for the console to show) and in the log, and the store goes on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from tui.recorder import retention
from tui.recorder.codec import Scrubber
from tui.recorder.db import RecordingError, WriterLock, explain, open_writer
from tui.recorder.frames import PAGE_BITS, Ids, Pages, Track, dump_list, dumps
from tui.store import SessionStore, StoreDiff

DEFAULT_RETENTION: Final = 48 * 3600.0
DEFAULT_CAP: Final = 1 << 30
FLUSH_EVERY: Final = 1.0  # seconds between commits
KEYFRAME_EVERY: Final = 60.0  # recorded seconds between a provider's keyframes at most
KEYFRAME_BYTES: Final = 2 << 20  # ... or this much delta JSON, so a seek never replays more
HOUSEKEEP_EVERY: Final = 60.0
QUEUE_SIZE: Final = 20_000
ZLEVEL: Final = 6

log = logging.getLogger("livetop.recorder")

State = Literal["recording", "stopped", "off"]


@dataclass(frozen=True, slots=True)
class RecordingStatus:
    """What the console shows about recording: `message` says why it stopped, or is a warning."""

    state: State
    path: Path | None = None
    message: str | None = None
    size: int = 0  # bytes on disk at the last commit

    @property
    def recording(self) -> bool:
        return self.state == "recording"


_STOP = object()
_SCHEDULE = frozenset({"next_poll", "polling_since"})  # a poll starting or being scheduled
_Item = tuple[Any, ...]


class Recorder:
    """Records one store to `path` until `close()`; see the module doc.

    `kinds` names each provider's kind (a replay's snapshot needs it); `secrets` are values
    that must never be written (the configured API keys; stream keys are known per session).
    """

    def __init__(
        self,
        store: SessionStore,
        path: Path,
        *,
        kinds: Mapping[str, str],
        secrets: Iterable[str] = (),
        retention_s: float = DEFAULT_RETENTION,
        cap: int = DEFAULT_CAP,
        flush_every: float = FLUSH_EVERY,
        keyframe_every: float = KEYFRAME_EVERY,
        keyframe_bytes: int = KEYFRAME_BYTES,
        housekeep_every: float = HOUSEKEEP_EVERY,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.path = path
        self._store = store
        self._kinds = dict(kinds)
        self._scrub = Scrubber(secrets)
        self._retention = retention_s
        self._cap = cap
        self._flush_every = flush_every
        self._key_every = keyframe_every
        self._key_bytes = keyframe_bytes
        self._housekeep_every = housekeep_every
        self._queue: queue.Queue[object] = queue.Queue(queue_size)
        self._lost: set[str] = set()  # providers whose diffs were dropped: capture again
        self._known: set[str] = set()  # providers captured whole once (readers start there)
        self._status = RecordingStatus("recording", path)
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Any = None
        self._closed = False

    # -- life cycle (event loop) ------------------------------------------------------------

    @property
    def status(self) -> RecordingStatus:
        return self._status

    def start(self) -> None:
        """Capture the store as it is now, subscribe, and start the writer thread.

        Opening the file happens in the thread; `wait_ready()` tells how it went.
        """
        now = self._store.clock.time()
        for name in self._store.providers:
            self._queue.put(self._capture(name, now))
            self._known.add(name)
        self._unsubscribe = self._store.subscribe(self._on_diff)
        self._thread = threading.Thread(target=self._run, name="livetop-recorder", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 10.0) -> RecordingStatus:
        """Block until the file is open (or failed to open); the status then."""
        self._ready.wait(timeout)
        return self._status

    def sync(self, *, housekeep: bool = False, timeout: float = 10.0) -> RecordingStatus:
        """Block until everything published so far is committed (and, with `housekeep`,
        retention and the cap enforced); the status then. For tests and tools."""
        done = threading.Event()
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(("sync", done, housekeep), timeout=timeout)
            done.wait(timeout)
        return self._status

    def close(self, timeout: float = 10.0) -> None:
        """Stop listening, write what is queued, close the file. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put(_STOP, timeout=timeout)
            self._thread.join(timeout)

    # -- the subscriber (event loop; keep it cheap) -----------------------------------------

    def _capture(self, name: str, t: float) -> _Item:
        store = self._store
        return ("reset", name, t, store.status(name), store.sessions(name), store.missing(name))

    def _on_diff(self, diff: StoreDiff) -> None:
        if self._status.state != "recording":
            return
        store, name = self._store, diff.provider
        t = store.clock.time()
        if name in self._lost or name not in self._known:
            if self._queue.qsize() > self._queue.maxsize // 2:
                return
            self._lost.discard(name)
            self._known.add(name)
            item: _Item = self._capture(name, t)
        elif not (diff.sessions_changed or diff.events) and diff.status_fields <= _SCHEDULE:
            item = ("schedule", name, t, store.status(name))
        else:
            get = store.get
            status = store.status(name) if diff.status_changed or diff.sampled is not None else None
            item = (
                "diff",
                name,
                t,
                status,
                [get(k) for k in diff.added],
                [(k.id, fields, get(k)) for k, fields in diff.changed.items()],
                [k.id for k in diff.removed],
                diff.events,
                None if diff.sampled is None else [k.id for k in diff.sampled],
            )
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            if name not in self._lost:
                log.warning("recorder: falling behind; %s will be captured again", name)
            self._lost.add(name)

    # -- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        lock = WriterLock(self.path)
        conn: sqlite3.Connection | None = None
        try:
            lock.acquire()
            conn = open_writer(self.path)
            writer = _Writer(self, conn)
        except Exception as exc:
            lock.release()
            if conn is not None:
                conn.close()
            self._stop(self._reason(exc), opening=True)
            self._ready.set()
            self._drain()
            return
        self._ready.set()
        try:
            writer.loop()
        except Exception as exc:  # a bug here must stop recording, never the console
            self._stop(self._reason(exc))
        finally:
            writer.close()
            lock.release()
        if not self._status.recording:
            self._drain()

    def _reason(self, exc: Exception) -> RecordingError:
        if isinstance(exc, RecordingError | sqlite3.Error | OSError):
            return explain(self.path, exc)
        log.error("recorder: internal error", exc_info=exc)
        return RecordingError(self.path, f"internal error ({type(exc).__name__}), see the log")

    def _drain(self) -> None:
        """After a failure, take what is queued until `close()` so nobody waits on the queue."""
        while (item := self._queue.get()) is not _STOP:
            if isinstance(item, tuple) and item[0] == "sync":
                item[1].set()

    def _stop(self, error: RecordingError, *, opening: bool = False) -> None:
        what = "not recording" if opening else "recording stopped"
        message = f"{what}: {error}; polling goes on"
        log.warning("%s", message)
        self._status = RecordingStatus("stopped", self.path, message, self._status.size)


class _Writer:
    """The thread's half: frames per provider, commits, keyframes, housekeeping."""

    def __init__(self, recorder: Recorder, conn: sqlite3.Connection) -> None:
        self.r, self.conn = recorder, conn
        # The cap covers the WAL too: it gets a slice, the main file the rest.
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        wal = min(8 << 20, recorder._cap // 8)
        self.main_cap = recorder._cap - wal
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
        next_flush = time.monotonic() + r._flush_every
        next_housekeeping = time.monotonic() + min(5.0, r._housekeep_every)
        while True:
            try:
                item: Any = r._queue.get(timeout=max(0.0, next_flush - time.monotonic()))
            except queue.Empty:
                item = None
            stop, syncs, taken = False, [], 0
            while item is not None and taken < QUEUE_SIZE:
                taken += 1
                if item is _STOP:
                    stop = True
                    break
                if item[0] == "sync":
                    syncs.append(item)
                else:
                    self.handle(item)
                try:
                    item = r._queue.get_nowait()
                except queue.Empty:
                    item = None
            now = time.monotonic()
            ok = True
            if stop or syncs or now >= next_flush:
                next_flush = now + r._flush_every
                ok = self.flush(final=stop)
            if ok and (now >= next_housekeeping or any(s[2] for s in syncs)):
                next_housekeeping = now + r._housekeep_every
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
        kind = self.r._kinds.get(name, "unknown")
        self.conn.execute(
            "INSERT INTO providers (name, kind) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind",
            (name, kind),
        )
        pid = self.conn.execute("SELECT id FROM providers WHERE name = ?", (name,)).fetchone()[0]
        track = self.tracks[name] = Track(
            name, pid, self.ids, self.pages, self.r._scrub, self.events
        )
        return track

    # -- committing ---------------------------------------------------------------------------

    def flush(self, *, final: bool = False) -> bool:
        """Write everything pending in one transaction; False once recording has stopped."""
        if not self.r._status.recording:
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
                self.r._stop(self._why(exc, full, rows))
                return False
        self.pages.fresh.clear()
        self._trim_wal()
        size = self._size()
        self.r._status = RecordingStatus("recording", self.r.path, None, size)
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
        mib = self.r._cap / 2**20
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
                and (track.t - key_t >= self.r._key_every or since >= self.r._key_bytes)
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
            retention.expire(self.conn, self.latest() - self.r._retention)
            retention.hold_cap(self.conn, self.main_cap)
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.r._stop(explain(self.r.path, exc))
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
            if self.r._status.recording:
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
