"""The exporter's cost: scrape time and size at N sessions, and its CPU next to the console's.

    python tests/bench/bench_export.py [--sessions 10000] [--churn 0.1] [--seconds 60]
                                       [--scrape 15] [--scrapes 20] [--only scrape|cpu]

One simulator (`livetop simulate`, its own process) serves every run, polled every 2 s.

1. Scrapes: `livetop export` with aggregates only, with `--per-session` (default cap 2,000)
   and with `--per-session --per-session-limit 20000` (every live session). For each, once the
   big account is loaded, `--scrapes` GETs 0.5 s apart on one kept-alive connection, as
   Prometheus sends them (OpenMetrics, gzip): time to the last byte, bytes on the wire, bytes
   uncompressed, series. Ratios against aggregates only, measured in the same run.
2. CPU: the console (`livetop --config`, in a 200x50 pseudo-terminal, nobody typing) and
   `livetop export` (scraped every `--scrape` s) both poll the simulator at once; CPU of each
   process (utime+stime from /proc) over `--seconds`, and the ratio exporter / console.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pty_harness import PtyProgram, _rss_mib, _stat_cpu

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: the shared test helpers
from support.exporter import ExportProcess, metrics, value  # noqa: E402

ROW = re.compile(rb"studio\s.*\s(live|ended)\s")
ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)  # what Prometheus 2.x sends


def start_simulator(args: argparse.Namespace, folder: Path) -> tuple[subprocess.Popen[str], Path]:
    argv = [sys.executable, "-m", "tui", "simulate", "--port", "0"]
    argv += ["--sessions", str(args.sessions), "--seed", str(args.seed), "--churn", str(args.churn)]
    sim = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert sim.stdout is not None
    lines: list[str] = []
    while not any(line.startswith("call_ids") for line in lines):
        line = sim.stdout.readline()
        if not line:
            raise SystemExit("the simulator did not start")
        lines.append(line)
    text = "".join(lines)
    config = folder / "config.toml"
    config.write_text(text[text.index("refresh_interval") :])
    config.chmod(0o600)
    return sim, config


def wait_loaded(url: str, timeout: float = 120.0) -> float:
    """Wait until the big account's sessions are in the exporter; returns how many."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = metrics(url)
        if value(m, "livetop_poll_duration_seconds_count", provider="studio") >= 2:
            return value(m, "livetop_sessions", provider="studio")
        time.sleep(0.5)
    raise SystemExit("the exporter did not load the account in time")


def scrape_once(conn: http.client.HTTPConnection, gzip: bool) -> tuple[float, int]:
    headers = {"Accept": ACCEPT, **({"Accept-Encoding": "gzip"} if gzip else {})}
    start = time.perf_counter()
    conn.request("GET", "/metrics", headers=headers)
    body = conn.getresponse().read()
    return time.perf_counter() - start, len(body)


def measure_scrapes(config: Path, extra: list[str], args: argparse.Namespace) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as logs,
        ExportProcess(config, *extra, log_dir=Path(logs)) as e,
    ):
        sessions = wait_loaded(e.url)
        host, port = e.url.removeprefix("http://").removesuffix("/metrics").rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        times, sizes = [], []
        for _ in range(args.scrapes):
            t, n = scrape_once(conn, gzip=True)
            times.append(t)
            sizes.append(n)
            time.sleep(0.5)
        _, raw = scrape_once(conn, gzip=False)
        m = metrics(e.url)
        conn.close()
    return {
        "sessions": sessions,
        "live": value(m, "livetop_sessions", provider="studio", state="live"),
        "series": float(sum(len(samples) for samples in m.values())),
        "ms": statistics.median(times) * 1000,
        "ms_max": max(times) * 1000,
        "kib_gzip": statistics.median(sizes) / 1024,
        "kib_raw": raw / 1024,
    }


