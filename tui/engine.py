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
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Reconfigured:
    """What a reloaded config changed among the providers, by name."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


async def reconfigure(
    refresher: Refresher,
    store: SessionStore,
    old: Settings,
    new: Settings,
    *,
    now: Callable[[], datetime] | None = None,
) -> Reconfigured:
    """Apply a reloaded config to a running data path, keeping what is on screen.

    A provider that left is stopped and forgotten by the store. One whose settings changed
    gets a new client (its sessions stay in the store, and its next complete poll settles
    them, quietly: a call dropped from the config did not end); it keeps its request
    scheduler, with the new budget, so the requests of the last minute still count. A new
    one is polled at once. The others carry on untouched, at the new default interval if
    they follow it.
    """
    before = {p.name: p for p in old.providers}
    after = {p.name: p for p in new.providers}
    removed = tuple(name for name in before if name not in after)
    changed = tuple(name for name in after if name in before and after[name] != before[name])
    added = tuple(name for name in after if name not in before)
    for name in removed:
        await refresher.remove(name)
        store.forget(name)
    schedulers = {
        name: RequestScheduler(name, budget=new.budget_for(after[name]), clock=refresher.clock)
        for name in added
    }
    for name in changed:
        scheduler = schedulers[name] = refresher.scheduler_for(name)
        scheduler.rebudget(new.budget_for(after[name]))
        await refresher.remove(name)
        store.reloaded(name)
    for name in (*changed, *added):
        provider = after[name]
        refresher.add(
            provider.make_client(clock=now, scheduler=schedulers[name]),
            interval=new.interval_for(provider),
            scheduler=schedulers[name],
            cost=max(1, len(provider.ids)),
        )
    for name, provider in after.items():
        kept = name in before and name not in changed
        if kept and new.interval_for(provider) != old.interval_for(before[name]):
            refresher.set_interval(new.interval_for(provider), name)
    return Reconfigured(added, changed, removed)


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
