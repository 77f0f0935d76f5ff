"""`livetop check --rundown` and the snapshot's `watched` and `late`, against the simulator
over a socket, for cron and scripts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from support.child import write_config
from tui import ui_state
from tui.cli import main
from tui.sim import RunningSimulator, SimConfig, start_in_thread

GONE = "0000dead-0000-4000-8000-000000000000"  # a call id the simulator does not know


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=7, sessions=40)) as running:
        yield running


def calls(sim: RunningSimulator, ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "name": "calls",
            "kind": "calls",
            "base_url": sim.base_urls["calls"],
            "api_key": sim.api_keys["calls"],
            "call_ids": ids,
        }
    ]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_late_call_exits_2_and_is_listed(
    sim: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guest, standup = sim.call_ids[7], sim.call_ids[0]
    plan = [
        {"provider": "calls", "id": guest, "label": "Guest interview"},
        {"provider": "calls", "id": standup, "label": "Standup"},  # on air: fine
    ]
    path = write_config(tmp_path / "c.toml", calls(sim, [guest, standup]), rundown=plan)
    code, out, _ = run(["check", "--config", str(path), "--rundown"], capsys)
    assert code == 2
    lines = out.splitlines()
    assert "rundown: 1 of 2 late or ended early" in lines
    (row,) = [line for line in lines if line.startswith("Guest interview")]
    assert "LATE 3m" in row and "Standup" not in out.split("rundown:")[1]
    # without --rundown, the same config checks the providers alone: all answered
    code, out, _ = run(["check", "--config", str(path)], capsys)
    assert code == 0 and "rundown" not in out


def test_nothing_late_exits_0(
    sim: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    standup = sim.call_ids[0]
    plan = [{"provider": "calls", "id": standup, "label": "Standup"}]
    path = write_config(tmp_path / "c.toml", calls(sim, [standup]), rundown=plan)
    code, out, _ = run(["check", "--config", str(path), "--rundown"], capsys)
    assert code == 0 and out.rstrip().endswith("rundown: 0 of 1 late or ended early")


def test_a_call_the_provider_does_not_know_is_unknown_not_late(
    sim: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    plan = [{"provider": "calls", "id": GONE, "label": "Ghost", "start": start}]
    path = write_config(tmp_path / "c.toml", calls(sim, [sim.call_ids[0], GONE]), rundown=plan)
    code, out, err = run(["check", "--config", str(path), "--rundown"], capsys)
    assert code == 2  # the provider answered only in part: that fails the check, not "late"
    assert "rundown: 0 of 1 late or ended early, 1 unknown" in out
    (row,) = [line for line in out.splitlines() if line.startswith("Ghost")]
    assert "unknown" in row and "calls answers only in part: cannot tell" in row
    assert "calls:" in err


def test_no_rundown_to_check_is_a_usage_error(
    sim: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "c.toml", calls(sim, [sim.call_ids[0]]))
    code, out, err = run(["check", "--config", str(path), "--rundown"], capsys)
    assert code == 1 and out == "" and "no [[rundown]] items" in err


def test_the_snapshot_says_watched_and_late(
    sim: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guest, standup = sim.call_ids[7], sim.call_ids[0]
    plan = [{"provider": "calls", "id": guest, "label": "Guest"}]
    path = write_config(tmp_path / "c.toml", calls(sim, [guest, standup]), rundown=plan)
    # The console's operator watches the standup (its UI state file, as `w` writes it).
    ui_state.save(ui_state.state_path(), ui_state.UiState(watched=[("calls", standup)]))
    code, out, _ = run(["snapshot", "--config", str(path)], capsys)
    assert code == 0
    flags = {s["id"]: (s["watched"], s["late"]) for s in json.loads(out)["sessions"]}
    assert flags == {guest: (False, True), standup: (True, False)}
