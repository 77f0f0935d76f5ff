"""`livetop --demo`'s simulator, in a child process.

In a thread of the console's own process the simulator would share its GIL: on the first poll
of a 10,000-session demo it renders ~6 MB of JSON (half a second of CPU) exactly when the
console starts, fetches and draws. In a child process that work runs on another core, and the
child renders the first listing ahead, while the console is still importing Textual.

The child leaves when the console does, however it ends: it watches its stdin, a pipe whose
other end only the console holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from tui.sim import Fault, SimConfig

_WINDOW_S = 3600.0  # the Livepeer client's default watch window: what the first poll asks for


class DemoSimulator:
    """A simulator serving from a child process; what `demo_settings` and the clock need.

    `options` are `SimConfig` keyword arguments (checked here first, so a bad value is a usage
    error in the console's process; faults travel to the child as their settings). `stop()`
    ends the child.
    """

    def __init__(self, options: dict[str, Any]) -> None:
        SimConfig(**options)  # raises ValueError for a bad value, before anything starts
        self._child = subprocess.Popen(
            [sys.executable, "-m", "tui.demo", json.dumps(_to_json(options))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the console owns the terminal
        )
        self._info: dict[str, Any] | None = None

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until the child serves (it starts in the background; meanwhile the console
        can import what it needs). `RuntimeError` if it does not."""
        if self._info is not None:
            return
        assert self._child.stdout is not None
        line = _read_line(self._child.stdout.fileno(), timeout)
        try:
            info = json.loads(line)
        except ValueError:
            info = {"error": "no answer"}
        if "error" in info:
            self.stop()
            raise RuntimeError(f"the simulator did not start: {info['error']}")
        self._info = info

    @property
    def info(self) -> dict[str, Any]:
        self.wait_ready()
        assert self._info is not None
        return self._info

    @property
    def base_urls(self) -> dict[str, str]:
        return dict(self.info["base_urls"])

    @property
    def api_keys(self) -> dict[str, str]:
        return dict(self.info["api_keys"])

    @property
    def entity_ids(self) -> list[str]:
        return list(self.info["entity_ids"])

    @property
    def call_ids(self) -> list[str]:
        return list(self.info["call_ids"])

    @property
    def stream_ids(self) -> list[str]:
        return list(self.info["stream_ids"])

    @property
    def speed(self) -> float:
        return float(self.info["speed"])

    @property
    def pid(self) -> int:
        return self._child.pid

    def time(self) -> float:
        """The simulated wall clock (epoch seconds); it runs `speed` times the real one.

        The child said what its clock read at which `time.monotonic()`: CLOCK_MONOTONIC is
        one clock for every process of the machine."""
        info = self.info
        return float(info["sim_time"] + (time.monotonic() - info["monotonic"]) * info["speed"])

    def stop(self, timeout: float = 5.0) -> None:
        """End the child (idempotent)."""
        if self._child.stdin is not None and not self._child.stdin.closed:
            self._child.stdin.close()  # the child leaves at once on end-of-file
        try:
            self._child.wait(timeout)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        if self._child.stdout is not None:
            self._child.stdout.close()


def _read_line(fd: int, timeout: float) -> bytes:
    """One line from a pipe, or what came before the timeout or end-of-file."""
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


# -- the child --------------------------------------------------------------------------------


def _to_json(options: dict[str, Any]) -> dict[str, Any]:
    """The options for the child's command line: faults as their settings."""
    faults: dict[str, Fault] = options.get("faults", {})
    return {**options, "faults": {name: fault.to_dict() for name, fault in faults.items()}}


def _from_json(options: dict[str, Any]) -> dict[str, Any]:
    faults = options.get("faults", {})
    return {**options, "faults": {name: Fault.from_dict(s) for name, s in faults.items()}}


def _child(options: dict[str, Any]) -> None:
    threading.Thread(target=_leave_with_parent, name="parent-watch", daemon=True).start()
    from tui.sim import start_in_thread

    try:
        sim = start_in_thread(SimConfig(**_from_json(options)))
    except (OSError, RuntimeError, ValueError) as exc:
        _say({"error": str(exc) or type(exc).__name__})
        return
    clock = sim.scenario.clock
    _say(
        {
            "base_urls": sim.base_urls,
            "api_keys": sim.api_keys,
            "entity_ids": sim.entity_ids,
            "call_ids": sim.call_ids,
            "stream_ids": sim.stream_ids,
            "speed": clock.speed,
            "sim_time": clock.now(),
            "monotonic": time.monotonic(),
        }
    )
    _warm(sim.scenario)
    threading.Event().wait()  # serve (from the simulator's thread) until the parent goes


def _warm(scenario: Any) -> None:
    """Render the first poll's records now: finished sessions' JSON is kept, so the console's
    first fetch mostly sends bytes ready made."""
    from tui.sim.livepeer import DEFAULT_ORDER

    world, t = scenario.livepeer, scenario.now()
    window = (("lastSeen", "gt", (t - _WINDOW_S) * 1000.0),)
    world.page_json(world.listing(t, DEFAULT_ORDER, window), t)


def _leave_with_parent() -> None:
    sys.stdin.buffer.read()  # returns at end-of-file: the console stopped us, or died
    os._exit(0)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
