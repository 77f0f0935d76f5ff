"""What reaches the terminal, replayed: every update the console sends (only the changed
cells, at cursor positions) is applied to a model of the terminal's screen, which must then
show exactly what a full repaint would. Partial updates that drop or misplace a cell would
leave the operator reading numbers that are not there."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.app import App, ComposeResult
from textual.containers import Horizontal

from support.app import frozen_app, poll_each, wait_for
from support.widgets import TextLines
from tui.clock import FakeClock
from tui.models import ProviderKind, Session, SessionKey, SessionState
from tui.sim import Fault
from tui.textual_touches import partial_update
from tui.widgets.sessions_table import SessionsTable

LIVE = SessionState.LIVE

COLS, ROWS = 60, 8
_CONTROL = re.compile(r"\x1b\[(\d*);?(\d*)H|\x1b\[[0-9;?]*[ -/]*[@-~]|[\r\n]")
WORDS = ["12 ms", "183 ms", "1006 ms", "中文", "live", "ended", "—", "· every 2s ·", "", "x" * 30]


class Terminal:
    """Cells and a cursor: enough of a terminal to replay Textual's output."""

    def __init__(self, cols: int = COLS, rows: int = ROWS) -> None:
        self.cols = cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.row = self.col = 0
        self.sent: list[ChopsUpdate | LayoutUpdate] = []
        self.plain = Console(color_system=None, force_terminal=True, width=cols)

    def feed(self, data: str) -> None:
        pos = 0
        for found in _CONTROL.finditer(data):
            self._put(data[pos : found.start()])
            pos = found.end()
            if found.group().endswith("H"):
                self.row, self.col = int(found.group(1)) - 1, int(found.group(2)) - 1
            elif found.group() == "\r":
                self.col = 0
        self._put(data[pos:])

    def _put(self, text: str) -> None:
        for char in text:
            width = cell_len(char)
            self.cells[self.row][self.col : self.col + width] = [char] + [""] * (width - 1)
            self.col += width

    @classmethod
    def watching(cls, app: App[None], cols: int = COLS, rows: int = ROWS) -> Terminal:
        """A terminal that receives every update `app` sends (it runs headless)."""
        terminal = cls(cols, rows)
        display = app._display

        def record(screen: Any, renderable: Any) -> None:
            if isinstance(renderable, ChopsUpdate | LayoutUpdate):
                terminal.sent.append(renderable)
            display(screen, renderable)

        app._display = record  # type: ignore[method-assign]
        return terminal

    def assert_shows(self, app: App[None]) -> None:
        """Apply what was sent since last time; the screen must be what a full repaint draws."""
        for update in self.sent:
            self.feed(update.render_segments(self.plain))
        self.sent.clear()
        truth = [cells(strip.text, self.cols) for strip in app.screen._compositor.render_strips()]
        assert self.cells == truth


def cells(text: str, cols: int = COLS) -> list[str]:
    """A line as the terminal holds it: a wide character, then an empty cell."""
    out: list[str] = []
    for char in text:
        out += [char] + [""] * (cell_len(char) - 1)
    return out + [" "] * (cols - len(out))


class Lines(App[None]):
    def compose(self) -> ComposeResult:
        yield TextLines(id="pane")


Words = list[tuple[str, str]]


def mutate(lines: list[Words], rng: random.Random) -> None:
    """Change one word of one line (a latency, a state): the rest of the line stays, moved."""
    line = rng.choice(lines)
    word = (rng.choice(WORDS), rng.choice(["", "bold", "dim"]))
    where = rng.randint(0, len(line))
    if line and rng.random() < 0.6:
        line[min(where, len(line) - 1)] = word
    elif line and rng.random() < 0.5:
        del line[min(where, len(line) - 1)]
    else:
        line.insert(where, word)


