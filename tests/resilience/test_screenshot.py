"""The command palette's "Screenshot": no revealed stream key in it, a private file in a folder
that exists, a plain-text toast.

Before: Textual's own wrote a 0644 SVG into ~/Downloads (failing when it was missing) with a
stream key revealed by `x` in it, and its toast showed raw markup (`[$text-success]`).
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from textual.pilot import Pilot

from support.harness import fast_settings, quit_app, screen_lines, wait_for
from tui.app import LivetopApp
from tui.sim import RunningSimulator
from tui.widgets.sessions_table import SessionsTable


def toasts(app: LivetopApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def reveal_a_key(app: LivetopApp, pilot: Pilot[None]) -> str:
    """Select a live Uiza session, reveal its stream key with `x`; the key."""
    table = app.screen.query_one(SessionsTable)
    await wait_for(pilot, lambda: all(s.last_success for s in app.store.statuses()))
    await pilot.press("slash", *"kind:uiza state:live", "enter")
    await wait_for(pilot, lambda: table.row_count > 0)
    assert table.cursor_key is not None
    session = app.store.get(table.cursor_key)
    assert session is not None and session.secret is not None
    key = session.secret.get_secret_value()
    await pilot.press("x")
    await pilot.pause()
    assert key in "\n".join(screen_lines(app))  # the positive control: it is on screen now
    return key


async def test_the_palette_screenshot_hides_the_key_and_is_private(
    sim: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = tmp_path / "no" / "Downloads"  # missing: made, private
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(downloads))
    monkeypatch.setattr("os.umask", lambda mask: 0)  # nothing keeps our mode from us either
    app = LivetopApp(fast_settings(sim, overrides={"uiza": {"entity_ids": sim.entity_ids}}))
    async with app.run_test(size=(150, 50), notifications=True) as pilot:
        key = await reveal_a_key(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Screenshot", "enter")
        await wait_for(pilot, lambda: downloads.is_dir() and any(downloads.glob("*.svg")))
        await wait_for(pilot, lambda: any("screenshot" in t for t in toasts(app)))
        (picture,) = downloads.glob("*.svg")
        svg = picture.read_text(encoding="utf-8")
        assert key not in svg
        assert "••••••••  x: reveal" in svg.replace("&#160;", " ")  # its row, masked again
        assert stat.S_IMODE(picture.stat().st_mode) == 0o600
        assert stat.S_IMODE(downloads.stat().st_mode) == 0o700
        (toast,) = [t for t in toasts(app) if "screenshot" in t]
        assert toast == f"Saved screenshot to {picture}"
        assert key not in "\n".join(screen_lines(app))  # and it stays hidden on screen
        await quit_app(pilot)


async def test_without_a_downloads_folder_the_working_directory_is_used(
    sim: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(blocker / "Downloads"))  # cannot be made
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = LivetopApp(fast_settings(sim, overrides={"uiza": {"entity_ids": sim.entity_ids}}))
    async with app.run_test(size=(150, 50), notifications=True) as pilot:
        key = await reveal_a_key(app, pilot)
        app.action_screenshot()  # the same path as the palette's, with Textual's own action
        await wait_for(pilot, lambda: any(work.glob("*.svg")))
        (picture,) = work.glob("*.svg")
        assert key not in picture.read_text(encoding="utf-8")
        assert stat.S_IMODE(picture.stat().st_mode) == 0o600
        await wait_for(pilot, lambda: any("screenshot" in t for t in toasts(app)))
        assert [t for t in toasts(app) if "screenshot" in t] == [f"Saved screenshot to {picture}"]
        await quit_app(pilot)
