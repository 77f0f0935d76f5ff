"""Connection refused, and a provider that comes back with nothing to list.

Each provider talks to its own simulator on its own port. Stopping that simulator closes the
port: connections are refused. A refused connection never reaches a server, so here the poll
schedule is checked from the app's side (when each poll ended, from the store). Serving the port
again must bring the provider back at its announced next poll. Simulators stop and start off
the app's loop (`asyncio.to_thread`): joining a server thread there would freeze every poll, and
the providers still serving would turn stale for the test's own sake.

"An empty list" is a provider answering with no sessions: shown OK with 0 sessions, never as an
error. Livepeer: an account with no sessions. Uiza: an entity with none (a stub on the same port:
the simulator's entities always have sessions). The calls API has no list endpoint: every poll
fetches the watched calls one by one, so it cannot answer "nothing" (a gone call is a 404, see
`test_watched_ids.py`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from support.harness import (
    INTERVAL,
    SLACK,
    StoreWatch,
    all_loaded,
    backoff_bound,
    backoff_floor,
    bar_text,
    keys_of,
    provider_entries,
    quit_app,
    wait_for,
)
from tui.app import LivetopApp
from tui.config import settings_from_dict
from tui.sim import RunningSimulator, SimConfig, start_in_thread
from tui.store import ProviderHealth
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.sessions_table import SessionsTable

SEED = 11
KINDS = {"studio": "livepeer", "uiza": "uiza", "calls": "calls"}


def port_of(sim: RunningSimulator) -> int:
    return int(sim.base_urls["livepeer"].split(":")[2].split("/")[0])


def serve(port: int, sessions: int = 60) -> RunningSimulator:
    return start_in_thread(SimConfig(seed=SEED, sessions=sessions, port=port))


class EmptyUiza(BaseHTTPRequestHandler):
    """A Uiza entity with no sessions: `{"data": [], "next_page_token": null}`."""

    key = ""

    def do_GET(self) -> None:
        ok = self.headers.get("Authorization") == self.key
        body: dict[str, object] = (
            {"data": [], "next_page_token": None} if ok else {"message": "no", "error_type": "x"}
        )
        data = json.dumps(body).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


class Stub:
    """`EmptyUiza` served on a given loopback port from a thread."""

    def __init__(self, port: int, key: str) -> None:
        handler = type("Handler", (EmptyUiza,), {"key": key})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sims() -> Iterator[dict[str, Any]]:
    """One simulator per provider, each on its own port; whatever replaced one is stopped too."""
    running: dict[str, Any] = {name: serve(0) for name in KINDS}
    yield running
    for server in running.values():
        server.stop()


def settings(sims: dict[str, RunningSimulator]) -> Any:
    entries = []
    for entry in provider_entries(sims["studio"]):
        kind = entry["kind"]
        entry["base_url"] = sims[entry["name"]].base_urls[kind]
        entries.append(entry)
    data = {"refresh_interval": INTERVAL, "bell": False, "providers": entries}
    return settings_from_dict(data, source="<resilience>", environ={})


async def refused_then_served(
    app: LivetopApp, pilot: Any, watch: StoreWatch, sims: dict[str, Any], name: str, polls: int
) -> None:
    """Close `name`'s port, check the console through `polls` refused polls, serve it again."""
    store = app.store
    await wait_for(pilot, lambda: all_loaded(app) and store.status(name).next_poll is not None)
    kept = watch.last_ok[name]
    port = port_of(sims[name])
    t_stop = time.monotonic()
    await asyncio.to_thread(sims[name].stop)
    await wait_for(pilot, lambda: store.status(name).consecutive_failures >= polls, limit=8)
    times = f" ({polls} in a row)" if polls > 1 else ""
    # The facts (failures in a row, data age, retry), then the provider's words.
    shown = re.compile(
        rf"FAILING{re.escape(times)} · data \d+s old · .*"
        r" · All connection attempts failed \(Connection refused\)"
    )
    await wait_for(pilot, lambda: bool(shown.search(bar_text(app, name))), limit=2)
    assert app.screen.query_one(ProviderBar).is_banner(name)
    assert keys_of(store, name) == kept and kept
    assert all(store.is_stale(k) for k in kept)
    for other in KINDS:
        if other != name:  # still polled, still fresh (a moment's grace for a busy machine)
            await wait_for(pilot, lambda o=other: not store.status(o).stale, limit=1)  # type: ignore[misc]
            assert store.status(other).health is ProviderHealth.OK
    table = app.screen.query_one(SessionsTable)
    before = table.cursor_key
    await pilot.press("j")
    assert table.cursor_key != before
    await pilot.press("k")

    # The schedule, from the app's side: each failed poll doubled the wait.
    ends = [t for t, ok in watch.ends(name, since=t_stop) if not ok]
    for n, (a, b) in enumerate(itertools.pairwise(ends), start=1):
        assert b - a >= backoff_floor(n) - SLACK, (n, b - a)

    await wait_for(pilot, lambda: store.status(name).next_poll is not None)
    status = store.status(name)
    promise = (status.next_poll or 0.0) - time.time()
    assert promise <= backoff_bound(status.consecutive_failures) + SLACK
    t_serve = time.monotonic()
    sims[name] = await asyncio.to_thread(serve, port)
    took = await wait_for(
        pilot, lambda: store.status(name).health is ProviderHealth.OK, limit=promise + 3
    )
    assert took <= max(promise, 0.0) + 1.0, (took, promise)
    assert time.monotonic() - t_serve < backoff_bound(status.consecutive_failures) + 1.0
    assert not any(store.is_stale(k) for k in keys_of(store, name))


async def test_connection_refused_on_each_provider(sims: dict[str, Any]) -> None:
    app = LivetopApp(settings(sims))
    watch = StoreWatch(app.store)
    async with app.run_test(size=(120, 40)) as pilot:
        for name in KINDS:  # one provider watched through two refused polls (the backoff)
            await refused_then_served(app, pilot, watch, sims, name, 2 if name == "calls" else 1)
        await quit_app(pilot)
    assert app.return_code == 0


async def test_an_empty_list_is_ok_with_zero_sessions(sims: dict[str, Any]) -> None:
    """Studio's account and Uiza's entity come back empty: OK, 0 sessions, rows gone."""
    app = LivetopApp(settings(sims))
    store = app.store
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: all_loaded(app))
        assert keys_of(store, "studio") and keys_of(store, "uiza")
        port = port_of(sims["studio"])
        await asyncio.to_thread(sims["studio"].stop)
        # The same account, every session deleted.
        sims["studio"] = await asyncio.to_thread(serve, port, sessions=0)
        port = port_of(sims["uiza"])
        key = sims["uiza"].api_keys["uiza"]
        await asyncio.to_thread(sims["uiza"].stop)
        sims["uiza"] = await asyncio.to_thread(Stub, port, key)
        app.refresher.refresh_now()
        for name in ("studio", "uiza"):
            await wait_for(pilot, lambda n=name: not keys_of(store, n), limit=5)  # type: ignore[misc]
            status = store.status(name)
            assert status.health is ProviderHealth.OK and status.session_count == 0
            assert status.last_error is None and not status.stale
        app.redraw(tick=True)
        for name in ("studio", "uiza"):
            text = bar_text(app, name)
            assert "OK" in text and "0 sessions" in text and "FAILING" not in text, text
            assert not app.screen.query_one(ProviderBar).is_banner(name)
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: {k.provider for k in table.keys} == {"calls"}, limit=2)
        await pilot.press("j", "e")
        await quit_app(pilot)
    assert app.return_code == 0
