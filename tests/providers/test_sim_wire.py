"""The simulator's wire format, read raw: paging, errors, quirks, the schema, the control API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from support.fixtures import load
from tui.sim import RunningSimulator, SimClock, SimConfig, start_in_thread


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    config = SimConfig(seed=33, sessions=1000, churn=0.2)
    with start_in_thread(config, clock=SimClock(monotonic=lambda: 0.0)) as running:
        yield running


@pytest.fixture(scope="module")
def http(sim: RunningSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def get(http: httpx.Client, sim: RunningSimulator, provider: str, path: str, **kw: Any) -> Any:
    key = sim.api_keys[provider]
    auth = key if provider == "uiza" else f"Bearer {key}"
    return http.get(sim.base_urls[provider] + path, headers={"Authorization": auth}, **kw)


@pytest.fixture(scope="module")
def session_validator() -> jsonschema.Draft202012Validator:
    """The OpenAPI `session` schema, resolved against the parts of the document it uses.

    As published it is unsatisfiable: `required: [name, streamId]` with
    `additionalProperties: false` and no `streamId` property. Real sessions carry no streamId
    (seeds 001-003), so it is validated with `streamId` removed from `required`.
    """
    document = load("livepeer_openapi_session")  # the session schema and what it references
    session = document["components"]["schemas"]["session"]
    assert "streamId" in session["required"] and "streamId" not in session["properties"]
    session["required"] = [name for name in session["required"] if name != "streamId"]
    root = {**document, "$ref": "#/components/schemas/session"}
    return jsonschema.Draft202012Validator(root)


def test_livepeer_sessions_validate_against_the_openapi_session_schema(
    sim: RunningSimulator, http: httpx.Client, session_validator: jsonschema.Validator
) -> None:
    listed = get(http, sim, "livepeer", "/session", params={"limit": 1000}).json()
    parent = listed[0]["parentId"]
    one = get(http, sim, "livepeer", f"/session/{listed[0]['id']}").json()
    of_stream = get(http, sim, "livepeer", f"/stream/{parent}/sessions").json()
    records = [*listed, one, *of_stream]
    for record in records:
        session_validator.validate(record)
    assert {r["isHealthy"] for r in records} == {True, False, None}
    assert {r.get("recordingStatus") for r in records} >= {"waiting", "ready", None}
    assert any(isinstance(p.get("gop"), str) for r in records for p in r["profiles"])
    assert any("recordingSpec" in r for r in records)


def test_livepeer_pages_like_the_real_api(sim: RunningSimulator, http: httpx.Client) -> None:
    first = get(http, sim, "livepeer", "/session")
    assert first.status_code == 200 and len(first.json()) == 20  # the default limit
    next_url = first.links["next"]["url"]
    assert (
        next_url.startswith(sim.base_urls["livepeer"] + "/session?") and "cursor=skip20" in next_url
    )
    second = http.get(next_url, headers={"Authorization": f"Bearer {sim.api_keys['livepeer']}"})
    assert {s["id"] for s in second.json()}.isdisjoint(s["id"] for s in first.json())

    total = get(http, sim, "livepeer", "/session", params={"limit": 1, "count": 1})
    count = int(total.headers["X-Total-Count"])
    assert count == sim.scenario.livepeer.counts(sim.scenario.now())["sessions"]
    full = get(http, sim, "livepeer", "/session", params={"limit": 1000, "cursor": "skip0"})
    assert len(full.json()) == 1000 and "next" in full.links  # a full page promises more
    tail = get(http, sim, "livepeer", "/session", params={"limit": 1000, "cursor": "skip1000"})
    assert tail.json() == [] and "link" not in tail.headers  # ...even when nothing is left
    partial = get(http, sim, "livepeer", "/session", params={"limit": 1000, "cursor": "skip600"})
    assert len(partial.json()) == count - 600 and "link" not in partial.headers


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 1001}, 422),
        ({"limit": 0}, 422),
        ({"limit": "ten"}, 422),
        ({"cursor": "page2"}, 400),
        ({"order": "name-true"}, 400),
        ({"filters": json.dumps([{"id": "lastSeen", "value": {"eq": 1}}])}, 400),
        ({"filters": json.dumps([{"id": "lastSeen", "value": 1}])}, 400),
        ({"filters": "[{not json"}, 400),
    ],
)
def test_livepeer_refuses_bad_queries_in_its_error_format(
    sim: RunningSimulator, http: httpx.Client, params: dict[str, Any], status: int
) -> None:
    response = get(http, sim, "livepeer", "/session", params=params)
    assert response.status_code == status
    body = response.json()
    assert list(body) == ["errors"] and all(isinstance(e, str) for e in body["errors"])


def test_livepeer_order_and_filters(sim: RunningSimulator, http: httpx.Client) -> None:
    oldest = get(http, sim, "livepeer", "/session", params={"order": "createdAt-false"}).json()
    created = [s["createdAt"] for s in oldest]
    assert created == sorted(created)
    cutoff = int(sim.scenario.now() * 1000) - 600_000
    query = {"filters": json.dumps([{"id": "lastSeen", "value": {"gte": cutoff}}]), "limit": 1000}
    recent = get(http, sim, "livepeer", "/session", params=query).json()
    assert recent and all(s["lastSeen"] >= cutoff for s in recent)
    seen = [s["lastSeen"] for s in recent]
    assert seen == sorted(seen, reverse=True)


def test_livepeer_not_found_and_stream_sessions(sim: RunningSimulator, http: httpx.Client) -> None:
    missing = get(http, sim, "livepeer", "/session/de7818e7-610a-4057-8f6f-b785dc1e6f88")
    assert missing.status_code == 404 and missing.json() == {"errors": ["not found"]}
    assert get(http, sim, "livepeer", "/nowhere").json() == {"errors": ["not found"]}
    parent = sim.stream_ids[0]
    response = get(http, sim, "livepeer", f"/stream/{parent}/sessions")
    assert "link" not in response.headers
    assert response.json() and all(s["sourceSegments"] > 0 for s in response.json())


def test_uiza_pages_with_tokens_and_names_the_key_per_endpoint(
    sim: RunningSimulator, http: httpx.Client
) -> None:
    path = f"/v1/live_entities/{sim.entity_ids[0]}/live_sessions"
    first = get(http, sim, "uiza", path).json()
    assert set(first) == {"data", "next_page_token", "prev_page_token"}
    assert len(first["data"]) == 10 and first["prev_page_token"] == ""  # default page size
    assert all("stream_key" in s and "ingest_key" not in s for s in first["data"])
    ids, token, pages = [], "", 0
    while True:
        page = get(http, sim, "uiza", path, params={"page_size": 100, "page_token": token}).json()
        ids += [s["id"] for s in page["data"]]
        pages += 1
        token = page["next_page_token"]
        if not token:
            break
        assert page["next_page_token"] != page["prev_page_token"]
    assert pages == 2 and len(ids) == len(set(ids)) > 100
    one = get(http, sim, "uiza", f"{path}/{ids[0]}").json()
    assert one["id"] == ids[0] and "ingest_key" in one and "stream_key" not in one
    too_big = get(http, sim, "uiza", path, params={"page_size": 101})
    assert too_big.status_code == 400
    assert too_big.json()["error_type"] == "invalid_request_error"
    bad_token = get(http, sim, "uiza", path, params={"page_token": "garbage!"})
    assert bad_token.status_code == 400 and set(bad_token.json()) == {"message", "error_type"}


def test_calls_answer_the_documented_shape_and_errors(
    sim: RunningSimulator, http: httpx.Client
) -> None:
    required = {
        "id",
        "host_user_id",
        "title",
        "scheduled_at",
        "started_at",
        "ended_at",
        "stream_call_id",
        "stream_call_type",
        "recording_url",
        "recording_ready_at",
        "status",
        "created_at",
        "updated_at",
        "live",
    }
    for call_id in sim.call_ids:
        call = get(http, sim, "calls", f"/v1/live/calls/{call_id}").json()
        assert set(call) == required and call["id"] == call_id
        if call["live"] is not None:
            assert set(call["live"]) == {"is_live", "current_session_id", "ended_at"}
    missing = get(http, sim, "calls", "/v1/live/calls/nope")
    assert missing.status_code == 404 and set(missing.json()) == {"error", "message"}
    refused = http.get(sim.base_urls["calls"] + f"/v1/live/calls/{sim.call_ids[0]}")
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"


def test_the_control_endpoint_switches_faults_and_reports(
    sim: RunningSimulator, http: httpx.Client
) -> None:
    control = sim.control_url
    try:
        changed = http.post(f"{control}/faults", json={"livepeer": {"auth": True}})
        assert changed.json()["livepeer"] == {"auth": True}
        assert get(http, sim, "livepeer", "/session").status_code == 401
        everywhere = http.post(f"{control}/faults", json={"all": {"latency": 0.01}})
        assert everywhere.json() == {p: {"latency": 0.01} for p in ("livepeer", "uiza", "calls")}
        bad = http.post(f"{control}/faults", json={"vimeo": {}})
        assert bad.status_code == 400 and "vimeo" in bad.json()["error"]
        assert http.post(f"{control}/faults", json={"uiza": {"hang": 2}}).status_code == 400
        stats = http.get(f"{control}/stats").json()
        assert stats["requests"]["livepeer"] >= 1 and stats["livepeer"]["sessions"] >= 1000
        assert stats["faults"]["calls"] == {"latency": 0.01}
    finally:
        cleared = http.delete(f"{control}/faults").json()
    assert cleared == {"livepeer": {}, "uiza": {}, "calls": {}}
    assert get(http, sim, "livepeer", "/session").status_code == 200
