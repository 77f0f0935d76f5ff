"""Benchmark of the console on recordings: seeking in a replay, and an attached console's CPU.

    python tests/bench/bench_replay.py seek --recording HOUR.db [--seeks 20] [--runs 1]
    python tests/bench/bench_replay.py attach [--sessions 10000] [--seconds 60] [--runs 2]

**seek** (target: seeking anywhere in a one-hour recording of 10,000 sessions draws the screen
in ≤ 300 ms, from the key to the frame): `livetop replay HOUR.db` in a pseudo-terminal
(`pty_harness.py`), paused, so nothing draws unless a key asks, filtered to the big account
(`provider:studio`: the cursor is always on one of its 10,000 sessions). Each round goes to a
random moment of the hour with the seek prompt (`:` then an ISO time and Enter) and waits for
the screen to go quiet; then it measures, from writing the key to the end of the first frame
that starts after it:
- `,`: a poll back, a seek (the store rebuilt from the keyframe before the moment);
- `[`: the previous incident, a seek to anywhere earlier;
- `j`: the cursor one row down, in the same run: the cheapest key there is (the baseline);
- `mid-history ,`: a poll back sent 0.2 s after the frame of another one, while the cursor
  session's sparklines are being rebuilt (they are, 0.15 s after a move, in the reader's thread).
`history` is from the key of a seek to the last frame of its burst (the sparklines drawn).
Each run replays twice with the same moments: livetop, then `no stop`, where a history rebuild
under way runs to its end before a move (`launch.py --no-history-stop`): the baseline of
`mid-history ,`. A one-hour recording:
`python tests/bench/bench_recorder.py --skip realtime --keep HOUR.db`.

**attach** (target: an attached console uses no more CPU than a polling one, and asks the
providers nothing): one `livetop simulate --sessions N` process, one `livetop record` polling
it, and side by side in two pseudo-terminals of 200x50 over the same window: a console polling
the simulator itself (`livetop --config ... --no-record`) and one attached to the recording
(`livetop --attach`). CPU is utime+stime of each console's process from /proc, over
`--seconds` after `--settle`. Each console counts the network connections it opens (`launch.py
--connects`: a Python audit hook; no request without one). Then, counted at the simulator over
equal windows: the recorder alone, with an attached console, and alone again.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pty_harness import PtyProgram, percentile
from sim_process import start_simulator

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


def _drawn(prog: PtyProgram, sent: float) -> float | None:
    """The end of the first frame started after `sent` (None: none came)."""
    prog.pump_until(lambda: any(f.start > sent for f in prog.frames[-20:]), 10.0)
    return next((f.end for f in prog.frames if f.start > sent), None)


# -- seek ------------------------------------------------------------------------------------

KEYS_TIMED = ("seek ,", "seek [", "j", "history", "mid-history ,")
MID_HISTORY = 0.2  # after a move's frame: 0.15 s of rest, then its sparklines are being rebuilt


def seek(args: argparse.Namespace) -> int:
    from tui.recorder.reader import Recording

    with Recording(args.recording) as rec:
        bounds = rec.bounds()
    assert bounds is not None, "an empty recording"
    variants = {"livetop": [], "no stop": ["--no-history-stop"]}
    out: dict[str, dict[str, list[float]]] = {
        name: {key: [] for key in KEYS_TIMED} for name in variants
    }
    for run in range(args.runs):
        for name, flags in variants.items():
            print(f"run {run + 1}, {name}:", flush=True)
            _seek_rounds(args, bounds, flags, out[name])
    base = statistics.median(out["livetop"]["j"])
    print(
        f"\nkey → frame, {args.seeks} rounds × {args.runs} at {args.size} "
        "(median, p95, max; × the cursor key j of livetop)"
    )
    for name in variants:
        print(f"  {name}:")
        for key, values in out[name].items():
            median = statistics.median(values)
            print(
                f"    {key:14} {median:6.0f} ms  p95 {percentile(values, 95):6.0f}  "
                f"max {max(values):6.0f}   {median / base:5.1f}x"
            )
    mid = {name: statistics.median(out[name]["mid-history ,"]) for name in variants}
    print(
        f"\na move while sparklines are rebuilt: no stop / livetop = "
        f"{mid['no stop'] / mid['livetop']:.2f} (median), p95 "
        f"{percentile(out['no stop']['mid-history ,'], 95):.0f} / "
        f"{percentile(out['livetop']['mid-history ,'], 95):.0f} ms"
    )
    return 0


def _seek_rounds(
    args: argparse.Namespace,
    bounds: tuple[float, float],
    flags: list[str],
    out: dict[str, list[float]],
) -> None:
    """One replay, `args.seeks` rounds: the same moments for every variant (the seed)."""
    lo, hi = bounds
    rng = random.Random(args.seed)
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    start = datetime.fromtimestamp(lo + (hi - lo) / 2, UTC).isoformat()
    argv = [sys.executable, str(HERE / "launch.py"), *flags]
    argv += ["replay", args.recording, "--at", start]
    with tempfile.TemporaryDirectory(prefix="livetop-bench-") as logs:
        prog = PtyProgram(argv, size=(cols, rows), env=_env(logs), row_marker=ROW)
        try:
            if not prog.pump_until(lambda: prog.first_rows is not None, 60):
                raise RuntimeError("the replay never drew its list")
            print(f"  first frame with rows: {prog.first_rows:.2f} s")
            # Once loaded, the console collects its garbage in full at the first quiet moment
            # (`tui/collector.py`, then every 5 minutes): let that pass before timing keys.
            prog.pump(prog.now() + 4.0)
            _settle(prog)
            # The big account's sessions only: the cursor's sparklines are then always those
            # of a session among 10,000 (a long-lived call at the top would cost nothing).
            prog.send(b"/")
            prog.pump(prog.now() + 0.3)
            _answer(prog, prog.send(b"provider:studio\r"))
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
                # A poll back, and another while the first one's sparklines are being rebuilt
                # (the operator stepping back poll by poll).
                drawn = _drawn(prog, prog.send(b","))
                if drawn is not None:
                    prog.pump(drawn + MID_HISTORY)
                    first, _ = _answer(prog, prog.send(b","))
                    if first is not None:
                        out["mid-history ,"].append(first * 1e3)
                print(
                    f"  round {n + 1}: "
                    + ", ".join(f"{k} {v[-1]:.0f} ms" for k, v in out.items() if v),
                    flush=True,
                )
        finally:
            prog.quit()


# -- attach ----------------------------------------------------------------------------------


def _simulator(args: argparse.Namespace, work: Path) -> tuple[subprocess.Popen[str], Path]:
    return start_simulator(work, sessions=args.sessions, churn=args.churn, seed=args.seed)


def _requests(config: Path) -> int:
    """Every API request the simulator has had so far (its `/_control/stats`)."""
    found = re.search(r'base_url = "(http://[^/"]+)', config.read_text())
    assert found is not None, "a config naming the simulator"
    with urllib.request.urlopen(found.group(1) + "/_control/stats", timeout=10) as answer:
        return sum(json.load(answer)["requests"].values())


def _connects(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _pump(progs: list[PtyProgram], seconds: float) -> None:
    """Read every program's output for `seconds` (with none, just wait)."""
    if not progs:
        time.sleep(seconds)
        return
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        for prog in progs:
            prog.pump(prog.now() + 0.05)


