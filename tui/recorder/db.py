"""The recording file: where it lives, its schema, and opening it safely for writing or reading.

A recording is an SQLite database in WAL mode (one writer, any number of readers, readers never
block it), created mode 0600 in a 0700 directory. It is marked as ours by `PRAGMA
application_id` and carries a `schema_version` table; a file that is not ours, or of a format
this livetop cannot read, is refused with one line before anything is written to it, and no
error path ever deletes, truncates or re-creates an existing file.

Tables (`tui/recorder/frames.py` describes the frames): `runs` (one per writer start, with
its providers), `providers` (name and kind), `pages` (full session records, compressed in
batches), `chunks` (each provider's frames, keyframes and deltas, compressed), `polls` (one row
per poll: the replay's steps), `events` (the event log, for queries and incident jumps).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from tui import __version__

APPLICATION_ID: Final = 0x6C74_7263  # "ltrc": a livetop recording
FORMAT: Final = 1  # the schema version this livetop writes (and the newest it reads)
OLDEST_READABLE: Final = 1
DATA_DIR_ENV: Final = "LIVETOP_DATA_DIR"
FILE_NAME: Final = "recording.db"
BUSY_TIMEOUT_MS: Final = 2000

SCHEMA: Final = """
CREATE TABLE schema_version (version INTEGER NOT NULL, livetop TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY, started REAL NOT NULL, providers TEXT NOT NULL,
                   livetop TEXT NOT NULL);
CREATE TABLE providers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL);
CREATE TABLE pages (id INTEGER PRIMARY KEY, provider INTEGER NOT NULL, t REAL NOT NULL,
                    body BLOB NOT NULL, details BLOB NOT NULL);
CREATE TABLE chunks (seq INTEGER PRIMARY KEY, provider INTEGER NOT NULL, run INTEGER NOT NULL,
                     t0 REAL NOT NULL, t1 REAL NOT NULL, key INTEGER NOT NULL, refs TEXT,
                     body BLOB NOT NULL);
CREATE INDEX chunks_by_time ON chunks (provider, t0);
CREATE INDEX chunks_by_key ON chunks (provider, key, t0);
CREATE TABLE polls (t REAL NOT NULL, provider INTEGER NOT NULL, ok INTEGER NOT NULL);
CREATE INDEX polls_by_time ON polls (t);
CREATE TABLE events (id INTEGER PRIMARY KEY, at REAL NOT NULL, t REAL NOT NULL,
                     kind TEXT NOT NULL, provider TEXT NOT NULL, sid TEXT, name TEXT NOT NULL,
                     detail TEXT NOT NULL);
CREATE INDEX events_by_time ON events (at);
"""
TABLES: Final = frozenset(
    {"schema_version", "runs", "providers", "pages", "chunks", "polls", "events"}
)


class RecordingError(Exception):
    """A recording cannot be used; `str()` is one line naming the file and what is wrong."""

    def __init__(self, path: Path | str, reason: str) -> None:
        reason = " ".join(reason.split())  # SQLite's messages can span lines
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$LIVETOP_DATA_DIR/recording.db`, else in `platformdirs.user_data_path("livetop")`."""
    env = os.environ if environ is None else environ
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV]).expanduser() / FILE_NAME
    import platformdirs

    return platformdirs.user_data_path("livetop") / FILE_NAME


def explain(path: Path | str, exc: BaseException) -> RecordingError:
    """The one line an SQLite or OS error means for this recording."""
    if isinstance(exc, RecordingError):
        return exc
    text = str(exc).strip() or type(exc).__name__
    low = text.lower()
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        reason = exc.strerror or text
    elif "not a database" in low:
        reason = "not a livetop recording (not an SQLite database, or its header is damaged)"
    elif "malformed" in low or "corrupt" in low:
        reason = f"damaged ({text}); it is left as it is"
    elif "locked" in low or "busy" in low:
        reason = "locked by another process; try again, or use another file"
    elif "readonly" in low or "read-only" in low:
        reason = "read-only; cannot record to it"
    elif "disk is full" in low or "full" in low:
        reason = "disk full"
    elif "unable to open" in low:
        reason = "cannot open it (missing directory or no permission)"
    elif isinstance(exc, sqlite3.DatabaseError):
        # Anything else SQLite says about the file's content ("string or blob too big" from
        # a scribbled page, "no such table"): the file is damaged.
        reason = f"damaged ({text}); it is left as it is"
    else:
        reason = text
    return RecordingError(path, reason)


# -- opening ----------------------------------------------------------------------------------


def open_writer(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) a recording to append to; `RecordingError` if it cannot be.

    The caller must hold the writer lock (`WriterLock`). A file that exists is checked before
    anything is written to it: an empty file becomes a recording, anything else must be ours.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if not path.is_file():
            raise RecordingError(path, "is not a regular file") from None
        if not os.access(path, os.R_OK | os.W_OK):
            raise RecordingError(path, "read-only; cannot record to it") from None
    else:
        os.close(fd)
    _check_header(path)
    conn = _connect(path, f"file:{_quote(path)}?mode=rw")
    try:
        fresh = _check(path, conn, writing=True)
        if not fresh:
            _check_integrity(path, conn)
        if fresh:
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only possible before any table
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise RecordingError(path, f"cannot switch to WAL mode (still {mode})")
        conn.execute("PRAGMA synchronous=NORMAL")
        if fresh:
            conn.executescript(
                f"BEGIN IMMEDIATE;{SCHEMA}"
                f"PRAGMA application_id={APPLICATION_ID};PRAGMA user_version={FORMAT};COMMIT;"
            )
        conn.execute("BEGIN IMMEDIATE")  # can we write at all? (another program may hold it)
        conn.execute("ROLLBACK")
        last = conn.execute(
            "SELECT version, livetop FROM schema_version ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        if last != (FORMAT, __version__):  # which livetop wrote it, each time that changes
            conn.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)", (FORMAT, __version__, time.time())
            )
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error | OSError):
            raise explain(path, exc) from None
        raise
    return conn


