"""DESIGN.md convention 1: the data layer never imports Textual (snapshot runs without it)."""

from __future__ import annotations

import subprocess
import sys

DATA_LAYER = [
    "tui.models",
    "tui.config",
    "tui.providers",
    "tui.store",
    "tui.refresher",
    "tui.providers.scheduler",
    "tui.poller",
    "tui.engine",
    "tui.clock",
    "tui.sim",
    "tui.sim.server",
    "tui.snapshot",
    "tui.session_list",
    "tui.format",
    "tui.redact",
    "tui.logs",
    "tui.issue_classes",
    "tui.exporter",
    "tui.exporter.command",
    "tui.engine",
    "tui.recorder",
    "tui.recorder.writer",
    "tui.recorder.reader",
    "tui.recorder.follow",
    "tui.recorder.replay",
    "tui.recorder.commands",
    "tui.absence",
    "tui.config_watch",
    "tui.rundown_config",
    "tui.rundown_report",
    "tui.watch",
    "tui.recorder.sources",
    "tui.source",
]


def test_data_layer_does_not_import_textual() -> None:
    code = (
        "import sys, importlib\n"
        f"for name in {DATA_LAYER!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert out.strip() == "[]"


def test_the_console_never_imports_prometheus_client() -> None:
    """Only `livetop export` (and a recorder serving metrics) pays for prometheus_client."""
    code = (
        "import sys, tui.cli, tui.app, tui.engine\n"
        "tui.cli.build_parser()\n"
        "print('prometheus_client' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert out.strip() == "False"