def _counted(
    args: argparse.Namespace, config: Path, attached: Callable[[], PtyProgram]
) -> dict[str, int]:
    """Requests counted at the simulator over equal windows: the recorder alone, with an
    attached console, alone again (a poll more or less falls in any window: the spread)."""
    counted: dict[str, int] = {}
    for name, with_console in (
        ("recorder alone", False),
        ("recorder + attached", True),
        ("recorder alone again", False),
    ):
        progs = [attached()] if with_console else []
        try:
            _pump(progs, args.settle)
            first = _requests(config)
            _pump(progs, args.seconds)
            counted[name] = _requests(config) - first
        finally:
            for prog in progs:
                prog.quit()
        print(f"  {name}: {counted[name]} requests in {args.seconds:g} s", flush=True)
    return counted


def attach(args: argparse.Namespace) -> int:
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    results: dict[str, list[float]] = {"polling": [], "attached": []}
    connects: dict[str, list[int]] = {"polling": [], "attached": []}
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

        attach = ("--attach", str(db))

        def console(name: str, run: int, *more: str) -> PtyProgram:
            argv = [sys.executable, str(HERE / "launch.py")]
            argv += ["--connects", str(work / f"{name}-{run}.connects"), *more]
            return PtyProgram(argv, size=(cols, rows), env=_env(str(work / "logs")))

        try:
            time.sleep(args.settle)  # the recorder's first load of the account
            for run in range(args.runs):
                progs = {
                    "polling": console("polling", run, "--config", str(config), "--no-record"),
                    "attached": console("attached", run, *attach),
                }
                try:
                    _pump(list(progs.values()), args.settle)
                    before = {name: prog.cpu() for name, prog in progs.items()}
                    _pump(list(progs.values()), args.seconds)
                    for name, prog in progs.items():
                        window = prog.window(before[name], prog.cpu())
                        results[name].append(window.cpu_pct)
                        opened = _connects(work / f"{name}-{run}.connects")
                        connects[name].append(opened)
                        print(
                            f"  run {run + 1} {name}: {window.cpu_pct:.2f} % of a core, "
                            f"{window.bytes_per_s / 1024:.2f} KiB/s, {window.frames} frames, "
                            f"{opened} connections opened",
                            flush=True,
                        )
                finally:
                    for prog in progs.values():
                        prog.quit()
            counted = _counted(args, config, lambda: console("attached", args.runs, *attach))
            opened = _connects(work / f"attached-{args.runs}.connects")
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
    print(
        f"connections opened per console, each run: polling {connects['polling']}, "
        f"attached {connects['attached']} (then {opened} in the simulator's windows)"
    )
    alone = (counted["recorder alone"] + counted["recorder alone again"]) / 2
    with_one = counted["recorder + attached"]
    print(
        f"requests at the simulator in {args.seconds:g} s: recorder alone {alone:.0f} (mean of "
        f"two), with an attached console {with_one}: {with_one / alone:.2f}x"
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
    s.add_argument("--runs", type=int, default=1, help="each: livetop, then without the stop")
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
