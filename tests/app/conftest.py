"""App tests run the real console against the embedded simulator over a loopback socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.app import FROZEN
from tui.sim import RunningSimulator, SimConfig, start_in_thread


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=7, sessions=60)) as running:
        yield running


@pytest.fixture(scope="module")
def frozen_sim() -> Iterator[RunningSimulator]:
    config = SimConfig(seed=7, sessions=60, start_time=FROZEN, speed=1e-9)
    with start_in_thread(config) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("sim", "frozen_sim"):
        if name in request.fixturenames:
            request.getfixturevalue(name).clear_faults()
