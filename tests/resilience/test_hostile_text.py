"""Hostile text: names, titles, ids, issues and error messages built to break a terminal UI.

Markup (`[/]`, `[bold]`, `[link=...]`), ANSI and OSC escapes (OSC 52 writes the clipboard,
OSC 8 makes links), C0/C1 control characters, bidi overrides, wide and combining characters,
10,000-character and empty strings must show literally (escaped, never interpreted) in the list,
the detail pane, toasts, the event log, the provider bar and `snapshot --format table`, with
the layout intact and no exception.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.cells import cell_len

from support.harness import (
    all_loaded,
    assert_layout_intact,
    bar_text,
    fast_settings,
    quit_app,
    screen_lines,
    wait_for,
)
from tui import format as fmt
from tui.app import LivetopApp
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.providers import ProviderHTTPError
from tui.screens.session import SessionScreen
from tui.sim import RunningSimulator, SimConfig, start_in_thread
from tui.sim.names import HOSTILE
from tui.snapshot import ProviderReport, Snapshot, snapshot_json, snapshot_table
from tui.widgets.detail_pane import DetailPane
from tui.widgets.event_log import EventLog
from tui.widgets.sessions_table import SessionsTable

NOW = datetime.now(UTC)
NASTY: dict[str, str] = {
    "markup": "[bold red]PWNED[/] [link=https://evil.example]click[/link] [/]",
    "unbalanced": "[/]unbalanced [b]tag [@click=app.quit]quit[/]",
    "csi": "\x1b[2J\x1b[31mcleared your screen\x1b[0m",
    "osc52": "\x1b]52;c;ZXZpbCBjb21tYW5k\x07clipboard",
    "osc8": "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "c0": "nul\x00bell\x07bs\x08del\x7f",
    "c1": "c1\x9b31mcsi\x9d0;title\x9c",
    "bidi": "\u202eevil right-to-left\u2066isolate\u2069",
    "wide": "配信テスト 🎥🔴 wide chars",
    "combining": "Z\u0337\u0322a\u0338l\u0335g\u0334o",
    "zero-width": "zero\u200bwidth\u200djoin\ufeff",
    "huge": "x" * 10_000,
    "empty": "",
    "lines": "tab\there\nnew line\rcarriage",
}
RAW = ("\x1b", "\x07", "\x00", "\x08", "\x9b", "\x9d", "\x9c", "\u202e", "\u2066", "\u200b")


def hostile(sid: str, text: str, *, kind: ProviderKind, state: SessionState) -> Session:
    """A session whose every provider-supplied string is `text`."""
    provider = {ProviderKind.LIVEPEER: "studio", ProviderKind.CALLS: "calls"}[kind]
    return Session(
        provider=provider,
        kind=kind,
        id=f"{sid}-{text[:30]}",
        name=text,
        state=state,
        healthy=state is not SessionState.LIVE,  # live ones unhealthy: issues are shown
        issues=(text, "ok issue") if state is SessionState.LIVE else (),
        parent_id=f"p-{text[:20]}",
        created_at=NOW - timedelta(minutes=5),
        last_seen=NOW,
        recording=text[:40] or None,
        started_at=NOW - timedelta(minutes=5),
        details={text[:40] or "k": text, "nested": {"a": [text]}},
    )


def batch(kind: ProviderKind, state: SessionState) -> tuple[Session, ...]:
    return tuple(hostile(label, text, kind=kind, state=state) for label, text in NASTY.items())


def no_raw_controls(text: str) -> None:
    found = [ch for ch in RAW if ch in text]
    assert not found, f"raw {found!r} reached the screen"


def literal_in(shown: str, text: str, width: int = 12) -> None:
    """The start of `text` appears as its escaped, literal form."""
    assert fmt.safe_text(text, 400)[:width] in shown, (text[:40], shown[:400])


@pytest.fixture
async def app(sim: RunningSimulator) -> Any:
    """The console with polling off: the store holds only what a test puts in it."""
    return LivetopApp(fast_settings(sim), start_polling=False)


async def test_hostile_text_shows_literally_everywhere(app: LivetopApp) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        store = app.store
        store.apply("studio", FetchResult(batch(ProviderKind.LIVEPEER, SessionState.LIVE)))
        store.apply("calls", FetchResult(batch(ProviderKind.CALLS, SessionState.LIVE)))
        await pilot.pause()
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: table.row_count == 2 * len(NASTY))

        # The list: every row literal, every line the screen's width, nothing raw.
        lines = assert_layout_intact(app)
        shown = "\n".join(lines)
        no_raw_controls(shown)
        assert "[bold red]PWNED[/]" in shown and "\\x1b[2J" in shown and "\\u202e" in shown

        # The detail pane of each session, the screen around it unbroken.
        for key in list(table.keys):
            table.select_key(key)
            app.redraw(tick=True)
            session = store.get(key)
            assert session is not None
            pane = app.screen.query_one(DetailPane).text
            no_raw_controls(pane)
            literal_in(pane, session.name or session.id)
            if session.issues:
                literal_in(pane, session.issues[0])
            await pilot.pause()
            no_raw_controls("\n".join(assert_layout_intact(app)))

        # Transitions: sessions end one by one → an event and a toast each, then all at once.
        ended = {s.name: s for s in batch(ProviderKind.LIVEPEER, SessionState.ENDED)}
        for label in ("markup", "csi", "osc52", "bidi"):
            one = FetchResult((ended[NASTY[label]],), errors=(RuntimeError("partial"),))
            store.apply("studio", one)  # partial: only this session changes
            await pilot.pause(0.1)
            shown = "\n".join(assert_layout_intact(app))
            no_raw_controls(shown)
            literal_in(shown, NASTY[label], 8)  # the toast, on screen
        store.apply("studio", FetchResult(tuple(ended.values())))
        await pilot.pause()
        toasts = [str(n.message) for n in app._notifications]
        for toast in toasts:
            no_raw_controls(toast)
        assert any("[bold red]PWNED[/]" in t for t in toasts), toasts
        await pilot.press("e")
        log = app.screen.query_one(EventLog).text
        no_raw_controls(log)
        assert "ended" in log and "[bold red]PWNED[/]" in log
        no_raw_controls("\n".join(assert_layout_intact(app)))

        # The provider bar: an error message in the provider's own (hostile) words.
        error = ProviderHTTPError(
            "calls", "GET /v1/live/calls/x", 500, NASTY["markup"] + NASTY["csi"]
        )
        store.fail("calls", error)
        await pilot.pause()
        app.redraw(tick=True)
        text = bar_text(app, "calls")
        no_raw_controls(text)
        assert "[bold red]PWNED[/]" in text and "\\x1b[2J" in text
        no_raw_controls("\n".join(assert_layout_intact(app)))

        # One session, full screen (calls drill straight to it): header crumbs and all.
        first_call = next(k for k in table.keys if k.provider == "calls")
        table.select_key(first_call)
        await pilot.press("enter")
        assert isinstance(app.screen, SessionScreen)
        await pilot.pause(0.2)
        no_raw_controls("\n".join(assert_layout_intact(app)))
        await pilot.press("escape")
        await quit_app(pilot)
    assert app.return_code == 0


async def test_wide_names_keep_the_columns_aligned(app: LivetopApp) -> None:
    """A name of wide characters must not push the row's later columns to the right."""
    async with app.run_test(size=(120, 40)) as pilot:
        wide = hostile("w", NASTY["wide"] * 3, kind=ProviderKind.LIVEPEER, state=SessionState.LIVE)
        app.store.apply("studio", FetchResult((wide,)))
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        lines = screen_lines(app)
        top = next(y for y, line in enumerate(lines) if "PROVIDER" in line and "STATE" in line)
        column = cells_before(lines[top], "STATE")
        row = lines[top + 1]
        assert cells_before(row, " live ") + 1 == column, (lines[top], row)
        await quit_app(pilot)


