"""What goes into a recording, and what comes back: never a key (API key or stream key, in any
field, nested or not), details as the provider's client had them, and for a restarted console
its event log and sparkline history."""

from __future__ import annotations

import asyncio
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from support.recording import record_live, sim_settings
from tui.clock import FakeClock
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.recorder import read_continuity
from tui.recorder.codec import ROW_BEFORE_VIEWERS, Damaged, Scrubber, row_of, session_of
from tui.recorder.reader import Recording
from tui.recorder.writer import Recorder
from tui.sim import RunningSimulator, SimConfig, start_in_thread
from tui.store import SessionStore


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=13, sessions=60, churn=0.3, speed=30)) as running:
        yield running


def everything_in(path: Path) -> bytes:
    """Every byte the recording holds, compressed parts decompressed."""
    conn = sqlite3.connect(path)
    out = [path.read_bytes()]
    try:
        for (body,) in conn.execute("SELECT body FROM chunks"):
            out.append(zlib.decompress(body))
        for body, details in conn.execute("SELECT body, details FROM pages"):
            out += [zlib.decompress(body), zlib.decompress(details)]
        for row in conn.execute("SELECT * FROM events"):
            out.append(repr(row).encode())
    finally:
        conn.close()
    wal = Path(f"{path}-wal")
    if wal.exists():
        out.append(wal.read_bytes())
    return b"\n".join(out)


def test_no_key_is_ever_written(sim: RunningSimulator, tmp_path: Path) -> None:
    path = tmp_path / "recording.db"
    settings = sim_settings(sim)
    live = asyncio.run(record_live(sim, path, seconds=1.5, settings=settings))
    data = everything_in(path)
    for key in settings.secret_values():
        assert key.encode() not in data
    with Recording(path) as rec:
        bounds = rec.bounds()
        assert bounds is not None
        state = rec.state_at(bounds[1])
        assert state is not None
        uiza = state.providers["uiza"].sessions()
    assert uiza, "the Uiza provider's sessions (they carry stream keys) were recorded"
    assert all(s.secret is None for s in uiza)
    assert b"live_" not in data  # the simulator's stream keys all start so
    assert live.moments


def test_keys_hidden_in_details_and_text_are_scrubbed(tmp_path: Path) -> None:
    api_key, stream_key = "sk_live_APIKEY_0123456789", "live_STREAMKEY_abcdef"
    session = Session(
        provider="studio",
        kind=ProviderKind.LIVEPEER,
        id="s1",
        name=f"cam (echoes {api_key})",
        state=SessionState.LIVE,
        details={
            "streamKey": stream_key,
            "nested": {"token": "t0ken-value-xyz", "list": [{"apiKey": api_key}, stream_key]},
            "note": f"rtmp://ingest/{stream_key}",
            "secretish": SecretStr("hidden-value-42"),
            "when": datetime(2026, 11, 22, 12, tzinfo=UTC),
            "$dt": "not a tag",
        },
        secret=SecretStr(stream_key),
    )
    clock = FakeClock()
    store = SessionStore(clock=clock)
    store.register("studio")
    path = tmp_path / "recording.db"
    recorder = Recorder(store, path, kinds={"studio": "livepeer"}, secrets=[api_key])
    recorder.start()
    store.apply("studio", FetchResult((session,)))
    assert recorder.sync().recording
    recorder.close()
    data = everything_in(path)
    for secret in (api_key, stream_key, "t0ken-value-xyz", "hidden-value-42"):
        assert secret.encode() not in data, secret
    with Recording(path) as rec:
        state = rec.state_at(clock.time())
        assert state is not None
        back = state.providers["studio"].get("s1")
    assert back is not None and back.secret is None
    assert api_key not in back.name and "**********" in back.name
    details = dict(back.details)
    assert "streamKey" not in details and details["note"] == "rtmp://ingest/**********"
    assert details["nested"] == {"list": [{}, "**********"]}
    assert details["when"] == datetime(2026, 11, 22, 12, tzinfo=UTC)  # a datetime again
    assert details["$dt"] == "not a tag"
    assert "secretish" not in details


def test_a_restarted_console_gets_its_events_and_sparklines_back(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = tmp_path / "recording.db"
    live = asyncio.run(record_live(sim, path, seconds=2.5))
    last = live.moments[-1]
    # The restarted console may have started recording already: a new run, nothing polled.
    restarted = SessionStore()
    for provider in live.settings.providers:
        restarted.register(provider.name)
    recorder = Recorder(
        restarted, path, kinds={p.name: p.kind.value for p in live.settings.providers}
    )
    recorder.start()
    assert recorder.sync().recording
    back = read_continuity(path)
    recorder.close()
    assert back.events == last.events and back.events
    fresh = SessionStore()
    for provider in live.settings.providers:
        fresh.register(provider.name)
    back.apply(fresh)
    assert list(fresh.events) == last.events
    assert last.histories
    for key, samples in last.histories.items():
        # A session still on air at the end has every sample; a session the store dropped
        # meanwhile has none to bring back.
        ring = fresh._providers[key.provider].history.get(key.id)
        assert ring is not None and ring.samples() == samples, key


def test_continuity_of_no_recording_is_empty(tmp_path: Path) -> None:
    empty = read_continuity(tmp_path / "none.db")
    assert empty.events == [] and empty.histories == {}


def test_viewers_are_recorded_and_older_rows_read_as_unknown(tmp_path: Path) -> None:
    watched = Session(
        provider="studio",
        kind=ProviderKind.LIVEPEER,
        id="s1",
        name="cam",
        state=SessionState.LIVE,
        ingest_bps=1e6,
        viewers=1200,
        playback_error_rate=0.02,
    )
    clock = FakeClock()
    store = SessionStore(clock=clock)
    store.register("studio")
    path = tmp_path / "recording.db"
    recorder = Recorder(store, path, kinds={"studio": "livepeer"})
    recorder.start()
    measured = datetime.fromtimestamp(clock.time() - 1.0, UTC)
    notice = "viewers need a private key (403)"
    store.apply("studio", FetchResult((watched,), viewers_at=measured, notice=notice))
    assert recorder.sync().recording
    recorder.close()
    with Recording(path) as rec:
        state = rec.state_at(clock.time())
        assert state is not None
        provider = state.providers["studio"]
        back = provider.get("s1")
        status = provider.status
    assert back is not None and (back.viewers, back.playback_error_rate) == (1200, 0.02)
    assert status.viewers_at == measured.timestamp() and status.notice == notice
    assert [s.viewers for _, s in provider.samples()] == [1200.0]
    older = row_of(watched, Scrubber())[:ROW_BEFORE_VIEWERS]  # as livetop wrote rows before
    again = session_of("studio", "s1", older, {})
    assert again.viewers is None and again.playback_error_rate is None
    assert again.ingest_bps == 1e6
    with pytest.raises(Damaged):
        session_of("studio", "s1", row_of(replace(watched, viewers=-1), Scrubber()), {})
