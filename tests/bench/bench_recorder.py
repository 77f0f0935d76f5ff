"""Benchmark of the flight recorder: CPU, disk per hour, and seeking in a one-hour recording.

    python tests/bench/bench_recorder.py [--sessions 10000] [--churn 0.1] [--minutes 60]
                                         [--seconds 60] [--runs 2] [--seeks 20]

1. **Disk, and CPU per poll** (simulated hour): the simulator's clock and the store's clock
   are moved by hand, 2 s at a time, and the real refresher polls the simulator over a
   loopback socket into a store the recorder records; an hour of a 10,000-session account
   takes minutes. Prints the file's size per recorded hour, and the CPU the recorder spent
   (its thread plus its subscriber on the event loop) per poll, next to what the poll itself
   cost the event loop in the same run.
2. **Seeking**: random moments of that recording, each rebuilt the way the replayer does
   (`state_at`, sessions built, put into a store), from a freshly opened file (cold) and
   from one already open (warm).
3. **CPU in real time**: `livetop record` and the same poller without a recorder, each its
   own process against one `livetop simulate` process, alternating `--runs` times for
   `--seconds` after `--settle`; CPU from /proc (utime + stime, all threads).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sim_process import start_simulator

from tui.clock import FakeClock
from tui.collector import tune
from tui.config import settings_from_dict
from tui.engine import build_refresher
from tui.recorder import feed
from tui.recorder.reader import Recording
from tui.recorder.writer import Limits, Recorder
from tui.sim import SimConfig, SimInfo, start_in_thread
from tui.sim.scenario import SimClock
from tui.store import SessionStore

START = 1_795_348_800.0  # a fixed simulated moment, so runs compare
ROOT = Path(__file__).resolve().parents[2]


def settings_for(info: SimInfo, interval: float) -> Any:
    providers: list[dict[str, Any]] = [
        {"name": "studio", "kind": "livepeer", "base_url": info.base_urls["livepeer"]},
        {
            "name": "uiza",
            "kind": "uiza",
            "base_url": info.base_urls["uiza"],
            "entity_ids": list(info.entity_ids),
        },
        {
            "name": "calls",
            "kind": "calls",
            "base_url": info.base_urls["calls"],
            "call_ids": list(info.call_ids),
        },
    ]
    for p in providers:
        p["api_key"] = info.api_keys[str(p["kind"])]
        # The simulator is ours: no budget. With the calls' default one (50 a minute) a poll
        # of the watched calls would wait on the hand-moved clock for ever.
        p["max_requests_per_minute"] = 100_000
    data = {"refresh_interval": interval, "providers": providers}
    return settings_from_dict(data, source="<bench>", environ={})


def thread_cpu(native_id: int) -> float:
    with open(f"/proc/self/task/{native_id}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- 1. a simulated hour ---------------------------------------------------------------------


async def simulated_hour(args: argparse.Namespace, path: Path) -> dict[str, float]:
    moved = [0.0]
    sim_clock = SimClock(1.0, START, monotonic=lambda: moved[0])
    config = SimConfig(seed=args.seed, sessions=args.sessions, churn=args.churn, start_time=START)
    with start_in_thread(config, clock=sim_clock) as sim:
        settings = settings_for(sim.info, args.interval)
        clock = FakeClock(START)
        store = SessionStore(clock=clock)
        refresher = build_refresher(settings, store, clock=clock, now=sim.now)
        recorder = Recorder(
            store,
            path,
            kinds={p.name: p.kind.value for p in settings.providers},
            secrets=settings.secret_values(),
            limits=Limits(flush_every=0.05),
        )
        spent = [0.0]
        subscriber = recorder._on_diff

        def timed(diff: Any) -> None:
            t0 = time.thread_time()
            subscriber(diff)
            spent[0] += time.thread_time() - t0

        recorder._on_diff = timed  # type: ignore[method-assign]
        recorder.start()
        assert recorder.wait_ready().recording, recorder.status
        writer = recorder._thread
        assert writer is not None and writer.native_id is not None
        polls = 0
        loop_cpu = 0.0
        steps = int(args.minutes * 60 / args.interval)
        async with refresher:
            for step in range(steps):
                t0 = time.thread_time()
                moved[0] += args.interval
                await clock.advance(args.interval)
                deadline = time.monotonic() + 30
                while any(s.polling_since is not None for s in store.statuses()):
                    await asyncio.sleep(0.002)
                    if time.monotonic() > deadline:
                        raise RuntimeError("a poll did not finish")
                loop_cpu += time.thread_time() - t0
                polls += 1
                if step % 150 == 0:
                    print(f"  {step * args.interval / 60:5.1f} min recorded", flush=True)
            writer_cpu = thread_cpu(writer.native_id)
            recorder.close()
            # The baseline for a seek: the same state by asking the providers, as a console
            # starting on the account does (its 10k-session fetch and merge).
            loads = []
            for _ in range(3):
                started = time.perf_counter()
                fresh = SessionStore()
                for provider in settings.providers:
                    async with provider.make_client(clock=sim.now) as client:
                        fresh.apply(provider.name, await client.fetch())
                loads.append((time.perf_counter() - started) * 1e3)
    loop_only = loop_cpu - spent[0]
    return {
        "first load ms": statistics.median(loads),
        "hours": steps * args.interval / 3600,
        "recorder ms/poll": (writer_cpu + spent[0]) * 1e3 / polls,
        "subscriber ms/poll": spent[0] * 1e3 / polls,
        "poll ms/poll": loop_only * 1e3 / polls,
        "polls": polls,
    }


# -- 2. seeking ------------------------------------------------------------------------------


def seeks(path: Path, count: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    with Recording(path) as rec:
        bounds = rec.bounds()
    assert bounds is not None
    moments = [rng.uniform(*bounds) for _ in range(count)]
    out: dict[str, list[float]] = {"cold": [], "warm": []}
    warm = Recording(path)
    for t in moments:
        for kind in ("cold", "warm"):
            store = SessionStore()
            started = time.perf_counter()
            rec = Recording(path) if kind == "cold" else warm
            state = rec.state_at(t)
            assert state is not None
            for provider in state.providers.values():
                provider.sessions()
            feed.put_state(store, state)
            out[kind].append((time.perf_counter() - started) * 1e3)
            if kind == "cold":
                rec.close()
    warm.close()
    return out


# -- 3. CPU in real time ---------------------------------------------------------------------

BASELINE = """
import asyncio, sys
from tui.config import load_settings
from tui.engine import build_refresher, poll_until_signalled
from tui.store import SessionStore
settings = load_settings(sys.argv[1])
store = SessionStore(default_interval=settings.refresh_interval)
asyncio.run(poll_until_signalled(build_refresher(settings, store)))
"""


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def real_time(args: argparse.Namespace, work: Path) -> dict[str, list[float]]:
    sim, config = start_simulator(work, sessions=args.sessions, churn=args.churn, seed=args.seed)
    try:
        env = {**os.environ, "LIVETOP_LOG_DIR": str(work / "logs")}
        out: dict[str, list[float]] = {"poller": [], "poller + recorder": []}
        for run in range(args.runs):
            for name in out:
                db = work / f"run{run}.db"
                cmd = (
                    [
                        sys.executable,
                        "-m",
                        "tui",
                        "record",
                        "--config",
                        str(config),
                        "--db",
                        str(db),
                    ]
                    if "recorder" in name
                    else [sys.executable, "-c", BASELINE, str(config)]
                )
                proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
                time.sleep(args.settle)
                c0, t0 = proc_cpu(proc.pid), time.monotonic()
                time.sleep(args.seconds)
                c1, t1 = proc_cpu(proc.pid), time.monotonic()
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
                out[name].append(100.0 * (c1 - c0) / (t1 - t0))
                print(f"  run {run + 1} {name}: {out[name][-1]:.2f} % of a core", flush=True)
        return out
    finally:
        sim.send_signal(signal.SIGINT)
        sim.wait(10)


def report_seeks(path: Path, args: argparse.Namespace, first_load: float | None) -> None:
    print(f"2. seeking, {args.seeks} random moments of {path.name}")
    for kind, values in seeks(path, args.seeks, args.seed).items():
        values.sort()
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        median = statistics.median(values)
        ratio = f"; {first_load / median:.1f}x faster than a first load" if first_load else ""
        print(f"  {kind}: median {median:.0f} ms, p95 {p95:.0f} ms, max {values[-1]:.0f} ms{ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--churn", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--seeks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--skip", choices=("hour", "realtime"), action="append", default=[])
    parser.add_argument("--keep", metavar="PATH", help="keep the simulated hour's recording")
    parser.add_argument("--recording", metavar="PATH", help="seek in this recording instead")
    args = parser.parse_args()
    tune()  # the console's garbage collector settings (tui/collector.py): it replays with them
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = Path(args.keep) if args.keep else work / "hour.db"
        if args.recording:
            report_seeks(Path(args.recording), args, None)
        elif "hour" not in args.skip:
            print(
                f"1. a simulated {args.minutes:g} min of {args.sessions} sessions, "
                f"{args.interval:g} s polls"
            )
            hour = asyncio.run(simulated_hour(args, path))
            hour["MB/hour"] = path.stat().st_size / 1e6 / hour["hours"]
            for key, value in hour.items():
                print(f"  {key}: {value:.3f}")
            share = hour["recorder ms/poll"] / (args.interval * 1e3) * 100
            print(
                f"  recorder CPU at one poll per {args.interval:g} s: {share:.2f} % of a core; "
                f"{hour['recorder ms/poll'] / hour['poll ms/poll']:.2f}x the poll's own "
                f"event-loop CPU"
            )
            report_seeks(path, args, hour["first load ms"])
        if "realtime" not in args.skip:
            print(f"3. real time, {args.seconds:g} s windows, {args.runs} runs")
            cpu = real_time(args, work)
            base = statistics.median(cpu["poller"])
            rec = statistics.median(cpu["poller + recorder"])
            print(
                f"  poller {base:.2f} %, poller + recorder {rec:.2f} % of a core: the "
                f"recorder adds {rec - base:.2f} % ({rec / base:.3f}x)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
