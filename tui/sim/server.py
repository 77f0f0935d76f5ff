"""Serving the simulator: in a background thread (`--demo`, tests) or standalone (`simulate`).

Both bind the listening socket before uvicorn starts, so the port is known (and connections
queue) at once; `start_in_thread` then waits until uvicorn serves before returning.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType, TracebackType
from typing import Self

import uvicorn

from tui.sim.app import CONTROL, PREFIXES, build_app
from tui.sim.faults import Fault, FaultBoard
from tui.sim.gate import QuietFaults, Stopping
from tui.sim.scenario import Scenario, SimClock, SimConfig

DEFAULT_PORT = 8787
_quiet = QuietFaults()


@dataclass(frozen=True, slots=True)
class SimInfo:
    """Where a simulator listens and what opens it: all a client config needs."""

    base_urls: dict[str, str]
    api_keys: dict[str, str]
    entity_ids: list[str]
    call_ids: list[str]
    stream_ids: list[str]
    control_url: str


def _info(scenario: Scenario, host: str, port: int) -> SimInfo:
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"  # reachable from this machine whatever the bind address
    origin = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    return SimInfo(
        base_urls={name: origin + prefix for name, prefix in PREFIXES.items()},
        api_keys=dict(scenario.api_keys),
        entity_ids=scenario.entity_ids,
        call_ids=scenario.call_ids,
        stream_ids=scenario.stream_ids(),
        control_url=origin + CONTROL,
    )


def render_config_toml(info: SimInfo, refresh_interval: float = 2.0) -> str:
    """A livetop config file for this simulator (the demo keys are not secrets)."""

    def q(text: str) -> str:
        return json.dumps(text)  # a JSON string is a valid TOML basic string

    def ids(values: list[str]) -> str:
        return "[" + ", ".join(q(v) for v in values) + "]"

    blocks = [f"refresh_interval = {refresh_interval!r}"]
    for name, kind, extra in (
        ("studio", "livepeer", ""),
        ("uiza", "uiza", f"entity_ids = {ids(info.entity_ids)}\n"),
        ("calls", "calls", f"call_ids = {ids(info.call_ids)}\n"),
    ):
        blocks.append(
            "[[providers]]\n"
            f"name = {q(name)}\nkind = {q(kind)}\n"
            f"base_url = {q(info.base_urls[kind])}\napi_key = {q(info.api_keys[kind])}\n{extra}"
        )
    return "\n\n".join(block.rstrip("\n") for block in blocks) + "\n"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


class _QuietServer(uvicorn.Server):
    """uvicorn wakes ten times a second to look at `should_exit`, which costs an idle demo
    simulator more CPU than its requests do. This one wakes once a second (uvicorn refreshes its
    Date header once a second anyway) and at once when asked to exit."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # on_tick's counter: tenths of a second
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)

    def request_exit(self) -> None:
        """Set `should_exit` and wake the loop; callable from any thread."""
        self.should_exit = True
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # its loop has closed: nothing to wake
                self._loop.call_soon_threadsafe(self._wake.set)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)  # Ctrl+C in `livetop simulate`
        self.request_exit()


def _server(
    scenario: Scenario, board: FaultBoard, stopping: Stopping, standalone: bool
) -> _QuietServer:
    config = uvicorn.Config(
        build_app(scenario, board, stopping),
        loop="asyncio",
        http="h11",
        ws="none",
        lifespan="off",
        access_log=False,
        log_level="warning",
        # In-process, leave logging alone: the console owns the terminal.
        log_config=uvicorn.config.LOGGING_CONFIG if standalone else None,
        timeout_graceful_shutdown=1,
        # Like the real services' front ends (nginx's default is 75 s), not uvicorn's 5 s: a
        # console polling every few seconds reuses its connections.
        timeout_keep_alive=75,
    )
    logging.getLogger("uvicorn.error").addFilter(_quiet)
    return _QuietServer(config)


