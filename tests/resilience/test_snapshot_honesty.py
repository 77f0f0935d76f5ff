"""`snapshot` and `check` tell the truth: skipped records are counted and warned about, an
answer with no usable record is a failure, an HTML login page does not pass for a working
key, and output that cannot be written is one line and exit 1, not a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.child import run_livetop, write_config
from support.rogue import RogueServer
from tui.cli import main


@pytest.fixture(scope="module")
def rogue() -> Iterator[RogueServer]:
    with RogueServer() as server:
        yield server


def studio(rogue: RogueServer, mode: str, name: str = "studio") -> dict[str, object]:
    url = rogue.url(mode, "livepeer")
    return {"name": name, "kind": "livepeer", "base_url": url, "api_key": "lp-0a1b2c3d4e5f"}


@pytest.fixture(autouse=True)
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVETOP_LOG_DIR", str(tmp_path / "logs"))


def test_every_record_malformed_is_a_failure(
    rogue: RogueServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "c.toml", [studio(rogue, "malformed")])
    code = main(["snapshot", "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == 2
    (provider,) = json.loads(out)["providers"]
    assert provider["ok"] is False and provider["sessions"] == 0 and provider["skipped"] == 3
    assert provider["error"] == "no valid record: 3 records malformed, all skipped"
    assert err == "livetop: studio: no valid record: 3 records malformed, all skipped\n"


def test_some_records_malformed_is_a_warning(
    rogue: RogueServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "c.toml", [studio(rogue, "malformed=some")])
    code = main(["snapshot", "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == 0
    (provider,) = json.loads(out)["providers"]
    assert provider["ok"] is True and provider["error"] is None
    assert (provider["sessions"], provider["skipped"]) == (1, 3)
    assert err == "livetop: studio: warning: 3 records malformed, skipped\n"
    assert main(["snapshot", "--config", str(config), "--format", "table"]) == 0
    out, _ = capsys.readouterr()
    assert "studio    livepeer  ok      1 sessions, 3 skipped" in out


def test_a_login_page_does_not_pass_for_a_working_key(
    rogue: RogueServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path / "c.toml", [studio(rogue, "html", "portal"), studio(rogue, "ok")]
    )
    assert main(["check", "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["portal"][2:4] == ["yes", "?"]  # reached, key not confirmed
    assert rows["studio"][2:4] == ["yes", "ok"]  # the control: a JSON answer
    assert "body is not JSON but text/html: not the API answering" in err


@pytest.mark.parametrize("command", ["snapshot", "check"])
def test_output_that_cannot_be_written_is_one_line(command: str, tmp_path: Path) -> None:
    run = run_livetop(
        [command, "--demo"],
        env={"LIVETOP_LOG_DIR": str(tmp_path)},
        stdout=Path("/dev/full"),
    )
    assert run.code == 1
    assert run.err == "livetop: error: cannot write the output: No space left on device\n"
