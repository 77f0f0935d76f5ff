"""The whole simulated world for one seed: its configuration, its clock, and the three APIs' data.

Time is `start + (monotonic elapsed) * speed`. Every record is a function of that time (see the
worlds in `livepeer.py`, `uiza.py`, `calls.py`), evaluated once per request at a whole simulated
second so that one page's sort order and its records agree.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tui.sim.calls import CallsWorld
from tui.sim.faults import PROVIDERS, Fault
from tui.sim.livepeer import LivepeerWorld
from tui.sim.rand import alnum, encode_uuid, h64
from tui.sim.uiza import UizaWorld

MAX_SESSIONS = 20_000


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How to build and serve a simulator.

    `sessions`: Livepeer sessions that exist at the start (history included; the account then
    grows by one session per stream per period, as a real one does). `churn`: the share of them
    on air at any moment, which is also what makes rows change between polls. `speed`: simulated
    seconds per real second. `start_time`: epoch seconds of the simulated start (default: now);
    pin it, with `seed`, to reproduce a moment exactly. `hostile_names`: mix markup, escape
    sequences and odd Unicode into names and titles.
    """

    seed: int = 1
    sessions: int = 200
    speed: float = 1.0
    churn: float = 0.1
    faults: Mapping[str, Fault] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int | None = None
    hostile_names: bool = False
    start_time: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.sessions <= MAX_SESSIONS:
            raise ValueError(f"sessions must be between 0 and {MAX_SESSIONS}")
        if not (math.isfinite(self.speed) and self.speed > 0):
            raise ValueError("speed must be a positive number")
        if not (math.isfinite(self.churn) and 0 <= self.churn <= 1):
            raise ValueError("churn must be between 0 and 1")
        unknown = set(self.faults) - set(PROVIDERS)
        if unknown:
            raise ValueError(f"faults for unknown providers: {', '.join(sorted(unknown))}")
        if self.port is not None and not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")


class SimClock:
    """Simulated epoch seconds: `start + (monotonic() - t0) * speed`.

    `monotonic` is injectable so tests can move time by hand.
    """

    def __init__(
        self,
        speed: float = 1.0,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.speed = speed
        self.start = time.time() if start is None else start
        self._monotonic = monotonic
        self._t0 = monotonic()

    def now(self) -> float:
        return self.start + (self._monotonic() - self._t0) * self.speed


class Scenario:
    """The three simulated accounts on one clock, and the keys that open them."""

    def __init__(self, config: SimConfig, clock: SimClock | None = None) -> None:
        self.config = config
        self.clock = clock or SimClock(config.speed, config.start_time)
        start, seed = self.clock.start, config.seed
        hostile = config.hostile_names
        self.livepeer = LivepeerWorld(seed, config.sessions, config.churn, start, hostile)
        self.uiza = UizaWorld(seed, start, hostile)
        self.calls = CallsWorld(seed, start, hostile)
        self.api_keys: dict[str, str] = {
            "livepeer": encode_uuid(h64(seed, 0x1CEE), 0),
            "uiza": f"uap-{h64(seed, 0xA):016x}{h64(seed, 0xA1):016x}-{h64(seed, 0xB) >> 32:08x}",
            "calls": "sim_" + alnum(32, seed, 0xCA),
        }

    def now(self) -> float:
        """The simulated time a request is answered at, in whole simulated seconds."""
        return float(math.floor(self.clock.now()))

    @property
    def entity_ids(self) -> list[str]:
        return [entity.id for entity in self.uiza.entities]

    @property
    def call_ids(self) -> list[str]:
        return [call.id for call in self.calls.calls]

    def stream_ids(self, count: int = 3) -> list[str]:
        """A few Livepeer stream ids, for configs that watch streams instead of the account."""
        n = min(count, self.livepeer.stream_count)
        return [self.livepeer.stream(j).id for j in range(n)]

    def summary(self) -> dict[str, object]:
        t = self.now()
        return {
            "time": t,
            "speed": self.clock.speed,
            "seed": self.config.seed,
            "livepeer": self.livepeer.counts(t),
            "uiza": {"entities": len(self.uiza.entities), "live": self.uiza.live_count(t)},
            "calls": {"calls": len(self.calls.calls), "live": self.calls.live_count(t)},
        }
