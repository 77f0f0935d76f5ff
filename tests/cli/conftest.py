"""CLI tests run `main()` in-process: keep them away from the real config and log directories."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Logs under tmp_path/logs; no LIVETOP_CONFIG; the platform config dir inside tmp_path."""
    monkeypatch.setenv("LIVETOP_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("LIVETOP_CONFIG", raising=False)
    return tmp_path / "logs"
