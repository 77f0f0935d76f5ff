"""`livetop export` as a real process, and reading its metrics over HTTP (tests and bench)."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from prometheus_client.parser import text_string_to_metric_families

from tui.sim import RunningSimulator

_SERVING = re.compile(r"serving (http://\S+/metrics)")


def write_config(sim: RunningSimulator, folder: Path, refresh_interval: float = 2.0) -> Path:
    """A config file for the simulator (its keys inline, so the file is private: 0600)."""
    path = folder / "config.toml"
    path.write_text(sim.config_toml(refresh_interval))
    path.chmod(0o600)
    return path


class ExportProcess:
    """`python -m tui export --config CONFIG --listen 127.0.0.1:0 ARGS...`; `url` once serving.

    Leaving the `with` block sends SIGTERM and waits; `stop()` returns the exit status.
    """

    def __init__(self, config: Path, *args: str, log_dir: Path, timeout: float = 20.0) -> None:
        argv = [sys.executable, "-m", "tui", "export", "--config", str(config)]
        argv += ["--listen", "127.0.0.1:0", *args]
        env = {**os.environ, "LIVETOP_LOG_DIR": str(log_dir)}
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.url = self._wait_for_url(timeout)

    def _wait_for_url(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                self.stop()
                raise AssertionError(f"livetop export said nothing in {timeout} s")
        line = self.proc.stdout.readline()
        found = _SERVING.search(line)
        if found is None:
            self.stop()
            raise AssertionError(f"livetop export did not start: {line!r} {self.stderr()!r}")
        return found.group(1)

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def metrics(url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """One scrape, parsed: sample name → [(labels, value)]."""
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(fetch(url).decode()):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def value(
    scraped: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str
) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    samples = scraped.get(name, [])
    return sum(v for have, v in samples if labels.items() <= have.items())


def wait_until(check: object, timeout: float, every: float = 0.2) -> None:
    """Call `check()` until it returns truthy; AssertionError with its last value if not."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return
        time.sleep(every)
    raise AssertionError(f"not true within {timeout} s: {check} (last: {last!r})")
