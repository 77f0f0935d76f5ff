"""The simulator's scenario engine, without sockets: determinism, lifecycles, consistency."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest

from tui.issue_classes import IssueClass, classify
from tui.sim.livepeer import LIVE_WINDOW_S
from tui.sim.livepeer_media import LOW_BITRATE, TICK_S, Plan, Window, make_plan
from tui.sim.names import HOSTILE
from tui.sim.rand import encode_uuid
from tui.sim.scenario import Scenario, SimClock, SimConfig

START = 1_750_000_000.0


class Hand:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.elapsed = 0.0

    def __call__(self) -> float:
        return self.elapsed


def make(**options: Any) -> Scenario:
    return Scenario(SimConfig(**options), SimClock(1.0, START, Hand()))


def page(scenario: Scenario, t: float, **query: Any) -> list[dict[str, Any]]:
    world = scenario.livepeer
    records: list[dict[str, Any]] = json.loads(world.page_json(world.listing(t, **query), t))
    return records


def test_a_seed_reproduces_the_same_world_and_another_seed_does_not() -> None:
    one, two, other = make(seed=5, sessions=300), make(seed=5, sessions=300), make(seed=6)
    t = START + 123
    assert page(one, t) == page(two, t)
    assert one.api_keys == two.api_keys and one.call_ids == two.call_ids
    assert {s["id"] for s in page(one, t)}.isdisjoint(s["id"] for s in page(other, t))


@pytest.mark.parametrize("sessions", [0, 1, 7, 200, 5000])
def test_the_account_holds_exactly_the_configured_sessions_at_the_start(sessions: int) -> None:
    scenario = make(sessions=sessions)
    assert scenario.livepeer.counts(START)["sessions"] == sessions
    assert len(page(scenario, START)) == sessions


@pytest.mark.parametrize("churn", [0.05, 0.1, 0.3])
def test_churn_is_the_share_of_sessions_on_air(churn: float) -> None:
    counts = make(seed=3, sessions=2000, churn=churn).livepeer.counts(START)
    assert churn * 0.6 < counts["live"] / counts["sessions"] < churn * 1.5


def test_new_sessions_start_as_time_passes_and_history_stays() -> None:
    scenario = make(sessions=300)
    before = {s["id"]: s for s in page(scenario, START)}
    later = {s["id"]: s for s in page(scenario, START + 3600)}
    assert len(later) > len(before)
    assert before.keys() <= later.keys()  # the real API keeps every session
    long_ended = [i for i, s in before.items() if START - s["lastSeen"] / 1000 > 600]
    assert long_ended and all(before[i] == later[i] for i in long_ended)


def test_records_are_sorted_by_last_seen_then_created_newest_first() -> None:
    records = page(make(sessions=500), START + 30)
    keys = [(s["lastSeen"], s["createdAt"]) for s in records]
    assert keys == sorted(keys, reverse=True)


def test_order_and_filters_follow_the_query() -> None:
    scenario = make(sessions=500)
    oldest_first = page(scenario, START, order=(("createdAt", False),))
    created = [s["createdAt"] for s in oldest_first]
    assert created == sorted(created)
    cutoff = (START - 1800) * 1000
    recent = page(scenario, START, filters=(("lastSeen", "gt", cutoff),))
    assert recent and all(s["lastSeen"] > cutoff for s in recent)
    everything = page(scenario, START)
    assert len(recent) == sum(1 for s in everything if s["lastSeen"] > cutoff)


def _trace(scenario: Scenario, index: int, until: float) -> list[tuple[float, dict[str, Any]]]:
    out = []
    t = START
    while t <= until:
        record = scenario.livepeer.session(index, t)
        assert record is not None
        out.append((t, record))
        t += 5.0
    return out


def test_a_live_session_ingests_falters_ends_and_its_recording_becomes_ready() -> None:
    scenario = make(seed=11, sessions=400)
    world = scenario.livepeer
    live = [
        i
        for i in world.listing(START)
        if (s := world.session(i, START)) and s["record"] and s["isHealthy"] is not None
    ]
    assert live
    trace = _trace(scenario, live[0], START + 2 * 3600)
    seen = [r["lastSeen"] for _, r in trace]
    assert seen == sorted(seen)
    final = seen[-1]
    end = next(t for t, r in trace if r["lastSeen"] == final)
    on_air = [r for t, r in trace if t < end]
    steps = {b - a for a, b in itertools.pairwise(seen) if b > a and b != final}
    assert steps == {int(TICK_S * 1000)}  # stats refresh every 10 s while on air
    for counter in ("sourceBytes", "transcodedBytes", "sourceSegments", "transcodedSegments"):
        values = [r[counter] for _, r in trace]
        assert values == sorted(values), counter
    assert all(r["recordingStatus"] == "waiting" for r in on_air)
    after = trace[-1][1]
    assert after["isHealthy"] is None and after["issues"] is None  # idle once ended
    assert after["recordingStatus"] in ("ready", "failed")
    if after["recordingStatus"] == "ready":
        assert after["recordingUrl"].endswith(".m3u8") and after["mp4Url"].endswith(".mp4")
    assert (START + 2 * 3600) * 1000 - final > LIVE_WINDOW_S * 1000  # lastSeen stopped moving


def test_unhealthy_sessions_say_why_and_healthy_ones_have_no_issues() -> None:
    scenario = make(seed=2, sessions=3000, churn=0.3)
    kinds, classes = set(), set()
    for t in (START, START + 600, START + 1200):
        for record in page(scenario, t, filters=(("lastSeen", "gt", (t - 60) * 1000),)):
            if record["isHealthy"] is False:
                assert record["issues"] and all(isinstance(i, str) and i for i in record["issues"])
                kinds |= {i.split()[0] for i in record["issues"]}
                classes |= {classify(i) for i in record["issues"]}
            else:
                assert record["issues"] is None
    assert kinds == {"Keyframe", "Low", "Dropped", "Transcoding", "Playback", "Stream"}
    # Every class a provider's words can fall into (`polling` is livetop's own staleness).
    assert classes == set(IssueClass) - {IssueClass.POLLING}


@pytest.mark.parametrize("k", range(16))
def test_byte_counters_are_the_integral_of_the_reported_rate(k: int) -> None:
    plan = make_plan(1, 3, k, 1200.0)
    plan = Plan(
        plan.failed,
        plan.waves,
        (*plan.windows, Window(100.0, 160.0, "bitrate", 1.0)),  # always one low-bitrate dip
        plan.ready_delay,
        plan.recording_failed,
    )
    base, tau, steps = 500_000.0, 400.0, 8_000
    dt = tau / steps
    numeric = sum(plan.rate(base, (n + 0.5) * dt) for n in range(steps)) * dt
    assert math.isclose(plan.total(base, tau), numeric, rel_tol=2e-3)
    assert plan.rate(base, 130.0) < base * LOW_BITRATE * 1.3  # the dip is real


def test_session_and_stream_ids_decode_back_and_foreign_ids_do_not() -> None:
    world = make(sessions=100).livepeer
    for index in world.listing(START)[:20]:
        assert world.find_session(world.session_id(index)) == index
    assert world.find_session(encode_uuid(12345, 1)) is None
    assert world.find_session("not-a-uuid") is None
    stream = world.stream(0)
    assert world.find_stream(stream.id) == 0
    assert world.find_stream(world.session_id(0)) is None


def test_stream_sessions_leave_out_sessions_without_segments() -> None:
    scenario = make(seed=4, sessions=2000, churn=0.05)
    world = scenario.livepeer
    seen_failed = False
    for j in range(world.stream_count):
        listed = set(world.stream_sessions(j, START))
        for index in world.listing(START):
            if index >> 32 != j:
                continue
            record = world.session(index, START)
            assert record is not None
            assert (index in listed) == (record["sourceSegments"] > 0)
            seen_failed |= record["sourceSegments"] == 0
    assert seen_failed


def test_uiza_entities_broadcast_and_finish() -> None:
    scenario = make()
    world = scenario.uiza
    busy, live, idle = world.entities
    assert world.newest(busy, START) + 1 > 100  # needs more than one page of 100
    now_live = world.session(live, world.newest(live, START), START)
    assert "duration" not in now_live  # broadcasting: no duration at all...
    # ...or `"duration": null`, as the busy 24/7 entity sends while it broadcasts.
    busy_records = [
        world.session(busy, world.newest(busy, START + s), START + s) for s in range(0, 900, 60)
    ]
    assert any("duration" in r and r["duration"] is None for r in busy_records)
    finished = world.session(idle, world.newest(idle, START), START)
    assert isinstance(finished["duration"], float) and finished["duration"] > 0
    assert finished["created_at"].endswith("Z") and "stream_key" in finished
    assert world.live_count(START) >= 1


def test_calls_follow_their_timetable_and_show_their_quirks() -> None:
    scenario = make()
    world = scenario.calls

    def at(call_index: int, seconds: float) -> dict[str, Any]:
        return world.record(world.calls[call_index], START + seconds)

    assert at(1, 0)["status"] == "scheduled" and at(1, 0)["started_at"] is None
    backstage = at(1, 50)
    assert backstage["status"] == "live" and backstage["live"]["is_live"] is False
    on_air = at(1, 120)
    assert on_air["live"]["is_live"] is True and on_air["live"]["current_session_id"]
    ended = at(1, 8 * 60 + 5)
    assert ended["status"] == "ended" and ended["recording_url"]
    assert ended["recording_ready_at"] is None
    assert at(1, 10 * 60)["recording_ready_at"] is not None
    assert at(2, 0)["status"] == "ended" and at(2, 0)["recording_ready_at"]
    assert at(3, 0)["status"] == "errored"
    disagree = at(4, 0)
    assert disagree["status"] == "live" and disagree["live"]["is_live"] is False
    lookups = [at(5, s)["live"] for s in range(0, 3600, 20)]
    assert None in lookups and any(v and v["is_live"] for v in lookups)
    assert at(6, 0)["status"] == "scheduled" and at(6, 0)["scheduled_at"]
    assert at(0, 0)["updated_at"] >= at(0, 0)["created_at"]


def test_default_names_are_clean_and_hostile_ones_only_on_request() -> None:
    clean = make(sessions=1000, churn=0.7)
    names = {clean.livepeer.stream(j).name for j in range(clean.livepeer.stream_count)}
    names |= {call.title for call in clean.calls.calls}
    assert all(name.isprintable() and "[" not in name for name in names)
    hostile = make(sessions=1000, churn=0.7, hostile_names=True)
    evil = {hostile.livepeer.stream(j).name for j in range(hostile.livepeer.stream_count)}
    assert evil & set(HOSTILE)
    # Turning hostile names on changes names only, not the rest of the world.
    assert [s["lastSeen"] for s in page(clean, START)] == [
        s["lastSeen"] for s in page(hostile, START)
    ]


@pytest.mark.parametrize(
    "options",
    [{"sessions": -1}, {"sessions": 20_001}, {"speed": 0}, {"churn": 1.5}, {"port": 70000}],
)
def test_invalid_configurations_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SimConfig(**options)


def test_the_clock_runs_at_the_configured_speed() -> None:
    hand = Hand()
    clock = SimClock(speed=10.0, start=START, monotonic=hand)
    hand.elapsed = 2.5
    assert clock.now() == START + 25.0
    scenario = Scenario(SimConfig(speed=10.0), clock)
    assert scenario.now() == START + 25.0
