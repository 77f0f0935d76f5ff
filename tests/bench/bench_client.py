"""Client benchmark: fetch and validate N Livepeer sessions from the simulator, against a
straightforward pydantic `BaseModel` list on the same bytes.

    python tests/bench/bench_client.py [--sessions 10000] [--rounds 7]

The simulator runs in a separate process (`livetop simulate`), so its JSON encoding neither
shares the GIL with the client nor counts as the client's CPU. The client's watch window is
widened to the whole account, so all N sessions are fetched (pages of 1,000, following `Link`).
Every HTTP row asks for the same URLs (livetop's `limit`, `order` and window `filters`) over a
connection opened beforehand. Measured in turns, in one process, `gc.collect()` before each:

- livetop, first poll: a new `LivepeerClient.fetch()`: HTTP (the next page is asked for while
  one is validated), cutting pages into records and decoding them, TypedDict validation in
  slices, normalizing to `Session`s;
- livetop, next polls: the same client again; records byte-identical to one of the last poll
  are recognised without decoding and their `Session`s reused, the others decoded and
  validated (the steady state of a console polling every 2 s);
- straightforward client: the same pages fetched one after the other with httpx, each
  validated with `TypeAdapter(list[SessionModel]).validate_json` (a `BaseModel` mirroring the
  record);
- `BaseModel` list alone: only that validation, of the bytes fetched beforehand (no HTTP);
- HTTP alone: the straightforward client's fetching without the validation: the simulator
  building the pages and httpx reading them, a floor under any client of this server.

Target: livetop at least 2x faster than validating the same bytes with the `BaseModel` list.
Each row shows both ratios: that validation's time / the row's, the straightforward client's
time / the row's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tui.providers.livepeer import LivepeerClient


class ProfileModel(BaseModel):
    """One `profiles[]` entry."""

    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None
    fps: float | None = None
    gop: str | float | None = None
    profile: str | None = None
    encoder: str | None = None


class SessionModel(BaseModel):
    """A Livepeer session as a straightforward client would model it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    id: str
    name: str | None = None
    kind: str | None = None
    user_id: str | None = Field(None, alias="userId")
    last_seen: int | float | None = Field(None, alias="lastSeen")
    source_segments: int | None = Field(None, alias="sourceSegments")
    transcoded_segments: int | None = Field(None, alias="transcodedSegments")
    source_segments_duration: float | None = Field(None, alias="sourceSegmentsDuration")
    transcoded_segments_duration: float | None = Field(None, alias="transcodedSegmentsDuration")
    source_bytes: int | None = Field(None, alias="sourceBytes")
    transcoded_bytes: int | None = Field(None, alias="transcodedBytes")
    ingest_rate: float | None = Field(None, alias="ingestRate")
    outgoing_rate: float | None = Field(None, alias="outgoingRate")
    is_healthy: bool | None = Field(None, alias="isHealthy")
    issues: list[str] | None = None
    created_at: int | float | None = Field(None, alias="createdAt")
    parent_id: str | None = Field(None, alias="parentId")
    project_id: str | None = Field(None, alias="projectId")
    record: bool | None = None
    recording_status: str | None = Field(None, alias="recordingStatus")
    recording_url: str | None = Field(None, alias="recordingUrl")
    mp4_url: str | None = Field(None, alias="mp4Url")
    playback_id: str | None = Field(None, alias="playbackId")
    profiles: list[ProfileModel] | None = None
    recording_spec: dict[str, Any] | None = Field(None, alias="recordingSpec")


SESSIONS = TypeAdapter(list[SessionModel])


def start_simulator(sessions: int) -> tuple[subprocess.Popen[str], str, str]:
    argv = [sys.executable, "-m", "tui", "simulate", "--port", "0", "--sessions", str(sessions)]
    sim = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert sim.stdout is not None
    text = ""
    while "call_ids" not in text:
        line = sim.stdout.readline()
        if not line:
            raise SystemExit("the simulator did not start")
        text += line
    base = re.search(r'base_url = "(http://[^"]+/api)"', text)
    key = re.search(r'kind = "livepeer"\nbase_url = "[^"]+"\napi_key = "([^"]+)"', text)
    assert base and key, text
    return sim, base.group(1), key.group(1)


def client(base: str, key: str) -> LivepeerClient:
    return LivepeerClient("studio", key, base_url=base, window_s=10 * 365 * 86400.0)


def plain_http(base: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base + "/", headers={"Authorization": f"Bearer {key}"})


