"""What the console remembers between runs: the operator's choices (theme, sort order, the
watched sessions), in a small JSON file in the user state directory, private to the user. No
Textual.

The file is advice, not configuration: a missing, unreadable or foreign file gives the
defaults (logged), and a write that fails costs only the memory of the choice.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from tui.watch import MAX_ID, MAX_WATCHED

STATE_DIR_ENV: Final = "LIVETOP_STATE_DIR"
FILE_NAME: Final = "ui.json"
MAX_BYTES: Final = 64 * 1024

log = logging.getLogger("livetop.ui_state")


@dataclass(slots=True)
class UiState:
    """The remembered choices; None: not chosen yet (the default applies)."""

    theme: str | None = None
    sort: str | None = None
    sort_reverse: bool = False
    watched: list[tuple[str, str]] = field(default_factory=list)  # (provider, id): `w`

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UiState:
        """Known keys of the right type; anything else is ignored."""
        state = cls()
        if isinstance(data.get("theme"), str):
            state.theme = data["theme"][:64]
        if isinstance(data.get("sort"), str):
            state.sort = data["sort"][:32]
        if isinstance(data.get("sort_reverse"), bool):
            state.sort_reverse = data["sort_reverse"]
        watched = data.get("watched")
        if isinstance(watched, list):
            state.watched = [
                (pair[0], pair[1])
                for pair in watched[:MAX_WATCHED]
                if isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(x, str) and 0 < len(x) <= MAX_ID for x in pair)
            ]
        return state


def state_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$LIVETOP_STATE_DIR/ui.json`, else in the platform's user state directory."""
    env = os.environ if environ is None else environ
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV]).expanduser() / FILE_NAME
    import platformdirs

    return platformdirs.user_state_path("livetop") / FILE_NAME


def load(path: Path) -> UiState:
    """The state in `path`, or the defaults when there is none or it cannot be used."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return UiState()
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("ignoring the UI state file %s: %s", path, type(exc).__name__)
        return UiState()
    return UiState.from_dict(data) if isinstance(data, dict) else UiState()


def save(path: Path, state: UiState) -> bool:
    """Write `state` to `path` (mode 0600, replaced whole); False when it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(state), out)
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("cannot save the UI state to %s: %s", path, exc.strerror or exc)
        return False
    return True
