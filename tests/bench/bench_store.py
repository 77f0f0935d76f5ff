"""Micro-benchmark of SessionStore: apply a 10k-session fetch with 10 % churn; history memory.

Run: python tests/bench/bench_store.py [--sessions 10000] [--churn 0.1] [--memory 20000]
Prints the median/p95 apply time and the store's memory per session with full history.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from tui.clock import FakeClock
from tui.models import FetchResult, Profile, ProviderKind, Session, SessionState
from tui.store import SessionStore, StoreDiff

T0 = datetime(2024, 11, 22, 12, 0, tzinfo=UTC)


def wire(i: int, tick: int = 0) -> dict[str, object]:
    """A Livepeer-like wire record (the `details` a real client keeps), all fresh objects."""
    return {
        "id": f"sess-{i:06d}",
        "name": f"stream {i}",
        "parentId": f"stream-{i // 3}",
        "projectId": "proj-1",
        "playbackId": f"pb{i:06d}",
        "createdAt": 1732270000000 + i,
        "lastSeen": 1732276000000 + i + tick * 1000,
        "sourceSegments": 1000 + i,
        "transcodedSegments": 3000 + i,
        "sourceSegmentsDuration": 2000.5,
        "transcodedSegmentsDuration": 6001.5,
        "sourceBytes": 123456789,
        "transcodedBytes": 987654321,
        "ingestRate": 312500.0,
        "outgoingRate": 937500.0,
        "isHealthy": True,
        "issues": None,
        "record": True,
        "recordingStatus": "waiting",
        "profiles": [
            {"name": "720p", "width": 1280, "height": 720, "bitrate": 3000000, "fps": 30},
            {"name": "480p", "width": 854, "height": 480, "bitrate": 1600000, "fps": 30},
        ],
    }


def session(i: int, tick: int = 0) -> Session:
    """A fully fresh Session, as a real fetch builds one every poll."""
    w = wire(i, tick)
    return Session(
        provider="lp",
        kind=ProviderKind.LIVEPEER,
        id=str(w["id"]),
        name=str(w["name"]),
        state=SessionState.LIVE,
        healthy=True,
        parent_id=str(w["parentId"]),
        created_at=T0,
        last_seen=T0 + timedelta(seconds=tick),
        duration_s=2000.5,
        ingest_bps=2_500_000.0 + i + tick,
        outgoing_bps=7_500_000.0 + i + tick,
        recording="waiting",
        started_at=T0,
        profiles=(Profile("720p", 1280, 720, 3_000_000, 30.0), Profile("480p", 854, 480, None)),
        details=w,
    )


def bench_apply(n: int, churn: float, rounds: int) -> None:
    """Sync `apply` on odd rounds, `apply_async` (longest loop stall) on even ones."""
    clock = FakeClock()
    store = store_for(clock)
    ticks = [0] * n
    store.apply("lp", FetchResult(tuple(session(i) for i in range(n))))
    step = max(1, round(1 / churn)) if churn > 0 else n + 1
    times, cpu, stalls = [], [], []
    for r in range(1, 2 * rounds + 1):
        # Every object fresh (as a real fetch builds them); `churn` of the sessions differ.
        for i in range(r % step, n, step):
            ticks[i] = r
        batch = tuple(session(i, ticks[i]) for i in range(n))
        clock._elapsed += 2.0
        gc.collect()
        if r % 2:
            t, c = time.perf_counter(), time.process_time()
            diff = store.apply("lp", FetchResult(batch))
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        else:
            diff, stall = asyncio.run(longest_stall(store, batch))
            stalls.append(stall)
        assert len(diff.changed) == len(range(r % step, n, step)), len(diff.changed)
        del batch, diff
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"apply {n} sessions, {churn:.0%} changed: median {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, min {times[0]:.1f} ms, CPU median {statistics.median(cpu):.1f} ms "
        f"({rounds} rounds); apply_async longest "
        f"event-loop stall: median {statistics.median(stalls):.1f} ms, max {max(stalls):.1f} ms"
    )


async def longest_stall(store: SessionStore, batch: tuple[Session, ...]) -> tuple[StoreDiff, float]:
    """Apply with apply_async and measure the longest gap between event-loop turns."""
    gaps: list[float] = []
    done = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    diff = await store.apply_async("lp", FetchResult(batch))
    done = True
    await task
    return diff, max(gaps) * 1000


def store_for(clock: FakeClock) -> SessionStore:
    return SessionStore(clock=clock, history_size=120)


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_memory(n: int, samples: int) -> None:
    clock = FakeClock()
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    sessions = tuple(session(i) for i in range(n))
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    store = store_for(clock)
    for _ in range(samples):
        clock._elapsed += 2.0
        store.apply("lp", FetchResult(sessions))
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert all(len(store.history(s.key)) == min(samples, 120) for s in sessions[:10])
    t = time.perf_counter()
    gc.collect()
    full_gc = (time.perf_counter() - t) * 1000
    print(
        f"{n} sessions with {min(samples, 120)} samples each: Session objects "
        f"{(before - start) / 2**20:.1f} MiB ({(before - start) / n:.0f} B each); store "
        f"overhead {(after - before) / 2**20:.1f} MiB ({(after - before) / n:.0f} B/session, "
        f"history included); process RSS {rss_mib():.0f} MiB; a full gc.collect() {full_gc:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--churn", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--memory", type=int, default=20_000)
    args = parser.parse_args()
    bench_apply(args.sessions, args.churn, args.rounds)
    bench_apply(args.sessions, 1.0, max(3, args.rounds // 4))
    bench_memory(args.memory, 130)


if __name__ == "__main__":
    main()
