"""`snapshot` and `check` against the real simulator over a socket: exit codes, the JSON
contract, failures, bad keys, and that no key reaches any output or the log."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.cli import main
from tui.config import load_settings
from tui.models import SNAPSHOT_FIELDS
from tui.sim import Fault, RunningSimulator, SimConfig, start_in_thread
from tui.snapshot import take_snapshot

ENV_NAMES = {"livepeer": "SIM_LP_KEY", "uiza": "SIM_UIZA_KEY", "calls": "SIM_CALLS_TOKEN"}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    """One simulator for the module (start-up is the slow part); faults reset per test."""
    with start_in_thread(SimConfig(seed=7, sessions=60, churn=0.3)) as sim:
        yield sim


@pytest.fixture
def sim(simulator: RunningSimulator) -> Iterator[RunningSimulator]:
    simulator.clear_faults()
    yield simulator
    simulator.clear_faults()


@pytest.fixture
def config(sim: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config naming the simulator's keys by environment variable (the preferred way)."""
    blocks = []
    for name, kind, ids in (
        ("studio", "livepeer", ""),
        ("uiza", "uiza", f"entity_ids = {json.dumps(sim.entity_ids)}\n"),
        ("calls", "calls", f"call_ids = {json.dumps(sim.call_ids)}\n"),
    ):
        monkeypatch.setenv(ENV_NAMES[kind], sim.api_keys[kind])
        blocks.append(
            f'[[providers]]\nname = "{name}"\nkind = "{kind}"\n'
            f'base_url = "{sim.base_urls[kind]}"\napi_key_env = "{ENV_NAMES[kind]}"\n{ids}'
        )
    path = tmp_path / "config.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    path.chmod(0o644)  # keys come from the environment, so a readable file is fine
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def secrets_of(sim: RunningSimulator, config: Path) -> list[str]:
    """Every API key and every stream/ingest key the simulator hands out."""
    snap = asyncio.run(take_snapshot(load_settings(config)))
    stream_keys = [s.secret.get_secret_value() for s in snap.sessions if s.secret is not None]
    assert stream_keys, "the simulator should hand out Uiza stream keys"
    return [*sim.api_keys.values(), *stream_keys]


def test_all_ok_exit_0_and_the_json_contract(
    sim: RunningSimulator, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["snapshot", "--config", str(config), "--format", "json"], capsys)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert list(doc) == ["generated_at", "providers", "sessions"]
    assert ISO_UTC.match(doc["generated_at"])
    assert [p["name"] for p in doc["providers"]] == ["studio", "uiza", "calls"]
    for provider in doc["providers"]:
        keys = ["name", "kind", "ok", "error", "sessions", "skipped", "latency_ms"]
        assert list(provider) == keys
        assert provider["skipped"] == 0
        assert provider["ok"] is True and provider["error"] is None
        assert provider["latency_ms"] == round(provider["latency_ms"], 1) > 0
        mine = [s for s in doc["sessions"] if s["provider"] == provider["name"]]
        assert provider["sessions"] == len(mine) > 0
    for session in doc["sessions"]:
        assert tuple(session) == SNAPSHOT_FIELDS
        for key in ("created_at", "last_seen", "ended_at"):
            assert session[key] is None or ISO_UTC.match(session[key])
        for key in ("ingest_bps", "outgoing_bps"):
            assert session[key] is None or isinstance(session[key], int)
        assert session["state"] in ("live", "ended", "scheduled", "errored", "unknown")


