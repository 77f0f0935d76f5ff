"""App tests run the real console against the embedded simulator over a loopback socket."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tui.app import LivetopApp
from tui.clock import FakeClock
from tui.config import demo_settings
from tui.sim import SimConfig, start_in_thread

# A fixed simulated moment; with a near-zero speed the simulator stands still there.
FROZEN = 1_795_348_800.0  # 2026-11-22 12:00:00 UTC


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    with start_in_thread(SimConfig(seed=7, sessions=60)) as running:
        yield running


@pytest.fixture(scope="module")
def frozen_sim() -> Iterator[Any]:
    config = SimConfig(seed=7, sessions=60, start_time=FROZEN, speed=1e-9)
    with start_in_thread(config) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("sim", "frozen_sim"):
        if name in request.fixturenames:
            request.getfixturevalue(name).clear_faults()


def live_app(sim: Any, **kwargs: Any) -> LivetopApp:
    """The console on the running simulator, polling every half second on the real clock."""
    return LivetopApp(demo_settings(sim, refresh_interval=0.5), **kwargs)


def frozen_app(sim: Any) -> LivetopApp:
    """The console on a frozen simulator with a frozen clock: every frame is reproducible."""
    settings = demo_settings(sim, refresh_interval=2.0)
    app = LivetopApp(settings, clock=FakeClock(FROZEN + 1.0), rng=random.Random(7))
    app.refresher.pause()  # the test polls each provider in turn (a race would vary frames)
    return app


async def wait_for(pilot: Any, condition: Any, limit: float = 10.0) -> None:
    """Let the app run until `condition()` holds (data arrives over a real socket)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


def no_color() -> bool:
    return "NO_COLOR" in os.environ
