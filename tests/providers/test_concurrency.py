"""Bounded concurrency per provider: 1,000 watched calls never wait in httpx's pool, so none
times out for being queued (a request's timeout starts when it is sent)."""

from __future__ import annotations

import asyncio
import time

import httpx

from tui.providers import CallsClient, ProviderTimeout
from tui.providers.errors import ProviderNotFound
from tui.providers.scheduler import DEFAULT_CONCURRENCY, RequestScheduler
from tui.sim import Fault, SimConfig, start_in_thread

CALL = {
    "id": "x",
    "title": "t",
    "status": "live",
    "live": {"is_live": True, "current_session_id": None, "ended_at": None},
}


class Counting(httpx.AsyncBaseTransport):
    """Answers every call after `delay`, counting how many are in flight at once."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.active = self.most = self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.active += 1
        self.seen += 1
        self.most = max(self.most, self.active)
        try:
            await asyncio.sleep(self.delay)
            call_id = request.url.path.rsplit("/", 1)[-1]
            return httpx.Response(200, json={**CALL, "id": call_id})
        finally:
            self.active -= 1


async def test_a_thousand_calls_are_asked_a_few_at_a_time() -> None:
    transport = Counting(0.002)
    ids = [f"call-{i}" for i in range(1000)]
    async with CallsClient("calls", "tok-123456", call_ids=ids, transport=transport) as client:
        result = await client.fetch()
    assert len(result.sessions) == 1000 and not result.errors
    assert transport.seen == 1000
    assert transport.most == DEFAULT_CONCURRENCY  # never all 1,000 at once


async def test_a_thousand_calls_over_a_socket_none_times_out_for_being_queued() -> None:
    # Each request may take 2 s, each answer takes 20 ms, ten at a time: all of them take at
    # least 2 s, which would time the last ones out if time spent queued counted.
    timeout = httpx.Timeout(2.0, connect=2.0)
    with start_in_thread(SimConfig(seed=4, sessions=10)) as sim:
        sim.set_fault("calls", Fault(latency=0.02))
        ids = [*sim.call_ids, *(f"gone-{i}" for i in range(1000 - len(sim.call_ids)))]
        scheduler = RequestScheduler("calls")  # no budget: only the concurrency bounds it
        async with CallsClient(
            "calls",
            sim.api_keys["calls"],
            base_url=sim.base_urls["calls"],
            call_ids=ids,
            timeout=timeout,
            scheduler=scheduler,
        ) as client:
            started = time.monotonic()
            result = await client.fetch()
            took = time.monotonic() - started
        assert len(result.sessions) == len(sim.call_ids)
        assert len(result.errors) == 1000 - len(sim.call_ids)
        assert all(isinstance(e, ProviderNotFound) for e in result.errors)  # answers, all
        assert not any(isinstance(e, ProviderTimeout) for e in result.errors)
        assert sim.request_counts["calls"] == 1000
        assert len(scheduler.sent) == 1000
        assert took >= 2.0  # longer than any request's timeout, and none timed out
