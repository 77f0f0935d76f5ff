"""Counting requests against a budget: the most that fell in any window."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable


def most_in_a_window(times: Iterable[float], window: float = 60.0) -> int:
    """The most of `times` (seconds) inside any half-open window of `window` seconds."""
    ordered = sorted(times)
    return max((bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0)
