"""A plain `LineView` for tests: lines of text, shown with the one repaint mechanism."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

from rich.text import Text
from textual.strip import Strip

from tui.widgets.line_view import LineView


class TextLines(LineView):
    """Shows `Text` lines, one each (cut to the width); `show` replaces them."""

    DEFAULT_CSS = "TextLines { height: auto; }"

    def __init__(self, lines: Sequence[Text] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._texts = list(lines)

    def show(self, content: Text | str | Sequence[Text]) -> None:
        """Show these lines (a string or a `Text` is cut at its newlines)."""
        if isinstance(content, str):
            content = Text(content)
        self._texts = list(content.split("\n") if isinstance(content, Text) else content)
        self.redraw()

    def content_height(self) -> int:
        return len(self._texts)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._texts)

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        return [
            self.memo((text.plain, tuple(text.spans), width), partial(self._line, text, width))
            for text in self._texts[top : top + height]
        ]

    def _line(self, text: Text, width: int) -> tuple[Strip, float]:
        return self.text_line(text, width), math.inf
