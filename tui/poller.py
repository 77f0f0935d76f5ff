"""A provider's polling state, and the small rules the refresher applies to it. No Textual."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from tui.providers.base import Provider
from tui.providers.errors import ProviderError
from tui.providers.scheduler import MAX_HOLD, RequestScheduler

MIN_INTERVAL = 0.5

log = logging.getLogger("livetop.refresher")
T = TypeVar("T")


class Poller:
    """One provider's loop state (see `tui.refresher`)."""

    __slots__ = (
        "base",
        "cost",
        "due",
        "failures",
        "force_hold",
        "forced",
        "in_flight",
        "kick",
        "last_end",
        "last_start",
        "name",
        "not_before",
        "provider",
        "published",
        "scheduler",
        "task",
        "wake",
    )

    def __init__(
        self, provider: Provider, interval: float, scheduler: RequestScheduler, cost: int
    ) -> None:
        self.provider = provider
        self.name = provider.name
        self.base = interval  # the configured interval, before the factor and the budget
        self.scheduler = scheduler
        self.cost = max(1, cost)  # requests one poll makes (measured after each success)
        self.failures = 0
        self.due = float("-inf")  # monotonic time of the next scheduled poll
        self.not_before = float("-inf")  # a server's Retry-After: nothing polls before it
        self.last_start = self.last_end = float("-inf")
        self.forced = False
        self.force_hold = False  # `r`: this forced poll may go through the server's hold
        self.in_flight = False
        self.published: float | None = None  # the deadline last shown as `next_poll`
        self.wake = asyncio.Event()
        self.kick = asyncio.Event()  # set (and replaced) to wake the drill-downs at once
        self.task: asyncio.Task[None] | None = None


def floor_interval(seconds: float) -> float:
    return max(MIN_INTERVAL, float(seconds))


def kick(p: Poller) -> None:
    """Wake every drill-down of this provider that is waiting for its next fetch."""
    kick, p.kick = p.kick, asyncio.Event()
    kick.set()


def server_wait(error: BaseException | str | None) -> float | None:
    """The server's Retry-After, clamped to `MAX_HOLD` and never under `MIN_INTERVAL`."""
    if not isinstance(error, ProviderError) or error.retry_after is None:
        return None
    return min(max(error.retry_after, MIN_INTERVAL), MAX_HOLD)


async def guarded(provider: str, endpoint: str, fetch: Awaitable[T]) -> T:
    """A drill-down's fetch; a provider bug becomes the one error type, logged."""
    try:
        return await fetch
    except ProviderError:
        raise
    except Exception as exc:
        raise _internal(provider, endpoint, exc) from exc


def _internal(provider: str, endpoint: str, exc: Exception) -> ProviderError:
    """A provider bug seen by a drill-down: logged, and raised as the one error type."""
    log.error("provider %s raised %s in %s", provider, type(exc).__name__, endpoint)
    log.debug("provider %s traceback", provider, exc_info=exc)
    return ProviderError(provider, endpoint, f"internal error: {type(exc).__name__}")