def open_reader(path: Path) -> sqlite3.Connection:
    """Open a recording read-only (another process may be writing it); `RecordingError`."""
    if not path.exists():
        raise RecordingError(path, "no such recording")
    if not path.is_file():
        raise RecordingError(path, "is not a regular file")
    if path.stat().st_size == 0:
        raise RecordingError(path, "empty file: nothing was recorded to it")
    _check_header(path)
    try:
        conn = _connect(path, f"file:{_quote(path)}?mode=ro")
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error:
        # A read-only directory holding a WAL recording without its -shm file: read the main
        # file as is (a finished recording is fully checkpointed into it).
        conn = _connect(path, f"file:{_quote(path)}?mode=ro&immutable=1")
    try:
        _check(path, conn, writing=False)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error | OSError):
            raise explain(path, exc) from None
        raise
    return conn


def _connect(path: Path, uri: str) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(
            uri,
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise explain(path, exc) from None
    return conn


def _quote(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path.resolve()))


def _check(path: Path, conn: sqlite3.Connection, *, writing: bool) -> bool:
    """Refuse a file that is not a readable recording of ours; True when it is empty (new)."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as exc:
        raise explain(path, exc) from None
    if app_id == 0 and not tables:
        if writing:
            return True
        raise RecordingError(path, "empty database: nothing was recorded to it")
    if app_id != APPLICATION_ID:
        raise RecordingError(path, "not a livetop recording (an SQLite database of something else)")
    if version > FORMAT:
        raise RecordingError(
            path,
            f"recorded by a newer livetop (format {version}; this livetop {__version__} reads "
            f"formats {OLDEST_READABLE} to {FORMAT}): upgrade livetop, or record to another file",
        )
    if version < OLDEST_READABLE:
        raise RecordingError(
            path,
            f"recorded by an older livetop (format {version}; this livetop reads formats "
            f"{OLDEST_READABLE} to {FORMAT}); move it aside to start a new recording",
        )
    missing = TABLES - tables
    if missing:
        raise RecordingError(path, f"damaged: tables missing ({', '.join(sorted(missing))})")
    _check_size(path, conn)
    return False


def _check_header(path: Path) -> None:
    """A file cut short: its header says how many pages it has (when that number is valid,
    as it always is for files written by SQLite since 2010); fewer are there. SQLite itself
    would only say "malformed", on whichever read reached a missing page."""
    try:
        with path.open("rb") as f:
            head = f.read(100)
        wal = Path(f"{path}-wal")
        on_disk = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    except OSError as exc:
        raise explain(path, exc) from None
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return  # not SQLite at all (or empty): the checks that follow say so
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    valid = head[24:28] == head[92:96] and pages > 0
    if valid and pages * page > on_disk:
        raise RecordingError(
            path, f"truncated ({on_disk} bytes on disk, {pages * page} expected); left as it is"
        )


def _check_size(path: Path, conn: sqlite3.Connection) -> None:
    """A file shorter than its own page count is truncated: SQLite would only find out later,
    on whichever read reaches the missing pages."""
    try:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.Error as exc:
        raise explain(path, exc) from None
    wal = Path(f"{path}-wal")
    on_disk = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    if pages * size > on_disk:
        raise RecordingError(
            path, f"truncated ({on_disk} bytes on disk, {pages * size} expected); left as it is"
        )
    try:  # the newest rows live in the last pages a truncation would take first
        conn.execute("SELECT max(seq) FROM chunks").fetchone()
        conn.execute("SELECT count(*) FROM runs").fetchone()
    except sqlite3.Error as exc:
        raise explain(path, exc) from None


def _check_integrity(path: Path, conn: sqlite3.Connection) -> None:
    """Before appending to a file, make sure it is sound: writing into a damaged file could
    spread the damage. Reads the whole file once (seconds for a full 1 GiB recording, in the
    recorder's thread)."""
    try:
        found = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    except sqlite3.Error as exc:
        raise explain(path, exc) from None
    if found != "ok":
        raise RecordingError(path, f"damaged ({found}); it is left as it is")


# -- one writer at a time -----------------------------------------------------------------------


class WriterLock:
    """An exclusive lock on `<recording>.lock` held while a process records to the file.

    Two writers would interleave two stores' histories; the second one is refused at once
    with a message naming the first (its pid). The lock dies with its process.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(f"{path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise RecordingError(self.path, f"cannot create the lock: {exc.strerror}") from None
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks here; one writer is on trust
            self._fd = fd
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            target = str(self.path)[: -len(".lock")]
            raise RecordingError(
                target, f"another livetop (pid {holder}) is recording to it"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def writer_alive(path: Path) -> bool:
    """Whether some process holds the writer lock of the recording at `path` now."""
    try:
        fd = os.open(f"{path}.lock", os.O_RDONLY)
    except OSError:
        return False
    try:
        import fcntl
    except ImportError:
        os.close(fd)
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases a lock we got
    return False
