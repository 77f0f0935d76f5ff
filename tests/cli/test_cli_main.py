"""The command line without a simulator: help, version, usage and config errors, `init`."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tui import __version__
from tui.cli import main
from tui.config_example import EXAMPLE_CONFIG

KEY = "lp-secret-key-0123456789"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unreachable_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[providers]]\nname = "studio"\nkind = "livepeer"\n'
        f'base_url = "http://127.0.0.1:{closed_port()}/api"\napi_key_env = "LP_KEY"\n',
        encoding="utf-8",
    )
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"livetop {__version__}\n"


@pytest.mark.parametrize("command", [[], ["snapshot"], ["check"], ["init"], ["simulate"]])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(" ".join(["usage: livetop", *command]))
    assert ("--fault" if command == ["simulate"] else "--config PATH") in out


def test_snapshot_help_documents_formats_secrets_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["snapshot", "--help"])
    out = capsys.readouterr().out
    for text in ("--format {json,table}", "--provider NAME", "--show-secrets", "--demo", "2  at"):
        assert text in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["snapshot", "--format", "xml"], "invalid choice: 'xml'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["snapshot", "--demo", "--config", "x"], "not allowed with argument"),
        (["--demo", "snapshot", "--config", "x"], "--demo cannot be used with --config"),
        (["--demo", "init"], "--demo cannot be used with init"),
        (["simulate", "--fault", "zoom:hang"], "unknown provider 'zoom'"),
        (["simulate", "--churn", "2"], "churn must be between 0 and 1"),
        (["init", "--demo"], "unrecognized arguments: --demo"),
    ],
)
def test_usage_errors_exit_1(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("command", [[], ["snapshot"], ["check"]])
def test_config_problems_exit_1_one_line_each_no_traceback(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'refresh_interval = 0\n[[providers]]\nname = "studio"\nkind = "uiza"\n'
        'api_key_env = "NOT_SET_ANYWHERE"\n',
        encoding="utf-8",
    )
    assert main([*command, "--config", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{path}: refresh_interval: must be at least 0.5 seconds",
        f'{path}: provider "studio": api_key_env: environment variable NOT_SET_ANYWHERE is not set',
        f'{path}: provider "studio": entity_ids: required for kind = "uiza": the live entity ids'
        " to watch",
    ]


def test_config_comes_from_livetop_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIVETOP_CONFIG", str(tmp_path / "from-env.toml"))
    assert main(["check"]) == 1
    assert f"{tmp_path / 'from-env.toml'}: no such config file" in capsys.readouterr().err


def test_unknown_provider_name_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LP_KEY", KEY)
    path = unreachable_config(tmp_path)
    assert main(["snapshot", "--config", str(path), "--provider", "nope"]) == 1
    assert 'provider "nope": --provider: unknown provider (configured: studio)' in (
        capsys.readouterr().err
    )


def test_unreachable_provider_exits_2_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LP_KEY", KEY)
    path = unreachable_config(tmp_path)
    assert main(["snapshot", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    (studio,) = doc["providers"]
    assert studio["ok"] is False and studio["latency_ms"] is None and studio["sessions"] == 0
    assert studio["error"].startswith("GET /session")
    assert captured.err.startswith("livetop: studio: GET /session")
    assert main(["check", "--config", str(path)]) == 2
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[:5] == ["studio", "livepeer", "no", "—", "—"]


def test_init_writes_a_private_example_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "conf" / "livetop.toml"
    assert main(["init", "--config", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == EXAMPLE_CONFIG
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"wrote {path}" in capsys.readouterr().out
    path.write_text("# edited\n", encoding="utf-8")
    assert main(["init", "--config", str(path)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "# edited\n"
    assert main(["init", "--config", str(path), "--force"]) == 0
    assert path.read_text(encoding="utf-8") == EXAMPLE_CONFIG


def test_init_defaults_to_the_platform_config_path(tmp_path: Path) -> None:
    assert main(["init"]) == 0  # XDG_CONFIG_HOME points into tmp_path (conftest)
    if sys.platform.startswith("linux"):
        assert (tmp_path / "xdg" / "livetop" / "config.toml").is_file()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIVETOP_LOG_DIR": "/nonexistent/never-used"}
    return subprocess.run(args, capture_output=True, text=True, timeout=30, env=env, check=False)


def test_entry_points_run_as_real_processes() -> None:
    livetop = Path(sys.executable).with_name("livetop")
    version = _run(str(livetop) if livetop.exists() else "livetop", "--version")
    assert (version.returncode, version.stdout) == (0, f"livetop {__version__}\n")
    helped = _run(sys.executable, "-m", "tui", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: livetop")
    bad = _run(sys.executable, "-m", "tui", "snapshot", "--format", "xml")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def _imported_after(statement: str) -> set[str]:
    heavy = ("pydantic", "httpx", "textual", "uvicorn", "starlette", "pydantic_settings")
    code = f"import sys; {statement}; print(*[m for m in {heavy!r} if m in sys.modules], 'END')"
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.splitlines()[-1].split()) - {"END"}


def test_help_and_version_import_nothing_heavy() -> None:
    assert (
        _imported_after("from tui.cli import main; main(['--help']); main(['check', '-h'])")
        == set()
    )


def test_snapshot_path_never_imports_textual_or_the_simulator() -> None:
    assert _imported_after("import tui.snapshot, tui.config, tui.logs") == {"pydantic", "httpx"}