def test_one_provider_failing_exits_2_and_keeps_the_others(
    sim: RunningSimulator, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.set_fault("calls", Fault(error_rate=1.0))
    code, out, err = run(["snapshot", "--config", str(config)], capsys)
    assert code == 2
    doc = json.loads(out)
    by_name = {p["name"]: p for p in doc["providers"]}
    assert by_name["studio"]["ok"] and by_name["uiza"]["ok"]
    calls = by_name["calls"]
    assert calls["ok"] is False and "HTTP 500" in calls["error"]
    assert {s["provider"] for s in doc["sessions"]} == {"studio", "uiza"}
    assert err.splitlines() == [f"livetop: calls: {calls['error']}"]


def test_bad_key_exits_2_and_check_says_refused(
    sim: RunningSimulator,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIM_UIZA_KEY", "uap-wrong-key-0123456789")
    code, out, err = run(["snapshot", "--config", str(config), "--format", "table"], capsys)
    assert code == 2
    assert "uiza: " in err and "HTTP 401" in err
    providers = out.split("\n\n")[-1]
    assert re.search(r"^uiza\s+uiza\s+FAILED\s+0 sessions", providers, re.M)
    code, out, _ = run(["check", "--config", str(config)], capsys)
    assert code == 2
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["uiza"][:4] == ["uiza", "uiza", "yes", "refused"]
    assert rows["studio"][:4] == ["studio", "livepeer", "yes", "ok"]
    assert "uap-wrong-key" not in out + err


def test_check_all_ok(
    sim: RunningSimulator, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", "--config", str(config)], capsys)
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == [
        "PROVIDER",
        "KIND",
        "REACHABLE",
        "AUTH",
        "LATENCY",
        "SESSIONS",
        "ERROR",
    ]
    assert [r.split()[:4] for r in rows] == [
        ["studio", "livepeer", "yes", "ok"],
        ["uiza", "uiza", "yes", "ok"],
        ["calls", "calls", "yes", "ok"],
    ]
    assert all(int(r.split()[-1]) > 0 for r in rows)


def test_provider_filter(
    sim: RunningSimulator, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.set_fault("calls", Fault(error_rate=1.0))  # not asked for, so it cannot fail the run
    argv = ["snapshot", "--config", str(config), "--provider", "uiza", "--provider", "studio"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert [p["name"] for p in json.loads(out)["providers"]] == ["studio", "uiza"]


def test_no_key_in_any_output_or_the_log(
    sim: RunningSimulator,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    isolated_dirs: Path,
) -> None:
    secrets = secrets_of(sim, config)
    sim.set_fault("livepeer", Fault(error_rate=1.0))
    outputs = []
    for argv in (
        ["snapshot", "--config", str(config), "--format", "json"],
        ["snapshot", "--config", str(config), "--format", "json", "--show-secrets"],
        ["snapshot", "--config", str(config), "--format", "table"],
        ["check", "--config", str(config)],
    ):
        code, out, err = run(argv, capsys)
        assert code == 2
        outputs.append(out + err)
    sim.set_fault("uiza", Fault(auth=True))
    outputs.append("".join(run(["snapshot", "--config", str(config)], capsys)[1:]))
    log_text = "".join(p.read_text(encoding="utf-8") for p in isolated_dirs.iterdir())
    assert "livetop.snapshot: studio: GET /session" in log_text
    for secret in secrets:
        for text in (*outputs, log_text):
            assert secret not in text
    assert "live_****" in outputs[2] or "****" in outputs[2]  # masked, not absent


def test_show_secrets_reveals_stream_keys_in_the_table_only(
    sim: RunningSimulator, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream_keys = secrets_of(sim, config)[3:]
    _, table, _ = run(
        ["snapshot", "--config", str(config), "--format", "table", "--show-secrets"], capsys
    )
    assert any(key in table for key in stream_keys)
    assert not any(key in table for key in sim.api_keys.values())


def test_demo_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["snapshot", "--demo", "--provider", "calls"], capsys)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert [p["name"] for p in doc["providers"]] == ["calls"]


def test_partial_answer_keeps_sessions_but_fails_the_run(
    sim: RunningSimulator, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("call_ids = [", 'call_ids = ["no-such-call", '), "utf-8")
    code, out, err = run(["snapshot", "--config", str(config), "--provider", "calls"], capsys)
    assert code == 2
    (calls,) = json.loads(out)["providers"]
    assert calls["ok"] is False and calls["sessions"] == len(sim.call_ids)
    assert "HTTP 404" in calls["error"]
    assert "HTTP 404" in err
