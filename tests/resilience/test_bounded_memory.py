"""Bounded memory: answers are read as a stream, capped once decompressed, and a page longer
than the `limit` asked for is refused before its records are decoded.

Before: an endless chunked body grew `livetop snapshot` to 2.8 GB, a gzip bomb (1 MB on the
wire, 1 GiB inflated) to 2.2 GB, a page of 200,000 records (1,000 asked) to 1.07 GB. Each case
runs `livetop snapshot` as a child process against the rogue server and reads the child's own
peak resident memory; the bound is the issue's, 300 MB.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.child import ChildRun, run_livetop, write_config
from support.rogue import RogueServer
from tui import config
from tui.config import ConfigError, settings_from_dict
from tui.providers import CallsClient, LivepeerClient, ProviderInvalidPayload, UizaClient, bounds

PEAK_MB = 300.0


@pytest.fixture(scope="module")
def rogue() -> Iterator[RogueServer]:
    with RogueServer() as server:
        yield server


def snapshot(tmp_path: Path, **provider: Any) -> ChildRun:
    entry = {"name": "studio", "kind": "livepeer", "api_key": "lp-0a1b2c3d4e5f", **provider}
    config = write_config(tmp_path / "c.toml", [entry])
    return run_livetop(
        ["snapshot", "--config", str(config)], env={"LIVETOP_LOG_DIR": str(tmp_path)}, timeout=60
    )


def failure(run: ChildRun) -> str:
    assert run.code == 2, run.err
    (provider,) = json.loads(run.out)["providers"]
    assert provider["ok"] is False
    return str(provider["error"])


@pytest.mark.parametrize(
    ("mode", "limit_named"),
    [
        ("endless", "larger than 64 MB once decompressed (max_response_mb)"),
        ("bomb", "larger than 64 MB once decompressed (max_response_mb)"),
        ("page", "page holds more than 1000 records; limit=1000 was asked for"),
    ],
)
def test_snapshot_stays_small_whatever_the_body(
    rogue: RogueServer, tmp_path: Path, mode: str, limit_named: str
) -> None:
    run = snapshot(tmp_path, base_url=rogue.url(mode, "livepeer"))
    assert limit_named in failure(run)
    assert run.peak_mb <= PEAK_MB, f"{mode}: peak {run.peak_mb:.0f} MB"
    assert run.seconds < 30


def test_refused_answers_are_not_kept(rogue: RogueServer, tmp_path: Path) -> None:
    """Eight watched calls answering with bombs: each refused answer is let go at once (the
    errors gathered from a partial poll must not keep 64 MB each alive)."""
    run = snapshot(
        tmp_path,
        name="calls",
        kind="calls",
        api_key="calls-0a1b2c3d4e5f",
        base_url=rogue.url("bomb", "calls"),
        call_ids=[f"c-{n}" for n in range(8)],
    )
    assert "larger than 64 MB once decompressed (max_response_mb)" in failure(run)
    assert run.peak_mb <= PEAK_MB, f"peak {run.peak_mb:.0f} MB"


async def test_answers_read_at_the_same_time_count_together(rogue: RogueServer) -> None:
    """Three 40 MiB answers, each under the cap, arriving together: over it."""
    base = rogue.url("big=40", "calls")
    async with CallsClient("calls", "calls-0a1b2c3d4e5f", base_url=base) as calls:
        assert (await calls.fetch_session("c-1", None)).id == "c-1"  # one alone is fine
        with pytest.raises(ProviderInvalidPayload, match="answers being read at once larger"):
            await asyncio.gather(*(calls.fetch_session(f"c-{n}", None) for n in range(3)))


def test_the_size_cap_is_configurable(rogue: RogueServer, tmp_path: Path) -> None:
    run = snapshot(tmp_path, base_url=rogue.url("bomb", "livepeer"), max_response_mb=2)
    assert "larger than 2 MB once decompressed (max_response_mb)" in failure(run)
    # A page of 1,500 small records is under 2 MB, but more than the 1,000 asked for.
    run = snapshot(tmp_path, base_url=rogue.url("page=1500", "livepeer"), max_response_mb=2)
    assert "page holds more than 1000 records" in failure(run)


async def test_a_livepeer_page_longer_than_asked_is_refused(rogue: RogueServer) -> None:
    base = rogue.url("page=11", "livepeer")
    async with LivepeerClient("studio", "lp-0a1b2c3d4e5f", base_url=base, page_limit=10) as lp:
        with pytest.raises(ProviderInvalidPayload, match="more than 10 records; limit=10"):
            await lp.fetch()
    async with LivepeerClient("studio", "lp-0a1b2c3d4e5f", base_url=base, page_limit=11) as lp:
        assert len((await lp.fetch()).sessions) == 11  # exactly the limit is fine


async def test_a_uiza_page_longer_than_asked_is_refused(rogue: RogueServer) -> None:
    base = rogue.url("page=101", "uiza")
    async with UizaClient("uiza", "uap-0a1b2c3d4e5f", base_url=base, entity_ids=["e"]) as uz:
        with pytest.raises(ProviderInvalidPayload, match="101 sessions; page_size=100"):
            await uz.fetch_related("e")  # a drill-down asks for the API's maximum, 100
    base = rogue.url("page=100", "uiza")
    async with UizaClient("uiza", "uap-0a1b2c3d4e5f", base_url=base, entity_ids=["e"]) as uz:
        assert len((await uz.fetch_related("e")).sessions) == 100


def test_the_configured_defaults_are_the_clients_and_reach_them() -> None:
    assert config.DEFAULT_DEADLINE == bounds.DEFAULT_DEADLINE
    assert config.DEFAULT_MAX_RESPONSE_MB * bounds.MB == bounds.DEFAULT_MAX_BODY
    entry = {"name": "studio", "kind": "livepeer", "api_key": "lp-0a1b2c3d4e5f"}
    (default,) = settings_from_dict({"providers": [entry]}).providers
    client = default.make_client()
    assert (client.deadline, client.max_body) == (30.0, 64 << 20)  # type: ignore[attr-defined]
    tuned = {**entry, "request_deadline": 2, "max_response_mb": 0.5}
    (provider,) = settings_from_dict({"providers": [tuned]}).providers
    client = provider.make_client()
    assert (client.deadline, client.max_body) == (2.0, 1 << 19)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("request_deadline", 0, "must be more than 0 seconds"),
        ("request_deadline", 301, "must be at most 300 seconds"),
        ("max_response_mb", 0, "must be more than 0 MB"),
        ("max_response_mb", 2048, "must be at most 1024 MB"),
        ("max_response_mb", "64", "must be a number"),
    ],
)
def test_bad_limits_are_reported_in_words(key: str, value: object, message: str) -> None:
    entry = {"name": "studio", "kind": "livepeer", "api_key": "lp-0a1b2c3d4e5f", key: value}
    with pytest.raises(ConfigError) as caught:
        settings_from_dict({"providers": [entry]}, source="c.toml")
    assert str(caught.value) == f'c.toml: provider "studio": {key}: {message}'


async def test_an_error_keeps_nothing_of_the_answer(rogue: RogueServer) -> None:
    """Errors outlive their poll (a partial poll's, the last failure's): none may hold the
    answer it was raised over through the frames it was raised in."""
    base = rogue.url("page=5000", "uiza")
    async with UizaClient("uiza", "uap-0a1b2c3d4e5f", base_url=base, entity_ids=["e"]) as uz:
        with pytest.raises(ProviderInvalidPayload, match="5000 sessions") as caught:
            await uz.fetch_related("e")
    error = caught.value
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    names = [frame.f_code.co_name for frame in frames]
    # The test's own frame and the client's boundary, none of the frames within it.
    assert names == ["test_an_error_keeps_nothing_of_the_answer", "guarded"]
    assert not any(isinstance(v, httpx.Response) for v in frames[-1].f_locals.values())
    assert error.__context__ is None
