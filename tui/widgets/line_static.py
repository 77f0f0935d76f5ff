"""LineStatic: a Static whose update repaints only the lines that changed.

`Static.update()` repaints the whole widget, and Textual re-sends every line of it: a detail
pane of 45 lines costs ~2.5 KB at 200x50 when only "last seen (6s)" became "(7s)". Here an
update renders the new content to strips the way Textual will (`Visual.to_strips`), compares
them with the last ones, and marks only the changed cells of the changed lines dirty. What is
drawn is exactly what a Static would draw.

It does not shrink: content shorter than the widget is padded with blank lines (until the width
changes). Showing another session would otherwise change the height on most cursor moves, and
each layout repaints the pane twice and every scrollbar on screen (~14 KB and ~20 ms a key).

The strips an update rendered are handed to Textual's render cache: for the dirty lines Textual
would otherwise render the whole content a second time. Anything that changes the look (a
style, a selection, a size) refreshes the widget as usual, and Textual renders it afresh.
"""

from __future__ import annotations

from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual, VisualType, visualize
from textual.widget import Widget

from tui.widgets.strip_diff import changed_span


class LineStatic(Widget):
    """Shows content like `Static` (text taken literally: no markup); see the module doc."""

    DEFAULT_CSS = """
    LineStatic {
        height: auto;
    }
    """

    def __init__(self, content: VisualType = "", *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._content = content
        self._visual: Visual | None = None
        self._lines: list[Strip] = []  # what the last update rendered, at `_width`
        self._width = 0
        self._floor = (0, 0)  # (width, height): the tallest content so far at that width

    @property
    def visual(self) -> Visual:
        if self._visual is None:
            self._visual = visualize(self, self._content, markup=False)
        return self._visual

    def render(self) -> Visual:
        return self.visual

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        height = super().get_content_height(container, viewport, width)
        floor = self._floor[1] if self._floor[0] == width else 0
        self._floor = (width, max(floor, height))
        return self._floor[1]

    def update(self, content: VisualType) -> None:
        """Show `content`, repainting only the lines that now look different."""
        width, height = self.size
        if not width:  # not laid out yet: nothing drawn to compare with
            self._set(content)
            self._lines, self._width = [], 0
            self.refresh(layout=True)
            return
        old = self._lines
        if self._width != width:  # drawn at another width (or not by us): render it again
            old = self._render_at(width, height)
        self._set(content)
        new = Visual.to_strips(self, self.visual, width, None, self.visual_style)
        if len(new) > height:
            self._lines, self._width = [], 0
            self.refresh(layout=True)  # taller: lay out (the padding below keeps it from shrinking)
            return
        drawn = new  # what Textual's own render would be (it draws the blank lines below)
        # Any one blank strip stands for those lines: both sides of the comparison have them.
        new = drawn + [Strip.blank(width)] * (height - len(drawn))
        self._lines, self._width = new, width
        if len(old) != len(new):
            self.refresh()
        else:
            for y, (before, after) in enumerate(zip(old, new, strict=True)):
                span = changed_span(before, after)
                if span is not None:
                    self.refresh(Region(span[0], y, span[1] - span[0], 1))
        self._prime_render_cache(drawn)

    def _prime_render_cache(self, strips: list[Strip]) -> None:
        """Make `strips` what Textual draws this widget from, as its `_render_content` would.

        Textual's own cache (private: left alone if it changes shape) is rendered again whenever
        a dirty region is pending; clearing them says these strips are the new content.
        """
        if self.text_selection:
            return
        try:
            cache = self._render_cache._replace(size=self.size, lines=strips)
            self._dirty_regions.clear()
        except AttributeError:
            return
        self._render_cache = cache

    def _set(self, content: VisualType) -> None:
        self._content = content
        self._visual = visualize(self, content, markup=False)

    def _render_at(self, width: int, height: int) -> list[Strip]:
        strips = Visual.to_strips(self, self.visual, width, None, self.visual_style)
        return strips[:height] + [Strip.blank(width)] * (height - len(strips))
