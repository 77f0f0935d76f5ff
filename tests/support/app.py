"""Running the real console against the embedded simulator over a loopback socket."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping, Sequence

from textual.pilot import Pilot

from tui.app import LivetopApp
from tui.clock import FakeClock
from tui.config import demo_settings
from tui.models import ProviderKind
from tui.sim import RunningSimulator

# A fixed simulated moment; with a near-zero speed the simulator stands still there.
FROZEN = 1_795_348_800.0  # 2026-11-22 12:00:00 UTC


def live_app(sim: RunningSimulator, **kwargs: object) -> LivetopApp:
    """The console on the running simulator, polling every half second on the real clock."""
    return LivetopApp(demo_settings(sim, refresh_interval=0.5), **kwargs)  # type: ignore[arg-type]


def frozen_app(sim: RunningSimulator, rundown: Sequence[Mapping[str, object]] = ()) -> LivetopApp:
    """The console on a frozen simulator with a frozen clock: every frame is reproducible."""
    settings = demo_settings(sim, refresh_interval=2.0, rundown=rundown)
    app = LivetopApp(settings, clock=FakeClock(FROZEN + 1.0), rng=random.Random(7))
    app.refresher.pause()  # the test polls each provider in turn (a race would vary frames)
    return app


async def wait_for(
    pilot: Pilot[None], condition: Callable[[], object], limit: float = 10.0
) -> None:
    """Let the app run until `condition()` holds (data arrives over a real socket)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


async def poll_each(pilot: Pilot[None], app: LivetopApp, polls: int = 2) -> None:
    """Poll every provider `polls` times, one after another (a race would vary frames), and
    wait for each answer. Each poll waits for what goes beside it (Livepeer's viewers, Uiza's
    names), as a one-shot snapshot does: the same polls give the same history every run."""
    assert app.settings is not None, "a console that polls"
    kinds = {p.name: p.kind for p in app.settings.providers}
    for name in app.refresher.providers:
        client = app.refresher.client(name)
        for wait in ("viewers_wait", "names_wait"):
            if hasattr(client, wait):
                setattr(client, wait, 10.0)
        for _ in range(polls):
            done = app.store.status(name).polls
            app.refresher.refresh_now(name)
            await wait_for(pilot, lambda: app.store.status(name).polls > done)  # noqa: B023
        assert _answered(app, name), f"{name} did not answer"
        assert not _lacking(app, name, kinds[name]), f"{name}: no viewers or names came"


def _answered(app: LivetopApp, provider: str) -> bool:
    return app.store.status(provider).last_success is not None


def _lacking(app: LivetopApp, provider: str, kind: ProviderKind) -> bool:
    """What a poll asks beside it has not come yet: Livepeer's viewers, Uiza's names."""
    if kind is ProviderKind.LIVEPEER:
        return app.store.status(provider).viewers_at is None
    if kind is ProviderKind.UIZA:  # a row named by its entity's id
        return any(s.name == s.parent_id for s in app.store.sessions(provider))
    return False


def no_color() -> bool:
    return "NO_COLOR" in os.environ
