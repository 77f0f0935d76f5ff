"""Recorder: everything a `SessionStore` sees, written to a recording by a thread of its own.

On the event loop the recorder only subscribes: for each diff it takes references to the
immutable objects the diff names (sessions, status, events) and puts one tuple on a bounded
queue, a few microseconds for an ordinary poll. A writer thread (`tui.recorder.committer`)
turns them into frames and about once a second commits them in one transaction; keyframes,
retention and the disk cap run there too. If the queue ever fills (the disk stalls), that
provider's diffs are dropped and, once there is room, its whole state is captured again.

Nothing stops polling: when the file cannot be opened, or the disk is full, the recorder stops,
says why in `status` (for the console to show) and in the log, and the store goes on.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tui.recorder.codec import Scrubber
from tui.recorder.committer import STOP, Committer, Limits
from tui.recorder.db import RecordingError, WriterLock, explain, open_writer
from tui.recorder.status import RecordingStatus
from tui.store import SessionStore, StoreDiff

if TYPE_CHECKING:
    from tui.config import Settings

__all__ = ["Limits", "Recorder", "RecordingStatus"]

QUEUE_SIZE: Final = 20_000
_SCHEDULE = frozenset({"next_poll", "polling_since"})  # a poll starting or being scheduled

log = logging.getLogger("livetop.recorder")

_Item = tuple[Any, ...]


class Recorder:
    """Records one store to `path` until `close()`; see the module doc.

    `kinds` names each provider's kind (a replay's snapshot needs it); `secrets` are values
    that must never be written (the configured API keys; stream keys are known per session).
    `limits` and `queue_size` are for tests and tools; the defaults are the product's.
    """

    def __init__(
        self,
        store: SessionStore,
        path: Path,
        *,
        kinds: Mapping[str, str],
        secrets: Iterable[str] = (),
        limits: Limits | None = None,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.path = path
        self.kinds = dict(kinds)
        self.scrub = Scrubber(secrets)
        self.limits = limits or Limits()
        self.queue: queue.Queue[object] = queue.Queue(queue_size)
        self.status = RecordingStatus("recording", path)
        self._store = store
        self._lost: set[str] = set()  # providers whose diffs were dropped: capture again
        self._known: set[str] = set()  # providers captured whole once (readers start there)
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False

    # -- life cycle (event loop) ------------------------------------------------------------

    def start(self) -> None:
        """Capture the store as it is now, subscribe, and start the writer thread.

        Opening the file happens in the thread; `wait_ready()` tells how it went.
        """
        now = self._store.clock.time()
        for name in self._store.providers:
            self.queue.put(self._capture(name, now))
            self._known.add(name)
        self._unsubscribe = self._store.subscribe(self._on_diff)
        self._thread = threading.Thread(target=self._run, name="livetop-recorder", daemon=True)
        self._thread.start()

    def reconfigure(self, settings: Settings) -> None:
        """A reloaded config: new providers' kinds, and its keys never written either."""
        self.kinds = {**self.kinds, **{p.name: p.kind.value for p in settings.providers}}
        self.scrub.add(settings.secret_values())

    def wait_ready(self, timeout: float = 10.0) -> RecordingStatus:
        """Block until the file is open (or failed to open); the status then."""
        self._ready.wait(timeout)
        return self.status

    def sync(self, *, housekeep: bool = False, timeout: float = 10.0) -> RecordingStatus:
        """Block until everything published so far is committed (and, with `housekeep`,
        retention and the cap enforced); the status then. For tests and tools."""
        done = threading.Event()
        if self._thread is not None and self._thread.is_alive():
            self.queue.put(("sync", done, housekeep), timeout=timeout)
            done.wait(timeout)
        return self.status

    def close(self, timeout: float = 10.0) -> None:
        """Stop listening, write what is queued, close the file. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self.queue.put(STOP, timeout=timeout)
            self._thread.join(timeout)

    # -- the subscriber (event loop; keep it cheap) -----------------------------------------

    def _capture(self, name: str, t: float) -> _Item:
        store = self._store
        return ("reset", name, t, store.status(name), store.sessions(name), store.missing(name))

    def _on_diff(self, diff: StoreDiff) -> None:
        if self.status.state != "recording":
            return
        store, name = self._store, diff.provider
        t = store.clock.time()
        if name not in store.providers:  # it left the config (a reload): its sessions went
            self._known.discard(name)  # back one day: captured whole again
            item: _Item = ("diff", name, t, None, [], [], [k.id for k in diff.removed], (), None)
        elif name in self._lost or name not in self._known:
            if self.queue.qsize() > self.queue.maxsize // 2:
                return
            self._lost.discard(name)
            self._known.add(name)
            item = self._capture(name, t)
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
            self.queue.put_nowait(item)
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
            committer = Committer(self, conn)
        except Exception as exc:
            lock.release()
            if conn is not None:
                conn.close()
            self.stop(self._reason(exc), opening=True)
            self._ready.set()
            self._drain()
            return
        self._ready.set()
        try:
            committer.loop()
        except Exception as exc:  # a bug here must stop recording, never the console
            self.stop(self._reason(exc))
        finally:
            committer.close()
            lock.release()
        if not self.status.recording:
            self._drain()

    def _reason(self, exc: Exception) -> RecordingError:
        if isinstance(exc, RecordingError | sqlite3.Error | OSError):
            return explain(self.path, exc)
        log.error("recorder: internal error", exc_info=exc)
        return RecordingError(self.path, f"internal error ({type(exc).__name__}), see the log")

    def _drain(self) -> None:
        """After a failure, take what is queued until `close()` so nobody waits on the queue."""
        while (item := self.queue.get()) is not STOP:
            if isinstance(item, tuple) and item[0] == "sync":
                item[1].set()

    # -- told by the committer (writer thread) ------------------------------------------------

    @property
    def recording(self) -> bool:
        return self.status.recording

    def committed(self, size: int) -> None:
        self.status = RecordingStatus("recording", self.path, None, size)

    def stop(self, error: RecordingError, *, opening: bool = False) -> None:
        """Stop recording for `error`: the status says it, and the log, once."""
        what = "not recording" if opening else "recording stopped"
        message = f"{what}: {error}; polling goes on"
        log.warning("%s", message)
        self.status = RecordingStatus("stopped", self.path, message, self.status.size)
