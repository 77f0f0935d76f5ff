"""Config files on disk: where they are found, permissions, TOML errors, and `init`'s file."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from tui.config import (
    ConfigError,
    config_path,
    load_settings,
)
from tui.config_example import EXAMPLE_CONFIG, write_example_config

LITERAL = """
[[providers]]
name = "studio"
kind = "livepeer"
api_key = "lit-key-0123456789"
"""


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def lines(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ=env or {})
    return [str(p) for p in info.value.problems]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644])
def test_literal_key_in_a_group_or_world_accessible_file_is_refused(
    tmp_path: Path, mode: int
) -> None:
    path = write(tmp_path / "config.toml", LITERAL, mode)
    assert lines(path) == [
        f'{path}: provider "studio": api_key: the file holds a literal key but group/others can'
        f" read it (mode {mode:04o}); run: chmod 600 {path} (or use api_key_env)"
    ]


def test_literal_key_in_a_private_file_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", LITERAL, 0o600)
    settings = load_settings(path, environ={})
    assert settings.providers[0].api_key.get_secret_value() == "lit-key-0123456789"
    assert settings.source == str(path)


def test_env_keys_are_fine_in_a_readable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", EXAMPLE_CONFIG, 0o644)
    settings = load_settings(path, environ={"LIVEPEER_API_KEY": "lp-key-0123456789"})
    assert settings.providers[0].api_key.get_secret_value() == "lp-key-0123456789"


def test_missing_variable_names_provider_and_variable(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", EXAMPLE_CONFIG)
    assert lines(path) == [
        f'{path}: provider "studio": api_key_env: environment variable LIVEPEER_API_KEY is not set'
    ]


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'refresh_interval = 2\n\n[[providers]]\nname "x"\n')
    assert lines(path) == [
        f"{path}:4: invalid TOML: Expected '=' after a key in a key/value pair (column 6)"
    ]


def test_unreadable_inputs_are_one_line_each(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert lines(missing) == [
        f"{missing}: no such config file; run `livetop init` to write an example,"
        " or try `livetop --demo`"
    ]
    assert lines(tmp_path) == [f"{tmp_path}: is a directory, not a config file"]
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"name = '\xff'\n")
    assert lines(binary) == [f"{binary}: not UTF-8 text (byte 8)"]


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    env = {"LIVETOP_CONFIG": str(tmp_path / "env.toml")}
    assert config_path("cli.toml", env) == Path("cli.toml")
    assert config_path(None, env) == tmp_path / "env.toml"
    if os.name == "posix":
        assert config_path(None, {}) == tmp_path / "xdg" / "livetop" / "config.toml"


def test_load_settings_uses_livetop_config(tmp_path: Path) -> None:
    path = write(tmp_path / "env.toml", LITERAL)
    settings = load_settings(environ={"LIVETOP_CONFIG": str(path)})
    assert settings.source == str(path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_example_is_written_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "config.toml"
    old = os.umask(0)
    try:
        write_example_config(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == EXAMPLE_CONFIG
    tomllib.loads(path.read_text(encoding="utf-8"))  # valid TOML as written


def test_example_never_overwrites_without_force(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "# mine\n", 0o644)
    with pytest.raises(FileExistsError):
        write_example_config(path)
    assert path.read_text(encoding="utf-8") == "# mine\n"
    write_example_config(path, force=True)
    assert path.read_text(encoding="utf-8") == EXAMPLE_CONFIG
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]  # no temp file left
