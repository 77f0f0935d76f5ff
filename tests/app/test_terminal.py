"""When the terminal goes away (SSH drop: the pty closes, SIGHUP), livetop exits at once, closes
its provider clients on the way out, and leaves nothing running (so nothing can spin)."""

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
from pathlib import Path

import pytest

# The child: livetop --demo, with every provider client's close recorded in a file and Python's
# warnings (unclosed sockets and transports: ResourceWarning, in development mode) sent to the
# log file, since the terminal they would otherwise go to is the one that disappears.
CHILD = """
import logging, sys, warnings
from pathlib import Path
from tui.providers.base import BaseClient

closes = Path(sys.argv[1])
aclose = BaseClient.aclose

async def recorded(self):
    await aclose(self)
    with closes.open("a") as out:
        out.write(self.name + "\\n")

BaseClient.aclose = recorded
if len(sys.argv) > 2:  # stands for a long run's heap, which takes seconds to free at exit
    import atexit, time
    atexit.register(time.sleep, float(sys.argv[2]))
warnings.simplefilter("always")
logging.captureWarnings(True)
from tui.cli import main
sys.exit(main(["--demo"]))
"""


def run_until_drawn(hangup: bool, work: Path, slow_teardown: float = 0) -> tuple[int, float]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: livetop on the demo, in a 100x30 terminal
        os.environ["LIVETOP_LOG_DIR"] = str(work / "logs")
        argv = [sys.executable, "-X", "dev", "-c", CHILD, str(work / "closed")]
        argv += [str(slow_teardown)] if slow_teardown else []
        os.execv(sys.executable, argv)
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
def test_exits_within_a_second_when_the_terminal_goes_away(hangup: bool, tmp_path: Path) -> None:
    status, seconds = run_until_drawn(hangup, tmp_path)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert seconds < 1.0
    # Every provider client was closed on the way out (the proof: a client left open at exit
    # raises no warning, the interpreter just tears it down).
    closed = (tmp_path / "closed").read_text().split()
    assert sorted(closed) == ["calls", "studio", "uiza"]
    # Nothing went wrong on the way: no socket collected unclosed, no orphaned task, no error.
    log = (tmp_path / "logs" / "livetop.log").read_text(encoding="utf-8")
    for sign in ("ResourceWarning", "nclosed", "Task was destroyed", "Traceback", "ERROR"):
        assert sign not in log, log


def test_a_slow_interpreter_teardown_does_not_delay_the_exit(tmp_path: Path) -> None:
    # After an hour at 20,000 sessions the heap is hundreds of MB and freeing it object by
    # object took seconds; once its clients and logs are closed the console leaves at once.
    status, seconds = run_until_drawn(True, tmp_path, slow_teardown=5.0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert seconds < 1.0
    assert sorted((tmp_path / "closed").read_text().split()) == ["calls", "studio", "uiza"]
