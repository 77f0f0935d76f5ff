"""Every example body of the API documents (`tests/fixtures/`) parses and normalizes, and their
error bodies map to the error tree."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from support.fixtures import load
from tui.models import Profile, ProviderKind, SessionState
from tui.providers import (
    CallsClient,
    LivepeerClient,
    ProviderAuthError,
    ProviderHTTPError,
    ProviderNotFound,
    UizaClient,
)

SEED_SESSION_MS = 1587667174725
SEED_TIME = datetime.fromtimestamp(SEED_SESSION_MS / 1000, UTC)


def reply(status: int, body: Any) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


async def test_livepeer_get_session_seed_001_with_placeholder_any_fields() -> None:
    body = load("livepeer_session")
    # The docs' example holds "<unknown>" placeholders in the `any`-typed fields.
    assert body["isHealthy"] == "<unknown>"
    clock = lambda: SEED_TIME  # noqa: E731 - the moment the seed session was last seen
    async with LivepeerClient(
        "studio", "lp-key-1", transport=reply(200, body), clock=clock
    ) as client:
        session = await client.get_session(body["id"])
    assert session.provider == "studio"
    assert session.kind is ProviderKind.LIVEPEER
    assert session.id == "de7818e7-610a-4057-8f6f-b785dc1e6f88"
    assert session.name == "test_session"
    assert session.state is SessionState.LIVE
    assert session.healthy is None
    assert session.issues == ()
    assert session.profiles == ()
    assert session.parent_id == "de7818e7-610a-4057-8f6f-b785dc1e6f88"
    assert session.last_seen == SEED_TIME
    assert session.created_at == SEED_TIME
    assert session.ingest_bps == 8.0  # 1 byte/s on the wire
    assert session.outgoing_bps == 16.0
    assert session.duration_s == 1.0  # sourceSegmentsDuration
    assert session.recording == "waiting"
    assert session.details["playbackId"] == "eaw4nk06ts2d0mzb"


async def test_livepeer_stream_sessions_seed_002() -> None:
    body = load("livepeer_stream_sessions")
    later = datetime(2020, 4, 24, tzinfo=UTC)  # a day after lastSeen: the session has ended
    transport = reply(200, body)
    async with LivepeerClient(
        "studio", "lp-key-1", transport=transport, clock=lambda: later
    ) as client:
        result = await client.stream_sessions("de7818e7-610a-4057-8f6f-b785dc1e6f88", record=True)
    (session,) = result.sessions
    assert result.skipped == 0
    assert session.state is SessionState.ENDED
    assert session.ended_at == SEED_TIME
    assert session.healthy is None
    assert session.recording == "waiting"
    assert session.profiles == (
        Profile(
            name="720p",
            width=1280,
            height=129,
            bitrate=3000000,
            fps=30,
            gop="2",
            profile="H264Baseline",
            encoder="H.264",
        ),
    )


async def test_uiza_get_session_seed_000_masks_the_ingest_key() -> None:
    body = load("uiza_live_session")
    async with UizaClient("uiza", "uap-key", transport=reply(200, body)) as client:
        session = await client.get_session(body["entity_id"], body["id"])
    assert session.kind is ProviderKind.UIZA
    assert session.id == "1a513f1a-fe0e-4662-9512-233db26811b3"
    assert session.parent_id == "ddb781eb-38d1-42bf-921f-0d2d9130ce15"
    assert session.state is SessionState.ENDED  # it has a duration
    assert session.duration_s == 220.329
    assert session.created_at == datetime(2019, 10, 10, 14, 41, 11, tzinfo=UTC)
    assert session.last_seen == datetime(2019, 10, 10, 14, 44, 51, tzinfo=UTC)
    assert session.ended_at is not None
    assert session.ended_at.isoformat().startswith("2019-10-10T14:44:51.329")
    assert session.secret is not None
    assert session.secret.get_secret_value() == "live_rJZ7mbPPYw"
    assert "live_rJZ7mbPPYw" not in repr(session)
    assert "live_rJZ7mbPPYw" not in json.dumps(dict(session.details), default=str)


@pytest.mark.parametrize(
    ("index", "status", "error"),
    [
        (1, 400, ProviderHTTPError),
        (2, 400, ProviderHTTPError),
        (3, 401, ProviderAuthError),
        (4, 404, ProviderNotFound),
        (5, 404, ProviderNotFound),
        (6, 500, ProviderHTTPError),
    ],
)
async def test_uiza_seed_error_bodies(index: int, status: int, error: type[Exception]) -> None:
    body = load("uiza_error_bodies")[index - 1]
    async with UizaClient("uiza", "uap-key", transport=reply(status, body)) as client:
        with pytest.raises(error) as caught:
            await client.get_session("e", "s")
    assert isinstance(caught.value, ProviderHTTPError)
    assert caught.value.status == status
    assert body["message"] in caught.value.message
    assert body["error_type"] in caught.value.message


def call_body(**overrides: Any) -> dict[str, Any]:
    """A call exactly as seed 004's schema requires (it gives a schema, not an example)."""
    body: dict[str, Any] = {
        "id": "5f0c7f8e-1c1a-4c2b-9a57-0d6f3f1f6a10",
        "host_user_id": "user_42",
        "title": "Morning Q&A",
        "scheduled_at": "2026-11-22T09:00:00Z",
        "started_at": "2026-11-22T09:01:30Z",
        "ended_at": None,
        "stream_call_id": "sc_123",
        "stream_call_type": "livestream",
        "recording_url": None,
        "recording_ready_at": None,
        "status": "live",
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-22T09:01:30Z",
        "live": {"is_live": True, "current_session_id": "cs_1", "ended_at": None},
    }
    body.update(overrides)
    return body


