"""Keeping a recording bounded: data older than the retention goes, and so does the oldest data
whenever the file nears its cap.

Cutting is by keyframe: a provider's chunks before its latest keyframe at or before the cutoff
are deleted, so the recording always starts on a keyframe and every moment left in it can still
be rebuilt. Pages (full session records) go once no remaining chunk can refer to them; polls and
events go with the time they belong to. Freed pages are handed back to the file system
(`auto_vacuum = INCREMENTAL`), so the file shrinks, not only stops growing."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final

CAP_HIGH: Final = 0.9  # trimming starts when the file is this full ...
CAP_LOW: Final = 0.7  # ... and goes on until it is this full
STEP: Final = 0.1  # each round drops this share of the recorded time span


def expire(conn: sqlite3.Connection, cutoff: float) -> int:
    """Drop what lies before `cutoff` (keeping each provider's keyframe at or before it);
    returns how many chunks went."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        dropped = _expire(conn, cutoff)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if dropped:
        conn.executescript("PRAGMA incremental_vacuum;")  # sqlite3_exec: every page, not one
    return dropped


def _expire(conn: sqlite3.Connection, cutoff: float) -> int:
    current = conn.execute("SELECT max(id) FROM runs").fetchone()[0]
    dropped = 0
    streams = conn.execute("SELECT DISTINCT provider, run FROM chunks").fetchall()
    for pid, run in streams:
        last = conn.execute(
            "SELECT max(t1) FROM chunks WHERE provider = ? AND run = ?", (pid, run)
        ).fetchone()[0]
        if run != current and last < cutoff:
            cur = conn.execute("DELETE FROM chunks WHERE provider = ? AND run = ?", (pid, run))
        else:
            key = conn.execute(
                "SELECT max(seq) FROM chunks WHERE provider = ? AND run = ? AND key = 1 "
                "AND t0 <= ?",
                (pid, run, cutoff),
            ).fetchone()[0]
            if key is None:
                continue
            cur = conn.execute(
                "DELETE FROM chunks WHERE provider = ? AND run = ? AND seq < ?", (pid, run, key)
            )
        dropped += cur.rowcount
    if not dropped:
        return 0
    _unreferenced(conn)
    start = conn.execute("SELECT min(t0) FROM chunks").fetchone()[0]
    if start is not None:
        conn.execute("DELETE FROM polls WHERE t < ?", (start,))
        conn.execute("DELETE FROM events WHERE at < ?", (start,))
    conn.execute("DELETE FROM runs WHERE id NOT IN (SELECT DISTINCT run FROM chunks)")
    return dropped


def _unreferenced(conn: sqlite3.Connection) -> None:
    """Delete the pages no remaining chunk can refer to.

    What remains of each stream starts with a keyframe; it refers to the pages in its `refs`,
    and the chunks after it only to pages made after it (`page_hw`).
    """
    firsts = conn.execute(
        "SELECT c.provider, c.refs FROM chunks c JOIN "
        "(SELECT provider, run, min(seq) AS seq FROM chunks GROUP BY provider, run) f "
        "ON c.seq = f.seq"
    ).fetchall()
    keep: set[int] = set()
    marks: dict[int, int] = {}
    for pid, refs in firsts:
        info: dict[str, Any] = json.loads(refs) if refs else {}
        keep.update(info.get("pages", ()))
        marks[pid] = min(marks.get(pid, 1 << 62), int(info.get("page_hw", 0)))
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS keep (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.keep")
    conn.executemany("INSERT OR IGNORE INTO temp.keep VALUES (?)", ((k,) for k in keep))
    for pid, mark in marks.items():
        conn.execute(
            "DELETE FROM pages WHERE provider = ? AND id < ? AND id NOT IN (SELECT id FROM keep)",
            (pid, mark),
        )
    placeholders = ",".join("?" * len(marks))
    conn.execute(f"DELETE FROM pages WHERE provider NOT IN ({placeholders})", list(marks))


def size(conn: sqlite3.Connection) -> int:
    """Bytes the main file takes (pages, free ones included)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    return int(pages) * int(conn.execute("PRAGMA page_size").fetchone()[0])


def hold_cap(conn: sqlite3.Connection, cap: int, *, full: bool = False) -> bool:
    """Drop the oldest data while the file is over `CAP_HIGH` of `cap` (or the last write
    found it full), down to `CAP_LOW`; True when anything was dropped."""
    if not full and size(conn) <= cap * CAP_HIGH:
        return False
    dropped = False
    first, last = conn.execute("SELECT min(t0), max(t1) FROM chunks").fetchone()
    if first is None:
        return False
    cutoff, step = first, (last - first) * STEP
    while size(conn) > cap * CAP_LOW or (full and not dropped):
        # On to the next keyframe (of any provider) past the cutoff, a tenth of the span at
        # least: a stream can only be cut at one of its keyframes.
        (after,) = conn.execute(
            "SELECT min(t0) FROM chunks WHERE key = 1 AND t0 > ?", (cutoff,)
        ).fetchone()
        if after is None:
            break  # only the latest keyframes are left
        cutoff = max(after, cutoff + step)
        dropped = expire(conn, cutoff) > 0 or dropped
    if dropped:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return dropped
