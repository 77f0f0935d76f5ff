"""Request-budget benchmark: how many requests the console sends the calls API, over a socket.

    python tests/bench/bench_budget.py [--seconds 30]

Runs the real console (headless, `App.run_test`) against the embedded simulator over loopback,
watching `--watched` calls (2) with the default config (refresh_interval 2 s, the calls
provider's own defaults), and counts the requests the simulator receives for the calls API
in two cases:

1. **detail open**: one call's screen open (Enter on it), nobody typing;
2. **`+` to the floor**: back on the list, `+` pressed until the fastest pace.

Each case runs `--seconds` after a short settle and prints requests/min (count × 60 / seconds)
and the most requests seen in any 60 s window (only when the run is at least that long). The
issue's figures (75/min, ~840/min) came from the code before the per-provider budget; run
this on both and compare the ratios printed in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from bisect import bisect_left
from typing import Any

from tui.app import LivetopApp
from tui.config import settings_from_dict
from tui.models import SessionKey
from tui.screens.session import SessionScreen
from tui.sim import RunningSimulator, SimConfig, start_in_thread


class Arrivals:
    """Arrival times of the simulator's calls requests, sampled from its public counters."""

    def __init__(self, sim: RunningSimulator) -> None:
        self._sim = sim
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Arrivals:
        self._last = self._sim.request_counts["calls"]
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2.0)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            n, now = self._sim.request_counts["calls"], time.monotonic()
            self.times.extend([now] * (n - self._last))
            self._last = n

    def between(self, start: float, end: float) -> list[float]:
        # The simulator's own arrival times where it keeps them (exact); else the samples
        # (up to 5 ms late, enough to put two requests a minute apart into one window).
        exact = getattr(self._sim, "arrivals", None)
        times = exact("calls") if exact is not None else self.times
        return [t for t in times if start <= t <= end]


def max_window(times: list[float], window: float = 60.0) -> int:
    """The most arrivals in any `window` seconds."""
    times = sorted(times)
    return max((bisect_left(times, t + window) - i for i, t in enumerate(times)), default=0)


async def run(
    sim: RunningSimulator, watched: int, seconds: float, settle: float
) -> dict[str, list[float]]:
    providers: list[dict[str, Any]] = [
        {"name": "studio", "kind": "livepeer"},
        {"name": "uiza", "kind": "uiza", "entity_ids": list(sim.entity_ids)},
        {"name": "calls", "kind": "calls", "call_ids": list(sim.call_ids[:watched])},
    ]
    for entry in providers:
        kind = str(entry["kind"])
        entry |= {"base_url": sim.base_urls[kind], "api_key": sim.api_keys[kind]}
    settings = settings_from_dict({"providers": providers}, source="<bench>", environ={})
    app = LivetopApp(settings)
    out: dict[str, list[float]] = {}
    with Arrivals(sim) as arrivals:
        async with app.run_test(size=(120, 36)) as pilot:
            while app.store.status("calls").last_success is None:
                await pilot.pause(0.1)
            key = SessionKey("calls", sim.call_ids[0])
            app.push_screen(SessionScreen(app.context, key, "calls"))
            await pilot.pause(settle)
            start = time.monotonic()
            await pilot.pause(seconds)
            out["detail open"] = arrivals.between(start, time.monotonic())
            app.pop_screen()
            for _ in range(8):
                await pilot.press("plus")
            await pilot.pause(settle)
            start = time.monotonic()
            await pilot.pause(seconds)
            out["+ to the floor"] = arrivals.between(start, time.monotonic())
            await pilot.press("q")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--watched", type=int, default=2, help="calls watched")
    args = parser.parse_args()
    sim = start_in_thread(SimConfig(seed=1))
    try:
        results = asyncio.run(run(sim, args.watched, args.seconds, args.settle))
    finally:
        sim.stop()
    print(f"calls API, {args.watched} watched calls, {args.seconds:g} s per case")
    for case, times in results.items():
        per_min = len(times) * 60.0 / args.seconds
        window = f", max {max_window(times)} in a 60 s window" if args.seconds >= 60 else ""
        print(f"  {case:<16} {len(times):5d} requests = {per_min:7.1f}/min{window}")


if __name__ == "__main__":
    main()
