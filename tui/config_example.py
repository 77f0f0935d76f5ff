"""The example config `livetop init` writes, and writing a config privately (it may hold keys)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

EXAMPLE_CONFIG: Final = """\
# livetop configuration. Full reference: `livetop --help` and the README.
# Keep keys out of this file: put each in an environment variable and name it in api_key_env.
# A literal `api_key = "..."` is accepted only while this file is private (chmod 600).

refresh_interval = 2.0   # seconds between polls, per provider (at least 0.5)
bell = true              # ring the terminal bell when a session turns unhealthy (console only)
record = true            # keep a recording (replay, attach, `livetop events`); --no-record
# alerts = "watched"     # toasts and the bell only for watched sessions (w in the console)

[[providers]]
name = "studio"                      # unique display name
kind = "livepeer"                    # livepeer | uiza | calls
# base_url = "https://livepeer.studio/api"   # optional; defaults to the real API
api_key_env = "LIVEPEER_API_KEY"     # the variable that holds the key
# stream_ids = ["..."]               # optional: watch only these streams' sessions
# interval = 5.0                     # optional: this provider's own refresh interval
# timeout = 10.0                     # optional: seconds to wait for an answer
# request_deadline = 30.0            # optional: seconds for a whole answer (then: failed, retried)
# max_response_mb = 64               # optional: largest answer once decompressed, in MB
# max_requests_per_minute = 300      # optional: this provider's request budget (calls: 50)

# [[providers]]
# name = "uiza"
# kind = "uiza"
# api_key_env = "UIZA_API_KEY"
# entity_ids = ["ddb781eb-38d1-42bf-921f-0d2d9130ce15"]   # required: live entities to watch

# [[providers]]
# name = "calls"
# kind = "calls"
# base_url = "https://live.platform.loop.health"
# api_key_env = "LIVE_CALLS_TOKEN"
# call_ids = ["..."]                                       # required: calls to watch
# max_requests_per_minute = 50       # the default: the backend allows ~60 a minute

# Tonight's rundown: livetop alerts when an item is late, ends early or overruns (R shows it).
# [[rundown]]
# provider = "studio"                # a provider above
# id = "..."                         # its stream, entity or call id (one it polls)
# label = "Main show"
# start = "21:00"                    # local time, or ISO 8601 with a zone (a call: optional)
# end = "22:30"                      # optional
# grace = "2m"                       # optional: how late is late
"""


def write_example_config(path: Path, *, force: bool = False) -> None:
    """Write `EXAMPLE_CONFIG` to `path`, mode 0600 whatever the umask (see `write_private`)."""
    write_private(path, EXAMPLE_CONFIG, force=force)


def write_private(path: Path, text: str, *, force: bool = False) -> None:
    """Write a config to `path`, mode 0600 whatever the umask (it may hold keys).

    Raises FileExistsError when the file exists and `force` is false (checked atomically).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # With --force, write a fresh private file beside it and swap it in, so the old file's
    # (possibly wider) mode never carries over and a crash leaves either file, never half of one.
    target = path.with_name(f".{path.name}.{os.getpid()}.tmp") if force else path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        if force:
            os.replace(target, path)
    except BaseException:
        if force:
            target.unlink(missing_ok=True)
        raise
