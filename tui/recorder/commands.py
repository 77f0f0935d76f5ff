"""`livetop record`, `livetop snapshot --recording`, `livetop events`: no screen, no Textual.

Exit codes as the other commands: 0 success, 1 usage/config/recording error (one line on
stderr), 2 for a snapshot in which a provider was failing at that moment.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import UTC, datetime
from datetime import time as dt_time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tui import format as fmt
from tui.models import ProviderKind
from tui.recorder.db import RecordingError

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.recorder.reader import Recording
    from tui.snapshot import Snapshot

EXIT_OK, EXIT_USAGE = 0, 1
_RELATIVE = re.compile(r"-\s*((?:\d+(?:\.\d+)?\s*[smhdw]\s*)+)", re.IGNORECASE)
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

log = logging.getLogger("livetop.recorder")


def parse_time(text: str, now: float | None = None) -> float:
    """Epoch seconds from ISO 8601 (no zone: UTC), a time of day (`21:14`: the last one, UTC),
    `now`, or relative like "-15m", "-1h30m".

    `ValueError` with a message an operator can act on.
    """
    now = time.time() if now is None else now
    raw = text.strip()
    if raw.lower() == "now":
        return now
    match = _RELATIVE.fullmatch(raw)
    if match:
        parts = _PART.findall(match.group(1))
        return now - sum(float(n) * _UNIT[u.lower()] for n, u in parts)
    iso = raw.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        if _CLOCK.fullmatch(raw):
            day = datetime.fromtimestamp(now, UTC)
            when = datetime.combine(day.date(), dt_time.fromisoformat(raw), UTC)
            return when.timestamp() - (86400.0 if when.timestamp() > now else 0.0)
        when = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(
            f"cannot read the time {raw!r}: use ISO 8601 (2026-11-22T21:14:00Z), a time of day "
            "(21:14, UTC) or relative (-15m, -2h, -1h30m, now)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _iso(t: float) -> str:
    from tui.snapshot import iso

    return iso(datetime.fromtimestamp(t, UTC)) or ""


# -- livetop record -----------------------------------------------------------------------------


def run_record(settings: Settings, db: Path | None, *, err: TextIO) -> int:
    """Poll every provider and record until SIGTERM/SIGINT; the exit code."""
    from tui.engine import build_refresher, poll_until_signalled
    from tui.recorder.db import default_path
    from tui.recorder.writer import Recorder
    from tui.store import SessionStore

    path = db or default_path()
    store = SessionStore(default_interval=settings.refresh_interval)
    refresher = build_refresher(settings, store)
    recorder = Recorder(
        store,
        path,
        kinds={p.name: p.kind.value for p in settings.providers},
        secrets=settings.secret_values(),
    )
    recorder.start()
    status = recorder.wait_ready()
    if not status.recording:
        recorder.close()
        print(f"livetop record: {status.message}", file=err)
        return EXIT_USAGE
    log.info("recording %d providers to %s", len(settings.providers), path)
    # The exporter (`--metrics HOST:PORT`) starts here, on the same store:
    #     serve_metrics(store, listen)
    try:
        signum = asyncio.run(poll_until_signalled(refresher))
    finally:
        recorder.close()
    final = recorder.status
    if final.state == "stopped":
        print(f"livetop record: {final.message}", file=err)
    log.info("recording ended (signal %d); %s", signum, path)
    return EXIT_OK


# -- livetop snapshot --recording ---------------------------------------------------------------


def snapshot_at(rec: Recording, t: float) -> Snapshot:
    """The snapshot contract as it stood at `t` in the recording."""
    from tui.recorder import feed
    from tui.snapshot import snapshot_from_store
    from tui.store import SessionStore

    state = rec.state_at(t)
    if state is None:
        raise RecordingError(rec.path, f"nothing recorded at {_iso(t)}")
    store = SessionStore()
    feed.put_state(store, state)
    try:
        kinds = {name: ProviderKind(kind) for name, kind in state.run.providers}
    except ValueError:
        raise RecordingError(rec.path, "damaged: unknown provider kind") from None
    return snapshot_from_store(store, kinds, datetime.fromtimestamp(t, UTC))


def run_snapshot_at(path: Path, at: str | None, *, as_json: bool, out: TextIO, err: TextIO) -> int:
    from tui.recorder.reader import Recording
    from tui.snapshot import snapshot_json, snapshot_table

    try:
        with Recording(path) as rec:
            t = _moment(rec, at, err)
            snap = snapshot_at(rec, t)
    except (RecordingError, ValueError) as exc:
        print(f"livetop snapshot: {exc}", file=err)
        return EXIT_USAGE
    print(snapshot_json(snap) if as_json else snapshot_table(snap), file=out)
    return snap.exit_code


def _moment(rec: Recording, at: str | None, err: TextIO) -> float:
    bounds = rec.bounds()
    if bounds is None:
        raise RecordingError(rec.path, "nothing recorded yet")
    first, last = bounds
    t = last if at is None else parse_time(at)
    if t < first:
        raise RecordingError(rec.path, f"{_iso(t)} is before the recording starts ({_iso(first)})")
    if t > last:
        print(
            f"livetop: note: the recording ends at {_iso(last)}; this is its last state",
            file=err,
        )
        t = last
    return t


# -- livetop events ----------------------------------------------------------------------------


def run_events(
    path: Path, since: str | None, until: str | None, *, as_json: bool, out: TextIO, err: TextIO
) -> int:
    from tui.recorder.reader import Recording

    try:
        lo = None if since is None else parse_time(since)
        hi = None if until is None else parse_time(until)
        with Recording(path) as rec:
            events = rec.events(lo, hi)
    except (RecordingError, ValueError) as exc:
        print(f"livetop events: {exc}", file=err)
        return EXIT_USAGE
    if as_json:
        import json

        document = [
            {
                "time": _iso(e.time),
                "kind": e.kind.value,
                "provider": e.provider,
                "id": e.key.id if e.key else None,
                "name": e.name,
                "detail": e.detail,
            }
            for e in events
        ]
        print(json.dumps(document, indent=2, ensure_ascii=True), file=out)
        return EXIT_OK
    from tui.snapshot import MAX_NAME, render_rows

    rows = [
        [
            _iso(e.time),
            e.kind.value.replace("_", " "),
            fmt.safe_text(e.provider, MAX_NAME),
            fmt.safe_text(e.name, MAX_NAME),
            fmt.safe_text(e.detail, 120),
        ]
        for e in events
    ]
    headers = ["TIME", "EVENT", "PROVIDER", "NAME", "DETAIL"]
    print(render_rows(headers, rows, right=set()) if rows else "no events", file=out)
    return EXIT_OK
