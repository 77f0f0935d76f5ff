"""Config validation: what parses, and the exact line an operator reads for each mistake."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from pydantic import SecretStr

from tui.config import (
    ConfigError,
    ProviderConfig,
    Settings,
    settings_from_dict,
)
from tui.config_example import EXAMPLE_CONFIG
from tui.models import ProviderKind

SRC = "/etc/livetop.toml"
ENV = {"LIVEPEER_API_KEY": "lp-key-0123456789", "UIZA_API_KEY": "uap-key-0123456789"}

# The issue's own example, verbatim apart from the "..." placeholders.
ISSUE_EXAMPLE = """
refresh_interval = 2.0            # seconds between polls, per provider (floor 0.5)

[[providers]]
name = "studio"                   # unique display name
kind = "livepeer"                 # livepeer | uiza | calls
base_url = "https://livepeer.studio/api"   # optional; the API's real URL is the default
api_key_env = "LIVEPEER_API_KEY"  # the variable that holds the key (preferred) ...
# api_key = "..."                 # ... or the key itself, only in a file private to its owner
# stream_ids = ["..."]            # livepeer: optional, watch only these streams' sessions
# interval = 5.0                  # optional per-provider refresh interval

[[providers]]
name = "uiza"
kind = "uiza"
api_key_env = "UIZA_API_KEY"
entity_ids = ["ddb781eb-38d1-42bf-921f-0d2d9130ce15"]

