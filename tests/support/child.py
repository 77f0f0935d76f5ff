"""Running `livetop` as a child process: its exit code, output, wall time and peak memory.

Peak memory is the maximum resident set of the `livetop` process alone. Linux carries a
process's peak across `exec`, and a child forked from this (large) test process starts out
as big as it: so `livetop` is started by a small Python wrapper, whose own child it is, and
the wrapper reports `livetop`'s rusage (`os.wait4`) when it ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# argv: the report file, then livetop's arguments. Writes "<exit code> <peak KiB>".
_WRAPPER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "tui", *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


@dataclass(frozen=True)
class ChildRun:
    """How one `livetop` run went."""

    code: int  # negative: killed by that signal
    out: str
    err: str
    seconds: float
    peak_mb: float  # maximum resident set size, MiB


def run_livetop(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    stdout: Path | None = None,
) -> ChildRun:
    """`python -m tui ARGS` to completion (killed after `timeout` s). `stdout`: a path to send
    its standard output to instead of a captured file (e.g. /dev/full)."""
    environ = {**os.environ, **(env or {})}
    with tempfile.TemporaryDirectory() as scratch:
        out_path = stdout or Path(scratch) / "out"
        err_path = Path(scratch) / "err"
        report = Path(scratch) / "report"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.monotonic()
            wrapper = subprocess.Popen(
                [sys.executable, "-c", _WRAPPER, str(report), *args],
                stdout=out,
                stderr=err,
                env=environ,
                start_new_session=True,  # its own group, so a timeout kills livetop too
            )
            try:
                wrapper.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(wrapper.pid, signal.SIGKILL)
                wrapper.wait()
            seconds = time.monotonic() - start
        # No report: the wrapper was killed at the timeout, with livetop.
        code, peak_kib = report.read_text().split() if report.exists() else ("-9", "0")
        text = "" if stdout else out_path.read_text(encoding="utf-8", errors="replace")
        return ChildRun(
            code=int(code),
            out=text,
            err=err_path.read_text(encoding="utf-8", errors="replace"),
            seconds=seconds,
            peak_mb=int(peak_kib) / 1024,  # KiB on Linux
        )


def toml_value(value: Any) -> str:
    return json.dumps(value)  # a JSON string, number or list of strings is valid TOML


def write_config(
    path: Path,
    providers: Sequence[Mapping[str, Any]],
    *,
    rundown: Sequence[Mapping[str, Any]] = (),
    **top: Any,
) -> Path:
    """A private (0600) config file with these `[[providers]]` tables (literal keys) and
    `[[rundown]]` items."""
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()]
    for section, tables in (("providers", providers), ("rundown", rundown)):
        for table in tables:
            lines.append(f"[[{section}]]")
            lines.extend(f"{k} = {toml_value(v)}" for k, v in table.items())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return path


def leaked(text: str, key: str, run: int = 6) -> list[str]:
    """The runs of `run` characters of `key` found in `text` (also across whitespace)."""
    bare = "".join(text.split())
    runs = {key[i : i + run] for i in range(len(key) - run + 1)}
    return sorted(r for r in runs if r in text or r in bare)
