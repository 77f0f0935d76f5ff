"""KeyBar: the keys of the screen on one line, as many as fit, never cut through a word.

Textual's Footer shows every binding and scrolls sideways when they do not fit: at 80 columns
it ended mid-word (`e Event▏`). This bar takes the screen's shown bindings in their order
(priority order), keeps as many whole entries as fit, and says where the rest are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.strip import Strip

from tui.widgets.line_view import LineView

HELP = ("?", "help")
MORE = ("?", "all keys")


def key_label(binding: Binding) -> str:
    """How a binding's key reads: its `key_display`, else the key (`enter` as ⏎)."""
    if binding.key_display:
        return binding.key_display
    key = binding.key.split(",")[0]
    return {"enter": "⏎", "escape": "esc", "slash": "/", "question_mark": "?"}.get(key, key)


def fit(entries: Sequence[tuple[str, str]], width: int) -> list[tuple[str, str]]:
    """The entries that fit `width`, whole and in order, then `?` for help: "help" when all
    fit, "all keys" when some did not."""

    def cost(entry: tuple[str, str]) -> int:
        return len(entry[0]) + len(entry[1]) + 3  # " key label "

    if sum(map(cost, entries)) + cost(HELP) <= width:
        return [*entries, HELP]
    room = width - cost(MORE)
    shown: list[tuple[str, str]] = []
    for entry in entries:  # in priority order; a long one is skipped, shorter ones may fit
        if cost(entry) <= room:
            shown.append(entry)
            room -= cost(entry)
    return [*shown, MORE]


class KeyBar(LineView):
    """One line of `key label` pairs; `show` gives the screen's keys in priority order."""

    DEFAULT_CSS = "KeyBar { height: 1; }"
    COMPONENT_CLASSES = {"key-bar--key"}  # noqa: RUF012 (Textual's API)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: tuple[tuple[str, str], ...] = ()

    def show(self, entries: Sequence[tuple[str, str]]) -> None:
        self._entries = tuple(entries)
        self.redraw()

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        inputs = ("keys", self._entries, width)
        return [self.memo(inputs, lambda: (self._line(width), math.inf))]

    def _line(self, width: int) -> Strip:
        key_style = self.get_component_rich_style("key-bar--key")
        text = Text(no_wrap=True)
        for key, label in fit(self._entries, width):
            text.append(" ")
            text.append(key, key_style)
            text.append(f" {label} ")
        return self.text_line(text, width)
