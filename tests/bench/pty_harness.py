"""Run a terminal program in a pseudo-terminal and measure what it draws.

The harness plays the terminal: it sets the window size (`TIOCSWINSZ`), answers Textual's
synchronized-output query (`CSI ? 2026 $ p` → `CSI ? 2026 ; 2 $ y`) so that every frame arrives
between `CSI ? 2026 h` and `CSI ? 2026 l`, and timestamps each frame's start and end. From that:

- first frame showing sessions: launch → end of the first frame whose text matches `row_marker`;
- output: bytes written by the program per second, over a window;
- key → frame latency: from writing a key to the end of the first frame that *starts* after it;
- CPU: utime + stime from `/proc/PID/stat` (all threads) of the process and of its child
  processes (livetop --demo runs its simulator in one), the children's share shown apart;
- memory: VmRSS from `/proc/PID/status`.

Linux only (pty, /proc). No Textual import: it measures any program.
"""

from __future__ import annotations

import fcntl
import os
import pty
import random
import re
import select
import signal
import struct
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"
SYNC_START = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"
_MARKERS = (SYNC_QUERY, SYNC_START, SYNC_END)
_KEEP = max(len(m) for m in _MARKERS) - 1  # a marker may straddle two reads
_TICK = os.sysconf("SC_CLK_TCK")
# Cursor moves become line breaks, every other escape sequence disappears: what is left is the
# text of the lines the frame wrote, good enough to look for a session row.
_MOVE = re.compile(rb"\x1b\[[0-9;]*[HfABCDEFGd]")
_ESCAPE = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")

KEYS: dict[str, bytes] = {
    "j": b"j",
    "k": b"k",
    "down": b"\x1b[B",
    "up": b"\x1b[A",
    "pagedown": b"\x1b[6~",
    "pageup": b"\x1b[5~",
}


def frame_text(data: bytes) -> bytes:
    """The printable text of a frame, one screen span per line."""
    return _ESCAPE.sub(b"", _MOVE.sub(b"\n", data))


@dataclass(slots=True)
class Frame:
    """One synchronized-output frame: times in seconds since launch, size in bytes."""

    start: float
    end: float
    nbytes: int


ANSWER = 0.15  # seconds after a key in which the frames that started are its answer


@dataclass(frozen=True, slots=True)
class KeyFrame:
    """A key pressed: the latency to the first frame that started after it, and the bytes of
    every frame that started within `ANSWER` of it (None: no frame came)."""

    key: str
    latency: float | None
    nbytes: int | None


@dataclass(slots=True)
class CpuSample:
    """Cumulative CPU seconds of the process (children included), and of parts of it."""

    t: float
    total: float
    parts: dict[str, float] = field(default_factory=dict)


@dataclass
class Window:
    """What happened between two moments of a run."""

    seconds: float
    nbytes: int
    frames: int
    cpu: float  # CPU seconds, the process and its children
    cpu_parts: dict[str, float]  # CPU seconds of parts of it ("children")

    @property
    def bytes_per_s(self) -> float:
        return self.nbytes / self.seconds

    @property
    def cpu_pct(self) -> float:
        return 100.0 * self.cpu / self.seconds

    def part_pct(self, part: str) -> float:
        return 100.0 * self.cpu_parts.get(part, 0.0) / self.seconds


