"""Human units and inert text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui import format as fmt


def test_bitrate_units() -> None:
    assert fmt.bitrate(None) == "—"
    assert fmt.bitrate(999) == "999 b/s"
    assert fmt.bitrate(5_600_000) == "5.6 Mb/s"
    assert fmt.bitrate(320_000) == "320.0 kb/s"
    assert fmt.bitrate(2.5e9) == "2.5 Gb/s"
    assert fmt.bitrate(float("nan")) == "—"


def test_durations_are_coarse() -> None:
    assert fmt.duration(42.9) == "42s"
    assert fmt.duration(61) == "1m"
    assert fmt.duration(3720) == "1h02m"
    assert fmt.duration(90000) == "1d01h"
    assert fmt.duration(-5) == "0s"


def test_age() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert fmt.age(now - timedelta(seconds=2), now) == "now"
    assert fmt.age(now - timedelta(minutes=3), now) == "3m"
    assert fmt.age(None, now) == "—"


def test_safe_text_neutralizes_escapes_and_controls() -> None:
    hostile = "\x1b[31mred\x1b]52;c;aGk=\x07 \u202eevil\x00"
    out = fmt.safe_text(hostile)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\x00" not in out
    assert out == "\\x1b[31mred\\x1b]52;c;aGk=\\x07 \\u202eevil\\x00"
    assert fmt.safe_text("[bold]x[/]") == "[bold]x[/]"


def test_safe_text_bounds_length() -> None:
    out = fmt.safe_text("x" * 10_000, 50)
    assert len(out) == 50 and out.endswith("…")
