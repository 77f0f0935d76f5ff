"""A recording stays bounded: by its retention (the last N hours, cut at keyframes so what is
left still rebuilds) and by its size cap (the oldest data goes first), and neither costs the
moments still in it. Hours of polling pass in seconds: the simulator's and the store's clocks
are moved by hand, every request still over a loopback socket."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support.recording import START, Driven, look
from tui.recorder.commands import snapshot_at
from tui.recorder.reader import Recording
from tui.sim import SimConfig
from tui.snapshot import snapshot_json

RETENTION = 3600.0
KEYFRAMES = 300.0
INTERVAL = 30.0


def used(path: Path) -> int:
    """Bytes of data (free pages not counted)."""
    conn = sqlite3.connect(path)
    try:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        return int(pages - free) * int(size)
    finally:
        conn.close()


def on_disk(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("chunks", "pages", "polls", "events")
        }
    finally:
        conn.close()


async def test_retention_keeps_the_last_hour_rebuildable(tmp_path: Path) -> None:
    driven = Driven(SimConfig(seed=2, sessions=150, churn=0.3, start_time=START), interval=INTERVAL)
    path = tmp_path / "recording.db"
    recorder = driven.recorder(path, retention=RETENTION, keyframe_every=KEYFRAMES)
    recorder.start()
    sizes = {}
    try:
        async with driven.refresher:
            for step in range(1, 301):  # 2.5 hours
                await driven.step()
                if step % 20:
                    continue
                assert recorder.sync(housekeep=True).recording
                hours = step * INTERVAL / 3600
                sizes[hours] = used(path)
                with Recording(path) as rec:
                    bounds = rec.bounds()
                    assert bounds is not None
                    first, last = bounds
                    assert first >= last - RETENTION - KEYFRAMES - INTERVAL, hours
                    assert rec.state_at(first) is not None  # the oldest moment still rebuilds
                    assert all(e.time >= first - INTERVAL for e in rec.events())
                    assert [p for p in rec.polls(0.0, first - 1e-6)] == []
            live = look(driven.store, driven.settings)
        recorder.close()
    finally:
        driven.close()
    with Recording(path) as rec:
        bounds = rec.bounds()
        assert bounds is not None and bounds[0] > START + 3600  # the first hour is gone
        assert snapshot_json(snapshot_at(rec, live.t)) == live.json
    assert sizes[2.5] < 1.4 * sizes[1.5], sizes  # steady, not growing with time


async def test_the_size_cap_holds_and_the_oldest_goes_first(tmp_path: Path) -> None:
    driven = Driven(SimConfig(seed=3, sessions=150, churn=0.3, start_time=START), interval=INTERVAL)
    path = tmp_path / "recording.db"
    cap = 320 * 1024
    recorder = driven.recorder(path, cap=cap, retention=10 * 24 * 3600.0, keyframe_every=KEYFRAMES)
    recorder.start()
    firsts = []
    try:
        async with driven.refresher:
            for step in range(1, 241):  # 2 hours
                await driven.step()
                if step % 10:
                    continue
                assert recorder.sync().recording, recorder.status
                assert on_disk(path) <= cap, (step, on_disk(path))
                with Recording(path) as rec:
                    bounds = rec.bounds()
                    assert bounds is not None
                    firsts.append(bounds[0])
                    assert rec.state_at(bounds[0]) is not None
            live = look(driven.store, driven.settings)
        recorder.close()
    finally:
        driven.close()
    assert on_disk(path) <= cap
    assert firsts[-1] > firsts[0], "the oldest data made room"
    with Recording(path) as rec:
        assert snapshot_json(snapshot_at(rec, live.t)) == live.json


async def test_a_cap_too_small_for_one_keyframe_stops_recording_not_polling(
    tmp_path: Path,
) -> None:
    driven = Driven(
        SimConfig(seed=4, sessions=3000, churn=0.3, start_time=START), interval=INTERVAL
    )
    path = tmp_path / "recording.db"
    recorder = driven.recorder(path, cap=96 * 1024)
    recorder.start()
    try:
        async with driven.refresher:
            for _ in range(5):
                await driven.step()
                recorder.sync()
            status = recorder.status
            assert status.state == "stopped"
            assert "size cap" in (status.message or "") and "polling goes on" in (
                status.message or ""
            )
            before = driven.store.status("studio").last_success
            await driven.step()
            assert driven.store.status("studio").last_success != before
        recorder.close()
    finally:
        driven.close()
    assert on_disk(path) <= 96 * 1024
    assert counts(path)["chunks"] == 0  # the first poll alone did not fit: nothing half-written