def test_call_body_matches_seed_004_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = load("calls_call_schema")
    jsonschema.validate(call_body(), schema)


@pytest.mark.parametrize(
    ("overrides", "state", "healthy", "issue"),
    [
        ({}, SessionState.LIVE, True, None),
        ({"live": None}, SessionState.LIVE, False, "lookup failed"),
        (
            {"live": {"is_live": False, "current_session_id": None, "ended_at": None}},
            SessionState.LIVE,
            False,
            "backend says not live",
        ),
        ({"status": "errored"}, SessionState.ERRORED, False, "errored"),
        ({"status": "scheduled", "live": None}, SessionState.SCHEDULED, None, None),
        (
            {"status": "ended", "ended_at": "2026-11-22T10:01:30Z", "live": None},
            SessionState.ENDED,
            None,
            None,
        ),
        ({"status": "mystery"}, SessionState.UNKNOWN, False, "backend is live"),
    ],
)
async def test_call_state_and_health(
    overrides: dict[str, Any], state: SessionState, healthy: bool | None, issue: str | None
) -> None:
    async with CallsClient(
        "calls", "calls-token-1", transport=reply(200, call_body(**overrides))
    ) as client:
        session = await client.get_call("5f0c7f8e-1c1a-4c2b-9a57-0d6f3f1f6a10")
    assert session.kind is ProviderKind.CALLS
    assert session.name == "Morning Q&A"
    assert session.state is state
    assert session.healthy is healthy
    if issue is None:
        assert session.issues == ()
    else:
        assert any(issue in i for i in session.issues)
    if state is SessionState.ENDED:
        assert session.duration_s == 3600.0


async def test_calls_seed_404_body() -> None:
    body = {"error": "not_found", "message": "call not found"}
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(body, load("calls_error_schema"))  # the reference's error schema
    async with CallsClient("calls", "calls-token-1", transport=reply(404, body)) as client:
        with pytest.raises(ProviderNotFound) as caught:
            await client.get_call("nope")
    assert "call not found" in str(caught.value)


async def test_livepeer_error_body_carries_its_messages() -> None:
    body = {"errors": ["not found"]}
    async with LivepeerClient("studio", "lp-key-1", transport=reply(404, body)) as client:
        with pytest.raises(ProviderNotFound) as caught:
            await client.get_session("x")
    assert caught.value.message == "not found"
    assert str(caught.value) == "studio: GET /session/x: HTTP 404: not found"
