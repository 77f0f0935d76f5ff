"""Serving the simulator: start-up time, clean shutdown, fixed ports, the standalone runner."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import tomllib
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn

from tui.sim import (
    Fault,
    SimConfig,
    SimInfo,
    describe,
    render_config_toml,
    run_standalone,
    start_in_thread,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def list_url(info: SimInfo) -> tuple[str, dict[str, str]]:
    headers = {"Authorization": f"Bearer {info.api_keys['livepeer']}"}
    return info.base_urls["livepeer"] + "/session?limit=1000", headers


def test_start_with_ten_thousand_sessions_is_fast_and_serves_at_once() -> None:
    started = time.perf_counter()
    sim = start_in_thread(SimConfig(sessions=10_000))
    elapsed = time.perf_counter() - started
    try:
        assert elapsed < 0.5
        url, headers = list_url(sim.info)
        response = httpx.get(url, headers=headers)
        assert response.status_code == 200 and len(response.json()) == 1000
    finally:
        sim.stop()


def test_stop_frees_the_port_and_ends_the_thread() -> None:
    sim = start_in_thread(SimConfig(sessions=10))
    port = int(sim.base_urls["livepeer"].split(":")[2].split("/")[0])
    thread = next(t for t in threading.enumerate() if t.name == f"livetop-sim-{port}")
    sim.stop()
    sim.stop()  # idempotent
    assert not thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(sim.base_urls["calls"] + "/v1/live/calls/x")


def test_an_idle_simulator_wakes_once_a_second_and_stops_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn's own loop wakes ten times a second; the demo's simulator idles beside the
    console, so it wakes once a second (for the Date header) and `stop()` wakes it."""
    ticks: list[float] = []
    on_tick = uvicorn.Server.on_tick

    async def counting(self: uvicorn.Server, counter: int) -> bool:
        ticks.append(time.monotonic())
        return await on_tick(self, counter)

    monkeypatch.setattr(uvicorn.Server, "on_tick", counting)
    sim = start_in_thread(SimConfig(sessions=10))
    time.sleep(2.2)
    started = time.perf_counter()
    sim.stop()
    assert time.perf_counter() - started < 0.5
    assert 2 <= len(ticks) <= 5, len(ticks)  # the first tick, ~2 a second later, the last


def test_stop_does_not_wait_for_hung_requests() -> None:
    sim = start_in_thread(SimConfig(sessions=10, faults={"calls": Fault(hang=1)}))
    url = f"{sim.base_urls['calls']}/v1/live/calls/{sim.call_ids[0]}"
    outcome: list[BaseException | int] = []

    def hang() -> None:
        try:
            outcome.append(httpx.get(url, timeout=30).status_code)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=hang)
    waiter.start()
    while sim.request_counts["calls"] == 0:
        time.sleep(0.01)
    started = time.perf_counter()
    sim.stop()
    waiter.join(5)
    assert time.perf_counter() - started < 1.5
    assert outcome and outcome[0] != 200  # the hung request ended without an answer


def test_a_fixed_port_and_the_context_manager() -> None:
    port = free_port()
    with start_in_thread(SimConfig(port=port, sessions=5)) as sim:
        assert sim.base_urls == {
            "livepeer": f"http://127.0.0.1:{port}/livepeer/api",
            "uiza": f"http://127.0.0.1:{port}/uiza",
            "calls": f"http://127.0.0.1:{port}/calls",
        }
        assert sim.control_url == f"http://127.0.0.1:{port}/_control"
        config = tomllib.loads(sim.config_toml())
        assert [p["base_url"] for p in config["providers"]] == list(sim.base_urls.values())
        assert len(sim.entity_ids) == 3 and len(sim.call_ids) == 8 and sim.stream_ids
        assert set(sim.api_keys) == {"livepeer", "uiza", "calls"}
        with pytest.raises(OSError):
            start_in_thread(SimConfig(port=port))  # taken
    with pytest.raises(httpx.ConnectError):
        httpx.get(sim.control_url + "/stats")


async def test_run_standalone_serves_until_cancelled() -> None:
    ready: list[SimInfo] = []
    task = asyncio.create_task(
        run_standalone(SimConfig(sessions=50, seed=9), "127.0.0.1", 0, on_ready=ready.append)
    )
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            if ready:
                try:
                    stats = await client.get(ready[0].control_url + "/stats")
                    break
                except httpx.ConnectError:
                    pass
            await asyncio.sleep(0.01)
        assert stats.json()["seed"] == 9
        url, headers = list_url(ready[0])
        assert len((await client.get(url, headers=headers)).json()) == 50
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(httpx.ConnectError):
            await client.get(ready[0].control_url + "/stats")


def test_describe_prints_the_urls_and_a_ready_config() -> None:
    with start_in_thread(SimConfig(sessions=5)) as sim:
        text = describe(sim.info)
        config = tomllib.loads(render_config_toml(sim.info))
    for url in [*sim.base_urls.values(), sim.control_url]:
        assert url in text
    assert f"curl -X POST {sim.control_url}/faults" in text
    assert {p["kind"] for p in config["providers"]} == {"livepeer", "uiza", "calls"}


def test_speed_runs_simulated_time_ahead_and_sim_now_follows_it() -> None:
    with start_in_thread(SimConfig(sessions=20, speed=200.0)) as sim:
        first = sim.now()
        time.sleep(0.2)
        ahead = (sim.now() - datetime.now(UTC)).total_seconds()
        assert ahead > 20  # ~0.2 s x 200, far beyond the real clock
        assert (sim.now() - first).total_seconds() > 20
        url, headers = list_url(sim.info)
        newest = max(s["lastSeen"] for s in httpx.get(url, headers=headers).json())
        assert newest / 1000 > datetime.now(UTC).timestamp() + 10  # the data is in sim time
