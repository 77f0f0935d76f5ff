"""What the console shows about recording (light: no SQLite, so a console that does not record
imports nothing more)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

State = Literal["recording", "stopped", "off"]


@dataclass(frozen=True, slots=True)
class RecordingStatus:
    """Whether recording goes on; `message` says why it stopped, or is a warning."""

    state: State
    path: Path | None = None
    message: str | None = None
    size: int = 0  # bytes of the file at the last commit

    @property
    def recording(self) -> bool:
        return self.state == "recording"
