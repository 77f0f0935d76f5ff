"""Noticing that the config file changed, and loading it again, off the event loop. No Textual.

The console checks once a second (on its tick) whether the file's modification time, size or
inode moved; an editor saving in place or by renaming both show. Nothing is polled for a
config that is not a file (`--demo`). Loading is the same `load_settings` as at start, so a
broken edit is one `ConfigError` listing every problem, and the running config stays.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tui.absence import Rundown
from tui.config import Settings, load_settings
from tui.engine import reconfigure
from tui.logs import redact_also
from tui.refresher import Refresher
from tui.store import SessionStore

Stamp = tuple[int, int, int] | None


def config_file(settings: Settings) -> Path | None:
    """The file `settings` came from, or None when they came from elsewhere (the demo)."""
    source = settings.source
    if not source or source.startswith("<"):
        return None
    return Path(source)


class ConfigWatcher:
    """The config file's last seen stamp; `changed()` and `load()` run in a thread (a stat
    on a hung network filesystem must not freeze the screen)."""

    def __init__(self, path: Path | None) -> None:
        """Made as the console starts, right after it loaded `path`: the stamp taken now is
        the loaded file's (before the screen runs, so this one stat may block)."""
        self.path = path
        self._seen: Stamp = self._stamp()

    def _stamp(self) -> Stamp:
        if self.path is None:
            return None
        try:
            info = os.stat(self.path)
        except OSError:
            return None  # gone or unreadable: loading it will say so
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    async def changed(self) -> bool:
        """Whether the file changed since the last look."""
        if self.path is None:
            return False
        stamp = await asyncio.to_thread(self._stamp)
        if stamp == self._seen:
            return False
        self._seen = stamp
        return True

    async def load(self) -> Settings:
        """The file's settings now; `ConfigError` when it cannot be used."""
        if self.path is None:
            raise FileNotFoundError("no config file: this console runs the demo")
        path = self.path
        return await asyncio.to_thread(load_settings, path)


async def apply_settings(
    old: Settings,
    new: Settings,
    refresher: Refresher,
    store: SessionStore,
    rundown: Rundown,
    *,
    now: Callable[[], datetime],
) -> str:
    """Run on `new` from now on (see `tui.engine.reconfigure`): providers, the rundown (read
    against this moment), new keys kept out of the log. What changed, in words."""
    changes = await reconfigure(refresher, store, old, new, now=now)
    redact_also(new.secret_values())
    rundown.replan(new.rundown, loaded_at=refresher.clock.time())
    words = [
        f"{verb} {', '.join(names)}"
        for verb, names in (
            ("added", changes.added),
            ("changed", changes.changed),
            ("removed", changes.removed),
        )
        if names
    ]
    words.append(f"rundown: {len(rundown)} item{'' if len(rundown) == 1 else 's'}")
    return "config reloaded: " + "; ".join(words)