def render(lines: list[Words]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for n, line in enumerate(lines):
        for word, style in line:
            text.append(word + " ", style)
        if n + 1 < len(lines):
            text.append("\n")
    return text


async def test_the_screen_shows_what_a_full_repaint_would() -> None:
    assert partial_update.install()
    app = Lines()
    rng = random.Random(7)
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        terminal = Terminal.watching(app)
        pane = app.query_one(TextLines)
        lines: list[Words] = [[("studio", "bold"), ("OK", ""), ("12 ms", "dim")] for _ in range(5)]
        for _ in range(150):
            mutate(lines, rng)
            pane.show(render(lines))
            await pilot.pause()
            terminal.assert_shows(app)


class Mosaic(App[None]):
    """Panes side by side and above each other, and one on a layer over four of them."""

    CSS = """
    Screen { layers: base over; }
    Horizontal { height: 3; }
    TextLines { width: 1fr; height: 3; }
    #over { layer: over; offset: 17 2; width: 23; height: 3; }
    """

    def compose(self) -> ComposeResult:
        for row in range(2):
            with Horizontal():
                for col in range(3):
                    yield TextLines(id=f"p{row}{col}")
        yield TextLines(id="over")


async def test_panes_and_an_overlay_show_what_a_full_repaint_would() -> None:
    """Single cells change at every pane's edges and under the overlay: each reaches the
    terminal, and the overlay stays on top."""
    assert partial_update.install()
    app = Mosaic()
    rng = random.Random(5)
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        terminal = Terminal.watching(app)
        panes = list(app.query(TextLines))
        shown = {pane: [["."] * pane.size.width for _ in range(3)] for pane in panes}
        for pane in panes:
            pane.show("\n".join("".join(row) for row in shown[pane]))
        await pilot.pause()
        terminal.assert_shows(app)
        for _ in range(200):
            pane = rng.choice(panes)
            width = pane.size.width
            x = rng.choice([0, width - 1, rng.randrange(width)])
            shown[pane][rng.randrange(3)][x] = rng.choice("abcxyz#")
            pane.show("\n".join("".join(row) for row in shown[pane]))
            await pilot.pause()
            terminal.assert_shows(app)


class Covered(App[None]):
    """A pane that keeps changing under a modal dialog."""

    CSS = """
    TextLines { height: 6; }
    ModalScreen { align: center middle; }
    #dialog { width: 30; height: 4; border: round white; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield TextLines(id="pane")


async def test_a_dialog_stays_on_top_of_what_changes_under_it() -> None:
    """The help over a live list: what changes under the dialog never reaches the terminal
    over it (Textual 8.2 sends a full repaint for a change under a modal screen; this holds
    whichever way the update goes)."""
    from textual.screen import ModalScreen
    from textual.widgets import Static

    class Dialog(ModalScreen[None]):
        def compose(self) -> ComposeResult:
            yield Static("keys", id="dialog")

    assert partial_update.install()
    app = Covered()
    rng = random.Random(3)
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        pane = app.query_one(TextLines)
        rows = [["."] * COLS for _ in range(6)]
        pane.show("\n".join("".join(row) for row in rows))
        await pilot.pause()
        terminal = Terminal.watching(app)
        await app.push_screen(Dialog())
        await pilot.pause()
        terminal.assert_shows(app)
        for _ in range(20):
            rows[rng.randrange(6)][rng.randrange(COLS)] = rng.choice("▆▃#x")
            pane.show("\n".join("".join(row) for row in rows))
            await pilot.pause()
            terminal.assert_shows(app)


class Table(App[None]):
    def __init__(self, sessions: dict[SessionKey, Session]) -> None:
        super().__init__()
        self.sessions = sessions

    def compose(self) -> ComposeResult:
        yield SessionsTable(self.sessions.get)


async def test_the_table_shows_what_a_full_repaint_would() -> None:
    assert partial_update.install()
    rng = random.Random(11)
    sessions: dict[SessionKey, Session] = {}
    for n in range(12):
        key = SessionKey("studio", f"s{n}")
        sessions[key] = Session("studio", ProviderKind.LIVEPEER, key.id, f"Stage {n} 中", LIVE)
    app = Table(sessions)
    async with app.run_test(size=(COLS, ROWS)) as pilot:
        terminal = Terminal.watching(app)
        table = app.query_one(SessionsTable)
        table.focus()
        keys = list(sessions)
        for _ in range(120):
            key = rng.choice(keys)
            rate = rng.choice([None, 9e5, 2.1e6, 12.5e6, 1.3e9])
            state = rng.choice([LIVE, LIVE, SessionState.ENDED])
            sessions[key] = replace(sessions[key], ingest_bps=rate, state=state)
            if rng.random() < 0.2:
                rng.shuffle(keys)
            table.set_rows(list(keys))
            if rng.random() < 0.3:
                await pilot.press(rng.choice(["j", "k", "pagedown", "g"]))
            await pilot.pause()
            terminal.assert_shows(app)


async def test_the_console_shows_what_a_full_repaint_would(frozen_sim: Any) -> None:
    """The whole console over ticks that only move ages, and a provider failing (its rows
    turn stale at once): the terminal holds what a full repaint would draw, and the table's
    lines are what the store says now (a repaint from Textual's caches would not tell)."""
    assert partial_update.install()
    app = frozen_app(frozen_sim)
    terminal = Terminal.watching(app, 120, 30)
    async with app.run_test(size=(120, 30)) as pilot:
        await poll_each(pilot, app)
        app._ticker.pause()  # the test ticks, and moves the clock
        app.refresher.resume()  # polls on the test's clock keep every provider fresh
        await pilot.pause()
        terminal.assert_shows(app)
        assert isinstance(app.clock, FakeClock)
        for _ in range(12):
            await app.clock.advance(1.0)
            app._tick()
            await pilot.pause()
            terminal.assert_shows(app)
            assert table_lines(terminal, app) == fresh_table_lines(app)
        assert not any(line[1:2] == "~" for line in table_lines(terminal, app))
        frozen_sim.set_fault("uiza", Fault(html_5xx=1.0))
        app.refresher.refresh_now("uiza")
        await wait_for(pilot, lambda: app.store.status("uiza").stale)
        await pilot.pause()
        terminal.assert_shows(app)
        shown = table_lines(terminal, app)
        assert shown == fresh_table_lines(app)
        assert any(line.startswith(" ~ uiza") for line in shown)
        app._ticker.resume()


def table_lines(terminal: Terminal, app: App[None]) -> list[str]:
    """The sessions table's lines as the terminal shows them (its scrollbar left out)."""
    region = app.screen.query_one(SessionsTable).scrollable_content_region
    rows = terminal.cells[region.y : region.bottom]
    return ["".join(row[region.x : region.right]).rstrip() for row in rows]


def fresh_table_lines(app: App[None]) -> list[str]:
    """The table's lines rendered now from the store, whatever was drawn before."""
    table = app.screen.query_one(SessionsTable)
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]
