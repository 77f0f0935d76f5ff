"""Bad files: corrupt, truncated, foreign, empty, locked, read-only, of another format. Each
gives one line naming the file and what is wrong, from the recorder, the reader and the CLI,
and the file on disk is left exactly as it was. A full disk stops recording, not polling.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.recording import record_live, sim_settings
from tui import cli
from tui.engine import build_refresher
from tui.recorder import start_recording
from tui.recorder.db import FORMAT, RecordingError
from tui.recorder.reader import Recording
from tui.recorder.writer import Limits, Recorder, RecordingStatus
from tui.sim import RunningSimulator, SimConfig, start_in_thread
from tui.store import SessionStore


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=9, sessions=60, churn=0.3, speed=20)) as running:
        yield running


@pytest.fixture(scope="module")
def good(sim: RunningSimulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real recording, closed (fully checkpointed into its one file)."""
    path = tmp_path_factory.mktemp("good") / "recording.db"
    asyncio.run(record_live(sim, path, seconds=1.5))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy(good: Path, tmp_path: Path) -> Path:
    target = tmp_path / "recording.db"
    shutil.copyfile(good, target)
    return target


def try_to_record(path: Path) -> RecordingStatus:
    store = SessionStore()
    store.register("studio")
    recorder = Recorder(store, path, kinds={"studio": "livepeer"})
    recorder.start()
    status = recorder.wait_ready()
    recorder.close()
    return status


def one_line(text: str | None) -> str:
    """The text, one line and no traceback, without the file's name (test paths are named
    after the test: "truncated" would be found in the path)."""
    assert text is not None and "\n" not in text.strip() and "Traceback" not in text
    return re.sub(r"/\S+\.db", "<file>", text)


def cli_snapshot(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["snapshot", "--recording", str(path), "--at", "-1s"])
    return code, capsys.readouterr().err


