"""`livetop snapshot --recording`, `livetop events`, time arguments, `--no-record` and the
`record` config key, run in-process on a real recording of the simulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from support.recording import Live, record_live
from tui import cli
from tui.config import ConfigError, settings_from_dict
from tui.recorder.commands import parse_time
from tui.sim import Fault, SimConfig, start_in_thread


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("cli") / "recording.db"
    with start_in_thread(SimConfig(seed=21, sessions=80, churn=0.3, speed=30)) as sim:

        def script(elapsed: float) -> None:
            sim.set_fault("uiza", Fault(error_rate=1.0) if 0.8 < elapsed < 1.6 else None)

        yield asyncio.run(record_live(sim, path, seconds=2.5, script=script))


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_snapshot_at_a_moment_prints_the_contract_json(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    for moment in live.moments[1::2]:
        code, out, err = run(
            ["snapshot", "--recording", str(live.path), "--at", iso(moment.t)], capsys
        )
        assert out.strip() == moment.json
        failing = any(not p["ok"] for p in json.loads(moment.json)["providers"])
        assert code == (2 if failing else 0) and err == ""
    assert any('"ok": false' in m.json for m in live.moments), "a failing moment was looked at"


def test_snapshot_table_and_relative_times(live: Live, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["snapshot", "--recording", str(live.path), "--at", "now", "--format", "table"], capsys
    )
    assert code in (0, 2)
    assert out.startswith("PROVIDER") and "studio" in out and "livepeer" in out
    assert "note: the recording ends at" in err  # now is past its end: its last state


def test_snapshot_before_the_recording_is_one_line(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["snapshot", "--recording", str(live.path), "--at", "-2h"], capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "is before the recording starts" in err


def test_snapshot_needs_a_readable_time(live: Live, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["snapshot", "--recording", str(live.path), "--at", "yesterday"], capsys)
    assert code == 1 and "cannot read the time 'yesterday'" in err
    code, _, err = run(["snapshot", "--at", "-5m"], capsys)
    assert code == 1 and "--at needs --recording" in err


def test_events_json_and_table_with_bounds(live: Live, capsys: pytest.CaptureFixture[str]) -> None:
    everything = live.moments[-1].events
    code, out, _ = run(["events", "--recording", str(live.path), "--format", "json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert [e["kind"] for e in document] == [e.kind.value for e in everything]
    assert {"time", "kind", "provider", "id", "name", "detail"} == set(document[0])
    middle = live.moments[len(live.moments) // 2].t
    code, out, _ = run(
        ["events", "--recording", str(live.path), "--until", iso(middle), "--format", "json"],
        capsys,
    )
    assert len(json.loads(out)) <= len(document)
    code, out, _ = run(["events", "--recording", str(live.path), "--since", iso(middle)], capsys)
    assert (code == 0 and out.startswith("TIME")) or out.strip() == "no events"
    code, out, _ = run(["events", "--recording", str(live.path)], capsys)
    assert "provider failed" in out and "uiza" in out


def test_events_of_a_missing_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["events", "--recording", str(tmp_path / "nope.db")], capsys)
    assert code == 1 and out == "" and "no such recording" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-15m", 1000.0 - 900),
        ("-1h30m", 1000.0 - 5400),
        ("- 2s", 998.0),
        ("now", 1000.0),
        ("1970-01-01T00:10:00Z", 600.0),
        ("1970-01-01T00:10:00", 600.0),
        ("1970-01-01T01:10:00+01:00", 600.0),
        ("00:10", 600.0),  # today's, UTC
        ("00:20", 1200.0 - 86400),  # still to come today: yesterday's
    ],
)
def test_time_arguments(text: str, expected: float) -> None:
    assert parse_time(text, now=1000.0) == expected


def test_no_record_flag_and_record_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[Any] = []

    def console(settings: Any, sim: Any = None) -> int:
        seen.append(settings)
        return 0

    monkeypatch.setattr(cli, "run_console", console)
    config = tmp_path / "config.toml"
    config.write_text(
        'record = true\n[[providers]]\nname = "a"\nkind = "livepeer"\napi_key_env = "K"\n'
    )
    monkeypatch.setenv("K", "key-value")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["--config", str(config)]) == 0
    assert cli.main(["--config", str(config), "--no-record"]) == 0
    assert [s.record for s in seen] == [True, False]


def test_record_key_must_be_a_boolean() -> None:
    provider = {"name": "a", "kind": "livepeer", "api_key": "k"}
    assert settings_from_dict({"providers": [provider]}).record is True
    assert settings_from_dict({"record": False, "providers": [provider]}).record is False
    with pytest.raises(ConfigError, match="record: must be true or false"):
        settings_from_dict({"record": "no", "providers": [provider]})