[[providers]]
name = "calls"
kind = "calls"
base_url = "https://live.platform.loop.health"
api_key_env = "LIVE_CALLS_TOKEN"
call_ids = ["call-1"]
"""


def parse(text: str, env: dict[str, str] | None = None, *, mode: int | None = None) -> Settings:
    return settings_from_dict(
        tomllib.loads(text), source=SRC, environ=ENV if env is None else env, file_mode=mode
    )


def problems(text: str, env: dict[str, str] | None = None, *, mode: int | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, env, mode=mode)
    return [str(p) for p in info.value.problems]


def provider(**fields: Any) -> str:
    """A one-provider config; fields given as TOML values (already quoted where needed)."""
    base = {"name": '"studio"', "kind": '"livepeer"', "api_key_env": '"LIVEPEER_API_KEY"'}
    base.update(fields)
    body = "\n".join(f"{k} = {v}" for k, v in base.items() if v is not None)
    return f"[[providers]]\n{body}\n"


def test_issue_example_parses_with_keys_from_the_environment() -> None:
    env = {**ENV, "LIVE_CALLS_TOKEN": "calls-token-0123456789"}
    settings = parse(ISSUE_EXAMPLE, env)
    assert settings.source == SRC
    assert settings.refresh_interval == 2.0
    assert settings.bell is True
    studio, uiza, calls = settings.providers
    assert (studio.name, studio.kind, studio.base_url) == (
        "studio",
        ProviderKind.LIVEPEER,
        "https://livepeer.studio/api",
    )
    assert studio.api_key.get_secret_value() == "lp-key-0123456789"
    assert studio.api_key_env == "LIVEPEER_API_KEY"
    assert studio.ids == ()
    assert uiza.base_url is None  # the client's real URL is the default
    assert uiza.ids == ("ddb781eb-38d1-42bf-921f-0d2d9130ce15",)
    assert calls.ids == ("call-1",)
    assert calls.api_key.get_secret_value() == "calls-token-0123456789"
    assert [settings.interval_for(p) for p in settings.providers] == [2.0, 2.0, 2.0]


def test_init_example_parses_as_written_and_uncommented() -> None:
    assert [p.name for p in parse(EXAMPLE_CONFIG).providers] == ["studio"]
    uncommented = "\n".join(
        line.removeprefix("# ")
        if line.startswith(
            (
                "# [[",
                "# name",
                "# kind",
                "# api_key_env",
                "# entity_ids",
                "# call_ids",
                "# base_url",
                "# provider",
                "# id",
                "# label",
                "# start",
                "# end",
                "# grace",
                "# alerts",
            )
        )
        else line
        for line in EXAMPLE_CONFIG.splitlines()
    )
    settings = parse(uncommented, {**ENV, "LIVE_CALLS_TOKEN": "calls-token-0123"})
    assert [p.name for p in settings.providers] == ["studio", "uiza", "calls"]
    assert settings.providers[0].base_url == "https://livepeer.studio/api"
    (item,) = settings.rundown
    assert (item.provider, item.title, item.grace) == ("studio", "Main show", 120.0)
    assert settings.alerts == "watched"


def test_literal_key_intervals_and_optional_fields() -> None:
    text = "refresh_interval = 1\nbell = false\n" + provider(
        api_key_env=None,
        api_key='"lit-key-0123456789"',
        interval="0.5",
        stream_ids='["a", "a", "b"]',
    )
    settings = parse(text)
    (studio,) = settings.providers
    assert studio.api_key == SecretStr("lit-key-0123456789")
    assert studio.api_key_env is None
    assert studio.ids == ("a", "b")  # repeats dropped, order kept
    assert settings.interval_for(studio) == 0.5
    assert settings.refresh_interval == 1.0 and settings.bell is False


def test_env_key_is_stripped_and_never_shown() -> None:
    settings = parse(provider(), {"LIVEPEER_API_KEY": "  lp-key-0123456789\n"})
    (studio,) = settings.providers
    assert studio.api_key.get_secret_value() == "lp-key-0123456789"
    assert "lp-key" not in repr(settings) + str(settings) + settings.model_dump_json()
    assert settings.secret_values() == ("lp-key-0123456789",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            provider(api_key='"k-0123456789"'),
            f'{SRC}: provider "studio": api_key: set api_key_env or api_key, not both',
        ),
        (
            provider(api_key_env=None),
            f'{SRC}: provider "studio": api_key_env: required: name the variable that holds the'
            " key (or set api_key)",
        ),
        (
            provider(api_key_env='"NOPE_KEY"'),
            f'{SRC}: provider "studio": api_key_env: environment variable NOPE_KEY is not set',
        ),
        (
            provider(api_key_env='"has space"'),
            f'{SRC}: provider "studio": api_key_env: must be an environment variable name'
            " (letters, digits, _)",
        ),
        (provider(api_key_env=None, api_key='""'), f'{SRC}: provider "studio": api_key: is empty'),
        (
            provider(interval="0.4"),
            f'{SRC}: provider "studio": interval: must be at least 0.5 seconds',
        ),
        (provider(interval="inf"), f'{SRC}: provider "studio": interval: must be a finite number'),
        (provider(interval='"5"'), f'{SRC}: provider "studio": interval: must be a number'),
        (
            "refresh_interval = 0.1\n" + provider(),
            f"{SRC}: refresh_interval: must be at least 0.5 seconds",
        ),
        ("bell = 1\n" + provider(), f"{SRC}: bell: must be true or false"),
        (
            "refresh_intervall = 2\n" + provider(),
            f'{SRC}: refresh_intervall: unknown key; did you mean "refresh_interval"?',
        ),
        (
            provider(api_key_envv='"X"'),
            f'{SRC}: provider "studio": api_key_envv: unknown key; did you mean "api_key_env"?',
        ),
        (
            provider(kind='"zoom"'),
            f'{SRC}: provider "studio": kind: must be one of: "livepeer", "uiza", "calls"',
        ),
        (provider(name=None), f"{SRC}: provider #1: name: required"),
        (
            provider(name='""'),
            f"{SRC}: provider #1: name: must be 1-40 printable characters",
        ),
        (
            provider(entity_ids='["e"]'),
            f'{SRC}: provider "studio": entity_ids: only valid for kind = "uiza"',
        ),
        (
            provider(kind='"uiza"', api_key_env='"UIZA_API_KEY"'),
            f'{SRC}: provider "studio": entity_ids: required for kind = "uiza": the live entity'
            " ids to watch",
        ),
        (
            provider(kind='"calls"', call_ids="[]"),
            f'{SRC}: provider "studio": call_ids: required for kind = "calls": the call ids to'
            " watch",
        ),
        (
            provider(stream_ids='["../admin"]'),
            f'{SRC}: provider "studio": stream_ids: ids must be non-empty and contain no spaces'
            " or / \\ ? # %",
        ),
        (
            provider(stream_ids="[1]"),
            f'{SRC}: provider "studio": stream_ids[0]: must be a string',
        ),
        (
            provider(base_url='"ftp://example.com"'),
            f'{SRC}: provider "studio": base_url: must be an http:// or https:// URL with a host',
        ),
        (
            provider(base_url='"https://user:pw@example.com"'),
            f'{SRC}: provider "studio": base_url: must not contain credentials; use api_key_env',
        ),
        (
            provider(base_url='"https://example.com/api?key=1"'),
            f'{SRC}: provider "studio": base_url: must not contain a query or fragment',
        ),
        ("refresh_interval = 2.0\n", f"{SRC}: providers: required"),
        ("providers = []\n", f"{SRC}: providers: at least one [[providers]] table is required"),
        (
            '[providers]\nname = "x"\n',
            f"{SRC}: providers: must be an array of tables: write [[providers]], not [providers]",
        ),
        ("providers = [1]\n", f"{SRC}: provider #1: must be a table"),
    ],
)
def test_each_problem_is_one_exact_line(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    text = (
        "refresh_interval = 0\nbogus = 1\n"
        + provider(interval="0")
        + provider(kind='"uiza"', api_key_env='"MISSING"', stream_ids='["s"]')
        + provider(name='"calls"', kind='"calls"', api_key_env=None)
    )
    assert problems(text) == [
        f"{SRC}: refresh_interval: must be at least 0.5 seconds",
        f"{SRC}: bogus: unknown key",
        f'{SRC}: provider "studio" (#1): interval: must be at least 0.5 seconds',
        f'{SRC}: provider "studio" (#2): api_key_env: environment variable MISSING is not set',
        f'{SRC}: provider "studio" (#2): stream_ids: only valid for kind = "livepeer"',
        f'{SRC}: provider "studio" (#2): entity_ids: required for kind = "uiza": the live entity'
        " ids to watch",
        f'{SRC}: provider "studio" (#2): name: duplicate name (also provider #1)',
        f'{SRC}: provider "calls": api_key_env: required: name the variable that holds the key'
        " (or set api_key)",
        f'{SRC}: provider "calls": call_ids: required for kind = "calls": the call ids to watch',
    ]


def test_literal_key_in_a_shared_file_is_refused_with_the_fix() -> None:
    text = provider(api_key_env=None, api_key='"lit-key-0123456789"')
    (line,) = problems(text, mode=0o640)
    assert line == (
        f'{SRC}: provider "studio": api_key: the file holds a literal key but group/others can'
        f" read it (mode 0640); run: chmod 600 {SRC} (or use api_key_env)"
    )
    # Keys from the environment are fine in a shared file.
    assert parse(provider(), mode=0o644).providers[0].name == "studio"
    assert parse(text, mode=0o600).providers[0].name == "studio"
    assert parse(text, mode=None).providers[0].name == "studio"  # not from a file


def test_no_message_ever_contains_a_key() -> None:
    text = (
        provider(api_key_env=None, api_key='"lit-key-0123456789"', interval="0")
        + provider(name='"b"', api_key='"other-key-0123456789"')
        + 'nested = {api_key = "third-key-0123456789"}\n'
    )
    with pytest.raises(ConfigError) as info:
        parse(text, mode=0o644)
    shown = str(info.value) + repr(info.value) + repr(info.value.problems)
    for key in ("lit-key", "other-key", "third-key"):
        assert key not in shown
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_empty_environment_variable_is_an_error() -> None:
    assert problems(provider(), {"LIVEPEER_API_KEY": "  "}) == [
        f'{SRC}: provider "studio": api_key_env: environment variable LIVEPEER_API_KEY is empty'
    ]


def test_control_characters_in_names_and_keys_are_shown_escaped() -> None:
    lines = problems(provider(name='"bad\\u001bname"', **{'"x\\u001by"': "1"}))
    assert all("\x1b" not in line for line in lines)
    assert any("\\x1b" in line for line in lines)


def test_only_selects_providers_in_config_order() -> None:
    text = provider() + provider(name='"b"') + provider(name='"c"')
    settings = parse(text)
    assert [p.name for p in settings.only(["c", "studio"]).providers] == ["studio", "c"]
    assert settings.only(["c"]).source == SRC
    with pytest.raises(ConfigError) as info:
        settings.only(["c", "nope"])
    assert [str(p) for p in info.value.problems] == [
        f'{SRC}: provider "nope": --provider: unknown provider (configured: studio, b, c)'
    ]


def test_provider_config_builds_directly_with_a_literal_key() -> None:
    config = ProviderConfig.model_validate(
        {"name": "x", "kind": "calls", "api_key": "k-0123456789", "call_ids": ["1"]}
    )
    assert config.ids == ("1",)
    assert config.api_key.get_secret_value() == "k-0123456789"


def test_calls_have_a_budget_of_50_a_minute_unless_set() -> None:
    from tui.config import settings_from_dict

    calls = {
        "name": "c",
        "kind": "calls",
        "api_key_env": "T",
        "call_ids": [f"c{i}" for i in range(7)],
    }
    studio = {"name": "s", "kind": "livepeer", "api_key_env": "T"}
    env = {"T": "tok-123456"}
    settings = settings_from_dict(
        {"refresh_interval": 2.0, "providers": [calls, studio]}, source="t", environ=env
    )
    c, s = settings.providers
    assert settings.budget_for(c) == 50 and settings.budget_for(s) is None
    assert settings.interval_for(c) == 2.0  # the budget, not the interval, slows calls down
    data = {
        "providers": [
            {**calls, "interval": 3.0, "max_requests_per_minute": 20},
            {**studio, "max_requests_per_minute": 600},
        ]
    }
    settings = settings_from_dict(data, source="t", environ=env)
    c, s = settings.providers
    assert settings.interval_for(c) == 3.0
    assert settings.budget_for(c) == 20 and settings.budget_for(s) == 600


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "must be at least 1 (requests a minute)"),
        (1.5, "must be a whole number of requests a minute"),
        ("50", "must be a whole number of requests a minute"),
        (True, "must be a whole number of requests a minute"),
        (10**9, "must be at most 100000 (requests a minute)"),
    ],
)
def test_a_bad_budget_is_one_clear_line(value: object, message: str) -> None:
    from tui.config import ConfigError, settings_from_dict

    entry = {"name": "c", "kind": "calls", "api_key": "k", "call_ids": ["a"]}
    entry["max_requests_per_minute"] = value  # type: ignore[assignment]
    with pytest.raises(ConfigError) as caught:
        settings_from_dict({"providers": [entry]}, source="f.toml", environ={})
    assert str(caught.value) == f'f.toml: provider "c": max_requests_per_minute: {message}'