def cells_before(line: str, needle: str) -> int:
    return cell_len(line[: line.index(needle)])


@pytest.mark.parametrize("where", ["copy", "filter"])
async def test_markup_in_an_id_or_a_filter_does_not_reach_a_toast(
    app: LivetopApp, where: str
) -> None:
    """`c` toasts the copied id; a bad filter term toasts its problem: both are untrusted, and
    every toast is plain text (`LivetopApp.notify`), so `[/]` is shown, not parsed."""
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        session = hostile(
            "m", NASTY["unbalanced"], kind=ProviderKind.LIVEPEER, state=SessionState.LIVE
        )
        app.store.apply("studio", FetchResult((session,)))
        table = app.screen.query_one(SessionsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        if where == "copy":
            await pilot.press("c")
            expected = fmt.safe_text(session.id, 60)
        else:
            await pilot.press("slash", *"state:[/]x", "enter")
            expected = "[/]x"
        await pilot.pause(0.2)
        shown = "\n".join(assert_layout_intact(app))
        assert expected[-20:] in shown  # the toast, literally
        assert any(expected in str(n.message) and not n.markup for n in app._notifications)
        await quit_app(pilot)


def test_snapshot_table_and_json_show_hostile_text_literally() -> None:
    sessions = batch(ProviderKind.LIVEPEER, SessionState.LIVE)
    reports = (
        ProviderReport("studio", ProviderKind.LIVEPEER, True, None, len(sessions), 1.0, True, True),
        ProviderReport(
            "calls", ProviderKind.CALLS, False, fmt.safe_text(NASTY["osc52"]), 0, None, True, None
        ),
    )
    snap = Snapshot(NOW, reports, sessions)
    table = snapshot_table(snap)
    no_raw_controls(table)
    assert "[bold red]PWNED[/]" in table and "\\x1b]52;c;" in table
    lines = table.splitlines()
    header = lines[0]
    state_at = cells_before(header, "STATE")
    for line in lines[1 : 1 + len(sessions)]:
        # Every row's STATE column starts where the header's does, whatever came before it.
        assert cells_before(line, "live") == state_at, (header, line)
    document = snapshot_json(snap)
    assert document.isascii()  # every control and wide character escaped as \uXXXX
    names = [s["name"] for s in json.loads(document)["sessions"]]
    assert names == [s.name for s in sessions]  # and nothing lost for scripts


async def test_the_hostile_simulator_keeps_the_console_intact() -> None:
    with start_in_thread(SimConfig(seed=4, sessions=120, hostile_names=True)) as sim:
        app = LivetopApp(fast_settings(sim))
        async with app.run_test(size=(100, 30)) as pilot:
            table = app.screen.query_one(SessionsTable)
            await wait_for(pilot, lambda: all_loaded(app) and table.row_count > 10)
            names = {s.name for s in app.store.sessions()}
            assert names & set(HOSTILE), "the simulator sent no hostile name"
            for key in ("n", "G"):  # sorted by name, the hostile ones come first or last
                await pilot.press(key)
                await pilot.pause()
                no_raw_controls("\n".join(assert_layout_intact(app)))
            for _ in range(10):
                await pilot.press("k")
                no_raw_controls("\n".join(assert_layout_intact(app)))
            await quit_app(pilot)
        assert app.return_code == 0
