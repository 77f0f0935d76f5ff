"""LineView: how every livetop widget decides what to repaint.

A LineView draws lines (Textual's Line API). A subclass answers one question, `lines()`: the
strips its visible lines show now. Building a strip goes through `memo`, the one cache, with
one invalidation rule: an entry is reused while its inputs are equal and the clock has not
reached the moment it gave (when an age on it would read differently), nor gone back (a
replay seeking back). `redraw()`, the one
verb, compares the new strips with those on screen and marks dirty only the cells that differ:
an unchanged widget costs no output, a ticking age costs its own cells (with
`tui/textual_touches/partial_update.py`, Textual then sends only those cells).

The memo keeps what the last window used and nothing else, so it is bounded by what is on
screen. Scrolling, resizing and restyling repaint the whole widget, as Textual does anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.visual import Visual, visualize

from tui.render.strip_diff import changed_span
from tui.textual_touches import QuietLayout, forget_repainted_regions

T = TypeVar("T")


class Same:
    """A memo input that matches only the very same object: a session the store replaced is a
    new object, an unchanged one is handed back as is. Compared by identity, hashed by id, and
    kept alive while remembered (so its id cannot be reused meanwhile)."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj


class LineView(QuietLayout, ScrollView, can_focus=False):
    """A widget drawn line by line; see the module doc. Subclasses define `lines` and, if
    they scroll, `content_height`."""

    DEFAULT_CSS = """
    LineView {
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._clock = clock
        self._moment = 0.0
        self._memo: dict[Hashable, tuple[Any, float]] = {}
        self._used: dict[Hashable, tuple[Any, float]] = {}
        self._window: list[Strip] = []
        self._frame: tuple[int, int, int] | None = None  # (top, width, height) of `_window`

    # -- what subclasses define --------------------------------------------------------------

    def lines(self, width: int, height: int, top: int) -> list[Strip]:
        """The strips of the `height` visible lines, the first showing content line `top`."""
        raise NotImplementedError

    def content_height(self) -> int:
        """How many lines the content has (more than the widget's height: it scrolls); asked
        after `lines`, so a document can say how long it turned out."""
        return self.size.height

    # -- helpers for subclasses --------------------------------------------------------------

    @property
    def moment(self) -> float:
        """The clock's time (epoch seconds) of the window being built."""
        return self._moment

    def memo(self, inputs: Hashable, build: Callable[[], tuple[T, float]]) -> T:
        """`build()`'s value for these inputs, built again only when they are new or the
        clock reached the time `build` said its value holds until."""
        hit = self._memo.get(inputs)
        if hit is None or self._moment >= hit[1]:
            hit = build()
        self._used[inputs] = hit
        value: T = hit[0]
        return value

    def text_lines(self, text: Text, width: int) -> list[Strip]:
        """`text` (taken literally, never as markup) as lines `width` cells wide, wrapped or
        cut as the text says, drawn as a `Static` would draw it."""
        visual = visualize(self, text, markup=False)
        strips = Visual.to_strips(self, visual, width, None, self.visual_style)
        return [strip.discard_meta().simplify() for strip in strips]

    def text_line(self, text: Text, width: int, style: Style | None = None) -> Strip:
        """One line of `text` (taken literally), cut with an ellipsis or padded to `width`
        cells, over `style` (default: the widget's own)."""
        base = self.rich_style if style is None else self.rich_style + style
        line = text.copy()
        line.plain = line.plain.replace("\n", " ")
        line.truncate(width, overflow="ellipsis")
        segments = Segment.apply_style(line.render(self.app.console), base)
        # One segment per style: every style change costs its whole SGR sequence.
        return Strip(segments).adjust_cell_length(width, base).simplify()

    def blank(self, width: int) -> Strip:
        return Strip.blank(width, self.rich_style)

    @property
    def visible_text(self) -> str:
        """The plain text of the lines last drawn, top to bottom."""
        return "\n".join(strip.text for strip in self._window)

    # -- the one verb ------------------------------------------------------------------------

    def redraw(self) -> None:
        """Draw what the widget should show now, repainting only the cells that changed."""
        if not self.is_mounted or not self.size:
            return
        before, frame = self._window, self._frame
        after = self._build()
        self._set_content_height(self.content_height())  # known once the lines are built
        if self._frame != self._current_frame():  # the height moved the scroll position
            after = self._build()
        if frame != self._frame or len(before) != len(after):
            self.refresh()
            return
        for y, (old, new) in enumerate(zip(before, after, strict=True)):
            if old is new:
                continue
            span = changed_span(old, new)
            if span is not None:
                self.refresh(Region(span[0], y, span[1] - span[0], 1))

    # -- Textual's side ----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if self._frame != self._current_frame():
            self._build()  # Textual repaints after a scroll or a resize: the window moved
        window = self._window
        return window[y] if y < len(window) else self.blank(self.size.width)

    def render_lines(self, crop: Region) -> list[Strip]:
        forget_repainted_regions(self)
        return super().render_lines(crop)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._memo.clear()
        self._frame = None  # strips carry styles: build them all again

    def on_resize(self) -> None:
        self._set_content_height(self.content_height())

    # -- internals ---------------------------------------------------------------------------

    def _current_frame(self) -> tuple[int, int, int]:
        return (self.scroll_offset.y, self.scrollable_content_region.width, self.size.height)

    def _build(self) -> list[Strip]:
        frame = self._current_frame()
        top, width, height = frame
        moment = self._clock()
        if moment < self._moment:  # a replay went back: "valid until" no longer says anything
            self._memo.clear()
        self._moment = moment
        self._used = {}
        strips = self.lines(width, height, top)[:height]
        strips += [self.blank(width)] * (height - len(strips))
        self._memo, self._used = self._used, {}
        self._window, self._frame = strips, frame
        return strips

    def _set_content_height(self, height: int) -> None:
        """Resize the scrollable area. Assigning `virtual_size` lays the screen out again and
        repaints all of this widget; unless the scrollbar comes or goes, the size is set
        quietly and the scrollbar repainted only when its thumb would look different."""
        old = self.virtual_size
        size = Size(0, height)
        if size == old:
            return
        view = self.size.height
        if not self.is_mounted:
            self.virtual_size = size
            return
        if self.styles.scrollbar_size_vertical and (old.height > view) != (height > view):
            self.scrollbar_change = True  # the scrollbar comes or goes: a layout, let through
            self.virtual_size = size
            return
        self.set_reactive(ScrollView.virtual_size, size)
        bar = self.vertical_scrollbar
        before = _bar(bar, old.height)
        bar.set_reactive(ScrollBar.window_virtual_size, height)
        if self.show_vertical_scrollbar and _bar(bar, height) != before:
            bar.refresh()
        self.scroll_y = self.validate_scroll_y(self.scroll_y)


def _bar(bar: ScrollBar, virtual: int) -> list[Segment]:
    """The scrollbar as Textual would draw it with this virtual height (plain segments)."""
    rendered = ScrollBarRender.render_bar(
        size=bar.size.height,
        virtual_size=virtual,
        window_size=bar.window_size,
        position=bar.position,
        thickness=max(1, bar.size.width),
    )
    return list(rendered.segments)
