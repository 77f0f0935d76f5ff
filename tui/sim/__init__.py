"""The embedded simulator: Livepeer Studio, Uiza and the live-calls API on one loopback port.

```python
from tui.sim import SimConfig, Fault, start_in_thread
with start_in_thread(SimConfig(seed=1, sessions=200)) as sim:
    sim.base_urls, sim.api_keys, sim.entity_ids, sim.call_ids
    sim.set_fault("livepeer", Fault(latency=0.5, error_rate=0.1))
```
The configuration and fault types import cheaply; the server (uvicorn, Starlette) only loads
when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.sim.faults import PROVIDERS, Fault, parse_fault_args
from tui.sim.scenario import Scenario, SimClock, SimConfig

if TYPE_CHECKING:
    from tui.sim.server import (
        RunningSimulator,
        SimInfo,
        describe,
        render_config_toml,
        run_standalone,
        start_in_thread,
    )

__all__ = [
    "PROVIDERS",
    "Fault",
    "RunningSimulator",
    "Scenario",
    "SimClock",
    "SimConfig",
    "SimInfo",
    "describe",
    "parse_fault_args",
    "render_config_toml",
    "run_standalone",
    "start_in_thread",
]

_SERVER_NAMES = frozenset(
    {
        "RunningSimulator",
        "SimInfo",
        "describe",
        "render_config_toml",
        "run_standalone",
        "start_in_thread",
    }
)


def __getattr__(name: str) -> Any:
    if name in _SERVER_NAMES:
        from tui.sim import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
