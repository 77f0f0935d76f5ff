"""Bounded time: every request has a total deadline (`request_deadline`) from sending it.

httpx's timeouts bound each wait for the next bytes: a server that drips its status line or
its body a byte every quarter second never trips them, and a poll ran for minutes. Here such a
poll fails once the deadline passes, saying so, and the console marks the provider's sessions
stale and retries on its backoff, as for any failure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.child import run_livetop, write_config
from support.harness import bar_text, quit_app, wait_for
from support.rogue import RogueServer
from tui.app import LivetopApp
from tui.config import settings_from_dict
from tui.store import ProviderHealth, ProviderStatus

DEADLINE = 2.0


@pytest.fixture(scope="module")
def rogue() -> Iterator[RogueServer]:
    with RogueServer() as server:
        yield server


def test_snapshot_gives_up_on_dripping_servers_at_the_deadline(
    rogue: RogueServer, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "c.toml",
        [
            {
                "name": "studio",
                "kind": "livepeer",
                "base_url": rogue.url("drip-head", "livepeer"),
                "api_key": "lp-0a1b2c3d4e5f",
                "request_deadline": DEADLINE,
            },
            {
                "name": "uiza",
                "kind": "uiza",
                "base_url": rogue.url("drip-body", "uiza"),
                "api_key": "uap-0a1b2c3d4e5f",
                "entity_ids": ["e-1"],
                "request_deadline": DEADLINE,
            },
            {
                "name": "calls",
                "kind": "calls",
                "base_url": rogue.url("ok", "calls"),
                "api_key": "calls-0a1b2c3d4e5f",
                "call_ids": ["c-1"],
            },
        ],
    )
    run = run_livetop(
        ["snapshot", "--config", str(config)], env={"LIVETOP_LOG_DIR": str(tmp_path)}, timeout=30
    )
    assert run.code == 2, run.err
    # Both rogue answers take the whole deadline (in parallel), and not much more.
    assert DEADLINE <= run.seconds < DEADLINE + 8, run.seconds
    providers = {p["name"]: p for p in json.loads(run.out)["providers"]}
    for name in ("studio", "uiza"):
        assert providers[name]["ok"] is False
        assert "no complete answer in 2 s (request_deadline)" in providers[name]["error"]
        assert f"livetop: {name}: " in run.err
    assert providers["calls"]["ok"] is True and providers["calls"]["sessions"] == 1


async def test_console_marks_a_dripping_provider_stale_and_recovers(rogue: RogueServer) -> None:
    rogue.switch = "ok"
    deadline = 1.0
    settings = settings_from_dict(
        {
            "refresh_interval": 0.5,
            "bell": False,
            "providers": [
                {
                    "name": "studio",
                    "kind": "livepeer",
                    "base_url": rogue.url("switch", "livepeer"),
                    "api_key": "lp-0a1b2c3d4e5f",
                    "request_deadline": deadline,
                }
            ],
        }
    )
    app = LivetopApp(settings)
    async with app.run_test(size=(120, 30)) as pilot:

        def status() -> ProviderStatus:
            return app.store.status("studio")

        await wait_for(pilot, lambda: status().health is ProviderHealth.OK)
        assert len(app.store.sessions("studio")) == 1
        rogue.switch = "drip-body"
        start = time.monotonic()
        app.refresher.refresh_now()
        await wait_for(pilot, lambda: status().health is ProviderHealth.FAILING, limit=10)
        took = time.monotonic() - start
        assert deadline <= took < deadline + 2.5, took  # the next poll (≤ 0.5 s), then 1 s
        assert status().stale  # the last good session stays, marked stale
        assert len(app.store.sessions("studio")) == 1
        app.redraw()
        await pilot.pause()
        assert "no complete answer in 1 s" in bar_text(app, "studio")
        rogue.switch = "ok"  # back: found again on the backoff schedule
        await wait_for(pilot, lambda: status().health is ProviderHealth.OK, limit=10)
        assert not status().stale
        await quit_app(pilot)
