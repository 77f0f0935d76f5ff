"""The log file: where it goes, what reaches it, that it is private, rotated and key-free."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.logs import (
    LOG_NAME,
    LogSetup,
    PrivateRotatingFileHandler,
    RedactingFilter,
    log_dir,
    setup_logging,
)

# Any run of 6 of its characters is hidden (tui.redact): no English word in it.
KEY = "lp-9d1f0c7a-4b2e-0123456789"


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[LogSetup]:
    setup = setup_logging([KEY, "abc"], environ={"LIVETOP_LOG_DIR": str(tmp_path / "logs")})
    yield setup
    setup.close()


def read(setup: LogSetup) -> str:
    setup.handler.flush()
    return setup.path.read_text(encoding="utf-8")


def test_log_dir_override_and_default(tmp_path: Path) -> None:
    assert log_dir({"LIVETOP_LOG_DIR": str(tmp_path)}) == tmp_path
    assert "livetop" in log_dir({}).parts


def test_livetop_records_go_to_a_private_file(logs: LogSetup, tmp_path: Path) -> None:
    assert logs.path == tmp_path / "logs" / LOG_NAME
    logging.getLogger("livetop.refresher").info("studio: recovered after %d failures", 3)
    logging.getLogger("livetop.providers").debug("not at debug")
    logging.getLogger("httpx").info('HTTP Request: GET http://x "HTTP/1.1 200 OK"')
    logging.getLogger("somelib").warning("a library warning")
    text = read(logs)
    assert "INFO livetop.refresher: studio: recovered after 3 failures" in text
    assert "not at debug" not in text
    assert "HTTP Request" not in text  # httpx at WARNING
    assert "a library warning" in text
    assert text.split(" ", 1)[0].endswith("Z")  # UTC timestamps
    if os.name == "posix":
        assert stat.S_IMODE(logs.path.stat().st_mode) == 0o600


def test_keys_are_redacted_from_messages_arguments_and_tracebacks(logs: LogSetup) -> None:
    log = logging.getLogger("livetop.providers")
    log.warning("key in message %s", KEY)
    log.warning(f"key in text {KEY}")
    try:
        raise ValueError(f"server echoed Authorization: Bearer {KEY}")
    except ValueError:
        log.exception("fetch failed")
    log.info("short secrets are ignored: abc")
    text = read(logs)
    assert KEY not in text
    assert text.count("**********") >= 3
    assert "short secrets are ignored: abc" in text
    assert "ValueError: server echoed Authorization: Bearer **********" in text


def test_close_removes_the_handler(tmp_path: Path) -> None:
    setup = setup_logging([], environ={"LIVETOP_LOG_DIR": str(tmp_path)})
    assert setup.handler in logging.getLogger().handlers
    setup.close()
    assert setup.handler not in logging.getLogger().handlers
    logging.getLogger("livetop.x").warning("after close")
    assert "after close" not in (tmp_path / LOG_NAME).read_text(encoding="utf-8")


def test_rotation_keeps_every_file_private(tmp_path: Path) -> None:
    handler = PrivateRotatingFileHandler(tmp_path / "t.log", maxBytes=200, backupCount=2)
    handler.addFilter(RedactingFilter([KEY]))
    logger = logging.getLogger("livetop.test_rotation")
    logger.addHandler(handler)
    try:
        for i in range(40):
            logger.warning("line %d with %s", i, KEY)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["t.log", "t.log.1", "t.log.2"]
    for name in files:
        path = tmp_path / name
        assert KEY not in path.read_text(encoding="utf-8")
        if os.name == "posix":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
