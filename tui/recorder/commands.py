"""`livetop record`, `livetop snapshot --recording`, `livetop events`: no screen, no Textual.

Exit codes as the other commands: 0 success (and `record` stopped by SIGTERM), 1 usage,
config or recording error (one line on stderr), 2 for a snapshot in which a provider was
failing at that moment, 130 for `record` stopped by SIGINT (Ctrl+C).
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
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
    from tui.refresher import Refresher
    from tui.snapshot import Snapshot
    from tui.store import SessionStore

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 130
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


def run_record(
    settings: Settings, db: Path | None, *, metrics: str | None = None, err: TextIO
) -> int:
    """Poll every provider and record until SIGTERM (exit 0) or SIGINT (130); with `metrics`
    (HOST:PORT), serve the store's Prometheus metrics meanwhile (`tui.exporter`)."""
    from tui.engine import build_refresher
    from tui.recorder.db import default_path
    from tui.recorder.writer import Recorder
    from tui.store import SessionStore

    if metrics is not None:
        from tui.exporter import parse_listen

        try:
            parse_listen(metrics)
        except ValueError as exc:
            print(f"livetop record: error: {exc}", file=err)
            return EXIT_USAGE
    path = db or default_path()
    # No sparkline rings: the recording keeps every sample (frames say which were taken).
    store = SessionStore(default_interval=settings.refresh_interval, history_size=1)
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
        asyncio.run(refresher.stop())  # closes the clients it was given
        print(f"livetop record: {status.message}", file=err)
        return EXIT_USAGE
    log.info("recording %d providers to %s", len(settings.providers), path)
    try:
        signum = asyncio.run(_poll(refresher, store, settings, metrics, err))
    finally:
        recorder.close()
    final = recorder.status
    if final.state == "stopped":
        print(f"livetop record: {final.message}", file=err)
    if signum is None:
        return EXIT_USAGE
    log.info("recording ended (signal %d); %s", signum, path)
    return EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_OK


async def _poll(
    refresher: Refresher,
    store: SessionStore,
    settings: Settings,
    metrics: str | None,
    err: TextIO,
) -> int | None:
    """Poll until a signal (its number), serving metrics if asked; None if they cannot be."""
    from tui.engine import poll_until_signalled

    if metrics is None:
        return await poll_until_signalled(refresher)
    from tui.exporter import serve_metrics

    try:
        async with serve_metrics(store, settings, metrics) as server:
            log.info("serving metrics at %s", server.url)
            return await poll_until_signalled(refresher)
    except OSError as exc:
        await refresher.stop()
        print(f"livetop record: cannot listen on {metrics}: {exc.strerror or exc}", file=err)
        return None


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
            t = moment(rec, at, err)
            snap = snapshot_at(rec, t)
    except (RecordingError, ValueError) as exc:
        print(f"livetop snapshot: {exc}", file=err)
        return EXIT_USAGE
    print(snapshot_json(snap) if as_json else snapshot_table(snap), file=out)
    return snap.exit_code


def moment(rec: Recording, at: str | None, err: TextIO | None) -> float:
    """The moment `at` (`parse_time`; default: the recording's end) within the recording:
    `RecordingError` before it starts; past its end, the end (said on `err`)."""
    bounds = rec.bounds()
    if bounds is None:
        raise RecordingError(rec.path, "nothing recorded yet")
    first, last = bounds
    t = last if at is None else parse_time(at)
    if t < first:
        raise RecordingError(rec.path, f"{_iso(t)} is before the recording starts ({_iso(first)})")
    if t > last:
        if err is not None:
            print(
                f"livetop: note: the recording ends at {_iso(last)}; this is its last state",
                file=err,
            )
        t = last
    return t


def seek_time(text: str, cursor: float, end: float) -> float:
    """Where the replay's seek prompt goes: `-15m` / `+15m` from the cursor, a time of day
    (`21:14`, UTC) the last one up to the recording's `end`, or ISO 8601. `ValueError`."""
    raw = text.strip()
    if raw.startswith("+"):
        return cursor + (cursor - parse_time("-" + raw[1:], now=cursor))
    return parse_time(raw, now=cursor if raw.startswith("-") else end)


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
