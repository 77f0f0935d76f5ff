"""The terminal driver's input thread sleeps until there is input: no wake-ups while idle, a
lone Esc still arrives once the parser has waited for the rest of a sequence, stopping the
thread wakes it at once, and a restarted driver (SIGCONT, which a hangup sends) leaves no
older thread behind."""

from __future__ import annotations

import asyncio
import os
import queue
import selectors
import threading
import time
from collections.abc import Iterator

import pytest
from textual import events
from textual.app import App
from textual.message import Message

from tui.app import LivetopApp
from tui.textual_touches.quiet_driver import QuietLinuxDriver


class Recording(QuietLinuxDriver):
    """Reads keys from `fd` and keeps the events instead of posting them to an app."""

    def __init__(self, app: App[None], fd: int) -> None:
        super().__init__(app)
        self.fileno = fd
        self.got: queue.Queue[Message] = queue.Queue()

    def process_message(self, message: Message) -> None:
        self.got.put(message)

    def next_key(self) -> str:
        message = self.got.get(timeout=2)
        assert isinstance(message, events.Key)
        return message.key


@pytest.fixture
def selects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float | None]]:
    """The timeout of every wait of the input thread, in order."""
    timeouts: list[float | None] = []

    class Counting(selectors.DefaultSelector):
        def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
            if threading.current_thread() is not threading.main_thread():  # not the loop's
                timeouts.append(timeout)
            return super().select(timeout)

    monkeypatch.setattr(selectors, "DefaultSelector", Counting)
    yield timeouts


async def test_the_input_thread_sleeps_until_a_key_comes(selects: list[float | None]) -> None:
    read, write = os.pipe()
    driver = Recording(App(), read)
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        os.write(write, b"j")
        assert driver.next_key() == "j"
        await asyncio.sleep(0.1)
        waits = len(selects)
        await asyncio.sleep(0.6)  # Textual's own thread wakes six times in this
        assert len(selects) == waits
        assert selects[-1] is None  # nothing pending: it waits for input alone

        os.write(write, b"\x1b")  # a lone Esc: the start of a sequence, or the Esc key?
        assert driver.next_key() == "escape"
        assert any(t is not None for t in selects[waits:])  # it waited for the rest, no longer

        os.close(write)  # the input ends: the thread neither spins nor stops on its own
        await asyncio.sleep(0.3)
        assert thread.is_alive()
        assert len(selects) - waits < 6

        started = time.monotonic()
        driver.exit_event.set()
        thread.join(2)
        assert not thread.is_alive()
        assert time.monotonic() - started < 0.5
    finally:
        driver.exit_event.set()
        os.close(read)


async def test_a_restart_ends_the_older_thread(selects: list[float | None]) -> None:
    read, write = os.pipe()
    driver = Recording(App(), read)
    first = threading.Thread(target=driver.run_input_thread, daemon=True)
    first.start()
    await asyncio.sleep(0.1)
    second = threading.Thread(target=driver.run_input_thread, daemon=True)
    second.start()  # as `start_application_mode` does on SIGCONT, the first still running
    first.join(1)
    assert not first.is_alive()
    os.write(write, b"k")
    assert driver.next_key() == "k"
    driver.exit_event.set()
    second.join(1)
    assert not second.is_alive()
    os.close(read)
    os.close(write)


def test_the_console_uses_it_where_textual_would_use_its_linux_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.drivers.linux_driver import LinuxDriver

    monkeypatch.setattr(App, "get_driver_class", lambda self: LinuxDriver)
    assert LivetopApp.get_driver_class(LivetopApp.__new__(LivetopApp)) is QuietLinuxDriver
    monkeypatch.setattr(LivetopApp, "QUIET_INPUT", False)
    assert LivetopApp.get_driver_class(LivetopApp.__new__(LivetopApp)) is LinuxDriver


def test_a_parser_of_another_shape_is_polled_as_textual_polls_it() -> None:
    from types import SimpleNamespace

    from tui.textual_touches.quiet_driver import STOCK_WAIT, _wait

    assert _wait(SimpleNamespace()) == STOCK_WAIT  # type: ignore[arg-type]
    assert _wait(SimpleNamespace(_timeout_time="soon")) == STOCK_WAIT  # type: ignore[arg-type]
    assert _wait(SimpleNamespace(_timeout_time=None)) is None  # type: ignore[arg-type]
