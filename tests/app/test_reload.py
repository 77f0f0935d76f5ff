"""Config reload without a restart, against the simulator over a socket: saving the file (or
Ctrl+R) changes providers, watched ids and the rundown, and keeps what is on screen; a broken
edit says what is wrong, line by line, and the old config keeps running."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.app import wait_for
from support.child import write_config
from tui.app import LivetopApp
from tui.config import load_settings
from tui.models import SessionKey
from tui.sim import RunningSimulator
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.sessions_table import SessionsTable


def providers(
    sim: RunningSimulator, calls: list[str], *, uiza: bool = True
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {
            "name": "studio",
            "kind": "livepeer",
            "base_url": sim.base_urls["livepeer"],
            "api_key": sim.api_keys["livepeer"],
            "interval": 0.5,
        },
        {
            "name": "calls",
            "kind": "calls",
            "base_url": sim.base_urls["calls"],
            "api_key": sim.api_keys["calls"],
            "call_ids": calls,
            "interval": 0.5,
            "max_requests_per_minute": 600,
        },
    ]
    if uiza:
        entries.append(
            {
                "name": "uiza",
                "kind": "uiza",
                "base_url": sim.base_urls["uiza"],
                "api_key": sim.api_keys["uiza"],
                "entity_ids": sim.entity_ids[:1],
                "interval": 0.5,
            }
        )
    return entries


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def keys(app: LivetopApp, provider: str) -> set[SessionKey]:
    return {s.key for s in app.store.sessions(provider)}


async def test_saving_the_config_reloads_it_and_keeps_what_is_on_screen(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "config.toml", providers(sim, sim.call_ids[:3]))
    app = LivetopApp(load_settings(path))
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
        await wait_for(pilot, lambda: len(keys(app, "calls")) == 3)
        studio = app.refresher._pollers["studio"].provider
        calls_scheduler = app.refresher.scheduler_for("calls")
        shown = set(keys(app, "studio"))
        # Tonight's plan changes: uiza goes, calls watches two others, a rundown item comes.
        plan = [{"provider": "calls", "id": sim.call_ids[7], "label": "Guest"}]
        write_config(
            path, providers(sim, sim.call_ids[6:8], uiza=False), rundown=plan, alerts="watched"
        )
        await wait_for(pilot, lambda: any("config reloaded" in t for t in toasts(app)), 10)
        said = next(t for t in toasts(app) if "config reloaded" in t)
        assert said == "config reloaded: changed calls; removed uiza; rundown: 1 item"
        assert app.store.providers == ("studio", "calls")
        assert not keys(app, "uiza") and not any(k.provider == "uiza" for k in table.keys)
        assert app.settings is not None and app.settings.alerts == "watched"
        assert len(app.rundown) == 1
        # studio is untouched: the same client, its sessions still there
        assert app.refresher._pollers["studio"].provider is studio
        assert keys(app, "studio") & shown
        # calls has a new client, but its budget still counts the last minute's requests
        assert app.refresher.scheduler_for("calls") is calls_scheduler
        want = {SessionKey("calls", c) for c in sim.call_ids[6:8]}
        await wait_for(pilot, lambda: keys(app, "calls") == want, 10)
        # The calls the config dropped were not "ended": nothing said they were.
        dropped = {SessionKey("calls", c) for c in sim.call_ids[:3]}
        assert not [e for e in app.store.events if e.key in dropped]
        bar = app.screen.query_one(ProviderBar)
        assert bar.line_text("uiza") == "" and "calls" in bar.line_text("calls")
        await wait_for(pilot, lambda: app.rundown.views and app.rundown.views[0].keys, 5)


async def test_a_broken_edit_says_why_and_the_old_config_runs_on(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "config.toml", providers(sim, sim.call_ids[:2]))
    app = LivetopApp(load_settings(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
        before = app.settings
        entries = providers(sim, sim.call_ids[:2])
        entries[0]["interval"] = 0.1
        plan = [{"provider": "nowhere", "id": "x", "start": "21:00"}]
        write_config(path, entries, rundown=plan)
        await wait_for(
            pilot,
            lambda: any("Config not reloaded" in str(n.title) for n in app._notifications),
            10,
        )
        (note,) = [n for n in app._notifications if "Config not reloaded" in str(n.title)]
        lines = str(note.message).splitlines()
        assert lines == [
            f'{path}: provider "studio": interval: must be at least 0.5 seconds',
            f'{path}: rundown #1 ("x"): provider: no provider is named so (configured: '
            "studio, calls, uiza)",
        ]
        assert app.settings is before and app.store.providers == ("studio", "calls", "uiza")
        polls = app.store.status("calls").polls
        await wait_for(pilot, lambda: app.store.status("calls").polls > polls + 1)  # still polling
        path.write_text("providers = [")  # not even TOML
        await wait_for(pilot, lambda: any("invalid TOML" in t for t in toasts(app)), 10)
        assert app.settings is before


async def test_ctrl_r_reloads_at_once(sim: RunningSimulator, tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.toml", providers(sim, sim.call_ids[:1]))
    app = LivetopApp(load_settings(path))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: any("config reloaded" in t for t in toasts(app)), 5)
        assert "config reloaded: rundown: 0 items" in toasts(app)


async def test_the_demo_has_no_file_to_reload(sim: RunningSimulator) -> None:
    from support.app import live_app

    app = live_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "no config file to reload: this is the demo" in toasts(app)
