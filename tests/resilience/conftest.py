"""Resilience tests: the running console against the simulator over a real loopback socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tui.sim import RunningSimulator, SimConfig, start_in_thread


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A small live account: one page of Livepeer sessions, so one request is one poll."""
    with start_in_thread(SimConfig(seed=11, sessions=60)) as running:
        yield running
