"""The data path every way of running livetop shares: Settings → provider clients → Refresher →
SessionStore, with one request scheduler per provider in front of its client. The console,
`livetop record` and `livetop export` build it here (`snapshot` and `check` build the same
schedulers), so a rule about polling (intervals, budgets) has one place to live. No Textual.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime

from tui.clock import Clock
from tui.config import Settings
from tui.providers.scheduler import RequestScheduler
from tui.refresher import Refresher
from tui.store import SessionStore


def build_schedulers(
    settings: Settings, *, clock: Clock | None = None
) -> dict[str, RequestScheduler]:
    """One request scheduler per configured provider, holding its budget (see
    `tui.providers.scheduler`).

    Every client of a provider must share its one scheduler: the budget is the provider's.
    """
    return {
        p.name: RequestScheduler(p.name, budget=settings.budget_for(p), clock=clock)
        for p in settings.providers
    }


def build_refresher(
    settings: Settings,
    store: SessionStore,
    *,
    clock: Clock | None = None,
    now: Callable[[], datetime] | None = None,
    rng: random.Random | None = None,
) -> Refresher:
    """One client per configured provider, each behind its provider's request scheduler,
    polled into `store` at the configured intervals and within the budgets.

    `now` (UTC) is what the clients judge "live" by; `clock` what the loops and schedulers
    sleep on; `rng` the backoff jitter (tests seed it so screens are reproducible).
    """
    schedulers = build_schedulers(settings, clock=clock)
    return Refresher(
        store,
        [p.make_client(clock=now, scheduler=schedulers[p.name]) for p in settings.providers],
        interval=settings.refresh_interval,
        intervals={p.name: settings.interval_for(p) for p in settings.providers},
        schedulers=schedulers,
        costs={p.name: max(1, len(p.ids)) for p in settings.providers},
        clock=clock,
        rng=rng,
    )


async def poll_until_signalled(refresher: Refresher) -> int:
    """Poll until SIGINT or SIGTERM, then stop every loop and close every client.

    Returns the signal number that ended it (a service manager's stop is SIGTERM).
    """
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[int] = loop.create_future()
    watched = (signal.SIGINT, signal.SIGTERM)
    for signum in watched:
        loop.add_signal_handler(signum, _resolve, stopped, int(signum))
    try:
        async with refresher:
            return await stopped
    finally:
        for signum in watched:
            with suppress(ValueError, RuntimeError):  # the loop may be closing
                loop.remove_signal_handler(signum)


def _resolve(future: asyncio.Future[int], signum: int) -> None:
    if not future.done():
        future.set_result(signum)
