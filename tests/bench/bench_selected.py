"""How long the selected call waits to be asked, with 1,000 watched calls at 50 a minute.

    python tests/bench/bench_selected.py [--calls 1000] [--budget 50]

The real `RequestScheduler` on a `FakeClock` (its minutes pass at once): a scheduled poll asks
for every call (background), the first minute's budget goes, and the operator selects the call
at a given place in the poll. Printed: the wait until that call's request is sent, without a
preference (its turn in the poll: the code before `prefer`) and with it, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio

from tui.clock import FakeClock, settle
from tui.providers.calls import call_endpoint
from tui.providers.scheduler import RequestScheduler


async def wait_for_selected(calls: int, budget: int, place: int, prefer: bool) -> float:
    """Fake seconds from the selection until the selected call's request is sent."""
    clock = FakeClock()
    scheduler = RequestScheduler("calls", budget=budget, clock=clock)
    sent: dict[str, float] = {}

    async def ask(call_id: str) -> None:
        endpoint = call_endpoint(call_id)
        async with scheduler.request(endpoint):
            sent[endpoint] = clock.monotonic()

    poll = [asyncio.ensure_future(ask(f"c{i}")) for i in range(calls)]
    await settle()
    selected = call_endpoint(f"c{place}")
    if prefer:
        scheduler.prefer(selected)
    selected_at = clock.monotonic()
    while selected not in sent:
        await clock.advance(1.0)
    for task in poll:
        task.cancel()
    await asyncio.gather(*poll, return_exceptions=True)
    return sent[selected] - selected_at


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--budget", type=int, default=50)
    args = parser.parse_args()
    print(f"{args.calls} watched calls, budget {args.budget}/min: wait for the selected call")
    print(f"{'place in the poll':>18} {'in turn (s)':>12} {'selected (s)':>13} {'ratio':>7}")
    for place in (args.budget * 2, args.calls // 2, args.calls - 1):
        before = await wait_for_selected(args.calls, args.budget, place, prefer=False)
        after = await wait_for_selected(args.calls, args.budget, place, prefer=True)
        print(f"{place + 1:>18} {before:>12.0f} {after:>13.0f} {before / after:>6.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
