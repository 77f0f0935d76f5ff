"""404 for a watched id: a stream, entity or call the operator watches no longer exists.

Each provider watches one real id and one that is gone. The gone one is a 404 in the provider's
own words on the provider bar (PARTIAL: the rest of the fetch still counts); the real one's
sessions stay fresh. When every watched id 404s (the simulator's `not_found`), the provider
fails, keeps its last good sessions stale, backs off, and recovers at its announced next poll.
"""

from __future__ import annotations

import itertools
import time

from support.harness import (
    INTERVAL,
    SLACK,
    RequestLog,
    StoreWatch,
    backoff_bound,
    backoff_floor,
    bar_text,
    fast_settings,
    keys_of,
    quit_app,
    wait_for,
)
from tui.app import LivetopApp
from tui.sim import Fault, RunningSimulator
from tui.store import ProviderHealth
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.sessions_table import SessionsTable

GONE = "00000000-0000-4000-8000-00000000dead"
MESSAGES = {
    "studio": "HTTP 404: not found",
    "uiza": "HTTP 404: The live entity you requested does not exist. (invalid_request_error)",
    "calls": "HTTP 404: call not found (not_found)",
}
KINDS = {"studio": "livepeer", "uiza": "uiza", "calls": "calls"}


def settings(sim: RunningSimulator) -> object:
    return fast_settings(
        sim,
        overrides={
            "studio": {"stream_ids": [sim.stream_ids[0], GONE]},
            "uiza": {"entity_ids": [sim.entity_ids[1], GONE]},
            "calls": {"call_ids": [sim.call_ids[0], GONE]},
        },
    )


async def test_a_gone_id_is_a_partial_failure_in_the_providers_words(sim: RunningSimulator) -> None:
    app = LivetopApp(settings(sim))  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        store = app.store
        await wait_for(pilot, lambda: all(s.last_success for s in store.statuses()))
        await wait_for(pilot, lambda: all("PARTIAL" in bar_text(app, n) for n in MESSAGES))
        for name, message in MESSAGES.items():
            status = store.status(name)
            assert status.health is ProviderHealth.PARTIAL, status
            assert message in bar_text(app, name) and "PARTIAL" in bar_text(app, name)
            assert app.screen.query_one(ProviderBar).is_banner(name)
            kept = keys_of(store, name)
            assert kept and not any(store.is_stale(k) for k in kept), name
        await pilot.press("j", "k")
        assert app.screen.query_one(SessionsTable).cursor_key is not None
        await quit_app(pilot)


async def test_every_watched_id_gone_fails_keeps_data_and_recovers(sim: RunningSimulator) -> None:
    """The livepeer row of the fault matrix for 404: its account listing names no id."""
    app = LivetopApp(fast_settings(sim, overrides={"studio": {"stream_ids": sim.stream_ids}}))
    watch = StoreWatch(app.store)
    store = app.store
    try:
        with RequestLog(sim) as log:
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_for(pilot, lambda: store.status("studio").health is ProviderHealth.OK)
                await wait_for(pilot, lambda: store.status("studio").next_poll is not None)
                kept = watch.last_ok["studio"]
                t_set = time.monotonic()
                sim.set_fault("livepeer", Fault(not_found=True))
                await wait_for(pilot, lambda: store.status("studio").consecutive_failures >= 2)
                facts, words = "FAILING (2 in a row) · data ", f" · {MESSAGES['studio']} · "
                await wait_for(
                    pilot,
                    lambda: facts in (t := bar_text(app, "studio")) and words in t,
                    limit=2,
                )
                assert keys_of(store, "studio") == kept and kept
                assert all(store.is_stale(k) for k in kept)
                for other in ("uiza", "calls"):
                    assert store.status(other).health is ProviderHealth.OK
                await pilot.press("j", "k")
                await wait_for(pilot, lambda: store.status("studio").next_poll is not None)
                promise = (store.status("studio").next_poll or 0.0) - time.time()
                assert promise <= backoff_bound(2) + SLACK
                t_lift = time.monotonic()
                sim.set_fault("livepeer", None)
                await wait_for(pilot, lambda: store.status("studio").health is ProviderHealth.OK)
                assert time.monotonic() - t_lift <= max(promise, 0) + 1.0
                assert not any(store.is_stale(k) for k in keys_of(store, "studio"))
                # Stream mode is one request per watched stream per poll: count polls.
                streams = len(sim.stream_ids)
                arrivals = log.times("livepeer", since=t_set)[::streams]
                gaps = [b - a for a, b in itertools.pairwise(arrivals)]
                assert len(gaps) >= 2
                for n, gap in enumerate(gaps[:2], start=1):
                    assert gap >= backoff_floor(n) - SLACK, (n, gap)
                assert all(gap >= INTERVAL - SLACK for gap in gaps)
                await quit_app(pilot)
    finally:
        sim.clear_faults()
