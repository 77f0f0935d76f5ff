"""The sessions table's cursor: it shows the top row (what needs eyes first) until the
operator moves it, then stays on its session however the rows move."""

from __future__ import annotations

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
