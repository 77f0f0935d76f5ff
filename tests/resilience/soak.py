"""Soak: the console against a big simulated account for N minutes, faults cycling every minute.

Not collected by pytest (no `test_` prefix) and not run in CI: it takes half an hour.

    /work/venv/bin/python tests/resilience/soak.py --minutes 30 --out soak.csv

It serves the simulator in its own process (`livetop simulate`), runs `livetop --config` on it in
a pseudo-terminal (120x40), switches the simulator's faults through its control endpoint
(`POST /_control/faults`) every `--cycle` seconds, presses a key now and then as an operator
would, and samples the console's RSS and CPU from /proc every `--sample` seconds. It prints a
per-minute table and a verdict: RSS must plateau (the least-squares slope over the last ten
minutes, or the last third of a shorter run, stays under `--max-growth` MB per 10 minutes, and
the last round of the fault cycle peaks no more than that above the round before), the console
must run throughout, and it must leave within a second once its terminal is closed.
Exit status 0 when all three hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import codecs
import fcntl
import itertools
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# One entry per minute, in order, then round again: every kind of fault, alone and together.
CYCLE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("none", {}),
    ("livepeer 500", {"livepeer": {"error_rate": 1.0}}),
    ("uiza html 502 + calls 429", {"uiza": {"html_5xx": 1.0}, "calls": {"rate_limit": 1.0}}),
    ("livepeer hang", {"livepeer": {"hang": 1.0}}),
    ("all drop 30 %", {"all": {"drop": 0.3}}),
    ("livepeer truncate + uiza drift", {"livepeer": {"truncate": 0.5}, "uiza": {"drift": True}}),
    ("calls 401 + uiza 404", {"calls": {"auth": True}, "uiza": {"not_found": True}}),
    ("all latency 1.5 s", {"all": {"latency": 1.5}}),
    ("livepeer 429 retry 10 s", {"livepeer": {"rate_limit": 1.0, "retry_after": 10}}),
    ("all drift", {"all": {"drift": True}}),
)
KEYS = (b"j", b"j", b"k", b"e", b"e", b"t", b"G", b"g")
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.|[\r\n]")
_MOVE = re.compile(r"\x1b\[(\d*);?(\d*)H")
_COUNT = re.compile(r"studio\s+(?:OK|FAILING|PARTIAL|PENDING)\b.*?(\d+) sessions")


@dataclass
class Sample:
    """One measurement of the console process."""

    t: float
    rss_mb: float
    cpu_pct: float
    fault: str
    sessions: int | None


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_simulator(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str, str]:
    """`livetop simulate` on a free loopback port: the process, its control URL, its config."""
    command = [
        *args.livetop,
        "simulate",
        "--port",
        "0",
        "--seed",
        str(args.seed),
        "--sessions",
        str(args.sessions),
        "--churn",
        str(args.churn),
    ]
    # The config comes on stdout; the URLs (the control one) on stderr, kept in a file that
    # nothing has to drain.
    errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - open for the simulator's life
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("call_ids"):  # the last line of the printed config
            break
    errors.seek(0)
    control = re.search(r"control\s+(http://127\.0\.0\.1:\d+/_control)", errors.read())
    config = "".join(lines)
    if control is None or "[[providers]]" not in config:
        proc.kill()
        raise SystemExit(f"the simulator did not start:\n{config}")
    config = re.sub(r"refresh_interval = [\d.]+", f"refresh_interval = {args.interval}", config)
    return proc, control.group(1), config


def set_faults(control: str, faults: dict[str, Any]) -> None:
    """Replace every provider's fault: the named ones set, the others cleared."""
    body: dict[str, Any] = {"livepeer": None, "uiza": None, "calls": None}
    if "all" in faults:
        body = dict.fromkeys(body, faults["all"])
    body.update({k: v for k, v in faults.items() if k != "all"})
    request = urllib.request.Request(
        control + "/faults",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # loopback only
        answer.read()


def start_console(args: argparse.Namespace, config: Path, logs: Path) -> tuple[int, int]:
    """The console on `config` in a 120x40 pseudo-terminal: (pid, the terminal's fd)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: size its terminal before the app reads it, then become livetop
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", LIVETOP_LOG_DIR=str(logs))
        os.execvpe(args.livetop[0], [*args.livetop, "--config", str(config)], env)
    return pid, fd


class Screen:
    """What the terminal shows, enough to read a line back: the console sends only the cells
    that changed, at cursor positions (`CSI row;col H`), so lines must be rebuilt in place."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.cells = [[" "] * cols for _ in range(rows)]
        self.row = self.col = 0
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode

    def feed(self, data: bytes) -> None:
        text = self._decode(data)
        pos = 0
        for found in _CONTROL.finditer(text):
            self._put(text[pos : found.start()])
            pos = found.end()
            move = _MOVE.fullmatch(found.group())
            if move:
                self.row = min(self.rows - 1, max(0, int(move.group(1) or 1) - 1))
                self.col = min(self.cols - 1, max(0, int(move.group(2) or 1) - 1))
            elif found.group() == "\r":
                self.col = 0
            elif found.group() == "\n":
                self.row = min(self.rows - 1, self.row + 1)
        self._put(text[pos:])

    def _put(self, text: str) -> None:
        line = self.cells[self.row]
        for char in text:
            if self.col < self.cols:
                line[self.col] = char
                self.col += 1

    def line(self, row: int) -> str:
        return "".join(self.cells[row])


def drain(fd: int, seconds: float, screen: Screen) -> bool:
    """Read the console's output for `seconds` (it must never block on a full pty); False
    once the terminal is gone."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                return False
            if not chunk:
                return False
            screen.feed(chunk)
    return True


def session_count(screen: Screen) -> int | None:
    """The studio line's session count, as the screen shows it now."""
    for row in range(screen.rows):
        found = _COUNT.search(screen.line(row))
        if found:
            return int(found.group(1))
    return None


def slope_per_10min(samples: list[Sample]) -> float:
    """Least-squares RSS slope in MB per 10 minutes."""
    n = len(samples)
    if n < 2:
        return 0.0
    mt = sum(s.t for s in samples) / n
    mr = sum(s.rss_mb for s in samples) / n
    var = sum((s.t - mt) ** 2 for s in samples)
    cov = sum((s.t - mt) * (s.rss_mb - mr) for s in samples)
    return cov / var * 600 if var else 0.0


def cycle_peaks(samples: list[Sample], cycle: float) -> list[float]:
    """The highest RSS of each complete round of the fault cycle (every fault once)."""
    rounds = int(samples[-1].t // cycle)
    return [
        max(s.rss_mb for s in samples if n * cycle <= s.t < (n + 1) * cycle)
        for n in range(rounds)
        if any(n * cycle <= s.t < (n + 1) * cycle for s in samples)
    ]


def report(
    samples: list[Sample],
    max_growth: float,
    alive: bool,
    exit_s: float | None,
    cycle: float,
    *,
    exit_measured: bool = True,
) -> bool:
    """Print the per-minute table and the verdict; True when RSS plateaued, the console ran
    throughout and it left within a second of its terminal closing."""
    print(f"\n{'min':>4} {'RSS MB':>8} {'max MB':>8} {'CPU %':>6} {'sessions':>8}  fault")
    for minute in range(int(samples[-1].t // 60) + 1):
        group = [s for s in samples if minute * 60 <= s.t < (minute + 1) * 60]
        if not group:
            continue
        rss = sum(s.rss_mb for s in group) / len(group)
        top = max(s.rss_mb for s in group)
        cpu = sum(s.cpu_pct for s in group) / len(group)
        counts = [s.sessions for s in group if s.sessions is not None]
        shown = str(counts[-1]) if counts else "?"
        print(f"{minute:>4} {rss:>8.1f} {top:>8.1f} {cpu:>6.1f} {shown:>8}  {group[-1].fault}")
    end = samples[-1].t
    window = min(600.0, end / 3)
    recent = [s for s in samples if s.t >= end - window]
    slope = slope_per_10min(recent)
    first_minute = [s.rss_mb for s in samples if s.t < 60] or [samples[0].rss_mb]
    print(
        f"\nRSS: first minute {sum(first_minute) / len(first_minute):.1f} MB, "
        f"peak {max(s.rss_mb for s in samples):.1f} MB, end {samples[-1].rss_mb:.1f} MB; "
        f"slope over the last {window / 60:.0f} min {slope:+.2f} MB/10 min "
        f"(limit {max_growth:.1f})"
    )
    # A slope alone misses a staircase (memory that only grows under one fault): compare the
    # peaks of successive rounds of the fault cycle too.
    peaks = cycle_peaks(samples, cycle)
    steps = [b - a for a, b in itertools.pairwise(peaks)]
    print("RSS peak per fault round:", ", ".join(f"{p:.1f}" for p in peaks) or "-", "MB")
    print(f"CPU: mean {sum(s.cpu_pct for s in samples) / len(samples):.1f} % of one core")
    plateau = slope < max_growth and all(step < max_growth for step in steps[-1:])
    left = exit_s is not None and exit_s < 1.0
    print(
        "verdict:",
        "RSS PLATEAU" if plateau else "RSS STILL GROWING",
        "· console ran throughout" if alive else "· CONSOLE DIED",
        f"· left {exit_s:.2f} s after its terminal closed"
        if exit_s is not None
        else "· DID NOT LEAVE after its terminal closed"
        if exit_measured
        else "· (exit not in the CSV)",
    )
    return plateau and alive and left


def read_csv(path: Path) -> list[Sample]:
    samples = []
    for line in path.read_text().splitlines()[1:]:
        t, rss, cpu, sessions, fault = line.split(",", 4)
        count = None if sessions == "None" else int(sessions)
        samples.append(Sample(float(t), float(rss), float(cpu), fault, count))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sessions", type=int, default=20000, help="simulated account size")
    parser.add_argument("--churn", type=float, default=0.09, help="about 10k in the window")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--interval", type=float, default=2.0, help="refresh interval, s")
    parser.add_argument("--cycle", type=float, default=60.0, help="seconds per fault")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds per sample")
    parser.add_argument("--max-growth", type=float, default=5.0, help="MB per 10 min")
    parser.add_argument("--out", type=Path, help="write every sample as CSV here")
    parser.add_argument("--from-csv", type=Path, help="only report on the samples of a past run")
    args = parser.parse_args()
    if args.from_csv:  # the console's exit is not in the CSV: reported as unknown
        past = read_csv(args.from_csv)
        cycle = args.cycle * len(CYCLE)
        report(past, args.max_growth, True, None, cycle, exit_measured=False)
        return 0
    exe = shutil.which("livetop") or str(Path(sys.executable).with_name("livetop"))
    args.livetop = [exe]

    sim, control, config_text = start_simulator(args)
    workdir = Path(tempfile.mkdtemp(prefix="livetop-soak-"))
    config = workdir / "config.toml"
    config.write_text(config_text)
    config.chmod(0o600)  # it holds the simulator's (non-secret) keys literally
    pid, fd = start_console(args, config, workdir / "logs")
    samples: list[Sample] = []
    screen = Screen(120, 40)
    alive = True
    start = time.monotonic()
    try:
        drain(fd, 3.0, screen)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        fault_index, key_index = -1, 0
        print(f"console pid {pid}, simulator pid {sim.pid}, logs in {workdir / 'logs'}")
        while (elapsed := time.monotonic() - start) < args.minutes * 60:
            wanted = int(elapsed // args.cycle) % len(CYCLE)
            if wanted != fault_index:
                fault_index = wanted
                set_faults(control, CYCLE[wanted][1])
            alive = drain(fd, args.sample, screen)
            if not alive or os.waitpid(pid, os.WNOHANG)[0]:
                alive = False
                break
            os.write(fd, KEYS[key_index % len(KEYS)])
            key_index += 1
            cpu1, t1 = cpu_seconds(pid), time.monotonic()
            sample = Sample(
                t=t1 - start,
                rss_mb=rss_mb(pid),
                cpu_pct=100.0 * (cpu1 - cpu0) / (t1 - t0),
                fault=CYCLE[fault_index][0],
                sessions=session_count(screen),
            )
            cpu0, t0 = cpu1, t1
            samples.append(sample)
            print(
                f"{sample.t:7.0f}s rss {sample.rss_mb:7.1f} MB cpu {sample.cpu_pct:5.1f} % "
                f"sessions {sample.sessions} [{sample.fault}]",
                flush=True,
            )
    finally:
        os.close(fd)  # the terminal goes away: the console must leave on its own
        closed, exit_s = time.monotonic(), None
        while time.monotonic() - closed < 10:
            if os.waitpid(pid, os.WNOHANG)[0]:
                exit_s = time.monotonic() - closed
                break
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print("the console did not exit within 10 s of its terminal closing")
        sim.send_signal(signal.SIGINT)
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
    if args.out:
        with args.out.open("w") as out:
            out.write("t_s,rss_mb,cpu_pct,sessions,fault\n")
            for s in samples:
                out.write(f"{s.t:.1f},{s.rss_mb:.2f},{s.cpu_pct:.2f},{s.sessions},{s.fault}\n")
    if not samples:
        print("no samples")
        return 1
    cycle = args.cycle * len(CYCLE)
    return 0 if report(samples, args.max_growth, alive, exit_s, cycle) else 1


if __name__ == "__main__":
    sys.exit(main())
