"""The wheel carries `styles/` (it lives beside the package in the source tree) and the
exporter's rules and dashboard (inside it)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_non_editable_install_finds_its_styles(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        timeout=120,
    )
    (wheel,) = wheels.glob("livetop-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tui/styles/livetop.tcss" in names
    assert {"tui/exporter/rules.yml", "tui/exporter/dashboard.json"} <= set(names)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=120,
    )
    # Run from elsewhere with only the installed copy of `tui` ahead on the path.
    found = subprocess.run(
        [sys.executable, "-c", "from tui.app import styles_path; print(styles_path())"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        timeout=60,
    ).stdout.strip()
    assert Path(found).is_relative_to(target)
    assert Path(found).read_text() == (ROOT / "styles" / "livetop.tcss").read_text()
    # `livetop export --rules` / `--dashboard` read their files from the installed package.
    printed = subprocess.run(
        [sys.executable, "-m", "tui", "export", "--rules"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        timeout=60,
    ).stdout
    assert printed == (ROOT / "tui" / "exporter" / "rules.yml").read_text()
    code = "import tui.exporter.command as c; print(c.__file__); print(c.shipped_text('dashboard'))"
    where, _, dashboard = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        timeout=60,
    ).stdout.partition("\n")
    assert Path(where).is_relative_to(target)
    assert dashboard.rstrip("\n") == (
        ROOT / "tui" / "exporter" / "dashboard.json"
    ).read_text().rstrip("\n")
