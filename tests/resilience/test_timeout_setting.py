"""The per-provider `timeout` setting: how long a client waits before a hang is a failure.

The console builds its clients with `ProviderConfig.make_client()`; a configured `timeout` is
what lets the fault matrix (and an operator with a slow API) bound a hanging request.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tui.config import ConfigError, settings_from_dict
from tui.providers import ProviderTimeout
from tui.sim import Fault, RunningSimulator

BASE = {"name": "studio", "kind": "livepeer", "api_key": "key-0123456789"}


def test_timeout_is_optional_and_sets_the_clients_timeouts() -> None:
    default = settings_from_dict({"providers": [BASE]}).providers[0]
    assert default.timeout is None
    http = default.make_client()._http  # type: ignore[attr-defined]
    assert http.timeout == httpx.Timeout(10.0, connect=5.0)
    short = settings_from_dict({"providers": [{**BASE, "timeout": 0.3}]}).providers[0]
    assert short.make_client()._http.timeout == httpx.Timeout(0.3)  # type: ignore[attr-defined]
    long = settings_from_dict({"providers": [{**BASE, "timeout": 60}]}).providers[0]
    assert long.make_client()._http.timeout == httpx.Timeout(60.0, connect=5.0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "timeout: must be more than 0 seconds"),
        (-1.5, "timeout: must be more than 0 seconds"),
        (301, "timeout: must be at most 300 seconds"),
        (float("inf"), "timeout: must be a finite number"),
        ("5", "timeout: must be a number"),
    ],
)
def test_a_bad_timeout_is_reported_in_words(value: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_dict({"providers": [{**BASE, "timeout": value}]}, source="c.toml")
    assert str(caught.value) == f'c.toml: provider "studio": {message}'


async def test_a_hanging_request_fails_after_the_configured_timeout(sim: RunningSimulator) -> None:
    entry = {**BASE, "base_url": sim.base_urls["livepeer"], "api_key": sim.api_keys["livepeer"]}
    config = settings_from_dict({"providers": [{**entry, "timeout": 0.3}]}).providers[0]
    sim.set_fault("livepeer", Fault(hang=1.0))
    try:
        async with config.make_client() as client:
            start = time.monotonic()
            with pytest.raises(ProviderTimeout):
                await client.fetch()
            assert 0.25 < time.monotonic() - start < 1.5
    finally:
        sim.clear_faults()
