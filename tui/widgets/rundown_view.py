"""RundownView: tonight's items in time order, each with its slot, its state and why.

A `LineView`: a line is built again only when its text changes (a countdown, once a minute
beyond the last one), and only its changed cells are repainted. Marks read without colour:
`!` late, ended early, overrunning or a recording problem; `?` unknown; `>` on air.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.strip import Strip

from tui import format as fmt
from tui.absence import ItemState, ItemView
from tui.columns import cell
from tui.widgets.line_view import LineView

HINT = (
    "No rundown: nothing planned tonight.",
    "",
    "Add [[rundown]] items to the config (provider, id, label, start, end, grace);",
    "the README shows how. The config is reloaded when you save it, or with Ctrl+R.",
)
NO_CONFIG = (
    "No rundown here: the plan is in a config, and this console has none (it is",
    "attached to a recording, or replaying one). `livetop` with the config shows",
    "tonight's rundown, and so does `livetop check --rundown`.",
)
_ITEM_MIN = 16  # the label keeps at least this much; the note goes first when narrow
_STATE = 19  # "ENDED EARLY 1h02m" and a space


def _clock(when: datetime | None) -> str:
    return fmt.DASH if when is None else f"{when.astimezone():%H:%M}"


def kind_of(view: ItemView) -> str:
    """The line's look: trouble, unknown, live, done (dim), or plain (upcoming)."""
    if view.trouble or view.note.startswith("recording"):
        return "trouble"
    return {
        ItemState.UNKNOWN: "unknown",
        ItemState.LIVE: "live",
        ItemState.DONE: "dim",
        ItemState.PAST: "dim",
    }.get(view.state, "")


_MARKS = {"trouble": "!", "unknown": "?", "live": ">"}
# mark, slot ("21:00–22:00"), provider, state ("ENDED EARLY 1h02m"), each with its space
_FIXED = (2, 12, 10, 19)


def _widths(width: int) -> tuple[int, int]:
    """(label, note) widths: the note only where the label keeps 24 cells or more; on a
    wide screen the label stops at 40 and the note at 60, the table stays at the left."""
    room = max(_ITEM_MIN, width - sum(_FIXED))
    if room < 48:
        return room, 0
    label = min(max(room // 2, 24), 40)
    return label, min(60, room - label)


def _line(
    mark: str, slot: str, label: str, provider: str, state: str, note: str, width: int
) -> str:
    label_width, note_width = _widths(width)
    cells = [
        cell(mark, _FIXED[0] - 1, False),
        cell(slot, _FIXED[1] - 1, False),
        cell(label, label_width - 1, False),
        cell(provider, _FIXED[2] - 1, False),
        cell(state, _FIXED[3] - 1, False),
    ]
    if note_width:
        cells.append(cell(note, note_width - 1, False))
    return " ".join(cells)


def row_text(view: ItemView, width: int) -> str:
    """One item as a line: mark, slot, label, provider, state, and the note where it fits."""
    entry = view.entry
    slot = f"{_clock(view.start)}–{_clock(view.end)}" if view.end else _clock(view.start)
    return _line(
        _MARKS.get(kind_of(view), " "),
        slot,
        fmt.safe_text(entry.title, 120),
        fmt.safe_text(entry.provider, 40),
        view.headline(),
        view.note,
        width,
    )


def header_text(width: int) -> str:
    return _line("", "SLOT", "ITEM", "PROVIDER", "STATE", "NOTE", width)


class RundownView(LineView, can_focus=True):
    """The rundown's items; `show` gives them, in any order (drawn by start time)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_lines(-1)", "Up", show=False),
        Binding("down,j", "scroll_lines(1)", "Down", show=False),
        Binding("pageup", "scroll_lines(-10)", "Page up", show=False),
        Binding("pagedown", "scroll_lines(10)", "Page down", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rundown-view--header",
        "rundown-view--trouble",
        "rundown-view--unknown",
        "rundown-view--live",
        "rundown-view--dim",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._views: tuple[ItemView, ...] = ()
        self._hint: Sequence[str] = HINT

    def show(self, views: Sequence[ItemView], *, hint: Sequence[str] = HINT) -> None:
        """Show these items in time order (those without a start yet last); `hint`: what
        to say when there are none."""
        self._hint = hint
        far = datetime.max.replace(tzinfo=None)
        self._views = tuple(
            sorted(views, key=lambda v: (v.start.replace(tzinfo=None) if v.start else far, v.index))
        )
        self.redraw()

    @property
    def text(self) -> str:
        """Every line, as plain text (the screen shows what fits)."""
        width = max(80, self.size.width)
        if not self._views:
            return "\n".join(self._hint)
        return "\n".join([header_text(width), *(row_text(v, width) for v in self._views)])

    def content_height(self) -> int:
        return 1 + len(self._views) if self._views else len(self._hint)

    def action_scroll_lines(self, lines: int) -> None:
        self.scroll_to(y=self.scroll_offset.y + lines, animate=False, immediate=True)

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        if not self._views:
            return [
                self.memo(("hint", line, width), partial(self._plain, line, width))
                for line in self._hint[top : top + height]
            ]
        strips = [self.memo(("header", width), partial(self._header, width))]
        for view in self._views[top : top + height - 1]:
            text, kind = row_text(view, width), kind_of(view)
            strips.append(self.memo((text, kind, width), partial(self._row, text, kind, width)))
        return strips

    def _plain(self, line: str, width: int) -> tuple[Strip, float]:
        return self.text_line(
            Text(line, "dim" if not line.startswith("No") else "bold"), width
        ), math.inf

    def _header(self, width: int) -> tuple[Strip, float]:
        style = self.get_component_rich_style("rundown-view--header")
        return self.text_line(Text(header_text(width)), width, style), math.inf

    def _row(self, text: str, kind: str, width: int) -> tuple[Strip, float]:
        style = self.get_component_rich_style(f"rundown-view--{kind}") if kind else None
        return self.text_line(Text(text), width, style), math.inf
