"""A real Prometheus server for tests: our own process, config, storage and port.

Debian's `prometheus` package provides `prometheus` and `promtool` (`.ci/run` installs it). Its
own service, if any, does not matter: this one listens on a free loopback port with its data in
a temporary folder, scrapes every second and evaluates rules every second.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
MISSING = (
    "Prometheus is not installed (`apt-get install prometheus` on Debian; .ci/run installs it "
    "when it can)"
)


def quick_rules(rules: str, hold: str = "1s") -> str:
    """The shipped rules with every `for:` shortened to `hold`, for a test that cannot wait
    minutes; the expressions are untouched."""
    return re.sub(r"(?m)^(\s+for: )\S+$", rf"\g<1>{hold}", rules)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrometheusServer:
    """`prometheus` scraping `targets` (host:port) every second, with `rules` loaded."""

    def __init__(self, folder: Path, targets: list[str], rules: str | None = None) -> None:
        assert PROMETHEUS is not None, MISSING
        folder.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {"job_name": "livetop", "static_configs": [{"targets": targets}]},
            ],
        }
        if rules is not None:
            (folder / "rules.yml").write_text(rules)
            config["rule_files"] = [str(folder / "rules.yml")]
        (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
        self.log = folder / "prometheus.log"
        for _attempt in range(3):  # a free port can be taken between finding and binding it
            self.port = _free_port()
            self.proc = self._start(folder)
            if self._wait_ready(30.0):
                return
            self.stop()
        raise AssertionError(f"Prometheus did not start: {self.log.read_text()[-2000:]}")

    def _start(self, folder: Path) -> subprocess.Popen[bytes]:
        assert PROMETHEUS is not None
        argv = [
            PROMETHEUS,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        with self.log.open("ab") as log:
            return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=10) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's vector: [{"metric": {...}, "value": [t, "v"]}]."""
        data = self.api("query", query=expr)
        result: list[dict[str, Any]] = data["result"]
        return result

    def firing(self, alertname: str) -> list[dict[str, str]]:
        """The label sets of the named alert's firing instances."""
        alerts = self.api("alerts")["alerts"]
        return [
            a["labels"]
            for a in alerts
            if a["labels"]["alertname"] == alertname and a["state"] == "firing"
        ]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
