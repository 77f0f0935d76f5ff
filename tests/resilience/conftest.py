"""Resilience tests: the running console against the simulator over a real loopback socket."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tui.sim import RunningSimulator, SimConfig, start_in_thread


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A small live account: one page of Livepeer sessions, so one request is one poll."""
    with start_in_thread(SimConfig(seed=11, sessions=60)) as running:
        yield running


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The header shows local time; pin it to UTC so nothing depends on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()
