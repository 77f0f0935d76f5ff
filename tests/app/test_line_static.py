"""LineStatic repaints only the cells an update changed, draws what a Static draws, and does
not shrink (so moving between sessions does not lay the screen out again)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Static

from tui.widgets.line_static import LineStatic


def lines(n: int, changed: int | None = None) -> Text:
    text = Text()
    for i in range(n):
        text.append("label ", "dim")
        text.append(("CHANGED" if i == changed else f"value {i}") + "\n", "bold" if i else "")
    text.rstrip()
    return text


class Pair(App[None]):
    def compose(self) -> ComposeResult:
        yield LineStatic(lines(5), id="lines")
        yield Static(lines(5), id="static")


async def test_only_changed_lines_are_repainted_and_output_matches_static() -> None:
    app = Pair()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        widget = app.query_one(LineStatic)
        calls: list[tuple[tuple[Region, ...], dict[str, Any]]] = []
        original = widget.refresh

        def spy(*regions: Region, **kwargs: Any) -> Any:
            calls.append((regions, kwargs))
            return original(*regions, **kwargs)

        widget.refresh = spy  # type: ignore[method-assign]
        widget.update(lines(5, changed=3))
        # "label value 3" became "label CHANGED": only those seven cells of line 3
        assert calls == [((Region(6, 3, 7, 1),), {})]
        calls.clear()
        widget.update(lines(5, changed=3))  # the same again: nothing to repaint
        assert calls == []
        widget.update(lines(7))  # taller: laid out again
        assert calls and calls[-1][1].get("layout") is True
        await pilot.pause()
        assert widget.size.height == 7
        static = app.query_one(Static)
        static.update(lines(7))
        await pilot.pause()
        assert [widget.render_line(y).text for y in range(7)] == [
            static.render_line(y).text for y in range(7)
        ]
        assert str(widget.render()) == lines(7).plain
        calls.clear()
        widget.update(lines(4))  # shorter: no layout, the rest is blank
        assert calls and not any(kwargs.get("layout") for _, kwargs in calls)
        await pilot.pause()
        assert widget.size.height == 7
        assert [widget.render_line(y).text.strip() for y in range(4, 7)] == ["", "", ""]


class Styled(App[None]):
    CSS = """
    LineStatic, Static { height: 9; }
    .-alert { color: red; background: $error 20%; }
    """

    def compose(self) -> ComposeResult:
        yield LineStatic(lines(5), id="lines")
        yield Static(lines(5), id="static")


async def test_an_update_is_drawn_from_its_own_render_exactly_as_static_draws() -> None:
    """After an update Textual draws the lines from the strips the update rendered (no second
    render of the whole content), and they are exactly a Static's, styles and blanks included,
    through a style change too."""
    app = Styled()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        widget, static = app.query_one(LineStatic), app.query_one(Static)
        renders: list[int] = []
        original = widget._render_content

        def spy() -> None:
            renders.append(1)
            original()

        widget._render_content = spy  # type: ignore[method-assign]

        async def same() -> None:
            await pilot.pause()
            height = widget.size.height
            assert height == static.size.height == 9
            mine = [widget.render_line(y) for y in range(height)]
            assert mine == [static.render_line(y) for y in range(height)]

        for changed in (3, 1, None):
            widget.update(lines(5, changed=changed))
            static.update(lines(5, changed=changed))
            await same()
        assert renders == []
        for node in (widget, static):
            node.add_class("-alert")
        await same()
        widget.update(lines(6, changed=2))
        static.update(lines(6, changed=2))
        await same()
