"""The log file: provider errors and state changes, rotated, private, and never holding a key.

Everything under the `livetop` logger (`livetop.refresher`, `livetop.providers`, ...) is written
at INFO and above; other libraries only at WARNING (httpx logs every request URL at INFO). The
file lives in `platformdirs.user_log_path("livetop")`, or `$LIVETOP_LOG_DIR` (tests).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from tui.redact import Redactor

LOG_DIR_ENV: Final = "LIVETOP_LOG_DIR"
LOG_NAME: Final = "livetop.log"
MAX_BYTES: Final = 1_000_000
BACKUPS: Final = 3


def log_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the log file goes: `$LIVETOP_LOG_DIR`, else the platform's user log directory."""
    env = os.environ if environ is None else environ
    if env.get(LOG_DIR_ENV):
        return Path(env[LOG_DIR_ENV]).expanduser()
    import platformdirs

    return platformdirs.user_log_path("livetop")


class RedactingFilter(logging.Filter):
    """Hides every run of a known secret in a record (message, arguments, traceback) before
    output, with the redaction every provider client uses (`tui.redact`).

    The code never logs keys on purpose, and clients hide their key in the errors they raise;
    this is the last line of defence if one slips into an exception message.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also redact these values (e.g. stream keys learned at run time)."""
        self.redact.add(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redact:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def redact_also(secrets: Iterable[str]) -> None:
    """Add keys to every log file's redaction (a reloaded config brought new ones)."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                found.add(secrets)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files are created mode 0600 whatever the umask."""

    def _open(self):  # type: ignore[no-untyped-def]  # typeshed leaves it untyped
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


class LogSetup:
    """What `setup_logging` installed; `close()` removes it again (tests run `main` in-process)."""

    def __init__(self, path: Path, handler: logging.Handler, redactor: RedactingFilter) -> None:
        self.path = path
        self.handler = handler
        self.redactor = redactor
        self._levels = {
            name: logging.getLogger(name).level for name in ("livetop", "httpx", "httpcore")
        }

    def close(self) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)


def setup_logging(
    secrets: Iterable[str] = (), *, environ: Mapping[str, str] | None = None
) -> LogSetup:
    """Send `livetop.*` (INFO+) and everything else (WARNING+) to the rotating log file.

    Raises OSError when the directory cannot be created; the caller decides how loud to be.
    """
    directory = log_dir(environ)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / LOG_NAME
    handler = PrivateRotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    formatter = logging.Formatter(
        "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime  # UTC, like every time livetop prints
    handler.setFormatter(formatter)
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    setup = LogSetup(path, handler, redactor)
    # One handler on the root: livetop's records at INFO, other libraries' warnings (and asyncio's
    # "exception was never retrieved") land in the file instead of on the console's screen.
    logging.getLogger().addHandler(handler)
    logging.getLogger("livetop").setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    return setup
