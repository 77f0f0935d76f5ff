"""Every place livetop reaches past Textual's public API, and what each one buys.

Textual is pinned to the minor version these were written for (pyproject.toml). Each touch
checks that what it needs is there and otherwise leaves stock Textual in charge: a renamed
private name costs performance, never a crash. Tests force every fallback
(tests/app/test_textual_touches.py), `tests/textual_newest.sh` runs the app tests and the
benchmark's smoke run against the newest Textual and prints which touches engaged, and
`LIVETOP_STOCK_TEXTUAL=name,name` (or `all`) switches touches off to measure them.

- `partial_update` reaches `textual._compositor` (`ChopsUpdate.render_segments`,
  `Compositor.render_partial_update` and the compositor parts it reads). It buys: a changed
  cell re-sends that cell, not its line from the widget's left edge, and a frame renders only
  the widgets a change touches. Fallback: Textual's own partial updates.
- `quiet_input` reaches `textual._xterm_parser.XTermParser`, `textual._time.get_time` and the
  parser's `_timeout_time`. It buys: the key-reading thread sleeps until input instead of
  waking ten times a second. Fallback: Textual's `LinuxDriver`.
- `quiet_layout` overrides `ScrollView._size_updated`. It buys: a layout elsewhere (a
  toast coming or going) no longer repaints the list's scrollbar and sends it a Resize.
  Fallback: the override is simply not called, and the scrollbar repaints as stock.
- `forget_repainted_regions` reaches `Widget._dirty_regions`. It buys: a Line API widget's
  repainted regions are not kept for ever (Textual keeps them for its default `render_line`,
  which livetop's widgets do not use). Fallback: the set grows with every distinct span.

What each is worth is measured with the benchmark, touch on and off, in tests/bench/README.md.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, Final, cast

from textual.driver import Driver
from textual.geometry import Size
from textual.widget import Widget

ENV: Final = "LIVETOP_STOCK_TEXTUAL"
TOUCHES: Final = ("partial_update", "quiet_input", "forget_repainted_regions", "quiet_layout")


log = logging.getLogger("livetop.textual_touches")


def enabled(touch: str) -> bool:
    """Whether a touch may engage (not switched off in `LIVETOP_STOCK_TEXTUAL`)."""
    off = {name.strip() for name in os.environ.get(ENV, "").split(",")}
    return "all" not in off and touch not in off


_FORGET = enabled("forget_repainted_regions")


def forget_repainted_regions(widget: Widget) -> bool:
    """Empty the regions Textual noted for a Line API widget's default `render_line`.

    A widget that renders its own lines never reads them, and each `refresh(region)` adds one:
    unemptied, they pile up, one per distinct repainted span, for as long as the console runs.
    False (nothing done) when Textual no longer keeps them there.
    """
    regions = getattr(widget, "_dirty_regions", None) if _FORGET else None
    if not isinstance(regions, set):
        return False
    regions.clear()
    return True


def install_partial_updates() -> bool:
    """Install the `partial_update` touch; False (stock Textual) when switched off or when
    Textual's compositor no longer looks like the one it was written for."""
    if not enabled("partial_update"):
        return False
    try:
        from tui.textual_touches import partial_update
    except (ImportError, AttributeError) as exc:  # a private module moved or changed
        log.info("partial updates: stock Textual (%s)", type(exc).__name__)
        return False
    return partial_update.install()


def quiet_driver_class(stock: type[Driver]) -> type[Driver]:
    """The `quiet_input` driver in place of Textual's `LinuxDriver`, or `stock` (when switched
    off, on another driver, or when the private names it needs are gone)."""
    if not enabled("quiet_input") or stock.__name__ != "LinuxDriver":
        return stock  # Windows, headless tests, or a driver named in TEXTUAL_DRIVER
    try:
        from tui.textual_touches.quiet_driver import QuietLinuxDriver
    except (ImportError, AttributeError) as exc:
        log.info("quiet input: stock Textual (%s)", type(exc).__name__)
        return stock
    return QuietLinuxDriver if issubclass(QuietLinuxDriver, stock) else stock


def engaged() -> dict[str, bool]:
    """Which touches engage on the Textual installed (for tests/textual_newest.sh)."""
    from textual.drivers.linux_driver import LinuxDriver
    from textual.scroll_view import ScrollView

    return {
        "partial_update": install_partial_updates(),
        "quiet_input": quiet_driver_class(LinuxDriver) is not LinuxDriver,
        "forget_repainted_regions": _FORGET
        and isinstance(getattr(Widget(), "_dirty_regions", None), set),
        "quiet_layout": _QUIET_LAYOUT and callable(getattr(ScrollView, "_size_updated", None)),
    }


_QUIET_LAYOUT = enabled("quiet_layout")


class QuietLayout:
    """For a Line API widget (a `ScrollView`) that sizes its own scrollable area: a layout
    elsewhere on screen (a toast coming or going) leaves its scrollbar alone.

    `ScrollView._size_updated` (private) compares the widget's content size with its parent's,
    which differ whenever a pane sits beside the list, so every layout anywhere repainted the
    scrollbar (~1 KB at 200x50) and sent a Resize. Here a layout that leaves the widget's own
    size as it is does nothing; the widget resizes its scrollable area itself. Fallback: if
    Textual stops calling `_size_updated`, this is never called and Textual behaves as stock.
    """

    scrollbar_change = False  # set by the widget when its scrollbar must come or go

    def _size_updated(self, size: Size, *args: Any, **kwargs: Any) -> bool:
        widget = cast(Widget, self)
        if self.scrollbar_change:
            self.scrollbar_change = False
        elif (
            _QUIET_LAYOUT
            and size == widget.outer_size
            and widget.container_size == size - widget.styles.gutter.totals
        ):
            return False
        stock: Callable[..., bool] = super()._size_updated  # type: ignore[misc]
        return stock(size, *args, **kwargs)
