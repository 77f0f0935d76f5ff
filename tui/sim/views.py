"""Realtime viewership of the simulated Livepeer account: `GET /data/views/now`.

Who watches a session follows from (seed, stream, slot) and the time, like everything else in
the simulation. Each stream has an audience size drawn from a heavy tail (half the streams
under ten viewers, one in ten thousands, one in twenty over ten thousand); viewers arrive over
a session's first two minutes, drift with slow waves and a little noise (a new draw every
`STEP_S`), leave while it is unhealthy (to under half within a few minutes), and see more
errors then, most of all in a "playback" trouble window. The account's assets add a few
playback ids no session has.

The answer is the API's: a JSON array of `realtime-viewership-metric`s, one per combination of
the `breakdownBy[]` fields asked for (`playbackId`, `device`, `browser`, `country`; none: the
account's total), filtered by `playbackId` (and `creatorId`, which no simulated view has);
playback ids without viewers are left out; an unknown breakdown is a 422 in Livepeer's format.
`absurd_views` damages an answer the way the `views_absurd` fault asks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tui.sim.livepeer import LivepeerWorld
from tui.sim.rand import base36, h64, unit
from tui.sim.scenario import Scenario
from tui.sim.wire import error_response, json_response

PATH = "/data/views/now"
BREAKDOWNS = ("playbackId", "device", "browser", "country")
STEP_S = 5.0
ASSETS = 3  # playback ids of the account's videos on demand: viewers, but no session
_SPLITS: dict[str, tuple[tuple[str, float], ...]] = {
    "device": (("iPhone", 0.34), ("Android", 0.31), ("Desktop", 0.25), ("Smart TV", 0.10)),
    "browser": (("Chrome", 0.46), ("Safari", 0.33), ("Firefox", 0.12), ("Edge", 0.09)),
    "country": (("United States", 0.41), ("Brazil", 0.22), ("Germany", 0.2), ("India", 0.17)),
}
_TROUBLED = {"keyframe": 0.005, "bitrate": 0.03, "frames": 0.04, "transcode": 0.05}

Row = tuple[dict[str, str], int, float]  # (breakdown fields, viewers, error rate)


def audience(world: LivepeerWorld, t: float) -> list[tuple[str, int, float]]:
    """(playback id, viewers, error rate) of every playback id watched at t."""
    seed, step = world.seed, int(t // STEP_S)
    out = []
    for j, index, tau in world.on_air(t):
        viewers, errors = _session(world, j, index, tau, step)
        if viewers > 0:
            out.append((world.stream(j).playback_id, viewers, errors))
    for i in range(ASSETS):
        viewers = round(2 + 30 * unit(seed, 0xA55E7, i, step // 6))
        out.append((base36(16, seed, 0xA55E7, i), viewers, round(0.01 * unit(seed, i, 7), 4)))
    return out


def _session(world: LivepeerWorld, j: int, index: int, tau: float, step: int) -> tuple[int, float]:
    seed = world.seed
    size = unit(seed, j, 0xA0D)
    base = 2.0 * 10.0 ** (4.5 * size**3)
    ramp = min(1.0, (tau + 10.0) / 120.0)
    period = 600.0 + 1200.0 * unit(seed, j, 0xA0E)
    wave = 1.0 + 0.15 * math.sin(2 * math.pi * tau / period + 6.3 * unit(seed, index, 1))
    noise = 1.0 + 0.1 * (unit(seed, index, step) - 0.5)
    errors = 0.002 + 0.012 * unit(seed, j, 0xE44)
    drop = 1.0
    for w in world.plan(index).windows:
        if not w.begin <= tau < w.end:
            continue
        drop *= max(0.45, 1.0 - (tau - w.begin) / 200.0)  # they leave while it stays bad
        errors += w.magnitude / 100.0 if w.kind == "playback" else _TROUBLED.get(w.kind, 0.01)
    return round(base * ramp * wave * noise * drop), round(min(errors, 1.0), 4)


def rows(
    found: Sequence[tuple[str, int, float]], breakdown: Sequence[str], playback: str | None
) -> list[dict[str, Any]]:
    """The metrics for `breakdownBy[]` = `breakdown`, of one playback id or all."""
    items: list[Row] = []
    for pid, viewers, errors in found:
        if playback is not None and pid != playback:
            continue
        items.append(({"playbackId": pid} if "playbackId" in breakdown else {}, viewers, errors))
    if "playbackId" not in breakdown and items:  # one total, its error rate weighed by viewers
        total = sum(n for _, n, _ in items)
        rate = sum(n * r for _, n, r in items) / total if total else 0.0
        items = [({}, total, round(rate, 4))]
    for field in BREAKDOWNS[1:]:
        if field in breakdown:
            items = [
                ({**keys, field: name}, round(n * share), r)
                for keys, n, r in items
                for name, share in _SPLITS[field]
            ]
    return [{**keys, "viewCount": n, "errorRate": r} for keys, n, r in items if n > 0]


def views_route(scenario: Scenario) -> Any:
    """The endpoint, for the Livepeer router."""

    async def views_now(request: Request) -> Response:
        query = request.query_params
        breakdown = query.getlist("breakdownBy[]")
        unknown = [b for b in breakdown if b not in BREAKDOWNS]
        if unknown:
            message = f"breakdownBy[] must be one of {', '.join(BREAKDOWNS)}"
            return error_response("livepeer", 422, message)
        if query.get("creatorId"):
            return json_response([])  # no simulated view has a creator
        found = audience(scenario.livepeer, scenario.now())
        return json_response(rows(found, breakdown, query.get("playbackId") or None))

    return views_now


# What `views_absurd` does to rows, in turn (the first leaves one as it was).
_DAMAGE: tuple[tuple[str, Any], ...] = (
    ("", None),
    ("viewCount", -42),
    ("viewCount", 10**15),
    ("errorRate", 7.5),
    ("viewCount", 2.5),
    ("viewCount", "1200"),
    ("errorRate", -0.2),
    ("viewCount", True),
    ("playbackId", 12),
    ("viewCount", None),
)


def absurd_views(body: bytes) -> bytes:
    """An answer whose rows carry absurd values and wrong types in turn, plus rows of unknown
    or no playback id, a duplicate, and items that are not rows at all."""
    try:
        items = json.loads(body)
    except ValueError:
        return body
    if not isinstance(items, list):
        return body
    out: list[Any] = []
    for i, row in enumerate(items):
        if isinstance(row, dict):
            name, value = _DAMAGE[i % len(_DAMAGE)]
            out.append({**row, name: value} if name else row)
    if out:
        out.append(dict(out[0]))  # the first row again: its viewers add up
    seed = h64(len(items), 0xBAD)
    out += [
        {"playbackId": base36(16, seed), "viewCount": 9, "errorRate": 0.01},
        {"viewCount": 123456, "errorRate": 0.02},
        {"playbackId": "x" * 5000, "viewCount": 1, "errorRate": 0.0},
        None,
        "garbage",
        [1, 2, 3],
    ]
    return json.dumps(out).encode()
