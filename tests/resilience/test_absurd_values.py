"""Values outside physical sense are invalid, decided once at normalization, never numbers.

A negative rate or duration, a rate of 1e30 b/s, a `lastSeen` in the year 9999 or six minutes
ahead: the field is None and named in `Session.invalid`; the table and the detail pane say
"invalid" within their column widths, the snapshot JSON says null, and a time ahead of now
(beyond 5 minutes of clock skew) never makes a session live.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from support.child import write_config
from support.harness import assert_layout_intact, quit_app, wait_for
from support.rogue import RogueServer
from tui.app import LivetopApp
from tui.cli import main
from tui.columns import cell, fit_columns
from tui.config import settings_from_dict
from tui.models import Session, SessionState
from tui.providers.calls import normalize_call
from tui.providers.livepeer import normalize_session as livepeer_session
from tui.providers.uiza import normalize_session as uiza_session
from tui.widgets.detail_pane import describe

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
KINDS = {"studio": "livepeer", "uiza": "uiza", "calls": "calls"}


def ms_ahead(minutes: float) -> int:
    return NOW_MS + int(minutes * 60_000)


def livepeer(**fields: Any) -> Any:
    wire = {"id": "s", "lastSeen": NOW_MS - 1000, "createdAt": NOW_MS - 60_000, **fields}
    return livepeer_session("studio", wire, NOW)  # type: ignore[arg-type]


def test_livepeer_absurd_numbers_are_invalid_not_numbers() -> None:
    s = livepeer(ingestRate=-5, outgoingRate=1e30, sourceSegmentsDuration=-3.0)
    assert (s.ingest_bps, s.outgoing_bps, s.duration_s) == (None, None, None)
    assert s.invalid == {"ingest_bps", "outgoing_bps", "duration_s"}
    assert s.state is SessionState.LIVE  # its time is fine: still on air
    sane = livepeer(ingestRate=700_000, outgoingRate=0, sourceSegmentsDuration=12.5)
    assert (sane.ingest_bps, sane.outgoing_bps, sane.duration_s) == (5_600_000, 0, 12.5)
    assert sane.invalid == frozenset()


@pytest.mark.parametrize(
    ("last_seen", "live", "invalid"),
    [
        (ms_ahead(4), True, False),  # clock skew: fine
        (ms_ahead(6), False, True),
        (253_402_300_799_000, False, True),  # 9999-12-31
        (1e20, False, True),  # past what a datetime holds
    ],
)
def test_a_time_ahead_never_makes_a_session_live(
    last_seen: float, live: bool, invalid: bool
) -> None:
    s = livepeer(lastSeen=last_seen)
    assert s.is_live is live
    assert ("last_seen" in s.invalid) is invalid
    assert (s.last_seen is None) is invalid


def test_uiza_and_calls_absurd_values() -> None:
    u = uiza_session(
        "uiza",
        {"id": "u", "duration": -20.0, "created_at": datetime(9999, 12, 31, tzinfo=UTC)},
        NOW,
    )
    assert u.duration_s is None and u.created_at is None and u.started_at is None
    assert u.invalid == {"duration_s", "created_at", "started_at"}
    assert u.state is SessionState.ENDED  # a duration was sent: it ended, when is unknown
    c = normalize_call(
        "calls",
        {
            "id": "c",
            "status": "ended",
            "started_at": NOW - timedelta(minutes=1),
            "ended_at": NOW - timedelta(hours=1),
            "updated_at": NOW + timedelta(days=1),
        },
        NOW,
    )
    assert c.duration_s is None and c.last_seen is None
    assert c.invalid == {"duration_s", "last_seen"}


def test_a_calls_schedule_may_be_ahead_but_not_absurd() -> None:
    def scheduled(when: datetime) -> Session:
        return normalize_call(
            "calls", {"id": "c", "status": "scheduled", "scheduled_at": when}, NOW
        )

    ahead = scheduled(NOW + timedelta(days=2))  # a plan is ahead by nature
    assert ahead.scheduled_at == NOW + timedelta(days=2) and not ahead.invalid
    for absurd in (datetime(9999, 12, 31, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)):
        broken = scheduled(absurd)
        assert broken.scheduled_at is None and broken.invalid == {"scheduled_at"}
        lines = "\n".join(t.plain for t in describe(broken, NOW, reveal=False, stale=False))
        assert "scheduled  invalid (the provider sent an absurd value)" in lines


@pytest.mark.parametrize("width", [80, 120, 200])
def test_invalid_fits_every_column(width: int) -> None:
    s = livepeer(ingestRate=-5, outgoingRate=1e30, sourceSegmentsDuration=-3.0)
    future = livepeer(lastSeen=ms_ahead(60), sourceSegmentsDuration=-1.0)
    for column, size in fit_columns(width):
        for session in (s, future):
            text = cell(column.render(session, NOW), size, column.right)
            assert len(text) == size, (column.label, text)
    rows = {c.label: c.render(s, NOW) for c, _ in fit_columns(200)}
    assert rows["INGEST"] == rows["OUTGOING"] == "invalid"
    assert {c.label: c.render(future, NOW) for c, _ in fit_columns(200)}["SEEN"] == "invalid"
    lines = [line.plain for line in describe(s, NOW, reveal=False, stale=False, fields=False)]
    assert "ingest     invalid (the provider sent an absurd value)" in lines
    assert "outgoing   invalid (the provider sent an absurd value)" in lines
    assert not any("e+30" in line for line in lines)  # only the raw fields (f) show it


@pytest.fixture(scope="module")
def rogue() -> Iterator[RogueServer]:
    with RogueServer() as server:
        yield server


def providers(rogue: RogueServer) -> list[dict[str, Any]]:
    ids = {"uiza": {"entity_ids": ["e-1"]}, "calls": {"call_ids": ["c-1"]}}
    return [
        {
            "name": name,
            "kind": kind,
            "base_url": rogue.url("absurd", kind),
            "api_key": f"{kind}-0a1b2c3d4e5f",
            **ids.get(kind, {}),
        }
        for name, kind in KINDS.items()
    ]


def test_snapshot_says_null_and_invalid(
    rogue: RogueServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "c.toml", providers(rogue))
    assert main(["snapshot", "--config", str(config)]) == 0
    out, _ = capsys.readouterr()
    by_name = {s["name"]: s for s in json.loads(out)["sessions"]}
    rates = by_name["absurd rates"]
    assert rates["ingest_bps"] is rates["outgoing_bps"] is rates["duration_s"] is None
    assert rates["state"] == "live"
    for name in ("seen in 9999", "seen in 6 min"):
        assert by_name[name]["last_seen"] is None and by_name[name]["state"] == "unknown"
    assert by_name["sane"]["ingest_bps"] == 5_600_000
    (uiza,) = [s for s in by_name.values() if s["provider"] == "uiza"]
    assert uiza["duration_s"] is None and uiza["created_at"] is None
    (call,) = [s for s in by_name.values() if s["provider"] == "calls"]
    assert call["duration_s"] is None and call["last_seen"] is None
    assert main(["snapshot", "--config", str(config), "--format", "table"]) == 0
    out, _ = capsys.readouterr()
    (row,) = [line for line in out.splitlines() if "absurd rates" in line]
    assert row.split()[-3:] == ["invalid", "invalid", "now"]


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 50)])
async def test_the_console_shows_invalid_within_its_columns(
    rogue: RogueServer, size: tuple[int, int]
) -> None:
    data = {"refresh_interval": 0.5, "bell": False, "providers": providers(rogue)}
    app = LivetopApp(settings_from_dict(data, environ={}))
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
        app.redraw()
        await pilot.pause()
        lines = assert_layout_intact(app)
        assert any("invalid" in line or "inval…" in line for line in lines)
        await quit_app(pilot)
