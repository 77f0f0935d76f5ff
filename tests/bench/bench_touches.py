"""What each private Textual touch buys (tui/textual_touches), touch on against touch off.

    python tests/bench/bench_touches.py [--sessions 10000] [--seconds 30] [--runs 2]

Each run launches `livetop --demo` in a pseudo-terminal at 200x50 (as bench_console.py does),
once with every touch and once with one touch switched off (`LIVETOP_STOCK_TEXTUAL`),
alternating, and measures what that touch is for:

- partial_update: output while polling, and the bytes a cursor move (j/k) writes;
- quiet_input: wakeups and CPU of the threads besides the main one (Textual's key-reading
  thread among them) at idle, from /proc;
- quiet_layout: output while a toast comes and goes every 2 s (a layout each time).

`forget_repainted_regions` is a memory bound, not a speed: see its test. Figures go to
tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from pty_harness import KEYS, PtyProgram

HERE = Path(__file__).resolve().parent
ROW = re.compile(rb"studio\s.*\s(live|ended)\s")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def launch(stock: str, args: argparse.Namespace) -> PtyProgram:
    argv = [sys.executable, str(HERE / "launch.py"), "--demo", "--sessions", str(args.sessions)]
    env = {
        "TERM": "xterm-256color",
        "LIVETOP_LOG_DIR": tempfile.mkdtemp(),
        "LIVETOP_STATE_DIR": tempfile.mkdtemp(),
        "PYTHONPATH": f"{HERE}:{HERE.parent.parent}",
        "LIVETOP_STOCK_TEXTUAL": stock,
    }
    prog = PtyProgram(argv, size=(200, 50), env=env, row_marker=ROW)
    if not prog.pump_until(lambda: prog.first_rows is not None, 60):
        raise SystemExit("no session rows within 60 s")
    prog.pump(prog.now() + 5)  # settle
    return prog


def threads(pid: int) -> dict[int, tuple[float, int]]:
    """Every thread but the main one: (CPU seconds, voluntary context switches, i.e. wakeups).
    Python does not name its threads for the OS, so Textual's key-reading thread is told
    apart by what it does: stock, it wakes ten times a second."""
    out: dict[int, tuple[float, int]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        tid = int(task.name)
        if tid == pid:
            continue
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        status = (task / "status").read_text()
        switches = int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", status)[1])  # type: ignore[index]
        out[tid] = ((int(fields[11]) + int(fields[12])) / CLK_TCK, switches)
    return out


def polling_output(prog: PtyProgram, seconds: float) -> float:
    start = prog.now()
    prog.pump(start + seconds)
    return sum(n for t, n in prog.reads if t >= start) / seconds / 1024


def partial_update(prog: PtyProgram, args: argparse.Namespace) -> dict[str, float]:
    out = polling_output(prog, args.seconds)
    moves: list[int] = []
    for n in range(20):
        prog.pump(prog.now() + 0.45)
        sent = prog.send(KEYS["j" if n % 8 < 4 else "k"])
        prog.pump(prog.now() + 0.15)
        moves.append(sum(f.nbytes for f in prog.frames if sent < f.start <= sent + 0.15))
    return {"output KiB/s": out, "bytes a cursor move": statistics.median(moves)}


def quiet_input(prog: PtyProgram, args: argparse.Namespace) -> dict[str, float]:
    before = threads(prog.pid)
    prog.pump(prog.now() + args.seconds)
    after = threads(prog.pid)
    cpu = sum(after[t][0] - before[t][0] for t in after if t in before)
    wakeups = sum(after[t][1] - before[t][1] for t in after if t in before)
    return {
        "other threads: wakeups/s": wakeups / args.seconds,
        "other threads: % of a core": 100 * cpu / args.seconds,
    }


def quiet_layout(prog: PtyProgram, args: argparse.Namespace) -> dict[str, float]:
    """A toast every 2 s (`c` copies the selected id and says so for 2 s): a layout each time
    it comes and goes."""
    start = prog.now()
    while prog.now() < start + args.seconds:
        prog.send(b"c")
        prog.pump(prog.now() + 2.0)
    seconds = prog.now() - start
    return {"output KiB/s, toasts": sum(n for t, n in prog.reads if t >= start) / seconds / 1024}


MEASURES: dict[str, Callable[[PtyProgram, argparse.Namespace], dict[str, float]]] = {
    "partial_update": partial_update,
    "quiet_input": quiet_input,
    "quiet_layout": quiet_layout,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--only", choices=list(MEASURES), action="append")
    args = parser.parse_args()
    for touch in args.only or list(MEASURES):
        results: dict[str, dict[str, list[float]]] = {"on": {}, "off": {}}
        for run in range(args.runs):
            for label, stock in (("on", ""), ("off", touch)):
                print(f"{touch}: run {run + 1}, touch {label} …", file=sys.stderr, flush=True)
                prog = launch(stock, args)
                try:
                    figures = MEASURES[touch](prog, args)
                finally:
                    prog.quit()
                for name, value in figures.items():
                    results[label].setdefault(name, []).append(value)
        print(f"\n{touch} (median of {args.runs}, touch on / off):")
        for name in results["on"]:
            on, off = (
                statistics.median(results["on"][name]),
                statistics.median(results["off"][name]),
            )
            ratio = f"{off / on:.2f}x" if on else "—"
            print(f"  {name:<28} {on:10.3g} {off:10.3g}   off/on {ratio}")


if __name__ == "__main__":
    main()
