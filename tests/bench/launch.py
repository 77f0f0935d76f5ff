"""Start livetop for the benchmark, in the pseudo-terminal the harness made.

    python tests/bench/launch.py [--baseline] [--no-history-stop] [--connects FILE] ARGS...

Runs `tui.cli.main` exactly as the `livetop` command does, after what the options ask:
- `--baseline` swaps in the stock-DataTable app of `baseline_app.py`, so both run the same
  simulator, clients and store;
- `--no-history-stop`: a replay's sparkline history, once being rebuilt, is rebuilt to the end
  even when a move is asked meanwhile (the replay before moves stopped it);
- `--connects FILE` writes a line to FILE for every network connection the process opens (a
  Python audit hook: no request reaches a provider without one).
"""

from __future__ import annotations

import socket
import sys
from typing import Any


def main() -> int:
    argv = sys.argv[1:]
    while argv[:1] in (["--baseline"], ["--no-history-stop"], ["--connects"]):
        option, argv = argv[0], argv[1:]
        if option == "--baseline":
            from baseline_app import BaselineApp

            import tui.app

            tui.app.LivetopApp = BaselineApp  # type: ignore[misc]  # run_console imports it late
        elif option == "--no-history-stop":
            _no_history_stop()
        else:
            _count_connects(argv[0])
            argv = argv[1:]
    from tui import cli

    return cli.main(argv)


def _no_history_stop() -> None:
    from tui.recorder.reader import Recording

    rebuild = Recording.histories

    def histories(self: Recording, t: float, *, stop: Any = None, **kwargs: Any) -> Any:
        return rebuild(self, t, **kwargs)

    Recording.histories = histories  # type: ignore[method-assign]


def _count_connects(path: str) -> None:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6):
            with open(path, "a") as out:
                out.write(f"{args[1]}\n")

    sys.addaudithook(hook)


if __name__ == "__main__":
    sys.exit(main())
