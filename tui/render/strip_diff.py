"""Which cells of a line changed: widgets repaint only that span (see `tui/partial_update.py`).

A live row whose bitrate moved differs from what is on screen in ten cells out of 200; the
provider bar's "data 1s old" in two. Repainting just those cells is what keeps the console's
output near 1 KiB/s over SSH.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from textual.strip import Strip

Cell = tuple[int, str, Style | None]  # (distance from one edge, character, style)


def changed_span(old: Strip, new: Strip) -> tuple[int, int] | None:
    """The cells `[start, end)` where `new` looks different from `old`; None if it does not.

    The span covers whole characters (never half of a double-width one). If the lengths
    differ, it runs to the end of the longer one: everything after the change has moved.
    """
    if _plain(old, new):
        return _plain_span(old, new)
    a, b = _cells(old, from_end=False), _cells(new, from_end=False)
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    if i == len(a) == len(b):
        return None
    start = a[i][0] if i < len(a) else (b[i][0] if i < len(b) else old.cell_length)
    if old.cell_length != new.cell_length:
        return start, max(old.cell_length, new.cell_length)
    ra, rb = _cells(old, from_end=True), _cells(new, from_end=True)
    k = 0
    while k < min(len(a), len(b)) - i and ra[-1 - k] == rb[-1 - k]:
        k += 1
    if k == 0:
        return start, max(old.cell_length, new.cell_length)
    # Where the equal tail starts: at one place on both, as the lines are of one length.
    return start, max(old.cell_length - ra[-k][0], start + 1)


def _plain(old: Strip, new: Strip) -> bool:
    """The common case: one segment each, of equal length, one column per character."""
    if len(old) != 1 or len(new) != 1:
        return False
    (a, _, control_a), (b, _, control_b) = next(iter(old)), next(iter(new))
    return not (control_a or control_b) and len(a) == len(b) and _narrow(a) and _narrow(b)


# Characters known to take exactly one column ("—", "…", "█" as well as ASCII); bounded, as
# provider text can bring any character.
_NARROW: set[str] = set(map(chr, range(0x20, 0x7F)))
_NARROW_MAX = 4096


def _narrow(text: str) -> bool:
    if text.isascii():
        return text.isprintable()
    chars = set(text)
    for char in chars - _NARROW:
        if cell_len(char) != 1 or not char.isprintable():
            return False
        if len(_NARROW) < _NARROW_MAX:
            _NARROW.add(char)
    return True


def _plain_span(old: Strip, new: Strip) -> tuple[int, int] | None:
    (a, style_a, _), (b, style_b, _) = next(iter(old)), next(iter(new))
    if style_a != style_b:
        return (0, len(a)) if a else None
    if a == b:
        return None
    i = 0
    while a[i] == b[i]:
        i += 1
    j = len(a)
    while a[j - 1] == b[j - 1]:
        j -= 1
    return i, j


def _cells(strip: Strip, *, from_end: bool) -> list[Cell]:
    """Every character with its left side's distance from the left (or the right) edge."""
    out: list[Cell] = []
    pos = 0
    for text, style, control in strip:
        if control:
            continue
        for char in text:
            out.append((pos, char, style))
            pos += cell_len(char)
    if from_end:
        return [(pos - x, char, style) for x, char, style in out]
    return out