class RunningSimulator:
    """A simulator serving on a loopback port from a background thread.

    `stop()` shuts it down (hung requests included); it is also a context manager.
    """

    def __init__(
        self,
        scenario: Scenario,
        board: FaultBoard,
        info: SimInfo,
        server: _QuietServer,
        thread: threading.Thread,
        stopping: Stopping,
    ) -> None:
        self.scenario = scenario
        self.info = info
        self._board = board
        self._server = server
        self._thread = thread
        self._stopping = stopping

    @property
    def base_urls(self) -> dict[str, str]:
        return dict(self.info.base_urls)

    @property
    def api_keys(self) -> dict[str, str]:
        return dict(self.info.api_keys)

    @property
    def entity_ids(self) -> list[str]:
        return list(self.info.entity_ids)

    @property
    def call_ids(self) -> list[str]:
        return list(self.info.call_ids)

    @property
    def stream_ids(self) -> list[str]:
        return list(self.info.stream_ids)

    @property
    def control_url(self) -> str:
        return self.info.control_url

    def now(self) -> datetime:
        """The simulated wall clock. With `speed` != 1 it runs ahead of the real one: pass
        `sim.now` as the clients' `clock`, or ended sessions will look live (and vice versa)."""
        return datetime.fromtimestamp(self.scenario.clock.now(), UTC)

    @property
    def request_counts(self) -> dict[str, int]:
        """API requests received so far, per provider (faulted ones included)."""
        return self._board.counts()

    @property
    def poll_counts(self) -> dict[str, int]:
        """`request_counts` without the side requests (Livepeer's viewership, one beside
        each poll): the requests that a poll schedule sends."""
        return self._board.counts(polls_only=True)

    def arrivals(self, provider: str) -> list[float]:
        """When each of `provider`'s requests arrived (`time.monotonic()`), oldest first."""
        return self._board.arrivals(provider)

    def paths(self, provider: str) -> list[str]:
        """The path each of `provider`'s requests asked for, oldest first."""
        return self._board.paths(provider)

    def refused(self, provider: str) -> int:
        """`provider`'s requests its `budget` fault answered 429."""
        return self._board.refused(provider)

    def set_fault(self, provider: str, fault: Fault | None) -> None:
        """Switch `provider`'s fault (None: none); takes effect from the next request."""
        self._board.set(provider, fault)

    def clear_faults(self) -> None:
        self._board.clear()

    def faults(self) -> dict[str, Fault]:
        return self._board.faults()

    def config_toml(self, refresh_interval: float = 2.0) -> str:
        return render_config_toml(self.info, refresh_interval)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        self._stopping.set()
        self._server.request_exit()
        self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_thread(
    config: SimConfig | None = None, *, clock: SimClock | None = None, timeout: float = 10.0
) -> RunningSimulator:
    """Serve a new simulator from a daemon thread; returns once it answers requests.

    Binds `config.host` (loopback by default) on `config.port`, or a free port if None or 0.
    """
    config = config or SimConfig()
    scenario = Scenario(config, clock)
    board = FaultBoard(config.faults, seed=config.seed)
    stopping = Stopping()
    sock = _bind(config.host, config.port or 0)
    port = sock.getsockname()[1]
    server = _server(scenario, board, stopping, standalone=False)

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=serve, name=f"livetop-sim-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            stopping.set()
            server.request_exit()
            thread.join(1.0)
            raise RuntimeError("the simulator did not start")
        time.sleep(0.002)
    return RunningSimulator(
        scenario, board, _info(scenario, config.host, port), server, thread, stopping
    )


def describe(info: SimInfo, config_to: str = "stdout") -> str:
    """What `livetop simulate` says on stderr: the base URLs, how to switch faults, and where
    the config went (`config_to`: "stdout", or the file it was written to)."""
    lines = ["livetop simulator", ""]
    lines += [f"  {name:<9}{url}" for name, url in info.base_urls.items()]
    lines += [
        f"  {'control':<9}{info.control_url}",
        "",
        "switch faults while it runs:",
        f'  curl -X POST {info.control_url}/faults -d \'{{"livepeer": {{"error_rate": 0.2}}}}\'',
        f"  curl -X DELETE {info.control_url}/faults",
    ]
    if config_to == "stdout":
        lines += ["", "config: on stdout (or --write-config PATH writes it private, mode 0600)"]
    else:
        shown = shlex.quote(config_to)
        lines += ["", f"config: written to {shown} (mode 0600): livetop --config {shown}"]
    return "\n".join(lines) + "\n\n"


def announce(info: SimInfo) -> None:
    """The default for `run_standalone`: `describe()` on stderr, the config alone on stdout
    (so that `livetop simulate > sim.toml` is a config file)."""
    sys.stderr.write(describe(info))
    sys.stderr.flush()
    sys.stdout.write(render_config_toml(info))
    sys.stdout.flush()


async def run_standalone(
    config: SimConfig,
    host: str | None = None,
    port: int | None = None,
    *,
    on_ready: Callable[[SimInfo], None] | None = None,
) -> None:
    """Serve in this event loop until Ctrl+C / SIGTERM (handled by uvicorn) or cancellation.

    `host` and `port` default to the config's (port: 8787 if unset there; 0 picks a free one).
    `on_ready` gets the `SimInfo` once the port is bound (default: `announce`); what it
    raises stops the simulator before it serves. A cancelled call shuts the server down
    cleanly before re-raising.
    """
    host = config.host if host is None else host
    port = (DEFAULT_PORT if config.port is None else config.port) if port is None else port
    scenario = Scenario(config)
    board = FaultBoard(config.faults, seed=config.seed)
    stopping = Stopping()
    sock = _bind(host, port)
    try:
        info = _info(scenario, host, sock.getsockname()[1])
        server = _server(scenario, board, stopping, standalone=True)
        (on_ready or announce)(info)
    except BaseException:
        sock.close()
        raise
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        await asyncio.shield(serving)
    except asyncio.CancelledError:
        stopping.set()
        server.request_exit()
        await serving
        raise
    finally:
        stopping.set()
        sock.close()