class PtyProgram:
    """A program running in a pseudo-terminal of a fixed size, read continuously."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        size: tuple[int, int] = (200, 50),
        env: dict[str, str] | None = None,
        row_marker: re.Pattern[bytes] | None = None,
        keep_output: bool = False,
    ) -> None:
        self.size = size
        self.output: list[tuple[float, bytes]] | None = [] if keep_output else None
        self.row_marker = row_marker
        self.frames: list[Frame] = []
        self.reads: list[tuple[float, int]] = []  # (time, bytes) of every read
        self.first_rows: float | None = None  # end of the first frame matching row_marker
        self._buf = b""
        self._frame_start: float | None = None
        self._frame_bytes = 0
        self._frame_data: list[bytes] = []
        self._exit_status: int | None = None
        self.t0 = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: size the terminal before the program asks for it
            _set_size(0, size)
            os.execvpe(argv[0], list(argv), {**os.environ, **(env or {})})
        self.pid, self.fd = pid, fd
        _set_size(fd, size)

    # -- time ---------------------------------------------------------------------------------

    def now(self) -> float:
        return time.perf_counter() - self.t0

    # -- reading ------------------------------------------------------------------------------

    def pump(self, until: float) -> None:
        """Read and parse output until `until` (seconds since launch) or the program exits."""
        while True:
            left = until - self.now()
            if left <= 0 or self._exit_status is not None:
                return
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                self._read()

    def pump_until(self, condition: Callable[[], bool], limit: float) -> bool:
        """Read until `condition()` holds or `limit` seconds pass; says whether it held."""
        deadline = self.now() + limit
        while not condition():
            if self.now() >= deadline or self._exit_status is not None:
                return False
            self.pump(min(deadline, self.now() + 0.05))
        return True

    def _read(self) -> None:
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        t = self.now()
        if not data:
            self._reap(block=True)
            return
        self.reads.append((t, len(data)))
        if self.output is not None:
            self.output.append((t, data))
        self._parse(self._buf + data, t)

    def _parse(self, data: bytes, t: float) -> None:
        pos = 0
        while True:
            found = [(i, m) for m in _MARKERS if (i := data.find(m, pos)) >= 0]
            if not found:
                break
            i, marker = min(found)
            self._count(data[pos : i + len(marker)])
            pos = i + len(marker)
            if marker == SYNC_QUERY:
                os.write(self.fd, SYNC_REPLY)
            elif marker == SYNC_START:
                self._frame_start, self._frame_bytes = t, len(marker)
                self._frame_data = [marker] if self._wants_text else []
            elif self._frame_start is not None:
                self._end_frame(t)
        keep = max(pos, len(data) - _KEEP)
        self._count(data[pos:keep])
        self._buf = data[keep:]

    @property
    def _wants_text(self) -> bool:
        return self.row_marker is not None and self.first_rows is None

    def _count(self, chunk: bytes) -> None:
        if self._frame_start is not None and chunk:
            self._frame_bytes += len(chunk)
            if self._wants_text:
                self._frame_data.append(chunk)

    def _end_frame(self, t: float) -> None:
        assert self._frame_start is not None
        self.frames.append(Frame(self._frame_start, t, self._frame_bytes))
        marker = self.row_marker if self._wants_text else None
        if marker is not None and marker.search(frame_text(b"".join(self._frame_data))):
            self.first_rows = t
        self._frame_start, self._frame_data = None, []

    # -- input --------------------------------------------------------------------------------

    def send(self, data: bytes) -> float:
        """Write input as the terminal would; returns the time of the write."""
        os.write(self.fd, data)
        return self.now()

    def press_keys(
        self, seconds: float, rng: random.Random, gap: tuple[float, float] = (0.2, 0.7)
    ) -> list[KeyFrame]:
        """Press keys at random moments for `seconds`; for each key, its latency and the size
        of the frame that answered it (None: no frame).

        The cursor is steered to stay between rows 2 and 60, pinning at neither end: a key
        that moves nothing draws nothing, and its "latency" would be the next unrelated frame
        (the 1 s tick). The smallest demo (100 sessions) lists ~70 rows.
        """
        end = self.now() + seconds
        pending: list[tuple[str, float]] = []
        latencies: list[KeyFrame] = []
        row = 0
        page = max(1, self.size[1] - 7)  # the list's height less 2 (header, bars, footer)
        moves = {"j": 1, "down": 1, "k": -1, "up": -1, "pagedown": page, "pageup": -page}
        while self.now() < end:
            self.pump(min(end, self.now() + rng.uniform(*gap)))
            self._settle(pending, latencies, final=False)
            if self.now() >= end:
                break
            allowed = [name for name, step in moves.items() if 2 <= row + step <= 60]
            name = rng.choice(allowed or ["j"])
            row += moves[name]
            pending.append((name, self.send(KEYS[name])))
        self.pump(self.now() + 2.0)  # let the last keys' frames arrive
        self._settle(pending, latencies, final=True)
        return latencies

    def _settle(
        self, pending: list[tuple[str, float]], latencies: list[KeyFrame], *, final: bool
    ) -> None:
        still: list[tuple[str, float]] = []
        for name, sent in pending:
            after = next((f for f in self.frames if f.start > sent), None)
            if after is not None and (final or self.now() - sent > ANSWER):
                # A key's answer can take more than one frame (the list at once, the detail
                # pane on the message that follows): count every frame started soon after.
                answer = [f for f in self.frames if sent < f.start <= sent + ANSWER]
                nbytes = sum(f.nbytes for f in answer)
                latencies.append(KeyFrame(name, after.end - sent, nbytes))
            elif final or self.now() - sent > 2.0:
                latencies.append(KeyFrame(name, None, None))
            else:
                still.append((name, sent))
        pending[:] = still

    # -- /proc --------------------------------------------------------------------------------

    def cpu(self) -> CpuSample:
        """CPU seconds so far: the process with its child processes (`total`), and the
        children's part (`parts["children"]`; livetop --demo's simulator is one)."""
        t = self.now()
        own = _stat_cpu(f"/proc/{self.pid}/stat")
        kids = sum(_stat_cpu(f"/proc/{pid}/stat") for pid in _descendants(self.pid))
        return CpuSample(t, own + kids, {"children": kids})

    def rss_mib(self) -> tuple[float, float]:
        """Resident memory in MiB: (the process, its child processes together)."""
        kids = sum(_rss_mib(pid) for pid in _descendants(self.pid))
        return _rss_mib(self.pid), kids

    def window(self, a: CpuSample, b: CpuSample) -> Window:
        """Output and CPU between two CPU samples (which also fix the times)."""
        nbytes = sum(n for t, n in self.reads if a.t <= t < b.t)
        frames = sum(1 for f in self.frames if a.t <= f.end < b.t)
        parts = {k: b.parts.get(k, 0.0) - a.parts.get(k, 0.0) for k in b.parts}
        return Window(b.t - a.t, nbytes, frames, b.total - a.total, parts)

    # -- ending -------------------------------------------------------------------------------

    def quit(self, keys: bytes = b"q", timeout: float = 8.0) -> int | None:
        """Ask the program to leave with `keys`; escalate to SIGTERM, then SIGKILL."""
        if self._exit_status is None:
            self.send(keys)
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None and self._exit_status is None:
                os.kill(self.pid, sig)
            deadline = self.now() + timeout
            while self._exit_status is None and self.now() < deadline:
                self.pump(self.now() + 0.1)
                self._reap(block=False)
            if self._exit_status is not None:
                break
        os.close(self.fd)
        return self._exit_status

    def _reap(self, *, block: bool) -> None:
        if self._exit_status is not None:
            return
        pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        if pid:
            self._exit_status = os.waitstatus_to_exitcode(status)


def _set_size(fd: int, size: tuple[int, int]) -> None:
    cols, rows = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stat_cpu(path: str) -> float:
    try:
        with open(path) as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _descendants(root: int) -> list[int]:
    """Every process below `root` (from each process's parent id in /proc/PID/stat)."""
    parents: dict[int, int] = {}
    for name in _listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        parents[int(name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    found: list[int] = []
    wanted = {root}
    while wanted:
        wanted = {pid for pid, ppid in parents.items() if ppid in wanted}
        found.extend(wanted)
    return found


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
