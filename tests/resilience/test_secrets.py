"""Secrets: API keys never show; a stream key shows only while explicitly revealed.

The console runs on the simulator with its API keys and Uiza stream keys known to the test, goes
through every screen (list, drill-down, one session, help, filter, event log, command palette),
fails a provider (so errors are shown and logged), and every rendered frame (as text and as the
SVG screenshot) is scanned. The reveal (`x`) is the positive control: the key must appear then,
and disappear again when the reveal times out. Then `snapshot` (both formats), `check`, the log
file, provider error messages and the README's screenshots are scanned.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.harness import fast_settings, quit_app, screen_lines, wait_for
from tui.app import LivetopApp
from tui.cli import main
from tui.logs import setup_logging
from tui.providers import CallsClient, LivepeerClient, ProviderError, UizaClient
from tui.screens.help import HelpScreen
from tui.screens.session import SessionScreen
from tui.screens.sessions import RelatedScreen
from tui.sim import Fault, RunningSimulator, Scenario, SimConfig
from tui.widgets import detail_pane
from tui.widgets.sessions_table import SessionsTable

SCREENSHOTS = Path(__file__).parents[2] / "screenshots"


def known_secrets(scenario: Any) -> tuple[list[str], list[str]]:
    """(API keys, Uiza stream keys) of a simulated world."""
    return list(scenario.api_keys.values()), [e.stream_key for e in scenario.uiza.entities]


class Frames:
    """Every frame the test looked at, as text and SVG, checked as it is taken."""

    def __init__(self, app: LivetopApp, hidden: list[str]) -> None:
        self.app, self.hidden, self.count = app, hidden, 0

    def check(self, where: str, *, shown: str | None = None) -> str:
        text = "\n".join(screen_lines(self.app))
        svg = self.app.export_screenshot()
        for secret in self.hidden:
            if secret == shown:
                continue
            assert secret not in text, f"{where}: a secret on screen"
            assert secret not in svg, f"{where}: a secret in the screenshot"
        self.count += 1
        return text


async def test_no_key_on_any_screen_unless_revealed(
    sim: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_keys, stream_keys = known_secrets(sim.scenario)
    settings = fast_settings(sim, overrides={"uiza": {"entity_ids": sim.entity_ids}})
    monkeypatch.setattr(detail_pane, "REVEAL_SECONDS", 0.5)  # the reveal's timeout, shortened
    logs = setup_logging(settings.secret_values(), environ={"LIVETOP_LOG_DIR": str(tmp_path)})
    try:
        app = LivetopApp(settings)
        frames = Frames(app, api_keys + stream_keys)
        # Wide and tall: the detail pane sits beside the list, its stream-key row on screen.
        async with app.run_test(size=(150, 60), notifications=True) as pilot:
            table = app.screen.query_one(SessionsTable)
            await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
            frames.check("main")
            await pilot.press("slash")
            frames.check("filter prompt")
            await pilot.press(*"kind:uiza state:live", "enter")
            await wait_for(pilot, lambda: table.row_count > 0)
            assert table.cursor_key is not None
            session = app.store.get(table.cursor_key)
            assert session is not None and session.secret is not None
            key = session.secret.get_secret_value()
            assert key in stream_keys
            frames.check("uiza session, masked")

            await pilot.press("x")  # the explicit reveal: the key, and only it, shows
            assert key in frames.check("revealed", shown=key)
            await pilot.pause(0.8)
            app.redraw(tick=True)
            await pilot.pause()
            assert key not in frames.check("after the reveal timed out")

            await pilot.press("enter")  # drill down: the entity's sessions
            assert isinstance(app.screen, RelatedScreen)
            await wait_for(pilot, lambda: app.screen.query_one(SessionsTable).row_count > 0)
            frames.check("drill-down")
            await pilot.press("enter")
            assert isinstance(app.screen, SessionScreen)
            await pilot.pause(0.2)
            frames.check("one session")
            await pilot.press("x")
            assert key in frames.check("one session, revealed", shown=key)
            await pilot.press("escape", "escape", "escape")

            sim.set_fault("livepeer", Fault(auth=True))  # errors: toasts, bar, events, log
            sim.set_fault("uiza", Fault(html_5xx=1.0))
            await wait_for(pilot, lambda: app.store.status("studio").failing)
            await wait_for(pilot, lambda: app.store.status("uiza").failing)
            frames.check("failing providers")
            await pilot.press("e")
            frames.check("event log")
            await pilot.press("e", "question_mark")
            assert isinstance(app.screen, HelpScreen)
            frames.check("help")
            await pilot.press("escape", "ctrl+p")
            await pilot.pause(0.2)
            frames.check("command palette")
            await pilot.press("escape")
            await quit_app(pilot)
        assert frames.count >= 12
    finally:
        sim.clear_faults()
        logs.close()
    log_text = logs.path.read_text(encoding="utf-8")
    assert "provider studio failing" in log_text and "HTTP 401" in log_text
    for secret in api_keys + stream_keys:
        assert secret not in log_text


@pytest.mark.parametrize(
    ("argv", "shows_stream_keys"),
    [
        (["snapshot", "--demo", "--format", "json"], False),
        (["snapshot", "--demo", "--format", "json", "--show-secrets"], False),
        (["snapshot", "--demo", "--format", "table"], False),
        (["snapshot", "--demo", "--format", "table", "--show-secrets"], True),
        (["check", "--demo"], False),
    ],
)
def test_no_key_from_the_command_line_unless_asked(
    argv: list[str],
    shows_stream_keys: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIVETOP_LOG_DIR", str(tmp_path))
    api_keys, stream_keys = known_secrets(Scenario(SimConfig()))  # what --demo serves
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    log_text = "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    for secret in api_keys:
        assert secret not in out + err + log_text
    revealed = [k for k in stream_keys if k in out]
    assert bool(revealed) is shows_stream_keys, revealed
    assert not any(k in err + log_text for k in stream_keys)


@pytest.mark.parametrize("cls", [LivepeerClient, UizaClient, CallsClient])
async def test_a_server_echoing_the_key_does_not_put_it_on_screen(
    cls: type[Any], caplog: pytest.LogCaptureFixture
) -> None:
    key = "echoed-secret-key-0123456789"

    def echo(request: httpx.Request) -> httpx.Response:
        said = f"bad key {request.headers['Authorization']} for {request.url}"
        body = {"errors": [said], "message": said, "error": said, "error_type": said}
        return httpx.Response(401, json=body)

    ids = {LivepeerClient: {}, UizaClient: {"entity_ids": ["e"]}, CallsClient: {"call_ids": ["c"]}}
    async with cls("p", key, transport=httpx.MockTransport(echo), **ids[cls]) as client:
        with pytest.raises(ProviderError) as caught:
            await client.fetch()
    error = caught.value
    logging.getLogger("livetop.test").warning("failed: %s", error)
    for text in (str(error), repr(error), error.message, caplog.text):
        assert key not in text
    assert "bad key" in error.message  # the provider's message is still there


@pytest.mark.skipif(not SCREENSHOTS.is_dir(), reason="no screenshots/ in this checkout")
def test_the_readme_screenshots_hold_no_key() -> None:
    pictures = sorted(SCREENSHOTS.glob("*.svg"))
    assert pictures
    worlds = [Scenario(SimConfig(seed=seed)) for seed in (1, 7)]  # the demo's and make.py's
    secrets = [s for world in worlds for part in known_secrets(world) for s in part]
    for picture in pictures:
        text = picture.read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, picture.name
