"""Benchmark of the console on recordings: seeking in a replay, and an attached console's CPU.

    python tests/bench/bench_replay.py seek --recording HOUR.db [--seeks 20] [--size 200x50]
    python tests/bench/bench_replay.py attach [--sessions 10000] [--seconds 60] [--runs 2]

**seek** (target: seeking anywhere in a one-hour recording of 10,000 sessions draws the screen
in ≤ 300 ms, from the key to the frame): `livetop replay HOUR.db` in a pseudo-terminal
(`pty_harness.py`), paused, so nothing draws unless a key asks. Each round goes to a random
moment of the hour with the seek prompt (`:` then an ISO time and Enter) and waits for the
screen to go quiet; then it measures, from writing the key to the end of the first frame that
starts after it:
- `,`: a poll back, a seek (the store rebuilt from the keyframe before the moment);
- `[`: the previous incident, a seek to anywhere earlier;
- `j`: the cursor one row down, in the same run: the cheapest key there is (the baseline).
The selected session's sparklines follow a seek in a later frame (their history is rebuilt
in the reader's thread once the screen is drawn); `history` is the key to that frame.
A one-hour recording: `python tests/bench/bench_recorder.py --skip realtime --keep HOUR.db`.

**attach** (target: an attached console uses no more CPU than a polling one): one
`livetop simulate --sessions N` process, one `livetop record` polling it, and side by side in
two pseudo-terminals of 200x50 over the same window: a console polling the simulator itself
(`livetop --config ... --no-record`) and one attached to the recording (`livetop --attach`).
CPU is utime+stime of each console's process from /proc, over `--seconds` after `--settle`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from pty_harness import PtyProgram, percentile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ROW = re.compile(rb"studio\s.*\s(live|ended)\s")
QUIET = 0.6  # seconds without a frame: the screen has settled


def _pythonpath() -> str:
    return os.pathsep.join([str(ROOT), str(HERE)])


def _env(work: str) -> dict[str, str]:
    """Logs and remembered choices (the sort order) in the run's own folder."""
    return {
        "TERM": "xterm-256color",
        "LIVETOP_LOG_DIR": work,
        "LIVETOP_STATE_DIR": work,
        "PYTHONPATH": _pythonpath(),
    }


def _settle(prog: PtyProgram, limit: float = 10.0) -> None:
    """Read until no frame has come for `QUIET` seconds."""
    deadline = prog.now() + limit
    while prog.now() < deadline:
        last = prog.frames[-1].end if prog.frames else 0.0
        prog.pump(prog.now() + 0.1)
        if prog.frames and prog.now() - max(last, prog.frames[-1].end) >= QUIET:
            return


def _answer(prog: PtyProgram, sent: float) -> tuple[float | None, float | None]:
    """(key → end of the first frame started after it, → end of the last frame of the burst)."""
    prog.pump_until(lambda: any(f.start > sent for f in prog.frames[-20:]), 10.0)
    _settle(prog)
    after = [f for f in prog.frames if f.start > sent]
    if not after:
        return None, None
    return after[0].end - sent, after[-1].end - sent


# -- seek ------------------------------------------------------------------------------------


def seek(args: argparse.Namespace) -> int:
    from tui.recorder.reader import Recording

    with Recording(args.recording) as rec:
        bounds = rec.bounds()
    assert bounds is not None, "an empty recording"
    lo, hi = bounds
    rng = random.Random(args.seed)
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    start = datetime.fromtimestamp(lo + (hi - lo) / 2, UTC).isoformat()
    argv = [sys.executable, str(HERE / "launch.py"), "replay", args.recording, "--at", start]
    with tempfile.TemporaryDirectory(prefix="livetop-bench-") as logs:
        prog = PtyProgram(argv, size=(cols, rows), env=_env(logs), row_marker=ROW)
        try:
            if not prog.pump_until(lambda: prog.first_rows is not None, 60):
                raise RuntimeError("the replay never drew its list")
            print(f"first frame with rows: {prog.first_rows:.2f} s")
            # Once loaded, the console collects its garbage in full at the first quiet moment
            # (`tui/collector.py`, then every 5 minutes): let that pass before timing keys.
            prog.pump(prog.now() + 4.0)
            _settle(prog)
            out: dict[str, list[float]] = {"seek ,": [], "seek [": [], "j": [], "history": []}
            for n in range(args.seeks):
                # Every other round in the first ten minutes: the store then still holds the
                # sessions ended in the hour before (~5,700), later those of the last ten (~1,900).
                early = n % 2 == 0
                t = rng.uniform(lo + 60, lo + 600) if early else rng.uniform(lo + 60, hi)
                moment = datetime.fromtimestamp(t, UTC)
                prog.send(b":")
                prog.pump(prog.now() + 0.3)
                _answer(prog, prog.send(moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + b"\r"))
                for name, key in (("seek ,", b","), ("j", b"j"), ("seek [", b"[")):
                    first, last = _answer(prog, prog.send(key))
                    if first is not None:
                        out[name].append(first * 1e3)
                        if name != "j" and last is not None:
                            out["history"].append(last * 1e3)
                print(
                    f"  round {n + 1}: "
                    + ", ".join(f"{k} {v[-1]:.0f} ms" for k, v in out.items() if v),
                    flush=True,
                )
        finally:
            prog.quit()
    base = statistics.median(out["j"])
    print(f"\nkey → frame, {args.seeks} rounds at {args.size} (median, p95, max; × the cursor key)")
    for name, values in out.items():
        median = statistics.median(values)
        print(
            f"  {name:8} {median:6.0f} ms  p95 {percentile(values, 95):6.0f}  "
            f"max {max(values):6.0f}   {median / base:5.1f}x"
        )
    return 0


