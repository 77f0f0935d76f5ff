"""`[[rundown]]` in the config: times, spans, and every problem on its own line with the
file, the item and the field, together with the rest of the config's."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tui.config import ConfigError, Settings, load_settings, settings_from_dict
from tui.rundown_config import parse_moment, parse_span

PROVIDERS: list[dict[str, Any]] = [
    {"name": "studio", "kind": "livepeer", "api_key": "k1"},
    {"name": "calls", "kind": "calls", "api_key": "k2", "call_ids": ["c1", "c2"]},
    {"name": "uiza", "kind": "uiza", "api_key": "k3", "entity_ids": ["e1"]},
]


def load(*items: dict[str, Any], **top: Any) -> Settings:
    data = {"providers": PROVIDERS, "rundown": list(items), **top}
    return settings_from_dict(data, source="cfg.toml", environ={})


def problems(*items: dict[str, Any], **top: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(*items, **top)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("21:30", time(21, 30)),
        (" 7:05:09 ", time(7, 5, 9)),
        ("2026-11-22T21:30:00Z", datetime(2026, 11, 22, 21, 30, tzinfo=UTC)),
        ("2026-11-22T21:30:00+01:00", datetime(2026, 11, 22, 20, 30, tzinfo=UTC)),
        (time(23, 0), time(23, 0)),  # TOML's own local time
        (
            datetime(2026, 11, 22, 21, 0, tzinfo=timezone(timedelta(hours=-5))),
            datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        ),
    ],
)
def test_times_a_config_may_give(text: Any, parsed: Any) -> None:
    assert parse_moment(text) == parsed


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("25:00", "not a time of day"),
        ("21:60", "not a time of day"),
        ("2026-11-22T21:30:00", "needs a zone"),
        (datetime(2026, 11, 22, 21, 0), "needs a zone"),
        ("tonight", "local time like"),
        (1700000000, "local time like"),
        ("\x1b[31m21:30", "local time like"),
    ],
)
def test_times_it_refuses(text: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_moment(text)


def test_spans() -> None:
    assert parse_span(90, "grace") == 90.0
    assert parse_span("2m", "grace") == 120.0
    assert parse_span("1h30m", "grace") == 5400.0
    assert parse_span("45s", "grace") == 45.0
    for bad in ("", "2x", "-1m", True, [1], float("nan"), 90_000):
        with pytest.raises(ValueError):
            parse_span(bad, "grace")


def test_a_good_rundown() -> None:
    settings = load(
        {"provider": "studio", "id": "s1", "label": "Main", "start": "21:00", "end": "22:00"},
        {"provider": "calls", "id": "c1", "grace": "5m"},
        {"provider": "uiza", "id": "e1", "start": "2026-11-22T21:00:00Z"},
        alerts="watched",
    )
    main, guest, entity = settings.rundown
    assert (main.title, main.start, main.grace) == ("Main", time(21, 0), 120.0)
    assert (guest.title, guest.start, guest.grace) == ("c1", None, 300.0)
    assert entity.start == datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    assert settings.alerts == "watched"
    # `--provider` keeps the items of the providers it keeps
    assert [r.id for r in settings.only(["calls"]).rundown] == ["c1"]


def test_every_problem_names_the_file_the_item_and_the_field() -> None:
    lines = problems(
        {"provider": "nope", "id": "x", "start": "21:00"},
        {"provider": "calls", "id": "c9", "label": "Guest"},
        {"provider": "studio", "id": "s1"},
        {
            "provider": "studio",
            "id": "s1",
            "start": "2026-11-22T21:00:00",
            "grace": "soon",
            "colour": "red",
        },
        alerts="some",
    )
    assert lines == [
        'cfg.toml: alerts: must be "all" or "watched"',
        'cfg.toml: rundown #1 ("x"): provider: no provider is named so (configured: studio, '
        "calls, uiza)",
        'cfg.toml: rundown #2 ("Guest"): id: is not in provider "calls"\'s call_ids: add it there',
        'cfg.toml: rundown #3 ("s1"): start: required for a stream (only a call brings its own '
        "scheduled_at)",
        'cfg.toml: rundown #4 ("s1"): start: needs a zone ("Z" or "+01:00"): a date and time '
        'without one could be any; or write a local time of day like "21:30"',
        'cfg.toml: rundown #4 ("s1"): grace: \'soon\' is not a duration like "2m", "90s" or '
        '"1h30m"',
        'cfg.toml: rundown #4 ("s1"): colour: unknown key',
    ]


def test_a_table_not_an_array_and_a_hostile_label() -> None:
    assert problems(alerts="all", rundown={"provider": "calls"})[-1] == (
        "cfg.toml: rundown: must be an array of tables: write [[rundown]], not [rundown]"
    )
    (line,) = problems({"provider": "calls", "id": "c9", "label": "\x1b[2J[b]x"})
    assert "\x1b" not in line and "\\x1b[2J[b]x" in line


def test_a_rundown_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[providers]]\nname = "calls"\nkind = "calls"\napi_key_env = "K"\ncall_ids = ["c1"]\n'
        '\n[[rundown]]\nprovider = "calls"\nid = "c1"\nstart = 21:30:00\n'
        "end = 2026-11-22T23:00:00+01:00\n"
    )
    settings = load_settings(path, environ={"K": "key"})
    (item,) = settings.rundown
    assert item.start == time(21, 30)
    assert item.end == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)
