"""End-to-end benchmark: livetop vs the same app drawn by a stock DataTable, in a real pty.

    python tests/bench/bench_console.py [--sessions 10000] [--size 200x50] [--seconds 30]
                                        [--runs 1] [--seed 1] [--churn 0.1] [--speed 1]

Each run launches `livetop --demo --sessions N ...` (simulator → clients → store → screen, all
in one process, as an operator runs it) in a pseudo-terminal, then:

1. first frame: launch → end of the first frame that shows a row of the big ("studio") account;
2. passive window (`--seconds`): polling every 2 s, nobody typing: output bytes/s, CPU, frames;
3. keys window (`--seconds`): keys (j/k/↑/↓/PgUp/PgDn) at random moments 0.2–0.7 s apart:
   key → frame latency (write → end of the first frame that starts after it), output, CPU;
4. memory: VmRSS at the end.

CPU is "everything included": every thread of the console's process and of its child
processes; `livetop --demo` runs its simulator in a child process (`tui/demo.py`), whose share
is also shown apart ("the console" is the rest). Runs alternate livetop / baseline
(`--runs` of each) and print medians with the spread (min–max) and the ratio baseline/livetop,
so a noisy, shared machine still gives an honest comparison.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pty_harness import PtyProgram, percentile

HERE = Path(__file__).resolve().parent
PAGES = ("pageup", "pagedown")
SIM = "children"  # livetop --demo's simulator is a child process
# A session row of the big Livepeer account ("studio" in the demo), in either table.
ROW = re.compile(rb"studio\s.*\s(live|ended)\s")

# (metric, label, unit, target for livetop or None, lower is better)
METRICS: tuple[tuple[str, str, str, float | None], ...] = (
    ("first_frame", "first frame showing sessions", "s", 1.5),
    ("key_p50", "key → frame p50", "ms", None),
    ("key_p95", "key → frame p95", "ms", 50.0),
    ("key_max", "key → frame max", "ms", 100.0),
    ("key_missed", "keys without a frame", "", None),
    ("key_bytes", "bytes a cursor move writes", "B", 2560.0),
    ("out", "output, polling (no keys)", "KiB/s", 6.0),
    ("cpu", "CPU, polling (everything)", "%", 25.0),
    ("cpu_app", "  of which the console", "%", None),
    ("cpu_sim", "  of which the simulator", "%", None),
    ("fps", "frames/s, polling", "", None),
    ("out_keys", "output, with keys", "KiB/s", None),
    ("cpu_keys", "CPU, with keys (everything)", "%", 25.0),
    ("rss", "RSS at the end, the console", "MiB", 400.0),
    ("rss_sim", "  and the simulator process", "MiB", None),
)


def run_once(baseline: bool, args: argparse.Namespace, seed: int) -> dict[str, float]:
    """Launch one app in a pty, measure it, quit it."""
    argv = [sys.executable, str(HERE / "launch.py")]
    if baseline:
        argv.append("--baseline")
    argv += ["--demo", "--sessions", str(args.sessions), "--seed", str(args.seed)]
    argv += ["--churn", str(args.churn)]
    if args.speed != 1.0:
        argv += ["--speed", str(args.speed)]
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="livetop-bench-") as logs:
        env = {"TERM": args.term, "LIVETOP_LOG_DIR": logs, "PYTHONPATH": _pythonpath()}
        env.pop("COLORTERM", None)
        prog = PtyProgram(argv, size=(cols, rows), env=env, row_marker=ROW)
        try:
            return _measure(prog, args, seed)
        finally:
            prog.quit()


def _measure(prog: PtyProgram, args: argparse.Namespace, seed: int) -> dict[str, float]:
    if not prog.pump_until(lambda: prog.first_rows is not None, args.timeout):
        raise SystemExit(f"no session rows within {args.timeout:.0f} s")
    assert prog.first_rows is not None
    out: dict[str, float] = {"first_frame": prog.first_rows}
    prog.pump(prog.now() + args.settle)
    a = prog.cpu()
    prog.pump(a.t + args.seconds)
    b = prog.cpu()
    polling = prog.window(a, b)
    out |= {
        "out": polling.bytes_per_s / 1024,
        "cpu": polling.cpu_pct,
        "cpu_sim": polling.part_pct(SIM),
        "cpu_app": polling.cpu_pct - polling.part_pct(SIM),
        "fps": polling.frames / polling.seconds,
    }
    if args.keys:
        c = prog.cpu()
        latencies = prog.press_keys(args.seconds, random.Random(seed))
        d = prog.cpu()
        typing = prog.window(c, d)
        got = [k.latency * 1000 for k in latencies if k.latency is not None]
        # A cursor move (j/k, arrows) repaints two rows and the detail pane; a page scrolls.
        moves = [k.nbytes for k in latencies if k.nbytes is not None and k.key not in PAGES]
        out |= {
            "key_p50": percentile(got, 50),
            "key_p95": percentile(got, 95),
            "key_max": max(got, default=float("nan")),
            "key_missed": float(len(latencies) - len(got)),
            "key_bytes": statistics.median(moves) if moves else float("nan"),
            "out_keys": typing.bytes_per_s / 1024,
            "cpu_keys": typing.cpu_pct,
        }
    out["rss"], out["rss_sim"] = prog.rss_mib()
    return out


def _pythonpath() -> str:
    parts = [str(HERE), str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


def _fmt(values: Sequence[float]) -> str:
    values = [v for v in values if v == v]
    if not values:
        return "—"
    med = statistics.median(values)
    text = f"{med:.3g}" if med < 100 else f"{med:.0f}"
    if len(values) > 1:
        text += f" [{min(values):.3g}–{max(values):.3g}]"
    return text


# The idle case (100 sessions) has targets of its own.
IDLE_SESSIONS = 100
IDLE_TARGETS = {"out": 1.0, "cpu": 2.0}


def report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> str:
    """A table: metric, livetop, baseline, ratio (baseline / livetop), target."""
    idle = args.sessions <= IDLE_SESSIONS
    lines = [
        f"livetop --demo --sessions {args.sessions} --seed {args.seed} --churn {args.churn}"
        + (f" --speed {args.speed:g}" if args.speed != 1 else "")
        + f" at {args.size}, TERM={args.term}; windows of {args.seconds:g} s; "
        f"{len(results['livetop'])} run(s) each: median [min–max]",
        "",
        f"{'metric':<32}{'livetop':>22}{'DataTable':>22}{'ratio':>9}  target",
    ]
    for name, label, unit, goal_for_10k in METRICS:
        target = IDLE_TARGETS.get(name, goal_for_10k) if idle else goal_for_10k
        ours = [r[name] for r in results["livetop"] if name in r]
        theirs = [r[name] for r in results.get("baseline", []) if name in r]
        if not ours and not theirs:
            continue
        ratio = "—"
        if ours and theirs:
            a, b = statistics.median(ours), statistics.median(theirs)
            ratio = f"{b / a:.1f}x" if a > 0 else "—"
        goal = ""
        if target is not None and ours:
            met = statistics.median(ours) <= target
            goal = f"≤ {target:g} {unit}: {'met' if met else 'MISSED'}"
        title = f"{label} ({unit})" if unit else label
        lines.append(f"{title:<32}{_fmt(ours):>22}{_fmt(theirs):>22}{ratio:>9}  {goal}")
    if args.speed != 1:
        simulated = args.speed * (args.settle + args.seconds * (2 if args.keys else 1))
        lines.append(f"simulated time after the first frame: about {simulated / 60:.0f} min")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--size", default="200x50", help="COLSxROWS (default 200x50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each window")
    parser.add_argument("--settle", type=float, default=5.0, help="wait after the first frame")
    parser.add_argument("--runs", type=int, default=1, help="runs of each app, alternating")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--churn", type=float, default=0.1)
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    parser.add_argument("--term", default="xterm-256color", help="TERM (default 256 colours)")
    parser.add_argument("--timeout", type=float, default=60.0, help="limit for the first frame")
    parser.add_argument("--no-keys", dest="keys", action="store_false", help="skip the keys")
    parser.add_argument(
        "--only", choices=("livetop", "baseline"), help="run one app (default both)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    apps = [args.only] if args.only else ["livetop", "baseline"]
    results: dict[str, list[dict[str, float]]] = {app: [] for app in apps}
    for run in range(args.runs):
        for app in apps:
            print(f"run {run + 1}/{args.runs}: {app} …", file=sys.stderr, flush=True)
            measured = run_once(app == "baseline", args, seed=1000 + run)
            results[app].append(measured)
            print("  " + "  ".join(f"{k}={v:.3g}" for k, v in measured.items()), file=sys.stderr)
    results.setdefault("livetop", [])
    print(report(results, args))


if __name__ == "__main__":
    main()
