"""Snapshot output without a network: the JSON contract and the plain table's safety."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from tui.models import SNAPSHOT_FIELDS, ProviderKind, Session, SessionState
from tui.snapshot import (
    ProviderReport,
    Snapshot,
    check_table,
    mask_secret,
    session_json,
    snapshot_json,
    snapshot_table,
)

NOW = datetime(2024, 11, 22, 4, 3, 0, tzinfo=UTC)
STREAM_KEY = "live_rJZ7mbPPYw"


def session(**fields: object) -> Session:
    values: dict[str, object] = {
        "provider": "studio",
        "kind": ProviderKind.LIVEPEER,
        "id": "s-1",
        "name": "Main stage",
        "state": SessionState.LIVE,
        "healthy": True,
        "parent_id": "stream-1",
        "created_at": NOW - timedelta(seconds=220.329),
        "last_seen": NOW - timedelta(seconds=3),
        "duration_s": 220.329,
        "ingest_bps": 5_600_000.0,
        "outgoing_bps": 14_000_000.4,
        "recording": "waiting",
    }
    values.update(fields)
    return Session(**values)  # type: ignore[arg-type]


def report(name: str = "studio", ok: bool = True, **fields: object) -> ProviderReport:
    values: dict[str, object] = {
        "name": name,
        "kind": ProviderKind.LIVEPEER,
        "ok": ok,
        "error": None if ok else "GET /session: HTTP 401: invalid key",
        "sessions": 1,
        "latency_ms": 41.2,
        "reachable": True,
        "auth_ok": ok,
    }
    values.update(fields)
    return ProviderReport(**values)  # type: ignore[arg-type]


def test_session_json_has_exactly_the_contract_keys_and_units() -> None:
    data = session_json(session(issues=("low bitrate",), ended_at=None))
    assert tuple(data) == SNAPSHOT_FIELDS
    assert data == {
        "provider": "studio",
        "kind": "livepeer",
        "id": "s-1",
        "name": "Main stage",
        "state": "live",
        "healthy": True,
        "issues": ["low bitrate"],
        "parent_id": "stream-1",
        "created_at": "2024-11-22T03:59:19.671Z",
        "last_seen": "2024-11-22T04:02:57.000Z",
        "ended_at": None,
        "duration_s": 220.3,
        "ingest_bps": 5600000,
        "outgoing_bps": 14000000,
        "recording": "waiting",
        "viewers": None,  # unknown: the session has no viewer count
        "playback_error_rate": None,
        "watched": False,
        "late": False,
    }
    flagged = session_json(session(), watched=True, late=True)
    assert (flagged["watched"], flagged["late"]) == (True, True)


def test_json_document_shape_and_no_secrets() -> None:
    snap = Snapshot(
        NOW,
        (report(), report("uiza", ok=False, sessions=0, latency_ms=None)),
        (session(secret=SecretStr(STREAM_KEY), ingest_bps=float("nan"), healthy=None),),
    )
    text = snapshot_json(snap)
    assert STREAM_KEY not in text
    doc = json.loads(text)
    assert list(doc) == ["generated_at", "providers", "sessions"]
    assert doc["generated_at"] == "2024-11-22T04:03:00.000Z"
    assert doc["providers"][0] == {
        "name": "studio",
        "kind": "livepeer",
        "ok": True,
        "error": None,
        "sessions": 1,
        "skipped": 0,
        "latency_ms": 41.2,
    }
    assert doc["providers"][1]["error"] == "GET /session: HTTP 401: invalid key"
    assert doc["sessions"][0]["ingest_bps"] is None  # never NaN in JSON
    assert doc["sessions"][0]["healthy"] is None
    assert snap.exit_code == 2
    assert Snapshot(NOW, (report(),), ()).exit_code == 0


def test_json_escapes_terminal_controls() -> None:
    text = snapshot_json(Snapshot(NOW, (report(),), (session(name="a\x1b[2Jb\x9bc\u202e"),)))
    assert text.isascii() and "\x1b" not in text
    assert json.loads(text)["sessions"][0]["name"] == "a\x1b[2Jb\x9bc\u202e"


def test_table_is_plain_and_inert() -> None:
    evil = "\x1b]0;pwned\x07\x1b[2J" + "x" * 500
    snap = Snapshot(
        NOW,
        (report(), report("uiza", ok=False, sessions=0)),
        (session(name=evil, healthy=False), session(id="s-2", name="日本語 stage")),
    )
    table = snapshot_table(snap)
    assert "\x1b" not in table and "\x07" not in table
    assert "\\x1b]0;pwned\\x07" in table
    assert "x" * 60 not in table  # huge names are cut
    header, first, second = table.splitlines()[:3]
    assert header.split() == ["PROVIDER", "NAME", "STATE", "HEALTH", "INGEST", "OUTGOING", "SEEN"]
    assert "UNHEALTHY" in first and "5.6 Mb/s" in first and "14.0 Mb/s" in first
    assert first.endswith("now") or first.split()[-1] == "now"
    assert "日本語 stage" in second
    assert "FAILED" in table and "GET /session: HTTP 401: invalid key" in table


def test_table_masks_stream_keys_unless_asked() -> None:
    snap = Snapshot(NOW, (report(),), (session(secret=SecretStr(STREAM_KEY)), session(id="2")))
    masked = snapshot_table(snap)
    assert STREAM_KEY not in masked and "live_****" in masked
    assert "KEY" in masked.splitlines()[0]
    assert STREAM_KEY in snapshot_table(snap, show_secrets=True)


def test_mask_secret_keeps_at_most_a_type_prefix() -> None:
    assert mask_secret(STREAM_KEY) == "live_****"
    assert mask_secret("uap-0123456789abcdef") == "uap-****"
    assert mask_secret("abcdefghijklmnop") == "****"
    assert mask_secret("a_b") == "****"


def test_check_table_columns() -> None:
    snap = Snapshot(
        NOW,
        (
            report(),
            report("uiza", ok=False, sessions=0),
            report(
                "calls",
                ok=False,
                sessions=0,
                reachable=False,
                auth_ok=None,
                latency_ms=None,
                error="GET /v1/live/calls/1: connection refused",
            ),
        ),
        (),
    )
    rows = [line.split() for line in check_table(snap).splitlines()]
    assert rows[0] == ["PROVIDER", "KIND", "REACHABLE", "AUTH", "LATENCY", "SESSIONS", "ERROR"]
    assert rows[1] == ["studio", "livepeer", "yes", "ok", "41.2", "ms", "1"]
    assert rows[2][:4] == ["uiza", "livepeer", "yes", "refused"]
    assert rows[3][:5] == ["calls", "livepeer", "no", "—", "—"]
