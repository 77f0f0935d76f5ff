"""`livetop replay` and `livetop --attach` on the command line: what they refuse, in one line
on stderr before any screen opens (the screens themselves: tests/app/test_replay.py and
test_attach.py), and where the seek prompt's times land."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.replay import START, Recorded, make_recording
from tui import cli
from tui.recorder.commands import seek_time
from tui.recorder.sources import replay_feed


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    yield make_recording(tmp_path_factory.mktemp("replay-cli") / "recording.db")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    assert out == ""
    return code, err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["replay", "{missing}"], "no such recording"),
        (["replay", "{bad}"], "not a livetop recording"),
        (["replay", "{good}", "--at", "whenever"], "cannot read the time 'whenever'"),
        (["replay", "{good}", "--at", "2020-01-01T00:00:00Z"], "before the recording starts"),
        (["--attach", "{missing}"], "no such recording"),
        (["--attach", "{bad}"], "not a livetop recording"),
        (["--attach", "{good}", "--demo"], "--attach cannot be used with --demo"),
        (["--attach", "{good}", "snapshot"], "--attach cannot be used with snapshot"),
        (["--demo", "replay"], "--demo cannot be used with replay"),
    ],
)
def test_refused_in_one_line(
    args: list[str],
    says: str,
    recorded: Recorded,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\x00garbage" * 64)
    paths = {"missing": tmp_path / "none.db", "bad": bad, "good": recorded.path}
    code, err = run([a.format(**paths) for a in args], capsys)
    assert code == 1
    assert says in err
    if not says.startswith("--"):  # usage errors come with argparse's usage line
        assert len(err.strip().splitlines()) == 1, err
    assert bad.read_bytes() == b"\x00garbage" * 64


def test_replay_starts_where_asked(recorded: Recorded) -> None:
    err = io.StringIO()
    feed = replay_feed(recorded.path, "2026-11-22T12:00:30Z", err=err)
    assert feed.timeline is not None and feed.timeline.position == START + 30
    assert feed.providers == ("studio", "uiza", "calls")
    assert feed.clock.time() == START + 30  # the screens' clock is the cursor
    end = replay_feed(recorded.path, None, err=err)
    assert end.timeline is not None and end.timeline.position == START + 60
    past = replay_feed(recorded.path, "2030-01-01T00:00:00Z", err=err)
    assert past.timeline is not None and past.timeline.position == START + 60
    assert "the recording ends at 2026-11-22T12:01:00" in err.getvalue()


def test_the_seek_prompts_times() -> None:
    cursor, end = START + 30, START + 3600
    assert seek_time("-15s", cursor, end) == cursor - 15
    assert seek_time("+1m30s", cursor, end) == cursor + 90
    assert seek_time("12:20", cursor, end) == START + 1200  # the last 12:20 up to the end
    assert seek_time("12:20:05", cursor, end) == START + 1205
    assert seek_time("2026-11-22T12:00:10Z", cursor, end) == START + 10
    assert seek_time("now", cursor, end) == end
    with pytest.raises(ValueError, match="cannot read the time"):
        seek_time("yesterday-ish", cursor, end)
