"""A terminal driver whose input thread sleeps until there is input.

Textual's `LinuxDriver` (Linux and macOS) reads keys in a thread that wakes ten times a second
to see whether it should stop and whether a lone Esc has waited long enough to be a key. An
idle console spends ~11 % of its CPU there. This driver's thread waits on the terminal and on
a wake-up pipe that `exit_event.set()` writes to, with a timeout only while the key parser
waits for the rest of an escape sequence. Everything else (raw mode, parsing, events) is
Textual's, including its key parser (a private module).

It reads one private field, the parser's `_timeout_time`; without it the thread wakes ten
times a second as Textual's does.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App

STOCK_WAIT = 0.1  # Textual's own polling period, for a parser this was not written for
_UNKNOWN = object()


class _WakingEvent(threading.Event):
    """An Event whose `set()` also wakes the input threads from their wait."""

    def __init__(self, wake: Callable[[], None]) -> None:
        super().__init__()
        self._wake = wake

    def set(self) -> None:
        super().set()
        self._wake()


class QuietLinuxDriver(LinuxDriver):
    """`LinuxDriver` with an input thread that wakes only for input, a pending escape
    sequence, or being stopped."""

    def __init__(
        self,
        app: App[Any],
        *,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self.exit_event = _WakingEvent(self._wake)
        # Each input thread's wake-up pipe (write end). Textual starts a new thread on SIGCONT
        # (which a hangup sends too) without stopping the old one: the old one must end.
        self._wakes: set[int] = set()
        self._lock = threading.Lock()  # a write end is closed only while no one writes to it
        self._generation = 0  # which thread is the current one

    def _wake(self) -> None:
        with self._lock:
            self._wake_all()

    def _wake_all(self) -> None:
        for fd in self._wakes:  # under `_lock`
            with suppress(OSError):  # full of wake-ups already: the thread is awake
                os.write(fd, b".")

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events, as `LinuxDriver.run_input_thread` does."""
        wake_read, wake_write = os.pipe()
        for fd in (wake_read, wake_write):
            os.set_blocking(fd, False)
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._wake_all()  # an older thread, if any, sees it is not the current one and ends
            self._wakes.add(wake_write)
        try:
            self._read_input(wake_read, generation)
        finally:
            with self._lock:
                self._wakes.discard(wake_write)
                os.close(wake_write)
            os.close(wake_read)

    def _read_input(self, wake: int, generation: int) -> None:
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        with selectors.DefaultSelector() as selector:
            selector.register(self.fileno, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while not self.exit_event.is_set() and self._generation == generation:
                for key, _ in selector.select(_wait(parser)):
                    if key.fd == wake:
                        _drain(wake)
                        continue
                    data = decode(os.read(self.fileno, 4096))
                    if not data:  # stdin closed (the terminal went away): nothing to read
                        selector.unregister(self.fileno)
                        continue
                    self._dispatch(parser.feed(data))
                self._dispatch(parser.tick())

    def _dispatch(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self.process_message(message)


def _wait(parser: XTermParser) -> float | None:
    """How long the thread may sleep: until an escape sequence times out, else for input."""
    due = getattr(parser, "_timeout_time", _UNKNOWN)
    if due is _UNKNOWN or not (due is None or isinstance(due, float)):
        return STOCK_WAIT
    return None if due is None else max(0.0, due - get_time())


def _drain(fd: int) -> None:
    with suppress(BlockingIOError):
        while os.read(fd, 512):
            pass
