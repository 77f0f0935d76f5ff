"""Start livetop for the benchmark, in the pseudo-terminal the harness made.

    python tests/bench/launch.py [--baseline] LIVETOP-ARGS...

Runs `tui.cli.main` exactly as the `livetop` command does; `--baseline` first swaps in the
stock-DataTable app of `baseline_app.py`, so both run the same simulator, clients and store.
"""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["--baseline"]:
        argv = argv[1:]
        from baseline_app import BaselineApp

        import tui.app

        tui.app.LivetopApp = BaselineApp  # type: ignore[misc]  # run_console imports it late
    from tui import cli

    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