def assert_refused(path: Path, words: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Recorder, reader and CLI all refuse with one line containing `words`; the file stays."""
    before = digest(path)
    status = try_to_record(path)
    assert status.state == "stopped" and words in one_line(status.message), status
    assert "polling goes on" in (status.message or "")
    with pytest.raises(RecordingError, match=words) as caught:
        Recording(path)
    assert str(caught.value).startswith(f"{path}: ") and one_line(str(caught.value))
    code, err = cli_snapshot(path, capsys)
    assert code == 1 and words in one_line(err)
    assert digest(path) == before, "the file must be left exactly as it was"


def test_a_recording_is_private(good: Path) -> None:
    assert good.stat().st_mode & 0o777 == 0o600
    assert good.parent.stat().st_mode & 0o077 == 0 or good.parent.name.startswith("good")


def test_the_directory_and_file_are_created_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "recording.db"
    assert try_to_record(path).recording
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_a_corrupt_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "recording.db"
    path.write_bytes(os.urandom(64 * 1024))
    assert_refused(path, "not a livetop recording", capsys)


@pytest.mark.parametrize("seed", range(6))
def test_a_recording_damaged_inside(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    """Scribbled pages (six ways, reproducibly): whatever SQLite then says, it is "damaged"."""
    path = copy(good, tmp_path)
    data = bytearray(path.read_bytes())
    page = 4096
    scribble = random.Random(seed)
    for at in range(page * 2, len(data) - page, page * 3):  # scribble over pages past the header
        data[at + 8 : at + 600] = scribble.randbytes(592)
    path.write_bytes(bytes(data))
    before = digest(path)
    status = try_to_record(path)
    assert status.state == "stopped" and "damaged" in one_line(status.message)
    try:
        with Recording(path) as rec:
            bounds = rec.bounds()
            assert bounds is not None
            rec.state_at(bounds[1])
            rec.events()
    except RecordingError as exc:
        assert "damaged" in one_line(str(exc)) or "not a livetop" in str(exc)
    code, err = cli_snapshot(path, capsys)
    assert code in (1, 2) and (code == 2 or one_line(err))
    assert digest(path) == before


def test_a_truncated_recording(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy(good, tmp_path)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size * 6 // 10)
    assert_refused(path, "truncated", capsys)


def test_a_foreign_sqlite_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "recording.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
        other.execute("INSERT INTO notes VALUES ('mine, not livetop''s')")
    other.close()
    assert_refused(path, "an SQLite database of something else", capsys)


def test_an_empty_file_becomes_a_recording_but_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "recording.db"
    path.touch(mode=0o600)
    with pytest.raises(RecordingError, match="empty file"):
        Recording(path)
    assert try_to_record(path).recording
    with Recording(path) as rec:
        assert rec.bounds() is not None  # the store's state when recording began


@pytest.mark.parametrize("version", [FORMAT + 1, 0])
def test_a_recording_of_another_format(
    good: Path, tmp_path: Path, version: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy(good, tmp_path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={version}")
    conn.commit()
    conn.close()
    word = "newer livetop" if version > FORMAT else "older livetop"
    assert_refused(path, word, capsys)


def test_a_second_recorder_is_refused_and_the_first_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "recording.db"
    store = SessionStore()
    store.register("studio")
    first = Recorder(store, path, kinds={"studio": "livepeer"})
    first.start()
    assert first.wait_ready().recording
    second = try_to_record(path)
    assert second.state == "stopped"
    assert f"another livetop (pid {os.getpid()}) is recording to it" in one_line(second.message)
    store.register("studio", interval=5.0)
    assert first.sync().recording
    first.close()
    with Recording(path) as rec:
        bounds = rec.bounds()
        assert bounds is not None
        state = rec.state_at(bounds[1])
        assert state is not None and state.providers["studio"].status.interval == 5.0


def test_a_file_locked_by_another_process(good: Path, tmp_path: Path) -> None:
    path = copy(good, tmp_path)
    before = digest(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing to it
    try:
        started = time.monotonic()
        status = try_to_record(path)
        assert status.state == "stopped" and "locked" in one_line(status.message)
        assert time.monotonic() - started < 10
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert digest(path) == before
    assert try_to_record(path).recording  # once released, recording resumes on it


def test_readers_are_not_blocked_by_a_writer(good: Path, tmp_path: Path) -> None:
    path = copy(good, tmp_path)
    store = SessionStore()
    store.register("studio")
    writer = Recorder(store, path, kinds={"studio": "livepeer"})
    writer.start()
    assert writer.wait_ready().recording
    try:
        with Recording(path) as rec:
            assert rec.bounds() is not None and rec.events() is not None
    finally:
        writer.close()


def test_a_read_only_file(good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy(good, tmp_path)
    path.chmod(0o400)
    if os.geteuid() == 0:  # root writes anyway: answer as the kernel would for anyone else
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, mode, **kw: False if mode & os.W_OK else real(p, mode, **kw)
        )
    before = digest(path)
    status = try_to_record(path)
    assert status.state == "stopped" and "read-only" in one_line(status.message)
    with Recording(path) as rec:  # still readable: replay and snapshot work
        assert rec.bounds() is not None
    assert digest(path) == before


def test_start_recording_never_raises_and_says_why(tmp_path: Path, sim: RunningSimulator) -> None:
    path = tmp_path / "recording.db"
    path.write_bytes(b"not a database at all" * 100)
    store = SessionStore()
    handle = start_recording(store, sim_settings(sim), path=path)
    deadline = time.monotonic() + 10
    while handle.status.recording and time.monotonic() < deadline:
        time.sleep(0.01)
    assert handle.status.state == "stopped" and "not a livetop" in one_line(handle.status.message)
    handle.close()
    off = start_recording(store, sim_settings(sim, record=False), path=path)
    assert off.status.state == "off"
    off.close()


async def test_a_full_disk_stops_recording_while_polling_goes_on(
    sim: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.recorder.committer import Committer

    path = tmp_path / "recording.db"
    settings = sim_settings(sim)
    store = SessionStore()
    refresher = build_refresher(settings, store, now=sim.now)
    recorder = Recorder(
        store,
        path,
        kinds={p.name: p.kind.value for p in settings.providers},
        limits=Limits(flush_every=0.1),
    )
    recorder.start()
    assert recorder.wait_ready().recording
    real_commit = Committer._commit
    commits = [0]

    def commit(self: Committer, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        commits[0] += 1
        if commits[0] > 4:
            raise sqlite3.OperationalError("database or disk is full")
        real_commit(self, rows)

    monkeypatch.setattr(Committer, "_commit", commit)
    async with refresher:
        await asyncio.to_thread(recorder.sync)  # the failing commits come with these polls
        for _ in range(100):
            if not recorder.status.recording:
                break
            await asyncio.sleep(0.05)  # the status is set by another thread
        status = recorder.status
        assert status.state == "stopped", status
        assert "disk full" in one_line(status.message) and "polling goes on" in (
            status.message or ""
        )
        polled = store.status("studio").last_success
        await asyncio.sleep(1.2)
        assert store.status("studio").last_success != polled, "polling must go on"
    recorder.close()
    with Recording(path) as rec:  # what was written before is intact
        bounds = rec.bounds()
        assert bounds is not None
        state = rec.state_at(bounds[1])
        assert state is not None and state.providers["studio"].sessions()
