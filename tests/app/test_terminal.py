"""When the terminal goes away (SSH drop: the pty closes, SIGHUP), livetop exits at once."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

import pytest


def run_until_drawn(hangup: bool) -> tuple[int, float]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: livetop on the demo, in a 100x30 terminal
        os.execv(sys.executable, [sys.executable, "-m", "tui", "--demo"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    drawn = b""
    deadline = time.monotonic() + 15
    while b"sessions" not in drawn and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                drawn += os.read(fd, 65536)
            except OSError:
                break
    assert b"sessions" in drawn, "the console never drew its list"
    os.close(fd)  # the terminal goes away
    if hangup:
        os.kill(pid, signal.SIGHUP)
    gone = time.monotonic()
    while time.monotonic() - gone < 5:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, time.monotonic() - gone
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("livetop kept running after its terminal went away")


@pytest.mark.parametrize("hangup", [False, True], ids=["pty-closed", "sighup"])
def test_exits_within_a_second_when_the_terminal_goes_away(hangup: bool) -> None:
    status, seconds = run_until_drawn(hangup)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert seconds < 1.0
