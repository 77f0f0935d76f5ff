"""A `livetop simulate` process for the benchmarks, and the config it prints."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_simulator(
    work: Path, *, sessions: int, churn: float, seed: int
) -> tuple[subprocess.Popen[str], Path]:
    """Start the simulator on a free port; its config (stdout: the config alone) is written
    privately to `work/config.toml`. The caller stops the process."""
    argv = ["simulate", "--port", "0", "--sessions", str(sessions), "--churn", str(churn)]
    sim = subprocess.Popen(
        [sys.executable, "-m", "tui", *argv, "--seed", str(seed)],
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
        sim.kill()
        raise RuntimeError("the simulator printed no config")
    path = work / "config.toml"
    path.write_text("".join(lines))
    path.chmod(0o600)
    return sim, path
