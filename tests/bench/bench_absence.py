"""What judging the rundown costs the console each second, next to what it already pays.

Run: python tests/bench/bench_absence.py [--sessions 10000] [--items 20] [--runs 200]
A store of N Livepeer sessions (3 a stream) and a rundown of `items` streams; times one
`Rundown.evaluate` (the 1 s tick's new work) against one `SessionStore.tick` (the tick's
existing work) and one 10 %-churn `apply` (a poll's), in the same run, and prints the ratios.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tui.absence import Rundown
from tui.clock import FakeClock
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.rundown_config import RundownEntry
from tui.store import SessionStore

T0 = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


def session(i: int) -> Session:
    return Session(
        "studio",
        ProviderKind.LIVEPEER,
        f"sess-{i:06d}",
        f"stream {i // 3}",
        SessionState.LIVE if i % 10 == 0 else SessionState.ENDED,
        parent_id=f"stream-{i // 3}",
        started_at=T0 - timedelta(minutes=i % 50),
        last_seen=T0,
        ended_at=None if i % 10 == 0 else T0 - timedelta(minutes=1),
        recording="waiting",
    )


def median_ms(work: object, runs: int) -> float:
    assert callable(work)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    clock = FakeClock(T0.timestamp())
    store = SessionStore(clock=clock, retention=1e9)
    sessions = [session(i) for i in range(args.sessions)]
    store.apply("studio", FetchResult(tuple(sessions)))
    step = max(1, args.sessions // 3 // args.items)
    entries = [
        RundownEntry(
            provider="studio",
            id=f"stream-{k * step}",
            start=T0 - timedelta(minutes=30),
            end=T0 + timedelta(minutes=30),
        )
        for k in range(args.items)
    ]
    rundown = Rundown(entries, loaded_at=clock.time())
    churned = tuple(
        replace(s, last_seen=T0 + timedelta(seconds=1)) if i % 10 == 0 else s
        for i, s in enumerate(sessions)
    )
    gc.disable()
    judge = median_ms(lambda: rundown.evaluate(store, clock.time()), args.runs)
    tick = median_ms(store.tick, args.runs)
    apply = median_ms(lambda: store.apply("studio", FetchResult(churned)), max(10, args.runs // 10))
    gc.enable()
    print(f"{args.sessions} sessions, {args.items} rundown items, median of {args.runs} runs")
    print(f"  Rundown.evaluate      {judge:8.3f} ms")
    print(f"  SessionStore.tick     {tick:8.3f} ms   evaluate = {judge / tick:6.1f} x tick")
    print(f"  SessionStore.apply    {apply:8.3f} ms   evaluate = {judge / apply:6.2f} x a poll")


if __name__ == "__main__":
    main()
