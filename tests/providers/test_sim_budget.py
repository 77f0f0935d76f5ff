"""The simulator's budget mode, over a real socket: a sliding minute, then 429 as the calls
backend answers (`Retry-After`, `X-RateLimit-Limit/Remaining/Reset`), for each API."""

from __future__ import annotations

import time

import httpx
import pytest

from tui.sim import Fault, RunningSimulator, SimConfig, start_in_thread
from tui.sim.faults import parse_fault_args


def path(kind: str, sim: RunningSimulator) -> str:
    """A path each API answers 200 on."""
    if kind == "livepeer":
        return "session"
    if kind == "uiza":
        return f"v1/live_entities/{sim.entity_ids[0]}/live_sessions"
    return f"v1/live/calls/{sim.call_ids[0]}"


def test_budget_parses_from_the_command_line() -> None:
    assert parse_fault_args(["calls:budget=60"])["calls"] == Fault(budget=60)
    assert Fault.from_dict({"budget": 5.0}).budget == 5
    with pytest.raises(ValueError, match="budget"):
        Fault(budget=-1)


@pytest.mark.parametrize("kind", ["livepeer", "uiza", "calls"])
def test_over_the_budget_is_a_429_with_the_rate_limit_headers(kind: str) -> None:
    with start_in_thread(SimConfig(seed=2, sessions=20)) as sim:
        sim.set_fault(kind, Fault(budget=4))
        key = sim.api_keys[kind]
        auth = key if kind == "uiza" else f"Bearer {key}"
        url = f"{sim.base_urls[kind].rstrip('/')}/{path(kind, sim)}"
        with httpx.Client(headers={"Authorization": auth}) as client:
            start = time.time()
            answers = [client.get(url) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 4 + [429] * 2
        refused = answers[-1]
        assert refused.json()  # the API's own error body
        retry = int(refused.headers["retry-after"])
        assert 55 <= retry <= 60
        assert refused.headers["x-ratelimit-limit"] == "4"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        reset = int(refused.headers["x-ratelimit-reset"])
        assert start + 55 <= reset <= time.time() + 61
        assert sim.refused(kind) == 2
        arrivals = sim.arrivals(kind)
        assert len(arrivals) == 6 and arrivals == sorted(arrivals)
        sim.set_fault(kind, None)  # off: the next request is answered
        with httpx.Client(headers={"Authorization": auth}) as client:
            assert client.get(url).status_code == 200
