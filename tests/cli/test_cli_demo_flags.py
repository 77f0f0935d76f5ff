"""`--sessions`, `--seed`, `--churn`, `--speed`: the demo simulator's settings, only with --demo."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from tui.cli import _SimTime, main
from tui.demo import DemoSimulator


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sessions", "10"], "--sessions needs --demo"),
        (["--seed", "3"], "--seed needs --demo"),
        (["--churn", "0.5"], "--churn needs --demo"),
        (["--speed", "10"], "--speed needs --demo"),
        (["--sessions", "10", "snapshot"], "--sessions needs --demo"),
        (["snapshot", "--seed", "3"], "--seed needs --demo"),
        (["--demo", "--sessions", "20001"], "sessions must be between 0 and 20000"),
        (["--demo", "--churn", "2"], "churn must be between 0 and 1"),
        (["--demo", "--speed", "0"], "speed must be a positive number"),
        (["--demo", "--sessions", "many"], "invalid int value: 'many'"),
        (["snapshot", "--demo", "--speed", "-1"], "speed must be a positive number"),
    ],
)
def test_demo_settings_are_refused_without_demo_or_out_of_range(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_simulate_keeps_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    # `simulate` has --sessions/--seed/... of its own: those are not the demo's.
    assert main(["simulate", "--sessions", "5", "--help"]) == 0
    assert "--fault" in capsys.readouterr().out


def test_help_lists_the_demo_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--sessions N", "--seed S", "--churn C", "--speed X"):
        assert flag in out


def test_snapshot_demo_takes_the_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--demo", "--sessions", "7", "--seed", "3", "--churn", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    studio = [s for s in doc["sessions"] if s["provider"] == "studio"]
    assert 0 < len(studio) <= 7
    assert main(["--demo", "--seed", "3", "--sessions", "7", "--churn", "1", "snapshot"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert {s["id"] for s in again["sessions"]} >= {s["id"] for s in studio}  # same seed


def test_demo_simulator_runs_in_a_child_process_and_stops_with_it() -> None:
    sim = DemoSimulator({"sessions": 12, "seed": 5, "speed": 60.0})
    try:
        sim.wait_ready()
        assert set(sim.base_urls) == {"livepeer", "uiza", "calls"}
        assert all(url.startswith("http://127.0.0.1:") for url in sim.base_urls.values())
        assert sim.api_keys["livepeer"] and sim.call_ids and sim.entity_ids
        assert sim.pid != os.getpid() and sim.speed == 60.0
        a = sim.time()
        time.sleep(0.05)
        assert 1.0 < sim.time() - a < 10.0  # ~3 simulated seconds in 0.05 s
        assert abs(a - time.time()) < 60.0
    finally:
        sim.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(sim.pid, 0)


def test_demo_simulator_refuses_bad_settings_before_starting() -> None:
    with pytest.raises(ValueError, match="churn"):
        DemoSimulator({"churn": -1.0})


async def test_the_demo_clock_follows_simulated_time() -> None:
    now = [1000.0]
    clock = _SimTime(lambda: now[0], speed=100.0)
    assert clock.time() == 1000.0
    a = clock.monotonic()
    started = time.monotonic()
    await clock.sleep(5.0)  # 5 simulated seconds: 0.05 real ones
    assert time.monotonic() - started < 1.0
    assert clock.monotonic() - a >= 4.0
    await asyncio.sleep(0)