def first_query() -> dict[str, str | int]:
    """What livetop asks for first (`LivepeerClient.list_sessions`), its window as `client`'s."""
    cutoff_ms = int((time.time() - 10 * 365 * 86400.0) * 1000)
    return {
        "limit": 1000,
        "order": "lastSeen-true,createdAt-true",
        "filters": json.dumps([{"id": "lastSeen", "value": {"gt": cutoff_ms}}]),
    }


async def plain_pages(http: httpx.AsyncClient) -> list[bytes]:
    """Every page, fetched one after the other: a straightforward client's HTTP."""
    pages: list[bytes] = []
    url: httpx.URL | str | None = "session"
    params: dict[str, str | int] | None = first_query()
    while url:
        response = await http.get(url, params=params)
        response.raise_for_status()
        pages.append(response.content)
        url, params = response.links.get("next", {}).get("url"), None
    return pages


async def fetch_pages(base: str, key: str) -> list[bytes]:
    """The raw pages the client would fetch, for the baseline to validate."""
    async with plain_http(base, key) as http:
        return await plain_pages(http)


async def first_poll(base: str, key: str) -> float:
    async with client(base, key) as c:
        await c._http.get("session", params={"limit": 1})  # connected, like the others
        gc.collect()
        t = time.perf_counter()
        await c.fetch()
        return time.perf_counter() - t


async def next_poll(c: LivepeerClient) -> float:
    gc.collect()
    t = time.perf_counter()
    await c.fetch()
    return time.perf_counter() - t


async def straightforward(base: str, key: str) -> float:
    async with plain_http(base, key) as http:
        await http.get("session", params={"limit": 1})  # connected, like the others
        gc.collect()
        t = time.perf_counter()
        url: httpx.URL | str | None = "session"
        params: dict[str, str | int] | None = first_query()
        while url:
            response = await http.get(url, params=params)
            SESSIONS.validate_json(response.content)
            url, params = response.links.get("next", {}).get("url"), None
        return time.perf_counter() - t


async def http_only(base: str, key: str) -> float:
    async with plain_http(base, key) as http:
        await http.get("session", params={"limit": 1})
        gc.collect()
        t = time.perf_counter()
        await plain_pages(http)
        return time.perf_counter() - t


def validate_only(pages: list[bytes]) -> float:
    gc.collect()
    t = time.perf_counter()
    for page in pages:
        SESSIONS.validate_json(page)
    return time.perf_counter() - t


async def measure(base: str, key: str, pages: list[bytes], rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in ("first", "next", "plain", "validate", "http")}
    async with client(base, key) as warm:
        await warm.fetch()
        for _ in range(rounds):
            out["first"].append(await first_poll(base, key))
            out["next"].append(await next_poll(warm))
            out["plain"].append(await straightforward(base, key))
            out["validate"].append(validate_only(pages))
            out["http"].append(await http_only(base, key))
    return out


def _ms(values: list[float]) -> str:
    ms = sorted(v * 1e3 for v in values)
    return f"{statistics.median(ms):6.0f} ms [{ms[0]:.0f}–{ms[-1]:.0f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sim, base, key = start_simulator(args.sessions)
    try:
        pages = asyncio.run(fetch_pages(base, key))
        n = sum(len(SESSIONS.validate_json(page)) for page in pages)
        got = asyncio.run(measure(base, key, pages, args.rounds))
    finally:
        sim.terminate()
        sim.wait(10)
    size = sum(map(len, pages)) / 2**20
    print(
        f"{n} Livepeer sessions, {len(pages)} pages, {size:.1f} MiB; {args.rounds} rounds, "
        "median [min–max]"
    )
    validation = statistics.median(got["validate"])
    plain = statistics.median(got["plain"])
    rows = (
        ("livetop, first poll (fetch + validate + normalize)", "first"),
        ("livetop, next polls (unchanged records reused)", "next"),
        ("straightforward client (fetch + BaseModel list)", "plain"),
        ("BaseModel list alone (validate only, no HTTP)", "validate"),
        ("HTTP alone (the same pages, not decoded)", "http"),
    )
    print(f"  {'':<52}{'':<22}  vs list  vs plain")
    for label, name in rows:
        own = statistics.median(got[name])
        print(f"  {label:<52}{_ms(got[name]):<22}  {validation / own:5.2f}x  {plain / own:5.2f}x")
    print(
        "  (vs list: the BaseModel-list validation time / this row's, target ≥ 2x;"
        " vs plain: the straightforward client's time / this row's)"
    )


if __name__ == "__main__":
    main()
