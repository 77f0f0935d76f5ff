"""No API key ever shown: not when a server echoes it (whole, cut, with a newline or a tab
inserted), not when a `Link` cursor or a page token is the key, not from a key that could
never be sent (a newline or non-ASCII in it).

"Shown" is any run of 6 characters of the key (`support.child.leaked`), anywhere: stdout,
stderr, the log file, the screen, the provider bar, the event log, the toasts, the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.child import leaked, run_livetop, write_config
from support.harness import bar_text, quit_app, screen_lines, wait_for
from support.rogue import RogueServer
from tui.app import LivetopApp
from tui.cli import main
from tui.config import settings_from_dict
from tui.logs import setup_logging
from tui.providers import CallsClient, LivepeerClient, ProviderError, UizaClient
from tui.widgets.event_log import event_line

KEYS = {
    "livepeer": "lp-7d9f0a3c-2b1e-4f5a-9c8d",
    "uiza": "uap-4e1f9a7c0b3d8e2f5a6c",
    "calls": "tok_9Zq4Xv7Lm2Np8Rs6Tw3Y",
}
CLIENTS: dict[str, type[LivepeerClient | UizaClient | CallsClient]] = {
    "livepeer": LivepeerClient,
    "uiza": UizaClient,
    "calls": CallsClient,
}
IDS = {"livepeer": {}, "uiza": {"entity_ids": ["e-1"]}, "calls": {"call_ids": ["c-1"]}}
NAMES = {"livepeer": "studio", "uiza": "uiza", "calls": "calls"}


@pytest.fixture(scope="module")
def rogue() -> Iterator[RogueServer]:
    with RogueServer() as server:
        yield server


def entries(rogue: RogueServer, modes: dict[str, str]) -> list[dict[str, object]]:
    return [
        {
            "name": NAMES[kind],
            "kind": kind,
            "base_url": rogue.url(mode, kind),
            "api_key": KEYS[kind],
            **IDS[kind],
        }
        for kind, mode in modes.items()
    ]


def assert_clean(where: str, text: str) -> None:
    for kind, key in KEYS.items():
        assert not leaked(text, key), f"{where}: {kind} key runs {leaked(text, key)}"


@pytest.mark.parametrize("kind", ["livepeer", "uiza", "calls"])
async def test_an_echoed_key_is_hidden_cut_wrapped_or_whole(rogue: RogueServer, kind: str) -> None:
    cls = CLIENTS[kind]
    base = rogue.url("echo", kind)
    async with cls(NAMES[kind], KEYS[kind], base_url=base, **IDS[kind]) as client:  # type: ignore[arg-type]
        with pytest.raises(ProviderError) as caught:
            await client.fetch()
    error = caught.value
    for text in (str(error), repr(error), error.message, error.endpoint):
        assert_clean("error", text)
    assert "refused; got '**********' and '**********'; expected not **********" in str(error)


@pytest.mark.parametrize("kind", ["livepeer", "uiza"])
async def test_a_cursor_holding_the_key_is_hidden(rogue: RogueServer, kind: str) -> None:
    cls = CLIENTS[kind]
    base = rogue.url("link", kind)
    async with cls(NAMES[kind], KEYS[kind], base_url=base, **IDS[kind]) as client:  # type: ignore[arg-type]
        with pytest.raises(ProviderError, match=r"repeats (cursor )?'\*\*\*\*\*\*\*\*\*\*") as e:
            await client.fetch()
    assert_clean("error", str(e.value))


async def test_the_console_shows_no_key_anywhere(rogue: RogueServer, tmp_path: Path) -> None:
    rogue.switch = "ok"  # studio answers first, so there is a stream to drill into
    modes = {"livepeer": "switch", "uiza": "link", "calls": "echo"}
    data = {"refresh_interval": 0.5, "bell": False, "providers": entries(rogue, modes)}
    settings = settings_from_dict(data, environ={})
    # No secrets for the log's own filter: what the clients raise must be clean already.
    logs = setup_logging((), environ={"LIVETOP_LOG_DIR": str(tmp_path)})
    try:
        app = LivetopApp(settings)
        async with app.run_test(size=(200, 50), notifications=True) as pilot:

            def toasts() -> list[str]:
                return [str(n.message) for n in app._notifications]

            await wait_for(pilot, lambda: len(app.store.sessions("studio")) == 1)
            rogue.switch = "echo"
            await pilot.press("enter")  # the stream's sessions: a drill-down's own toast
            await wait_for(pilot, lambda: any("HTTP 401" in t for t in toasts()))
            await pilot.press("escape")
            rogue.switch = "link"
            await wait_for(pilot, lambda: "repeats cursor" in bar_text(app, "studio"))
            await wait_for(pilot, lambda: all(s.failing for s in app.store.statuses()))
            app.redraw()
            await pilot.pause()
            assert_clean("screen", "\n".join(screen_lines(app)))
            for name in NAMES.values():
                assert_clean("provider bar", bar_text(app, name))
                status = app.store.status(name)
                assert_clean("store", f"{status.last_error} {status.error_detail}")
            assert "repeats cursor '**********" in bar_text(app, "studio")
            await pilot.press("e")
            await pilot.pause()
            assert_clean("event log", "\n".join(screen_lines(app)))
            assert_clean("events", "\n".join(event_line(e).plain for e in app.store.events))
            assert_clean("toasts", "\n".join(toasts()))
            await quit_app(pilot)
    finally:
        logs.close()
        rogue.switch = "ok"
    log_text = logs.path.read_text(encoding="utf-8")
    assert "provider studio failing" in log_text
    assert_clean("log", log_text)


@pytest.mark.parametrize(
    "argv",
    [
        ["snapshot", "--format", "json"],
        ["snapshot", "--format", "table", "--show-secrets"],
        ["check"],
    ],
)
def test_snapshot_and_check_show_no_key(
    rogue: RogueServer, tmp_path: Path, argv: list[str]
) -> None:
    modes = {"livepeer": "link", "uiza": "echo", "calls": "echo"}
    config = write_config(tmp_path / "c.toml", entries(rogue, modes))
    run = run_livetop([*argv, "--config", str(config)], env={"LIVETOP_LOG_DIR": str(tmp_path)})
    assert run.code == 2, run.err
    assert "**********" in run.out + run.err  # the messages are there, the keys are not
    log_text = (tmp_path / "livetop.log").read_text(encoding="utf-8")
    for where, text in (("stdout", run.out), ("stderr", run.err), ("log", log_text)):
        assert_clean(where, text)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("lp-7d9f0a3c\n2b1e", "a newline"),
        ("lp-7d9f0a3c\r2b1e", "a carriage return"),
        ("lp-7d9f0a3c\x1b[2J", "an escape"),
        ("lp-7d9f0a3c-clé", "non-ASCII"),
    ],
)
def test_a_key_that_cannot_be_sent_is_refused_at_load(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    why: str,
) -> None:
    monkeypatch.setenv("LIVETOP_LOG_DIR", str(tmp_path))
    monkeypatch.setenv("LIVEPEER_API_KEY", value)
    config = tmp_path / "c.toml"
    config.write_text(
        '[[providers]]\nname = "studio"\nkind = "livepeer"\napi_key_env = "LIVEPEER_API_KEY"\n',
        encoding="utf-8",
    )
    assert main(["snapshot", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f'{config}: provider "studio": api_key_env: environment variable LIVEPEER_API_KEY '
        "holds a control character or non-ASCII text; the key is refused\n"
    ), why
    assert "7d9f0a" not in err
    literal = json.dumps(value)  # a TOML basic string too
    config.write_text(
        f'[[providers]]\nname = "studio"\nkind = "livepeer"\napi_key = {literal}\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    assert main(["check", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert err == (
        f'{config}: provider "studio": api_key: holds a control character or non-ASCII text; '
        "the key is refused\n"
    )
