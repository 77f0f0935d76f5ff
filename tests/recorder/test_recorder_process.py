"""`livetop record` as a real process: it records until SIGTERM/SIGINT and leaves a complete,
checkpointed file; a follower attached to that file meanwhile mirrors it live and costs the
providers nothing: every request the simulator saw is one of the recorder's polls."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from support.recording import start_record, wait_for_polls, write_config
from tui.models import ProviderKind
from tui.recorder.commands import snapshot_at
from tui.recorder.follow import Follower
from tui.recorder.reader import Recording
from tui.sim import RunningSimulator, SimConfig, start_in_thread
from tui.snapshot import snapshot_from_store, snapshot_json
from tui.store import SessionStore, StoreDiff

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=11, sessions=80, churn=0.3, speed=20)) as running:
        yield running


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_record_runs_until_a_signal_and_leaves_a_whole_file(
    sim: RunningSimulator, tmp_path: Path, signum: signal.Signals
) -> None:
    db, logs = tmp_path / "data" / "recording.db", tmp_path / "logs"
    proc = start_record(write_config(sim, tmp_path / "config.toml"), db, logs)
    try:
        wait_for_polls(db, 9)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == (130 if signum == signal.SIGINT else 0), err.decode()
    assert out == b"" and err == b""  # no screen: everything goes to the log
    wal = Path(f"{db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "checkpointed into the one file"
    assert db.stat().st_mode & 0o777 == 0o600
    log = (logs / "livetop.log").read_text()
    assert "recording 3 providers to" in log and f"recording ended (signal {int(signum)})" in log
    with Recording(db) as rec:
        bounds = rec.bounds()
        assert bounds is not None
        state = rec.state_at(bounds[1])
        assert state is not None
        assert {p.status.last_success is not None for p in state.providers.values()} == {True}


def test_record_serves_metrics_while_it_records(sim: RunningSimulator, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "recording.db"
    config = write_config(sim, tmp_path / "config.toml")
    proc = start_record(config, db, tmp_path / "logs", "--metrics", f"127.0.0.1:{port}")
    try:
        wait_for_polls(db, 6)
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'livetop_provider_up{kind="livepeer",provider="studio"} 1.0' in body
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    with Recording(db) as rec:
        assert len(rec.polls(0.0, float("inf"))) >= 6


def test_record_does_not_import_textual(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from tui import cli\n"
        "cli.main(['record', '--config', sys.argv[1]])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "LIVETOP_LOG_DIR": str(tmp_path / "logs")},
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "no such config file" in out.stderr


def test_record_refuses_a_bad_file_in_one_line(sim: RunningSimulator, tmp_path: Path) -> None:
    db = tmp_path / "recording.db"
    db.write_bytes(b"\x00garbage" * 512)
    proc = start_record(write_config(sim, tmp_path / "config.toml"), db, tmp_path / "logs")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "not a livetop recording" in lines[0], lines
    assert db.read_bytes() == b"\x00garbage" * 512


async def test_a_follower_mirrors_the_recorder_live_with_no_requests(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    db, logs = tmp_path / "recording.db", tmp_path / "logs"
    proc = start_record(write_config(sim, tmp_path / "config.toml"), db, logs)
    try:
        await asyncio.to_thread(wait_for_polls, db, 3)
        store = SessionStore()
        diffs: list[StoreDiff] = []
        store.subscribe(diffs.append)
        follower = Follower(store, db, every=0.2)
        async with follower:
            assert follower.status.writer, "the recorder holds the writer lock"
            loaded = len(diffs)
            await asyncio.sleep(3.0)  # the recorder polls ~6 times a provider meanwhile
            live = [d for d in diffs[loaded:] if d.sessions_changed or d.events or d.sampled]
            assert live, "new frames reached the follower's store while it followed"
            assert any(d.sampled for d in diffs[loaded:]), "sparklines grow as polls come"
            proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proc.wait, 15)
            follower.refresh_now()
            await asyncio.sleep(0.6)  # read the last frames
            assert not follower.status.writer
            assert follower.status.error is None
        with Recording(db) as rec:
            bounds = rec.bounds()
            assert bounds is not None
            polls = rec.polls(0.0, float("inf"))
            run = rec.run_at(bounds[1])
            assert run is not None
            kinds = {n: ProviderKind(k) for n, k in run.providers}
            at_end = snapshot_json(snapshot_at(rec, bounds[1]))
            followed = snapshot_json(
                snapshot_from_store(store, kinds, datetime.fromtimestamp(bounds[1], UTC))
            )
        assert followed == at_end, "the follower ends where the recording ends"
    finally:
        if proc.poll() is None:
            proc.kill()
    requests = sum(sim.poll_counts.values())  # Livepeer's viewership beside them left out
    # Every request the simulator saw was a poll the recorder made (one a provider a poll);
    # a poll cut short by SIGTERM may have been asked and not recorded, one per provider.
    assert len(polls) <= requests <= len(polls) + 3, (requests, len(polls))
