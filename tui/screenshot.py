"""The command palette's "Screenshot" (Textual's `App.deliver_screenshot`), made safe.

Textual's own writes an SVG of the screen, mode 0644, into the downloads folder (failing when
there is none), with whatever the screen shows, and says so in a markup toast. Here: a stream
key revealed with `x` is hidden first (the picture is taken after the next refresh), the file
is private (0600) in the downloads folder, created if missing, else in the working directory,
and the toast is plain text.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.app import App

from tui.widgets.detail_pane import DetailPane


def take(app: App[Any], filename: str | None, directory: str | None) -> None:
    """Hide every revealed key, then, once the screen shows that, save the picture."""
    for screen in app.screen_stack:
        for pane in screen.query(DetailPane):
            if pane.revealed:
                pane.conceal()
    app.call_after_refresh(_save, app, filename, directory)


async def _save(app: App[Any], filename: str | None, directory: str | None) -> None:
    name = filename or f"livetop_{datetime.now(UTC):%Y-%m-%dT%H_%M_%S_%f}.svg"
    svg = app.export_screenshot()
    try:
        path = await asyncio.to_thread(_write_private, _folder(directory), name, svg)
    except OSError as exc:
        app.notify(f"Screenshot not saved: {exc.strerror or exc}", severity="error")
        return
    app.notify(f"Saved screenshot to {path}", title="Screenshot")


def _folder(requested: str | None) -> Path:
    """`requested`, else the user's downloads folder, created (0700) if missing; the working
    directory when it cannot be."""
    if requested:
        wanted = Path(requested).expanduser()
    else:
        import platformdirs

        wanted = platformdirs.user_downloads_path()
    try:
        wanted.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return Path.cwd()
    return wanted if wanted.is_dir() else Path.cwd()


def _write_private(folder: Path, name: str, text: str) -> Path:
    """Write a new file readable by its owner only, whatever the umask."""
    path = folder / Path(name).name  # a name, never a path elsewhere
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    if os.name == "posix":
        os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return path
