"""When the console lets Python's garbage collector walk all of its objects.

With 10,000 sessions the process holds about a million objects that live for minutes, and a
full collection walks every one of them: ~130 ms with the event loop stopped, every second or
two while polls allocate (each page of JSON is ~7,000 containers that outlive a young
collection). A key pressed then waits for it.

So, once the first load is in, the console collects once and freezes what survived
(`gc.freeze()`: those objects are left out of every later collection; freed as usual when
their last reference goes). Later collections walk only what came since. Young collections
run every 10,000 allocations instead of 700: a page of JSON is then usually freed before one
runs, so it is never promoted, and the short-lived cycles Textual makes (~5,000 a second) die
young instead of piling up for a full collection. Every few minutes, at a moment when nobody
is typing, the console unfreezes, collects everything (so cycles that died frozen are
reclaimed), freezes again, and hands the C heap's free pages back to the system (glibc keeps
them otherwise: polls of 1 MB pages left the heap fragmented and RSS creeping up by a MB a
second while every record changed). No Textual here: the app calls `start`, `loaded`, `typed`,
`tick` and `stop`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import time
from collections.abc import Callable

MAINTENANCE_EVERY = 300.0  # seconds between full collections
QUIET = 2.0  # a full collection waits until no key came for this long
THRESHOLDS = (10_000, 5, 100)  # gc.set_threshold: young, middle, old


def tune() -> tuple[int, ...]:
    """Set the thresholds below; returns the ones they replace. The console calls this before
    its imports and its first load too: they allocate a million objects, and at 700 a young
    collection (and a full one now and then) runs thousands of times on the way."""
    saved = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    return saved


@functools.cache
def _libc_trim() -> Callable[[int], int] | None:
    # Looked up once: `find_library` runs ldconfig in a child process.
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] | None = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    return trim


def malloc_trim() -> bool:
    """Return the C heap's free memory to the system (glibc's `malloc_trim`); False where
    there is no such call (another C library)."""
    trim = _libc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class Collector:
    """Schedules full collections for quiet moments; see the module docstring."""

    def __init__(
        self,
        *,
        every: float = MAINTENANCE_EVERY,
        quiet: float = QUIET,
        clock: Callable[[], float] = time.monotonic,
        trim: Callable[[], object] = malloc_trim,
    ) -> None:
        self._every = every
        self._trim = trim
        self._quiet = quiet
        self._clock = clock
        self._due: float | None = None  # when the next full collection may run
        self._last_key = float("-inf")
        self._saved: tuple[int, ...] | None = None

    def start(self) -> None:
        """Take over the collector's thresholds (until `stop`)."""
        self._saved = tune()

    def stop(self) -> None:
        """Give the process its thresholds back and unfreeze (tests run many apps)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
        gc.unfreeze()
        self._due = None

    def loaded(self) -> None:
        """The first load is in: collect and freeze at the next quiet tick."""
        if self._due is None:
            self._due = self._clock()

    def typed(self) -> None:
        """A key was pressed: no full collection in the next `quiet` seconds."""
        self._last_key = self._clock()

    def tick(self) -> bool:
        """Call about once a second; collects (and says so) when one is due and it is quiet."""
        now = self._clock()
        if self._due is None or now < self._due or now - self._last_key < self._quiet:
            return False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._trim()
        self._due = self._clock() + self._every
        return True
