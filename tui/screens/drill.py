"""Drill-down polling: a screen showing one stream's sessions or one session keeps them fresh
with a worker it owns (Textual cancels it when the screen closes), at the provider's pace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tui.models import SessionKey
from tui.providers import ProviderError
from tui.screens.live import LiveScreen


async def follow_related(screen: LiveScreen, provider: str, parent_id: str) -> None:
    """Keep a stream's or entity's sessions fresh while `screen` lives."""
    source = screen.context.source
    await _follow(screen, provider, lambda: source.fetch_related(provider, parent_id))


async def follow_session(screen: LiveScreen, key: SessionKey, parent_id: str | None) -> None:
    """Keep one session's full record fresh while `screen` lives."""
    source = screen.context.source
    await _follow(
        screen, key.provider, lambda: source.fetch_session(key.provider, key.id, parent_id)
    )


async def _follow(
    screen: LiveScreen, provider: str, fetch: Callable[[], Awaitable[object]]
) -> None:
    context = screen.context
    first, reported = True, False
    while True:
        if not context.paused:
            try:
                await fetch()
            except ProviderError as exc:
                if not reported:  # once per outage, not once per poll
                    screen.notify(str(exc), severity="error", markup=False)
                    reported = True
            else:
                reported = False
                if first:  # the operator just asked for it: draw it now, not on the tick
                    first = False
                    screen.redraw()
        await context.clock.sleep(context.source.interval_for(provider))
