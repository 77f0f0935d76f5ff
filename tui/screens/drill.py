"""Drill-down polling: a screen showing one stream's sessions or one session keeps them fresh
with a worker it owns (Textual cancels it when the screen closes). The data layer decides when
to fetch (`Refresher.follow_related` / `follow_session`): at the provider's pace, in the
foreground of its request budget, with backoff and the server's Retry-After."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from tui.models import SessionKey
from tui.providers import ProviderError
from tui.screens.live import LiveScreen


async def follow_related(screen: LiveScreen, provider: str, parent_id: str) -> None:
    """Keep a stream's or entity's sessions fresh while `screen` lives."""
    await _show(screen, screen.context.source.follow_related(provider, parent_id))


async def follow_session(screen: LiveScreen, key: SessionKey, parent_id: str | None) -> None:
    """Keep one session's full record fresh while `screen` lives."""
    source = screen.context.source
    await _show(screen, source.follow_session(key.provider, key.id, parent_id))


async def _show(screen: LiveScreen, outcomes: AsyncGenerator[object, None]) -> None:
    """Each fetch's outcome: the first answer drawn at once, a failure told once an outage."""
    first, reported = True, False
    async with aclosing(outcomes):
        async for outcome in outcomes:
            if isinstance(outcome, ProviderError):
                if not reported:  # once per outage, not once per poll
                    screen.notify(str(outcome), severity="error", markup=False)
                    reported = True
                continue
            reported = False
            if first:  # the operator just asked for it: draw it now, not on the tick
                first = False
                screen.redraw()
