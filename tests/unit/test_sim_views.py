"""The simulated realtime viewership (`tui.sim.views`): counts that move plausibly and drop when
a stream turns unhealthy, the API's breakdowns, and the absurd answers of its fault."""

from __future__ import annotations

import json
import statistics

from tui.sim.livepeer import LivepeerWorld
from tui.sim.views import ASSETS, absurd_views, audience, rows

START = 1_795_348_800.0


def world() -> LivepeerWorld:
    return LivepeerWorld(seed=4, sessions=3000, churn=0.3, start=START)


def test_every_watched_stream_is_on_air_and_assets_are_watched_too() -> None:
    w = world()
    found = audience(w, START)
    on_air = {w.stream(j).playback_id for j, _, _ in w.on_air(START)}
    ids = [pid for pid, _, _ in found]
    assert len(ids) == len(set(ids))
    assert len(set(ids) - on_air) == ASSETS  # playback ids no session has
    assert all(n > 0 and 0.0 <= rate <= 1.0 for _, n, rate in found)
    sizes = sorted(n for pid, n, _ in found if pid in on_air)
    assert statistics.median(sizes) < 50 and sizes[-1] > 10_000  # a heavy tail


def test_counts_move_a_little_from_one_moment_to_the_next() -> None:
    w = world()
    later = {index for _, index, _ in w.on_air(START + 10.0)}
    calm = {  # on air past the first two minutes, before and after, and healthy meanwhile
        w.stream(j).playback_id
        for j, index, tau in w.on_air(START)
        if tau >= 130
        and index in later
        and not any(x.begin <= tau + 10 and tau < x.end for x in w.plan(index).windows)
    }
    before = {pid: n for pid, n, _ in audience(w, START) if pid in calm}
    after = {pid: n for pid, n, _ in audience(w, START + 10.0) if pid in calm}
    steady = [after[pid] / n for pid, n in before.items() if n >= 100]
    assert len(steady) > 10 and all(0.85 < ratio < 1.15 for ratio in steady)
    assert any(ratio != 1.0 for ratio in steady)


def test_viewers_leave_and_errors_rise_while_a_stream_is_unhealthy() -> None:
    w = world()
    drops, rises = [], []
    for j, index, tau in w.on_air(START):
        window = next((x for x in w.plan(index).windows if x.begin + 150 <= tau < x.end), None)
        if window is None or tau < 400:
            continue
        pid = w.stream(j).playback_id
        during = {p: (n, r) for p, n, r in audience(w, START)}.get(pid)
        t_before = START - (tau - window.begin) - 30.0  # half a minute before it turned bad
        earlier = {p: (n, r) for p, n, r in audience(w, t_before)}.get(pid)
        if during and earlier and earlier[0] >= 50:
            drops.append(during[0] / earlier[0])
            rises.append(during[1] - earlier[1])
    assert len(drops) >= 3
    assert all(d < 0.8 for d in drops) and all(r > 0 for r in rises)


def test_breakdowns_as_the_api_gives_them() -> None:
    found = [("p1", 100, 0.1), ("p2", 300, 0.3)]
    assert rows(found, ["playbackId"], None) == [
        {"playbackId": "p1", "viewCount": 100, "errorRate": 0.1},
        {"playbackId": "p2", "viewCount": 300, "errorRate": 0.3},
    ]
    assert rows(found, [], None) == [{"viewCount": 400, "errorRate": 0.25}]  # the total
    assert rows(found, ["playbackId"], "p2") == [
        {"playbackId": "p2", "viewCount": 300, "errorRate": 0.3}
    ]
    by_device = rows(found, ["playbackId", "device"], "p1")
    assert {r["device"] for r in by_device} == {"iPhone", "Android", "Desktop", "Smart TV"}
    assert list(by_device[0]) == ["playbackId", "device", "viewCount", "errorRate"]
    assert sum(r["viewCount"] for r in by_device) == 100


def test_the_absurd_fault_damages_rows_in_turn() -> None:
    body = json.dumps(rows([(f"p{i}", 10 + i, 0.01) for i in range(12)], ["playbackId"], None))
    damaged = json.loads(absurd_views(body.encode()))
    counts = [r.get("viewCount") for r in damaged if isinstance(r, dict)]
    assert -42 in counts and 10**15 in counts and 2.5 in counts and "1200" in counts
    assert None in damaged and "garbage" in damaged
    assert any(isinstance(r, dict) and "playbackId" not in r for r in damaged)  # a total
    assert damaged[0] == {"playbackId": "p0", "viewCount": 10, "errorRate": 0.01}  # one sane
    assert absurd_views(b"not json") == b"not json"
