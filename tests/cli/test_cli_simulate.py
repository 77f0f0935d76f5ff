"""`livetop simulate` as an operator uses it: `> sim.toml` gives the config alone (the URLs and
how to switch faults go to stderr), `--write-config PATH` writes it private, faults switch
while it runs through its control endpoint, and `--demo` takes `--fault` too (issue #18.16)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from tui.cli import _sim_options, build_parser, main
from tui.demo import DemoSimulator

LIVETOP = [sys.executable, "-m", "tui"]


def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "LIVETOP_LOG_DIR": str(tmp_path / "logs")}


def wait_until(condition: Any, what: str, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def complete_toml(path: Path) -> bool:
    """The whole config has been written (its last line is the calls' ids)."""
    return path.exists() and "call_ids" in path.read_text(encoding="utf-8")


@contextmanager
def simulating(
    tmp_path: Path, *extra: str, stdout: IO[str] | int | None = None
) -> Iterator[subprocess.Popen[str]]:
    """`livetop simulate --port 0 ...` in a process of its own; stderr into `tmp_path/err`."""
    with (tmp_path / "err").open("w") as err:
        argv = [*LIVETOP, "simulate", "--port", "0", "--sessions", "5", *extra]
        process = subprocess.Popen(argv, stdout=stdout, stderr=err, text=True, env=env(tmp_path))
        try:
            yield process
        finally:
            process.terminate()
            process.wait(10)


def snapshot(tmp_path: Path, config: Path) -> dict[str, Any]:
    result = subprocess.run(
        [*LIVETOP, "snapshot", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(tmp_path),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def control_url(tmp_path: Path) -> str:
    wait_until(lambda: "control" in (tmp_path / "err").read_text(), "the simulator's banner")
    found = re.search(r"control\s+(http://\S+/_control)", (tmp_path / "err").read_text())
    assert found, (tmp_path / "err").read_text()
    return found.group(1)


def test_stdout_is_the_config_alone(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    with config.open("w") as out, simulating(tmp_path, stdout=out):
        wait_until(lambda: complete_toml(config), "the config on stdout")
        parsed = tomllib.loads(config.read_text(encoding="utf-8"))  # nothing but TOML
        assert [p["kind"] for p in parsed["providers"]] == ["livepeer", "uiza", "calls"]
        banner = (tmp_path / "err").read_text()
        assert "livetop simulator" in banner and "curl -X POST" in banner
        assert "--write-config" in banner  # where to go for a private file
        config.chmod(0o600)  # a redirect makes the file as the shell does
        assert len(snapshot(tmp_path, config)["providers"]) == 3


def test_write_config_writes_a_private_file_that_works_as_it_is(tmp_path: Path) -> None:
    config = tmp_path / "private" / "sim.toml"
    with simulating(tmp_path, "--write-config", str(config), stdout=subprocess.PIPE) as sim:
        wait_until(lambda: complete_toml(config), "the written config")
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        doc = snapshot(tmp_path, config)  # no chmod needed: the key's file is private
        assert all(p["ok"] for p in doc["providers"])
        assert f"written to {config} (mode 0600)" in (tmp_path / "err").read_text()
        sim.terminate()
        out, _ = sim.communicate(timeout=10)
        assert out == ""  # the config went to its file only


def test_write_config_never_overwrites_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "sim.toml"
    config.write_text("# mine\n", encoding="utf-8")
    config.chmod(0o644)
    assert main(["simulate", "--port", "0", "--write-config", str(config)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert config.read_text(encoding="utf-8") == "# mine\n"
    assert main(["simulate", "--force"]) == 1
    assert "--force needs --write-config" in capsys.readouterr().err
    with simulating(tmp_path, "--write-config", str(config), "--force"):
        wait_until(lambda: complete_toml(config), "the overwritten config")
        assert stat.S_IMODE(config.stat().st_mode) == 0o600  # not the old file's 0644


def test_faults_switch_while_it_runs_as_the_readme_says(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    with simulating(tmp_path, "--write-config", str(config)):
        wait_until(lambda: complete_toml(config), "the written config")
        control = control_url(tmp_path)
        # `curl -X POST .../faults -d '{...}'`: form-encoded by curl, read as JSON all the same.
        request = urllib.request.Request(
            f"{control}/faults",
            data=json.dumps({"livepeer": {"auth": True}}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.load(answer)["livepeer"] == {"auth": True}
        providers = {p["name"]: p for p in snapshot_any(tmp_path, config)["providers"]}
        assert not providers["studio"]["ok"] and "401" in providers["studio"]["error"]
        assert providers["uiza"]["ok"] and providers["calls"]["ok"]
        deleted = urllib.request.Request(f"{control}/faults", method="DELETE")
        with urllib.request.urlopen(deleted, timeout=10) as answer:
            assert json.load(answer)["livepeer"] == {}
        assert all(p["ok"] for p in snapshot(tmp_path, config)["providers"])


def snapshot_any(tmp_path: Path, config: Path) -> dict[str, Any]:
    """`snapshot` whatever its exit status (2: a provider failed)."""
    result = subprocess.run(
        [*LIVETOP, "snapshot", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(tmp_path),
        check=False,
    )
    assert result.returncode in (0, 2), result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


# -- --demo --fault ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fault", "livepeer:auth"], "--fault needs --demo"),
        (["snapshot", "--fault", "calls:hang"], "--fault needs --demo"),
        (["--demo", "--fault", "zoom:hang"], "unknown provider 'zoom'"),
        (["snapshot", "--demo", "--fault", "livepeer:latency=lots"], "is not a number"),
        (["snapshot", "--demo", "--fault", "livepeer"], "expected PROVIDER:SETTING"),
    ],
)
def test_a_demo_fault_needs_the_demo_and_a_valid_setting(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_one_shot_demo_takes_faults(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["snapshot", "--demo", "--sessions", "5", "--fault", "livepeer:auth"]
    assert main([*argv, "--fault", "calls:not_found"]) == 2
    doc = json.loads(capsys.readouterr().out)
    providers = {p["name"]: p for p in doc["providers"]}
    assert "401" in providers["studio"]["error"] and "404" in providers["calls"]["error"]
    assert providers["uiza"]["ok"]
    # A one-off fetch waits for the entities' names (#18.12): no row is named by its id.
    uiza = [s for s in doc["sessions"] if s["provider"] == "uiza"]
    assert uiza and all(s["name"] != s["parent_id"] for s in uiza)


def test_the_consoles_demo_simulator_takes_faults() -> None:
    """`livetop --demo --fault ...`: the console's simulator runs in a child process; the
    faults reach it (its control endpoint says so)."""
    args = build_parser().parse_args(
        ["--demo", "--sessions", "5", "--fault", "calls:auth", "--fault", "all:latency=0.1"]
    )
    sim = DemoSimulator(_sim_options(args))
    try:
        origin = sim.base_urls["calls"].removesuffix("/calls")
        with urllib.request.urlopen(f"{origin}/_control/faults", timeout=10) as answer:
            faults = json.load(answer)
    finally:
        sim.stop()
    assert faults == {
        "livepeer": {"latency": 0.1},
        "uiza": {"latency": 0.1},
        "calls": {"latency": 0.1, "auth": True},
    }
