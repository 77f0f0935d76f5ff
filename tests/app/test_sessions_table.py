"""The sessions table's cursor: it shows the top row (what needs eyes first) until the
operator moves it, then stays on its session however the rows move. And its quiet seconds:
a tick with no new data costs nothing until an age can read differently."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.app import App, ComposeResult

from tui.models import ProviderKind, Session, SessionKey, SessionState
from tui.widgets.sessions_table import SessionsTable


def key(sid: str) -> SessionKey:
    return SessionKey("studio", sid)


def lookup(k: SessionKey) -> Session:
    return Session("studio", ProviderKind.LIVEPEER, k.id, k.id, SessionState.LIVE)


class One(App[None]):
    def compose(self) -> ComposeResult:
        yield SessionsTable(lookup)


async def test_the_cursor_follows_the_top_until_the_operator_moves_it() -> None:
    app = One()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(SessionsTable)
        table.focus()
        table.set_rows([key("b"), key("a")])
        assert table.cursor_key == key("b")
        table.set_rows([key("c"), key("b"), key("a")])  # another provider's rows arrive first
        assert table.cursor_key == key("c")
        await pilot.press("j")
        assert table.cursor_key == key("b")
        table.set_rows([key("d"), key("c"), key("b"), key("a")])
        assert table.cursor_key == key("b")  # the operator's choice stays
        table.set_rows([key("d"), key("c"), key("a")])  # b left: the row at the same height
        assert table.cursor_key == key("a")


async def test_a_tick_builds_only_changed_rows_and_rows_whose_ages_read_differently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A redraw (the 1 s tick) builds again only the rows of sessions that changed and of
    those whose ages can read differently by now; a mark or a cursor move, only its rows."""
    now = [datetime(2026, 11, 22, 12, 0, tzinfo=UTC)]
    started = now[0] - timedelta(minutes=5, seconds=20)  # "5m" on air for 40 s more
    later = {key("b"): timedelta(seconds=15)}  # b turns "6m" 15 s after the others

    def aired(k: SessionKey, rate: float) -> Session:
        start = started + later.get(k, timedelta())
        return replace(lookup(k), started_at=start, last_seen=start, ingest_bps=rate)

    # The store hands back the very same object until a session changes.
    sessions = {k: aired(k, rate) for k, rate in ((key("a"), 1e6), (key("b"), 2e6))}
    sessions[key("c")] = aired(key("c"), 3e6)
    builds: list[str] = []
    original = SessionsTable._row

    def row(self: SessionsTable, session: Session, *args: Any) -> Any:
        builds.append(session.id)
        return original(self, session, *args)

    monkeypatch.setattr(SessionsTable, "_row", row)

    class Aired(App[None]):
        def compose(self) -> ComposeResult:
            yield SessionsTable(sessions.get, clock=lambda: now[0])

    async with Aired().run_test(size=(80, 10)) as pilot:
        table = pilot.app.query_one(SessionsTable)
        table.set_rows(list(sessions))
        await pilot.pause()

        def shown() -> list[str]:
            return [table.render_line(y).text for y in range(4)]

        def tick(seconds: float) -> list[str]:
            builds.clear()
            now[0] += timedelta(seconds=seconds)
            table.redraw()
            return sorted(builds)

        drawn = shown()
        assert tick(30) == []  # still "5m" on air and "5m" ago
        sessions[key("b")] = aired(key("b"), 7e6)
        assert tick(9) == ["b"]  # b's row alone
        assert "7.0 Mb/s" in shown()[2]
        assert tick(2) == ["a", "c"]  # a and c turn "6m": their rows alone
        assert shown()[1] != drawn[1] and shown()[3] != drawn[3]
        assert tick(1) == [] and tick(7) == []
        assert tick(7) == ["b"]  # b turns "6m"
        table.mark(key("c"), "new", float("inf"))
        assert tick(0) == ["c"]
        assert tick(0) == []
        await pilot.press("j")  # the cursor moved from a to b: those two rows
        assert sorted(builds) == ["a", "b"]
        assert tick(0) == []


async def test_repainted_regions_are_not_kept() -> None:
    """Every changed span is a region Textual records; drawn, none stays held."""
    names = {key(n): n for n in "abcdef"}

    def named(k: SessionKey) -> Session:
        return replace(lookup(k), name=names[k])

    class Named(App[None]):
        def compose(self) -> ComposeResult:
            yield SessionsTable(named)

    async with Named().run_test(size=(80, 10)) as pilot:
        table = pilot.app.query_one(SessionsTable)
        table.set_rows(list(names))
        for n in range(60):
            k = key("abcdef"[n % 6])
            names[k] = "x" * (n % 30)  # a span of another length each time
            table.redraw()
            await pilot.pause()
        assert len(table._dirty_regions) <= 6


class Beside(App[None]):
    """The wide layout: the list with a pane beside it, rows arriving after the first layout."""

    CSS = "Horizontal > Static { width: 20; }"

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal
        from textual.widgets import Static

        with Horizontal():
            yield SessionsTable(lookup)
            yield Static("detail")


async def test_the_scrollbar_comes_when_rows_outgrow_the_list_and_goes_when_they_fit() -> None:
    from textual.scrollbar import ScrollBar

    app = Beside()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(SessionsTable)
        await pilot.pause()

        def bar_shown() -> bool:
            widget, _ = app.screen.get_widget_at(table.region.right - 1, table.region.y + 1)
            return isinstance(widget, ScrollBar)

        table.set_rows([key(f"s{n}") for n in range(1)])
        await pilot.pause()
        assert not bar_shown()
        table.set_rows([key(f"s{n}") for n in range(40)])
        await pilot.pause()
        assert bar_shown()
        table.set_rows([key(f"s{n}") for n in range(3)])
        await pilot.pause()
        assert not bar_shown()
