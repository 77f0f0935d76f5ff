"""changed_span: the cells that differ between two renderings of a line, whole characters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui.render.strip_diff import changed_span

BOLD, DIM = Style(bold=True), Style(dim=True)


def strip(*parts: tuple[str, Style | None]) -> Strip:
    return Strip([Segment(text, style) for text, style in parts])


def cells(s: Strip) -> list[tuple[str, Style | None]]:
    """One entry per cell: a wide character's second cell is ("", style)."""
    out: list[tuple[str, Style | None]] = []
    for text, style, _ in s:
        for char in text:
            out.append((char, style))
            out.extend([("", style)] * (cell_len(char) - 1))
    return out


def starts(s: Strip) -> set[int]:
    """The cells where a character starts, plus the end of the line."""
    found, pos = set(), 0
    for text, _, _ in s:
        for char in text:
            found.add(pos)
            pos += cell_len(char)
    return found | {pos}


def test_a_changed_rate_is_just_its_cells() -> None:
    old = strip(("  studio    Main stage    live   2.1 Mb/s   now", None))
    new = strip(("  studio    Main stage    live   2.4 Mb/s   now", None))
    assert changed_span(old, new) == (35, 36)
    assert changed_span(old, old) is None


def test_a_style_change_is_the_whole_segment() -> None:
    assert changed_span(strip(("row", None)), strip(("row", BOLD))) == (0, 3)
    old = strip((" ● ", None), ("studio", BOLD), ("  data 1s old", DIM))
    new = strip((" ● ", None), ("studio", BOLD), ("  data 2s old", DIM))
    assert changed_span(old, new) == (16, 17)


def test_never_half_a_wide_character() -> None:
    old = strip(("ab中de", None))  # 中 takes cells 2 and 3
    new = strip(("ab文de", None))
    assert changed_span(old, new) == (2, 4)
    assert changed_span(strip(("中国x", None)), strip(("中国y", None))) == (4, 5)


def test_lines_of_different_lengths_run_to_the_longer_end() -> None:
    assert changed_span(strip(("abc", None)), strip(("abcde", None))) == (3, 5)
    assert changed_span(strip(("abcde", None)), strip(("abc", None))) == (3, 5)
    # "12 ms" -> "183 ms": " ms" is equal but has moved, so it is part of the change
    old, new = strip(("· 12 ms", DIM)), strip(("· 183 ms", DIM))
    assert changed_span(old, new) == (3, 8)


text = st.text(alphabet="ab 中文é·…", max_size=12)
style = st.sampled_from([None, BOLD, DIM])
strips = st.lists(st.tuples(text, style), min_size=1, max_size=4).map(lambda p: strip(*p))


@given(strips, strips)
def test_repainting_the_span_turns_the_old_line_into_the_new(old: Strip, new: Strip) -> None:
    span = changed_span(old, new)
    a, b = cells(old), cells(new)
    if span is None:
        assert a == b
        return
    start, end = span
    assert 0 <= start < end <= max(len(a), len(b))
    # What the terminal shows: the old line, the span painted over with the new one's cells
    # (blank past the new line's end: Textual pads a line to its widget's width).
    width = max(len(a), len(b))
    blank = ("", None)
    screen = a + [blank] * (width - len(a))
    screen[start:end] = (b + [blank] * (width - len(b)))[start:end]
    assert screen == b + [blank] * (width - len(b))
    # both edges fall between characters, on the new line (where it has characters)
    assert {start, min(end, new.cell_length)} <= starts(new) | {new.cell_length}