# -- attach ----------------------------------------------------------------------------------


def _simulator(args: argparse.Namespace, work: Path) -> tuple[subprocess.Popen[str], Path]:
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "simulate",
            "--port",
            "0",
            "--sessions",
            str(args.sessions),
            "--churn",
            str(args.churn),
            "--seed",
            str(args.seed),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert sim.stdout is not None
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert sim.stdout is not None
        config = False
        for line in sim.stdout:
            config = config or line.startswith("refresh_interval")
            if config:
                lines.append(line)
            if line.startswith("call_ids"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60):
        raise RuntimeError("the simulator printed no config")
    path = work / "config.toml"
    path.write_text("".join(lines))
    path.chmod(0o600)
    return sim, path


def attach(args: argparse.Namespace) -> int:
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    results: dict[str, list[float]] = {"polling": [], "attached": []}
    with tempfile.TemporaryDirectory(prefix="livetop-bench-") as tmp:
        work = Path(tmp)
        sim, config = _simulator(args, work)
        env = {**os.environ, "LIVETOP_LOG_DIR": str(work / "logs"), "PYTHONPATH": _pythonpath()}
        db = work / "recording.db"
        recorder = subprocess.Popen(
            [sys.executable, "-m", "tui", "record", "--config", str(config), "--db", str(db)],
            cwd=ROOT,
            env=env,
        )
        try:
            time.sleep(args.settle)  # the recorder's first load of the account
            for run in range(args.runs):
                launch = [sys.executable, str(HERE / "launch.py")]
                progs = {
                    "polling": PtyProgram(
                        [*launch, "--config", str(config), "--no-record"],
                        size=(cols, rows),
                        env=_env(str(work / "logs")),
                    ),
                    "attached": PtyProgram(
                        [*launch, "--attach", str(db)],
                        size=(cols, rows),
                        env=_env(str(work / "logs")),
                    ),
                }
                try:
                    until = time.monotonic() + args.settle
                    while time.monotonic() < until:
                        for prog in progs.values():
                            prog.pump(prog.now() + 0.05)
                    before = {name: prog.cpu() for name, prog in progs.items()}
                    until = time.monotonic() + args.seconds
                    while time.monotonic() < until:
                        for prog in progs.values():
                            prog.pump(prog.now() + 0.05)
                    for name, prog in progs.items():
                        window = prog.window(before[name], prog.cpu())
                        results[name].append(window.cpu_pct)
                        print(
                            f"  run {run + 1} {name}: {window.cpu_pct:.2f} % of a core, "
                            f"{window.bytes_per_s / 1024:.2f} KiB/s, {window.frames} frames",
                            flush=True,
                        )
                finally:
                    for prog in progs.values():
                        prog.quit()
        finally:
            recorder.send_signal(signal.SIGTERM)
            recorder.wait(30)
            sim.send_signal(signal.SIGINT)
            sim.wait(30)
    polling, attached = (statistics.median(results[k]) for k in ("polling", "attached"))
    print(
        f"\nCPU over {args.seconds:g} s, median of {args.runs}: polling {polling:.2f} %, "
        f"attached {attached:.2f} % of a core: attached / polling = {attached / polling:.2f}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parts = parser.add_subparsers(dest="part", required=True)
    s = parts.add_parser("seek")
    s.add_argument("--recording", required=True, help="a one-hour recording (see the doc)")
    s.add_argument("--seeks", type=int, default=20)
    s.add_argument("--size", default="200x50")
    s.add_argument("--seed", type=int, default=1)
    a = parts.add_parser("attach")
    a.add_argument("--sessions", type=int, default=10_000)
    a.add_argument("--churn", type=float, default=0.1)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--seconds", type=float, default=60.0)
    a.add_argument("--settle", type=float, default=15.0)
    a.add_argument("--runs", type=int, default=2)
    a.add_argument("--size", default="200x50")
    args = parser.parse_args()
    return seek(args) if args.part == "seek" else attach(args)


if __name__ == "__main__":
    sys.exit(main())
