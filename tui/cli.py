"""The `livetop` command line: parse arguments, load settings, run the console or a command.

Kept thin and cheap to import: everything heavy (pydantic, httpx, Textual, the simulator) is
imported inside the command that needs it, so `--version` and `--help` answer at once.

Exit codes (a public contract): 0 success; 2 when a provider failed (`snapshot`, `check`);
1 for usage and configuration errors; 130 when interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn, cast

from tui import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from tui.config import Settings
    from tui.demo import DemoSimulator
    from tui.sim import RunningSimulator, SimInfo
    from tui.source import Feed

EXIT_USAGE = 1
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a reader that left early

_EXIT_CODES = """\
exit status:
  0  every provider answered
  2  at least one provider failed (the others' sessions are still printed); with
     `check --rundown`, also when an item of the rundown is late or ended early
  1  usage or configuration error
"""
_CONFIG_HELP = (
    "config file (default: $LIVETOP_CONFIG, else config.toml in the user config directory)"
)


class _Parser(argparse.ArgumentParser):
    """argparse with the contract's exit code for usage errors (1, not argparse's 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _source_options(
    parser: argparse.ArgumentParser, *, demo: bool = True, top: bool = False
) -> None:
    # Sub-commands repeat --config/--demo; SUPPRESS keeps a sub-command from erasing a value
    # given before it (`livetop --config X snapshot`).
    default: Any = None if top else argparse.SUPPRESS
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--config", metavar="PATH", default=default, help=_CONFIG_HELP)
    if demo:
        group.add_argument(
            "--demo",
            action="store_true",
            default=False if top else argparse.SUPPRESS,
            help="watch the built-in simulator (on a free loopback port) instead of the config",
        )


def _demo_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    # Own `dest`s: `simulate` has options of the same names (and defaults) of its own.
    default: Any = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("demo simulator (only with --demo)")
    group.add_argument(
        "--sessions",
        dest="demo_sessions",
        type=int,
        metavar="N",
        default=default,
        help="Livepeer sessions at start (default 200)",
    )
    group.add_argument(
        "--seed",
        dest="demo_seed",
        type=int,
        metavar="S",
        default=default,
        help="scenario seed (default 1)",
    )
    group.add_argument(
        "--churn",
        dest="demo_churn",
        type=float,
        metavar="C",
        default=default,
        help="share of sessions on air (default 0.1)",
    )
    group.add_argument(
        "--speed",
        dest="demo_speed",
        type=float,
        metavar="X",
        default=default,
        help="simulated seconds per second; the console follows the simulated clock",
    )
    group.add_argument(
        "--fault",
        dest="demo_faults",
        action="append",
        metavar="PROVIDER:SETTINGS",
        default=default,
        help="a simulator fault, as `livetop simulate --fault` (repeatable)",
    )


_DEMO_FLAGS = {
    "demo_sessions": "--sessions",
    "demo_seed": "--seed",
    "demo_churn": "--churn",
    "demo_speed": "--speed",
    "demo_faults": "--fault",
}


_DB = "recording.db in the user data directory"
_TIME = "TIME: ISO 8601 (UTC unless it says), a time of day (21:14 UTC) or -15m, -1h30m."


def _recording_options(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--recording", metavar="PATH", nargs="?", const="", default=None, help=text)


def _provider_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider",
        metavar="NAME",
        action="extend",
        nargs="+",
        default=[],
        help="only these providers (by configured name; repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; cheap (no heavy imports)."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="livetop",
        description="A terminal console for live video sessions across streaming providers.\n"
        "Without a command, runs the console.",
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"livetop {__version__}")
    _source_options(parser, top=True)
    _demo_options(parser, top=True)
    parser.add_argument(
        "--no-record", action="store_true", help="do not keep a recording (config: record = false)"
    )
    parser.add_argument(
        "--attach",
        metavar="PATH",
        nargs="?",
        const="",
        default=None,
        help="follow a recording `livetop record` is writing, asking no provider anything "
        "(default: " + _DB + ")",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    snapshot = commands.add_parser(
        "snapshot",
        help="fetch every provider once, print the sessions, exit",
        description="Fetch every provider once (concurrently), print every session, exit.\n\n"
        "JSON keys are fixed; times are ISO 8601 UTC, rates bits per second. API keys never\n"
        "appear. Stream/ingest keys show masked in the table's KEY column; --show-secrets\n"
        "reveals them there. JSON never carries them.",
        epilog=_EXIT_CODES,
        formatter_class=raw,
    )
    _source_options(snapshot)
    _demo_options(snapshot)
    snapshot.add_argument(
        "--format", choices=("json", "table"), default="json", help="output format (default json)"
    )
    _provider_option(snapshot)
    snapshot.add_argument(
        "--show-secrets",
        action="store_true",
        help="show stream/ingest keys in full in the table (JSON never contains them)",
    )
    _recording_options(snapshot, "print the sessions as they stood in this recording")
    snapshot.add_argument(
        "--at", metavar="TIME", help="with --recording: the moment (default: its end). " + _TIME
    )

    check = commands.add_parser(
        "check",
        help="per provider: reachable, auth accepted, latency, session count",
        description="For each provider: reachable or not, auth accepted or refused, latency,\n"
        "number of sessions.",
        epilog=_EXIT_CODES,
        formatter_class=raw,
    )
    _source_options(check)
    _provider_option(check)
    check.add_argument(
        "--rundown",
        action="store_true",
        help="also list what of the [[rundown]] is late or ended early (exit 2 when anything is)",
    )

    init = commands.add_parser(
        "init",
        help="write a commented example config (mode 0600)",
        description="Write a commented example config, private to you (mode 0600).\n"
        "An existing file is never replaced without --force.",
        formatter_class=raw,
    )
    _source_options(init, demo=False)
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    export = commands.add_parser(
        "export",
        help="serve Prometheus metrics of every provider, headless (no console)",
        description="Poll every provider as the console does and serve /metrics for Prometheus.\n"
        "Stop with SIGTERM or Ctrl+C. --rules / --dashboard print the shipped alerting rules\n"
        "and Grafana dashboard instead.",
        formatter_class=raw,
    )
    _source_options(export)
    _demo_options(export)
    _provider_option(export)
    # Defaults as tui.exporter's DEFAULT_LISTEN / DEFAULT_PER_SESSION_LIMIT (not imported: help
    # must stay cheap, and that package loads prometheus_client).
    export.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:9464",
        help="where to serve /metrics (default 127.0.0.1:9464; :PORT: all)",
    )
    export.add_argument(
        "--per-session",
        action="store_true",
        help="also one series per live session (capped, see --per-session-limit)",
    )
    export.add_argument(
        "--per-session-limit",
        type=int,
        default=2000,
        metavar="N",
        help="most live sessions with series of their own (default 2000)",
    )
    shipped = export.add_mutually_exclusive_group()
    shipped.add_argument("--rules", action="store_true", help="print Prometheus alerting rules")
    shipped.add_argument("--dashboard", action="store_true", help="print a Grafana dashboard")

    record = commands.add_parser(
        "record",
        help="poll every provider and record, with no screen (for a service)",
        description="Poll every configured provider and record what comes back, with no\n"
        "screen, until SIGTERM or SIGINT. Consoles can then attach to the recording and\n"
        "replay it; it keeps 48 hours, 1 GiB at most. Logs go to the log file.",
        formatter_class=raw,
    )
    _source_options(record, demo=False)
    record.add_argument("--db", metavar="PATH", help="the recording (default: " + _DB + ")")
    record.add_argument(
        "--metrics",
        metavar="HOST:PORT",
        help="also serve Prometheus /metrics there, as `livetop export` does",
    )

    events = commands.add_parser(
        "events",
        help="print a recording's event log",
        description="Print the event log a recording holds (sessions live, unhealthy,\n"
        "recovered, ended; providers failing and back).\n" + _TIME,
        formatter_class=raw,
    )
    _recording_options(events, "the recording to read (default: " + _DB + ")")
    events.add_argument("--since", metavar="TIME", help="from this moment")
    events.add_argument("--until", metavar="TIME", help="up to this moment")
    events.add_argument(
        "--format", choices=("json", "table"), default="table", help="output format"
    )

    replay = commands.add_parser(
        "replay",
        help="the console on a recording's past: play, step, seek, jump to incidents",
        description="Open the console on a recording as it stood at a moment, with a timeline\n"
        "to play it (1x-60x), step poll by poll, seek, and jump to incidents.\n" + _TIME + "\n\n"
        "keys: space play/pause, < > slower/faster, , . (or arrows) a poll back/forward,\n"
        "[ ] previous/next incident, : seek; ? lists every key.",
        formatter_class=raw,
    )
    replay.add_argument(
        "path", metavar="PATH", nargs="?", help="the recording (default: " + _DB + ")"
    )
    replay.add_argument("--at", metavar="TIME", help="where to start (default: its end)")

    simulate = commands.add_parser(
        "simulate",
        help="serve simulated Livepeer, Uiza and live-calls APIs for demos and tests",
        description="Serve simulated Livepeer Studio, Uiza and live-calls APIs on one port and\n"
        "print a ready-to-use config for them on stdout (the URLs and how to switch faults\n"
        "go to stderr), or write it with --write-config. Stop with Ctrl+C.",
        epilog="switch faults while it runs: POST {PROVIDER: {SETTING: VALUE}} (null clears)\n"
        "to the control URL's /faults; DELETE clears them all; GET shows them, e.g.\n"
        '  curl -X POST http://127.0.0.1:8787/_control/faults -d \'{"uiza": {"hang": 0.5}}\'\n\n'
        "fault settings (per provider, comma separated):\n"
        "  latency=S  error_rate=P  rate_limit=P  retry_after=S  html_5xx=P  hang=P\n"
        "  truncate=P  drop=P  drift  not_found  auth\n"
        "  budget=N   at most N requests a sliding minute, then 429 + Retry-After, X-RateLimit-*\n"
        "  livepeer's viewership alone: views_forbidden  views_latency=S  views_error_rate=P\n"
        "             views_absurd\n"
        "  e.g. --fault livepeer:latency=0.5,error_rate=0.1 --fault all:drift\n"
        "       --fault calls:budget=60",
        formatter_class=raw,
    )
    simulate.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    simulate.add_argument("--port", type=int, default=8787, help="port (default 8787; 0: any free)")
    simulate.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    simulate.add_argument("--sessions", type=int, default=200, help="Livepeer sessions at start")
    simulate.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    simulate.add_argument("--churn", type=float, default=0.1, help="share of sessions on air")
    simulate.add_argument(
        "--fault",
        metavar="PROVIDER:SETTINGS",
        action="append",
        default=[],
        help="a fault for livepeer, uiza, calls or all (repeatable)",
    )
    simulate.add_argument(
        "--hostile-names", action="store_true", help="mix escape sequences and markup into names"
    )
    simulate.add_argument(
        "--write-config",
        metavar="PATH",
        help="write the config to PATH (mode 0600) instead of printing it",
    )
    simulate.add_argument(
        "--force", action="store_true", help="with --write-config: overwrite an existing file"
    )
    return parser


_TIME_OPTIONS = ("--at", "--since", "--until")


def _joined_times(argv: list[str]) -> list[str]:
    """`--at -15m` as `--at=-15m`: argparse takes a value starting with "-" for an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in _TIME_OPTIONS and arg.startswith("-") and arg[1:2].isdigit():
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


class _Exit(Exception):
    """Leave with this status; the reason has been printed already."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def main(argv: list[str] | None = None) -> int:
    """Entry point of `livetop` and `python -m tui`; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(_joined_times(sys.argv[1:] if argv is None else argv))
        if args.demo and (args.config or args.command in ("init", "simulate", "replay")):
            parser.error(
                f"--demo cannot be used with {'--config' if args.config else args.command}"
            )
        given = [
            flag for dest, flag in _DEMO_FLAGS.items() if getattr(args, dest, None) is not None
        ]
        if given and not args.demo:
            parser.error(f"{given[0]} needs --demo")
        if args.command == "snapshot" and args.at is not None and args.recording is None:
            parser.error("--at needs --recording")
        if args.attach is not None and (args.demo or args.config or args.command):
            other = "--demo" if args.demo else "--config" if args.config else args.command
            parser.error(f"--attach cannot be used with {other}: it asks no provider anything")
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    command = _COMMANDS.get(args.command, _console)
    try:
        return command(args)
    except _Exit as exc:
        return exc.code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()  # `livetop snapshot | head`: the reader left; no traceback
        return EXIT_BROKEN_PIPE


# -- commands -------------------------------------------------------------------------------


def _console(args: argparse.Namespace) -> int:
    from tui.collector import tune

    tune()  # fewer garbage collections through the imports and the first load
    if args.attach is not None:
        return _fed(_attach_feed, args.attach)
    interactive = sys.stdin.isatty()
    with _prepared(args, console=True) as (settings, sim):
        assert sim is None or not hasattr(sim, "scenario")  # the console's runs in a process
        if args.no_record:
            settings = settings.model_copy(update={"record": False})
        code = run_console(settings, sim)
    if interactive:
        _leave_now(code)
    return code


def _replay(args: argparse.Namespace) -> int:
    from tui.collector import tune

    tune()

    def feed(path: Path) -> Feed:
        from tui.recorder.sources import replay_feed

        return replay_feed(path, args.at, err=sys.stderr)

    return _fed(feed, args.path or "")


def _attach_feed(path: Path) -> Feed:
    from tui.recorder.sources import attach_feed

    return attach_feed(path)


def _fed(make: Callable[[Path], Feed], given: str) -> int:
    """The console on a recording (attached or replaying): no config, no provider asked.
    A recording that cannot be used is one line on stderr (exit 1) before any screen."""
    from tui.recorder.db import RecordingError

    interactive = sys.stdin.isatty()
    try:
        feed = make(_recording_path(given))
    except (RecordingError, ValueError) as exc:
        print(f"livetop: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with ExitStack() as stack:
        _start_logging((), stack)
        from tui.app import LivetopApp

        app = LivetopApp(None, feed=feed)
        app.run()
        code = app.return_code or 0
    if interactive:
        _leave_now(code)
    return code


def _leave_now(code: int) -> NoReturn:
    """Exit without tearing down the heap, once clients, simulator and logs are closed.

    After a long run the console holds hundreds of MB of sessions and history; freeing them
    object by object at interpreter exit takes seconds, and an operator whose SSH dropped (or
    who pressed q) must not wait for it. Only the real console comes here: `main()` called
    in-process (tests) returns normally.
    """
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # the terminal may be gone; nothing to say to it
            stream.flush()
    os._exit(code)


def run_console(settings: Settings, sim: DemoSimulator | None = None) -> int:
    """The Textual console (imported only now: Textual is the slowest import).

    `sim` is the simulator behind `--demo`; the caller owns it and stops it afterwards. A
    simulator sped up (`--speed`) gives the console its clock, so "live", ages and polling
    intervals all follow simulated time.
    """
    from tui.app import LivetopApp

    clock = None
    if sim is not None and sim.speed != 1.0:
        clock = _SimTime(sim.time, sim.speed)
    app = LivetopApp(settings, clock=clock)
    app.run()
    return app.return_code or 0


class _SimTime:
    """A `Clock` on simulated time: `speed` simulated seconds pass per real second."""

    def __init__(self, now: Callable[[], float], speed: float) -> None:
        import time

        self._now = now
        self._speed = speed
        self._mono = time.monotonic

    def time(self) -> float:
        return self._now()

    def monotonic(self) -> float:
        return self._mono() * self._speed

    async def sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds / self._speed)


def _snapshot(args: argparse.Namespace) -> int:
    from tui.snapshot import OutputError, run_snapshot

    if args.recording is not None:
        from tui.recorder.commands import run_snapshot_at

        return run_snapshot_at(
            _recording_path(args.recording),
            args.at,
            as_json=args.format == "json",
            out=sys.stdout,
            err=sys.stderr,
        )
    with _prepared(args) as (settings, _):
        try:
            return run_snapshot(
                settings,
                as_json=args.format == "json",
                show_secrets=args.show_secrets,
                out=sys.stdout,
                err=sys.stderr,
            )
        except OutputError as exc:
            return _output_failed(exc)


def _check(args: argparse.Namespace) -> int:
    from tui.snapshot import OutputError, run_check

    with _prepared(args) as (settings, _):
        try:
            return run_check(settings, out=sys.stdout, err=sys.stderr, rundown=args.rundown)
        except OutputError as exc:
            return _output_failed(exc)


def _output_failed(exc: Exception) -> int:
    """stdout cannot be written (to /dev/full, a full disk): one line, no traceback."""
    _silence_stdout()  # what is still buffered must not fail again at exit
    print(f"livetop: error: cannot write the output: {exc}", file=sys.stderr)
    return EXIT_USAGE


def _record(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui.recorder.commands import run_record

    with _prepared(args) as (settings, _):
        db = Path(args.db).expanduser() if args.db else None
        return run_record(settings, db, metrics=args.metrics, err=sys.stderr)


def _events(args: argparse.Namespace) -> int:
    from tui.recorder.commands import run_events

    return run_events(
        _recording_path(args.recording or ""),
        args.since,
        args.until,
        as_json=args.format == "json",
        out=sys.stdout,
        err=sys.stderr,
    )


def _recording_path(given: str) -> Path:
    from pathlib import Path

    from tui.recorder.db import default_path

    return Path(given).expanduser() if given else default_path()


def _init(args: argparse.Namespace) -> int:
    from tui.config import config_path
    from tui.config_example import write_example_config

    path = config_path(args.config)
    try:
        write_example_config(path, force=args.force)
    except FileExistsError:
        print(f"{path}: already exists; pass --force to overwrite it", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"{path}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path} (mode 0600)")
    print("next: export LIVEPEER_API_KEY=<your key>, edit the file, then run `livetop check`")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    import asyncio

    from tui.sim import SimConfig, parse_fault_args, run_standalone

    if args.force and not args.write_config:
        print("livetop simulate: error: --force needs --write-config", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = SimConfig(
            seed=args.seed,
            sessions=args.sessions,
            speed=args.speed,
            churn=args.churn,
            faults=parse_fault_args(args.fault),
            host=args.host,
            port=args.port,
            hostile_names=args.hostile_names,
        )
    except ValueError as exc:
        print(f"livetop simulate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    on_ready = None if args.write_config is None else partial(_write_sim_config, args)
    try:
        asyncio.run(run_standalone(config, args.host, args.port, on_ready=on_ready))
    except OSError as exc:  # typically: the port is taken
        where = f"{args.host}:{args.port}"
        print(f"livetop simulate: cannot listen on {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _write_sim_config(args: argparse.Namespace, info: SimInfo) -> None:
    """`simulate --write-config`: the config to its file, private; what happened on stderr."""
    from pathlib import Path

    from tui.config_example import write_private
    from tui.sim import describe, render_config_toml

    path = Path(args.write_config).expanduser()
    try:
        write_private(path, render_config_toml(info), force=args.force)
    except FileExistsError:
        print(f"{path}: already exists; pass --force to overwrite it", file=sys.stderr)
        raise _Exit(EXIT_USAGE) from None
    except OSError as exc:
        print(f"{path}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        raise _Exit(EXIT_USAGE) from None
    sys.stderr.write(describe(info, config_to=str(path)))
    sys.stderr.flush()


def _export(args: argparse.Namespace) -> int:
    from tui.exporter.command import run_export, shipped_text

    if args.rules or args.dashboard:
        sys.stdout.write(shipped_text("rules" if args.rules else "dashboard"))
        return 0
    per_session = args.per_session_limit if args.per_session else None
    with _prepared(args) as (settings, _):
        return run_export(
            settings, listen=args.listen, per_session=per_session, out=sys.stdout, err=sys.stderr
        )


_COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    "snapshot": _snapshot,
    "check": _check,
    "init": _init,
    "simulate": _simulate,
    "export": _export,
    "record": _record,
    "events": _events,
    "replay": _replay,
}


# -- shared plumbing ------------------------------------------------------------------------


@contextmanager
def _prepared(
    args: argparse.Namespace, *, console: bool = False
) -> Iterator[tuple[Settings, RunningSimulator | DemoSimulator | None]]:
    """Settings (from the config file, or from a simulator started for `--demo`) and the log
    file; both torn down afterwards. Configuration problems are printed, then `_Exit(1)`.

    For the console, the demo's simulator runs in a child process (see `tui.demo`), started
    first so that it starts while this process imports; one-shot commands run it in a thread.
    """
    with ExitStack() as stack:
        sim: RunningSimulator | DemoSimulator | None = None
        child = None
        if args.demo and console:
            sim = child = _spawn_simulator(args)
            stack.callback(child.stop)
            import tui.app  # noqa: F401  (Textual, the slowest import, while the child starts)
        from tui.config import ConfigError, demo_settings, load_settings

        try:
            if child is not None:
                try:
                    child.wait_ready()
                except RuntimeError as exc:
                    print(f"livetop: error: {exc}", file=sys.stderr)
                    raise _Exit(EXIT_USAGE) from None
                # The demo comes with a rundown over the simulated calls.
                from tui.sim.calls import demo_plan

                plan = demo_plan(child.call_ids, child.time())
                settings = demo_settings(cast("RunningSimulator", child), rundown=plan)
            elif args.demo:
                from tui.sim.calls import demo_plan

                sim = _start_simulator(args)
                stack.callback(sim.stop)
                plan = demo_plan(sim.call_ids, sim.now().timestamp())
                settings = demo_settings(sim, rundown=plan)
            else:
                settings = load_settings(args.config)
            if getattr(args, "provider", None):
                settings = settings.only(args.provider)
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            raise _Exit(EXIT_USAGE) from None
        _start_logging(settings.secret_values(), stack)
        yield settings, sim


def _sim_options(args: argparse.Namespace) -> dict[str, Any]:
    """`SimConfig` keyword arguments from the demo's flags (ValueError: a bad `--fault`)."""
    options = {
        dest.removeprefix("demo_"): value
        for dest in _DEMO_FLAGS
        if (value := getattr(args, dest, None)) is not None
    }
    if "faults" in options:
        from tui.sim import parse_fault_args

        options["faults"] = parse_fault_args(options["faults"])
    return options


def _start_simulator(args: argparse.Namespace) -> RunningSimulator:
    from tui.sim import SimConfig, start_in_thread

    try:
        config = SimConfig(**_sim_options(args))
    except ValueError as exc:
        print(f"livetop: error: {exc}", file=sys.stderr)
        raise _Exit(EXIT_USAGE) from None
    return start_in_thread(config)


def _spawn_simulator(args: argparse.Namespace) -> DemoSimulator:
    from tui.demo import DemoSimulator

    try:
        return DemoSimulator(_sim_options(args))
    except ValueError as exc:
        print(f"livetop: error: {exc}", file=sys.stderr)
        raise _Exit(EXIT_USAGE) from None


def _start_logging(secrets: tuple[str, ...], stack: ExitStack) -> None:
    from tui.logs import setup_logging

    try:
        stack.callback(setup_logging(secrets).close)
    except OSError as exc:  # a read-only home must not stop the console
        print(f"livetop: warning: no log file: {exc.strerror or exc}", file=sys.stderr)


def _silence_stdout() -> None:
    import os

    with suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
