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


async def test_a_tick_compares_only_changed_rows_until_an_age_can_read_differently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`refresh_rows` (the 1 s tick) compares only the lines of sessions that changed, and
    of those whose ages can read differently by now; rows, marks and the cursor compare all
    at once."""
    now = [datetime(2026, 11, 22, 12, 0, tzinfo=UTC)]
    started = now[0] - timedelta(minutes=5, seconds=20)  # "5m" on air for 40 s more
    rates = {key("a"): 1e6, key("b"): 2e6, key("c"): 3e6}
    later = {key("b"): timedelta(seconds=15)}  # b turns "6m" 15 s after the others

    def aired(k: SessionKey) -> Session:
        start = started + later.get(k, timedelta())
        return replace(lookup(k), started_at=start, last_seen=start, ingest_bps=rates[k])

    compares: list[int] = []
    original = SessionsTable._line_state

    def line_state(self: SessionsTable, *args: Any) -> tuple[object, ...]:
        compares.append(1)
        return original(self, *args)

    monkeypatch.setattr(SessionsTable, "_line_state", line_state)

    class Aired(App[None]):
        def compose(self) -> ComposeResult:
            yield SessionsTable(aired, clock=lambda: now[0])

    async with Aired().run_test(size=(80, 10)) as pilot:
        table = pilot.app.query_one(SessionsTable)
        table.set_rows(list(rates))
        await pilot.pause()

        def shown() -> list[str]:
            return [table.render_line(y).text for y in range(4)]

        def tick(seconds: float, *changed: SessionKey) -> int:
            compares.clear()
            now[0] += timedelta(seconds=seconds)
            table.refresh_rows(set(changed))
            return len(compares)

        drawn = shown()
        assert tick(30) == 0  # still "5m" on air and "5m" ago
        rates[key("b")] = 7e6
        assert tick(9, key("b")) == 1  # b's line alone
        assert "7.0 Mb/s" in shown()[2]
        assert tick(2) == 2  # a and c turn "6m": their lines alone, repainted
        assert shown()[1] != drawn[1]
        assert shown()[3] != drawn[3]
        assert shown()[2] == table.render_line(2).text
        assert tick(1) == 0
        assert tick(7) == 0
        assert tick(7) == 1  # b turns "6m"
        table.mark(key("c"), "new", float("inf"))
        assert tick(0) == table.size.height
        assert tick(0) == 0
        await pilot.press("j")  # the cursor moved: compared at once, and settled again
        assert tick(0) == 0


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
            table.refresh_changed()
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
