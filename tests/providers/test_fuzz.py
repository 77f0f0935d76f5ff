"""Property: whatever a server sends back, a client raises nothing but `ProviderError`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.models import Session
from tui.providers import CallsClient, LivepeerClient, ProviderError, UizaClient

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=30,
)
# Bodies shaped like the real ones, with every field replaced by anything.
livepeer_item = st.fixed_dictionaries(
    {"id": json_values},
    optional={
        k: json_values
        for k in ("name", "lastSeen", "createdAt", "isHealthy", "issues", "profiles", "ingestRate")
    },
)
uiza_page = st.fixed_dictionaries(
    {"data": st.lists(json_values | st.fixed_dictionaries({"id": json_values}), max_size=4)},
    optional={"next_page_token": json_values},
)
call = st.fixed_dictionaries(
    {"id": json_values},
    optional={k: json_values for k in ("status", "live", "started_at", "title", "ended_at")},
)
bodies = json_values | st.lists(livepeer_item, max_size=5) | uiza_page | call
raw_bodies = st.binary(max_size=64) | bodies.map(lambda b: json.dumps(b).encode())
statuses = st.sampled_from([200, 200, 200, 400, 401, 404, 429, 500, 502, 503])
links = st.none() | st.sampled_from(
    ['<http://h/api/session?cursor=a>; rel="next"', '<//evil/x>; rel="next"', "<>; rel=next", "<"]
)

Call = Callable[[Any], Coroutine[Any, Any, object]]
CALLS: list[tuple[type[Any], dict[str, Any], Call]] = [
    (LivepeerClient, {}, lambda c: c.fetch()),
    (LivepeerClient, {}, lambda c: c.get_session("x")),
    (LivepeerClient, {"stream_ids": ["a"]}, lambda c: c.fetch()),
    (UizaClient, {"entity_ids": ["e"]}, lambda c: c.fetch()),
    (UizaClient, {}, lambda c: c.get_session("e", "s")),
    (CallsClient, {"call_ids": ["c"]}, lambda c: c.fetch()),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=raw_bodies,
    status=statuses,
    link=links,
    retry_after=st.none() | st.text(max_size=8),
    which=st.integers(0, len(CALLS) - 1),
)
def test_any_response_raises_only_provider_errors(
    body: bytes, status: int, link: str | None, retry_after: str | None, which: int
) -> None:
    headers = {}
    if link:
        headers["Link"] = link
    if retry_after and retry_after.isprintable() and retry_after.isascii():
        headers["Retry-After"] = retry_after
    requests = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal requests
        requests += 1
        return httpx.Response(status, content=body, headers=headers)

    cls, kwargs, call_it = CALLS[which]

    async def run() -> None:
        async with cls(
            "p", "secret-key-xyz", transport=httpx.MockTransport(handler), **kwargs
        ) as c:
            try:
                result = await call_it(c)
            except ProviderError as exc:
                assert "secret-key-xyz" not in str(exc)
                return
            if isinstance(result, Session):
                assert isinstance(result.id, str)

    asyncio.run(run())
    assert requests <= 101  # paging always terminates
