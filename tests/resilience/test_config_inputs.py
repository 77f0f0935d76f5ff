"""`--config` pointing at something that is not a config file: one line, at once.

Before: `--config /dev/zero` grew to 3.1 GB and a FIFO blocked forever. Only a regular file
of at most 1 MiB is read. Each case runs `livetop snapshot` as a child process, so a block
is a timeout, not a hung test run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.child import run_livetop


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge.toml"
    with open(path, "wb") as out:
        out.truncate(4 << 30)  # 4 GiB, sparse: nothing is written, but a reader would read it
    return path


def directory(tmp_path: Path) -> Path:
    return tmp_path


def dev_zero(tmp_path: Path) -> Path:
    return Path("/dev/zero")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (dev_zero, "is not a regular file (a character device); not a config file"),
        (fifo, "is not a regular file (a FIFO); not a config file"),
        (directory, "is a directory, not a config file"),
        (huge, "is larger than 1 MiB; not a config file"),
    ],
)
def test_only_a_small_regular_file_is_read(tmp_path: Path, make: object, says: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    run = run_livetop(
        ["snapshot", "--config", str(path)], env={"LIVETOP_LOG_DIR": str(tmp_path)}, timeout=20
    )
    assert run.code == 1
    assert run.err == f"{path}: {says}\n"
    assert run.out == ""
    assert run.seconds < 10 and run.peak_mb < 100


def test_a_config_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    text = 'refresh_interval = 2.0\n[[providers]]\nname = "s"\nkind = "livepeer"\n'
    text += 'api_key_env = "LIVEPEER_API_KEY"\n'
    path.write_text(text + "#" * ((1 << 20) - len(text) - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == 1 << 20
    run = run_livetop(
        ["check", "--config", str(path)],
        env={"LIVETOP_LOG_DIR": str(tmp_path), "LIVEPEER_API_KEY": ""},
        timeout=20,
    )
    assert run.code == 1
    assert "environment variable LIVEPEER_API_KEY is empty" in run.err  # parsed: got that far
