"""`livetop export` as a real process against the real simulator: it serves what the providers
say, follows a fault, stops cleanly on SIGTERM, refuses bad addresses, prints its shipped files."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.exporter import ExportProcess, fetch, metrics, value, wait_until, write_config
from tui.cli import main
from tui.config import load_settings
from tui.exporter.command import shipped_text
from tui.sim import Fault, RunningSimulator, SimConfig, start_in_thread
from tui.snapshot import take_snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=5, sessions=40, churn=0.5)) as sim:
        yield sim


@pytest.fixture
def sim(simulator: RunningSimulator) -> Iterator[RunningSimulator]:
    simulator.clear_faults()
    yield simulator
    simulator.clear_faults()


@pytest.fixture
def config(sim: RunningSimulator, tmp_path: Path) -> Path:
    return write_config(sim, tmp_path, refresh_interval=0.5)


def test_serves_every_provider_follows_a_fault_and_stops_on_sigterm(
    sim: RunningSimulator, config: Path, tmp_path: Path
) -> None:
    with ExportProcess(config, log_dir=tmp_path / "logs") as export:

        def all_up() -> bool:
            m = metrics(export.url)
            return all(
                value(m, "livetop_provider_up", provider=p) == 1
                for p in ("studio", "uiza", "calls")
            )

        wait_until(all_up, 15)
        settings = load_settings(config)

        def same_as_a_snapshot() -> tuple[float, int] | None:
            exported = value(metrics(export.url), "livetop_sessions", provider="studio")
            snapshot = asyncio.run(take_snapshot(settings))
            shown = len([s for s in snapshot.sessions if s.provider == "studio"])
            return None if exported != shown else (exported, shown)

        wait_until(same_as_a_snapshot, 10)  # sessions come and go: equal at some moment
        m = metrics(export.url)
        assert value(m, "livetop_sessions", provider="studio", state="live") > 0
        assert value(m, "livetop_ingest_bits_per_second", provider="studio") > 0
        assert value(m, "livetop_poll_duration_seconds_count", provider="studio") >= 1
        assert value(m, "process_cpu_seconds_total") > 0  # the exporter's own cost, too
        assert not any(k.startswith("livetop_session_info") for k in m)  # opt-in only

        sim.set_fault("uiza", Fault(auth=True))
        wait_until(
            lambda: value(metrics(export.url), "livetop_provider_up", provider="uiza") == 0, 10
        )
        m = metrics(export.url)
        assert value(m, "livetop_poll_errors_total", provider="uiza", reason="auth") >= 1
        assert value(m, "livetop_provider_stale", provider="uiza") == 1
        assert value(m, "livetop_provider_up", provider="studio") == 1  # the others go on
        assert export.stop(signal.SIGTERM) == 0
        assert "Traceback" not in export.stderr()
        # No key in anything the exporter wrote.
        logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*"))
        for key in sim.api_keys.values():
            assert key not in logs


def test_per_session_series_and_ctrl_c(sim: RunningSimulator, config: Path, tmp_path: Path) -> None:
    with ExportProcess(config, "--per-session", "--per-session-limit", "3", log_dir=tmp_path) as e:
        wait_until(lambda: value(metrics(e.url), "livetop_session_info") == 3, 15)
        m = metrics(e.url)
        assert value(m, "livetop_session_series_dropped") > 0
        assert e.stop(signal.SIGINT) == 130


def test_refuses_a_bad_or_taken_address(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--config", str(config), "--listen", "localhost"]) == 1
    assert "expected HOST:PORT" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["export", "--config", str(config), "--listen", f"127.0.0.1:{port}"]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


def test_rules_and_dashboard_print_the_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--rules"]) == 0
    rules = capsys.readouterr().out
    assert rules == (ROOT / "tui" / "exporter" / "rules.yml").read_text() == shipped_text("rules")
    assert "alert: LivetopProviderDown" in rules
    assert main(["export", "--dashboard"]) == 0
    dashboard = json.loads(capsys.readouterr().out)
    assert dashboard["uid"] == "livetop-fleet" and dashboard["panels"]
    assert main(["export", "--rules", "--dashboard"]) == 1  # one at a time


def test_the_endpoint_answers_like_an_http_server(config: Path, tmp_path: Path) -> None:
    with ExportProcess(config, log_dir=tmp_path) as export:
        root = export.url.removesuffix("/metrics")
        assert b"/metrics" in fetch(root + "/")
        plain = fetch(export.url)
        assert plain.startswith(b"# HELP")
        opened = fetch(export.url, {"Accept": "application/openmetrics-text; version=1.0.0"})
        assert opened.rstrip().endswith(b"# EOF")
        with pytest.raises(Exception, match="404"):
            fetch(root + "/nothing")
