"""Partial updates send only the dirty cells of a line, never half a wide character; a changed
value in a TextLines reaches the terminal as just that value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual._compositor import ChopsUpdate, Compositor
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip

from support.widgets import TextLines
from tui.textual_touches import partial_update

PLAIN = Console(color_system=None, force_terminal=True, width=200)


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    assert partial_update.install()
    yield
    partial_update.uninstall()


def update(line: str, x1: int, x2: int) -> str:
    """One line drawn by one widget at x=0, with the span x1..x2 dirty."""
    chops = [{0: Strip([Segment(line)])}]
    return ChopsUpdate(chops, [(0, x1, x2)], [[len(line)]]).render_segments(PLAIN)


def test_only_the_span_is_sent() -> None:
    assert update("studio  2.1 Mb/s  now", 8, 16) == "\x1b[1;9H2.1 Mb/s"
    assert update("studio  2.1 Mb/s  now", 0, 21) == "\x1b[1;1Hstudio  2.1 Mb/s  now"


def test_a_cut_through_a_wide_character_takes_all_of_it() -> None:
    assert update("ab中文de", 3, 5) == "\x1b[1;3H中文"  # 中 is cells 2-3, 文 4-5


def test_install_is_idempotent_and_reversible() -> None:
    assert partial_update.install()
    assert ChopsUpdate.render_segments is partial_update.render_segments
    assert Compositor.render_partial_update is partial_update.render_partial_update
    partial_update.uninstall()
    assert update("abcdef", 2, 4) == "\x1b[1;1Habcd"  # Textual's own: from the widget's edge
    assert Compositor.render_partial_update is not partial_update.render_partial_update


def test_an_unknown_textual_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    partial_update.uninstall()

    def other(self: ChopsUpdate, console: Console) -> str:
        return ""

    monkeypatch.setattr(ChopsUpdate, "render_segments", other)
    assert not partial_update.install()
    assert ChopsUpdate.render_segments is other
    assert Compositor.render_partial_update is not partial_update.render_partial_update


class One(App[None]):
    def compose(self) -> ComposeResult:
        yield TextLines([Text(" ● studio  OK  · 54 sessions · data 0s old · next 2s")])


async def test_a_ticking_age_costs_only_its_cells() -> None:
    app = One()
    updates: list[Any] = []
    async with app.run_test(size=(80, 3)) as pilot:
        await pilot.pause()
        display = app._display

        def spy(screen: Any, renderable: Any) -> None:
            updates.append(renderable)
            display(screen, renderable)

        app._display = spy  # type: ignore[method-assign]
        app.query_one(TextLines).show(
            [Text(" ● studio  OK  · 54 sessions · data 1s old · next 1s")]
        )
        await pilot.pause()
    sent = "".join(u.render_segments(PLAIN) for u in updates if isinstance(u, ChopsUpdate))
    # The move to the first changed cell, its colours, the changed cells: nothing else.
    assert re.sub(r"\x1b\[[0-9;]*m", "", sent) == "\x1b[1;37H1s old · next 1"


class Stacked(App[None]):
    CSS = "TextLines { height: 1; }"

    def compose(self) -> ComposeResult:
        for n in range(3):
            yield TextLines([Text(f"line {n}")], id=f"l{n}")


async def test_only_the_widgets_a_change_touches_are_rendered() -> None:
    """A clock at the top and an age at the bottom: the widget between them is not rendered
    again (Textual renders everything inside the box around both)."""
    app = Stacked()
    async with app.run_test(size=(40, 3)) as pilot:
        await pilot.pause()
        rendered: list[str] = []
        for pane in app.query(TextLines):
            stock = pane.render_lines

            def spy(crop: Region, pane: TextLines = pane, stock: Any = stock) -> list[Strip]:
                rendered.append(f"{pane.id} {crop.y}+{crop.height}")
                return cast("list[Strip]", stock(crop))

            pane.render_lines = spy  # type: ignore[method-assign]
        app.query_one("#l0", TextLines).show([Text("line 0 ticked")])
        app.query_one("#l2", TextLines).show([Text("line 2 ticked")])
        await pilot.pause()
        assert sorted(rendered) == ["l0 0+1", "l2 0+1"]
