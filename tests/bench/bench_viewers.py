"""Viewership benchmark: what realtime viewers add to a Livepeer poll at N sessions.

    python tests/bench/bench_viewers.py [--sessions 10000] [--rounds 9]

The simulator runs in a separate process (`livetop simulate`, as `bench_client.py` starts it),
so its work is not the client's. Two clients of the same account poll in turns, in one
process, each in its steady state (the previous poll's records reused, as the console polls
every 2 s): one with viewership off (`LivepeerClient(viewership=False)`), one with it on, whose
poll also starts `GET /data/views/now` beside the listing and joins what came. Measured per
poll, `gc.collect()` before each:

- wall: `fetch()` start to end, what the store waits for (the viewership is not waited for);
- CPU: this process's CPU from the start of the poll until its viewership request, if one
  went, has been read (so its decoding, validation and join count, though they may end after
  the poll): the whole cost of a poll to the console's process;
- requests: what the simulator counted, per poll;
- the viewership request alone, outside any poll: how long the simulator takes to answer it.
  It serves the listing's pages and the viewership from one process, so while it builds the
  one it delays the other: part of the wall difference is the simulator's, not the client's
  (the CPU row is the client's alone).

And the join alone (no network): `Joiner.join` over the listing's sessions with the
audience, the first time (every watched session rebuilt) and again (unchanged: reused).
Ratios are with / without, from medians of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bench_client import start_simulator

from tui.providers.livepeer import LivepeerClient
from tui.providers.viewership import Joiner, Views

WINDOW = 10 * 365 * 86400.0  # the whole account, as bench_client.py fetches it


def client(base: str, key: str, viewership: bool) -> LivepeerClient:
    return LivepeerClient("studio", key, base_url=base, window_s=WINDOW, viewership=viewership)


async def asked(stats: httpx.AsyncClient) -> int:
    """Livepeer requests the simulator has counted so far."""
    counts: dict[str, int] = (await stats.get("stats")).json()["requests"]
    return counts["livepeer"]


async def one_poll(c: LivepeerClient, stats: httpx.AsyncClient) -> tuple[float, float, int]:
    before = await asked(stats)
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    await c.fetch()
    took = time.perf_counter() - wall
    if c.viewership is not None:
        await c.viewership.settle(wait=30.0)  # its reading counts too
    spent = time.process_time() - cpu
    return took, spent, await asked(stats) - before


async def measure(base: str, key: str, rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in ("wall0", "cpu0", "asked0", "wall1")}
    out |= {"cpu1": [], "asked1": []}
    control = base.removesuffix("/livepeer/api") + "/_control/"
    async with (
        client(base, key, False) as off,
        client(base, key, True) as on,
        httpx.AsyncClient(base_url=control) as stats,
    ):
        for c in (off, on, on):  # warm: the records known, the viewers joined once
            await c.fetch()
            await asyncio.sleep(0.3)
        for _ in range(rounds):
            for name, c in (("0", off), ("1", on)):
                wall, cpu, requests = await one_poll(c, stats)
                out["wall" + name].append(wall)
                out["cpu" + name].append(cpu)
                out["asked" + name].append(float(requests))
                await asyncio.sleep(0.2)
        result = await on.fetch()
        out["views"] = []
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as plain:
            for _ in range(rounds):  # the simulator answering the viewership alone
                t = time.perf_counter()
                answer = await plain.get(base + "/data/views/now?breakdownBy[]=playbackId")
                answer.raise_for_status()
                out["views"].append(time.perf_counter() - t)
    out["watched"] = [float(sum(1 for s in result.sessions if s.viewers is not None))]
    out["sessions"] = [float(len(result.sessions))]
    return out


def join_alone(result_sessions: int, rounds: int) -> tuple[float, float, int]:
    """The join at this size without the network: first (all rebuilt) and again (reused)."""
    from datetime import UTC, datetime, timedelta

    from tui.providers.livepeer import normalize_session

    now = datetime.now(UTC)
    seen = int((now - timedelta(seconds=5)).timestamp() * 1000)
    sessions = [
        normalize_session(
            "studio",
            {"id": f"s{i}", "name": f"s{i}", "lastSeen": seen, "playbackId": f"p{i}"},
            now,
        )
        for i in range(result_sessions)
    ]
    audience = {f"p{i}": Views(i % 5000, 0.01) for i in range(0, result_sessions, 10)}
    first, again = [], []
    for _ in range(rounds):
        joiner = Joiner()
        gc.collect()
        t = time.perf_counter()
        joiner.join(sessions, audience)
        first.append(time.perf_counter() - t)
        t = time.perf_counter()
        joiner.join(sessions, audience)
        again.append(time.perf_counter() - t)
    return statistics.median(first), statistics.median(again), len(audience)


def _ms(values: list[float]) -> str:
    ms = sorted(v * 1e3 for v in values)
    return f"{statistics.median(ms):7.1f} ms [{ms[0]:.1f}–{ms[-1]:.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    sim, base, key = start_simulator(args.sessions)
    try:
        got = asyncio.run(measure(base, key, args.rounds))
    finally:
        sim.terminate()
        sim.wait(10)
    n, watched = int(got["sessions"][0]), int(got["watched"][0])
    print(
        f"{n} Livepeer sessions listed, {watched} with viewers; {args.rounds} polls each, "
        "median [min–max]"
    )
    for label, name in (("wall, the poll", "wall"), ("CPU, the poll and its viewers", "cpu")):
        off, on = got[name + "0"], got[name + "1"]
        ratio = statistics.median(on) / statistics.median(off)
        print(f"  {label:<32} without {_ms(off)}   with {_ms(on)}   with/without {ratio:.3f}")
    plain, viewed = statistics.median(got["asked0"]), statistics.median(got["asked1"])
    print(f"  {'requests a poll':<32} without {plain:g}   with {viewed:g}")
    print(f"  {'the viewership request alone':<32} {_ms(got['views'])} (the simulator answering)")
    first, again, rows = join_alone(n, args.rounds)
    print(
        f"  join alone, {n} sessions, {rows} playback ids: first {first * 1e3:.1f} ms, "
        f"again (unchanged) {again * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
