"""20,000 sessions: one huge provider must not starve the console or the other providers.

The big account is served by `livetop simulate` in its own process (a real provider is another
machine; in-process, the simulator's own JSON work would compete with the console for the GIL).
Every one of its 20,000 sessions is recent, so each poll pages through all of them.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from support.harness import (
    INTERVAL,
    SLACK,
    RequestLog,
    StoreWatch,
    assert_layout_intact,
    bar_text,
    provider_entries,
    quit_app,
    wait_for,
)
from tui.app import LivetopApp
from tui.config import settings_from_dict
from tui.sim import RunningSimulator
from tui.store import ProviderHealth
from tui.widgets.sessions_table import SessionsTable

BIG_INTERVAL = 1.0
# Seconds from a key press to the moved cursor, at worst. Typically a few ms; the outliers are
# CPython's full (generation 2) collections, 0.2-0.4 s with 20,000 sessions replaced per poll.
KEY_LATENCY = 1.0


async def key_latency(app: LivetopApp, table: SessionsTable) -> float:
    """Seconds from a `j` (`k` at the bottom) reaching the app, as the terminal driver posts
    it, to the moved cursor: the event loop's own responsiveness, none of Pilot's waiting."""
    before, start = table.cursor_key, time.monotonic()
    at_bottom = bool(table.keys) and before == table.keys[-1]
    app.simulate_key("k" if at_bottom else "j")
    while table.cursor_key == before:
        assert time.monotonic() - start < 5, "the console stopped answering keys"
        await asyncio.sleep(0.002)
    return time.monotonic() - start


@pytest.fixture(scope="module")
def big() -> Iterator[tuple[str, str]]:
    """(base URL, key) of a 20,000-session Livepeer account in its own process."""
    command = [sys.executable, "-m", "tui", "simulate", "--port", "0", "--seed", "3"]
    command += ["--sessions", "20000", "--churn", "1.0"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        text = ""
        deadline = time.monotonic() + 20
        while "api_key" not in text and time.monotonic() < deadline:
            text += proc.stdout.readline()
        url = re.search(r'base_url = "(http://127\.0\.0\.1:\d+/livepeer/api)"', text)  # the config
        key = re.search(r'api_key = "([^"]+)"', text)
        assert url and key, text
        yield url.group(1), key.group(1)
    finally:
        proc.terminate()
        proc.wait(10)


async def test_twenty_thousand_sessions_keep_console_and_others_responsive(
    big: tuple[str, str], sim: RunningSimulator
) -> None:
    url, key = big
    overrides = {"studio": {"base_url": url, "api_key": key, "interval": BIG_INTERVAL}}
    entries = provider_entries(sim, overrides=overrides)
    entries[0]["timeout"] = 30.0  # twenty pages of a thousand
    data = {"refresh_interval": INTERVAL, "bell": False, "providers": entries}
    app = LivetopApp(settings_from_dict(data, source="<big>", environ={}))
    watch = StoreWatch(app.store)
    store = app.store
    with RequestLog(sim) as log:
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one(SessionsTable)
            await wait_for(pilot, lambda: table.row_count > 2)  # the small providers' rows
            t0 = time.monotonic()
            # Keys answer at once while the big provider loads, then polls (and merges) again.
            latencies = []
            while len([ok for _, ok in watch.ends("studio") if ok]) < 2:
                assert time.monotonic() - t0 < 40, "the big provider stopped polling"
                latencies.append(await key_latency(app, table))
                await pilot.pause(0.1)
            t1 = time.monotonic()
            assert store.status("studio").session_count > 15_000
            assert max(latencies) < KEY_LATENCY, sorted(latencies)[-5:]

            # The other providers kept their schedule: no gap much over their interval.
            for kind in ("uiza", "calls"):
                arrivals = log.times(kind, since=t0, until=t1)
                gaps = [b - a for a, b in itertools.pairwise(arrivals)]
                assert len(arrivals) >= (t1 - t0) / (INTERVAL + 0.5), (kind, len(arrivals))
                assert max(gaps) < INTERVAL + 0.5, (kind, max(gaps))
            for name in ("uiza", "calls"):
                assert store.status(name).health is ProviderHealth.OK
                assert not store.status(name).stale

            # The big one polls no faster than its interval and shows every session.
            ends = [t for t, ok in watch.ends("studio") if ok]
            assert all(b - a >= BIG_INTERVAL - SLACK for a, b in itertools.pairwise(ends))
            status = store.status("studio")
            assert status.health is ProviderHealth.OK and status.skipped == 0
            app.redraw(tick=True)
            assert f"{status.session_count} sessions" in bar_text(app, "studio")
            await pilot.press("G")
            assert table.cursor_key == table.keys[-1] and table.row_count > 15_000
            assert_layout_intact(app)
            await pilot.press("g")
            assert table.cursor_key == table.keys[0]
            await quit_app(pilot)
    assert app.return_code == 0