def measure_cpu(config: Path, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as logs:
        env = {"TERM": "xterm-256color", "LIVETOP_LOG_DIR": logs, "PYTHONPATH": _pythonpath()}
        console = PtyProgram(
            [sys.executable, str(HERE / "launch.py"), "--config", str(config)],
            size=(200, 50),
            env=env,
            row_marker=ROW,
        )
        try:
            with ExportProcess(config, log_dir=Path(logs)) as export:
                if not console.pump_until(lambda: console.first_rows is not None, 120):
                    raise SystemExit("the console showed no rows")
                wait_loaded(export.url)
                console.pump(console.now() + args.settle)
                host, port = (
                    export.url.removeprefix("http://").removesuffix("/metrics").rsplit(":", 1)
                )
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                pid = export.proc.pid
                t0, c0, e0 = console.now(), console.cpu().total, _stat_cpu(f"/proc/{pid}/stat")
                end, next_scrape = t0 + args.seconds, t0
                rss_export = rss_console = 0.0  # the peaks: both follow a saw-tooth
                while console.now() < end:
                    if console.now() >= next_scrape:
                        scrape_once(conn, gzip=True)
                        next_scrape += args.scrape
                    console.pump(min(next_scrape, end, console.now() + 1.0))
                    rss_export = max(rss_export, _rss_mib(pid))
                    rss_console = max(rss_console, console.rss_mib()[0])
                seconds = console.now() - t0
                c1, e1 = console.cpu().total, _stat_cpu(f"/proc/{pid}/stat")
                conn.close()
        finally:
            console.quit()
    return {
        "cpu_console": 100 * (c1 - c0) / seconds,
        "cpu_export": 100 * (e1 - e0) / seconds,
        "rss_console": rss_console,
        "rss_export": rss_export,
    }


def _pythonpath() -> str:
    parts = [str(HERE), str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


def report_scrapes(rows: dict[str, dict[str, float]]) -> str:
    base = rows["aggregates only"]
    lines = [
        f"{'exporter':<34}{'series':>8}{'scrape ms':>11}{'max ms':>8}{'gzip KiB':>10}"
        f"{'raw KiB':>9}{'time ×':>8}{'size ×':>8}",
    ]
    for name, r in rows.items():
        lines.append(
            f"{name:<34}{r['series']:>8.0f}{r['ms']:>11.1f}{r['ms_max']:>8.1f}"
            f"{r['kib_gzip']:>10.1f}{r['kib_raw']:>9.1f}{r['ms'] / base['ms']:>8.1f}"
            f"{r['kib_gzip'] / base['kib_gzip']:>8.1f}"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--churn", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scrapes", type=int, default=20, help="scrapes timed per exporter")
    parser.add_argument("--seconds", type=float, default=60.0, help="the CPU window")
    parser.add_argument("--settle", type=float, default=5.0, help="wait before the CPU window")
    parser.add_argument("--scrape", type=float, default=15.0, help="scrape interval (CPU run)")
    parser.add_argument("--only", choices=("scrape", "cpu"), help="one part (default both)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="livetop-bench-") as folder:
        sim, config = start_simulator(args, Path(folder))
        try:
            print(
                f"simulator: --sessions {args.sessions} --churn {args.churn} --seed {args.seed};"
                " every provider polled every 2 s",
                flush=True,
            )
            if args.only in (None, "scrape"):
                rows: dict[str, dict[str, float]] = {}
                for name, extra in (
                    ("aggregates only", []),
                    ("--per-session (cap 2,000)", ["--per-session"]),
                    (
                        "--per-session-limit 20000",
                        ["--per-session", "--per-session-limit", "20000"],
                    ),
                ):
                    print(f"  scraping: {name} …", file=sys.stderr, flush=True)
                    rows[name] = measure_scrapes(config, extra, args)
                first = rows["aggregates only"]
                print(
                    f"store: {first['sessions']:.0f} Livepeer sessions, {first['live']:.0f} live;"
                    f" {args.scrapes} scrapes each (OpenMetrics, gzip), median"
                )
                print(report_scrapes(rows))
            if args.only in (None, "cpu"):
                print(f"  CPU: console and exporter, {args.seconds:g} s …", file=sys.stderr)
                cpu = measure_cpu(config, args)
                ratio = cpu["cpu_export"] / cpu["cpu_console"]
                print(
                    f"CPU over {args.seconds:g} s, both polling every 2 s, the exporter scraped"
                    f" every {args.scrape:g} s: console {cpu['cpu_console']:.2f} %,"
                    f" exporter {cpu['cpu_export']:.2f} % (exporter / console = {ratio:.2f});"
                    f" peak RSS console {cpu['rss_console']:.0f} MiB,"
                    f" exporter {cpu['rss_export']:.0f} MiB"
                )
        finally:
            sim.terminate()
            sim.wait(10)


if __name__ == "__main__":
    main()
