"""Issue strings → where the fault is: the wording providers and the simulator really use."""

from __future__ import annotations

import itertools

import pytest

from tui.issue_classes import IssueClass, classes_of, classify
from tui.providers.calls import LiveStatusWire, _health
from tui.sim.livepeer_media import Plan, Window

ENC, ING, PRV, PLAY, POLL, OTH = (
    IssueClass.ENCODER,
    IssueClass.INGEST,
    IssueClass.PROVIDER,
    IssueClass.PLAYBACK,
    IssueClass.POLLING,
    IssueClass.OTHER,
)


@pytest.mark.parametrize(
    ("issue", "expected"),
    [
        # The simulator's Livepeer health texts (tui/sim/livepeer_media.py).
        ("Keyframe interval of 8.0s is too long; set your encoder to 2s keyframes", ENC),
        ("Low bitrate: ingest at 650 kbps, below the 1,000 kbps the transcoding ladder needs", ENC),
        ("Dropped frames: 4.2% of source frames lost in the last minute", ING),
        # Catalyst/Mist-style human issues (Livepeer's stream health payload).
        ("Keyframe interval too high", ENC),
        ("Frame rate is too high (75 fps)", ENC),
        ("Unsupported codec: HEVC", ENC),
        ("Missing source segments", ING),
        ("No data received for 10s", ING),
        ("High jitter on the RTMP connection", ING),
        ("Buffer is running low", ING),
        ("Transcoding is slower than realtime", PRV),
        ("Stream is not being transcoded", PRV),
        ("Multistream target failed: connection refused", PRV),
        ("Viewers see playback errors: error rate 5%", PLAY),
        ("Rebuffering ratio above 2%", PLAY),
        # The calls client's own texts (tui/providers/calls.py `_health`).
        ("call errored", PRV),
        ("video backend status unknown (lookup failed)", PRV),
        ("row says live but the video backend says not live", PRV),
        ("row says ended but the backend is live", PRV),
        # livetop's own staleness and unknown wording.
        ("stale: livetop has no recent data", POLL),
        ("Something odd happened", OTH),
        ("", OTH),
    ],
)
def test_classify_by_where_the_fault_is(issue: str, expected: IssueClass) -> None:
    assert classify(issue) is expected


def test_every_issue_the_simulator_can_report_has_a_class_other_than_other() -> None:
    plan = Plan(
        failed=False,
        waves=(0.1, 0.05, 0.0, 0.05, 0.01, 0.0),
        windows=tuple(Window(0.0, 100.0, kind, 6.0) for kind in ("keyframe", "bitrate", "frames")),
        ready_delay=0.0,
        recording_failed=False,
    )
    issues = plan.issues(100_000.0, 50.0)
    assert len(issues) == 3
    assert [classify(i) for i in issues] == [ENC, ENC, ING]


def test_every_text_of_the_calls_client_is_the_providers_fault() -> None:
    statuses = ("live", "ended", "scheduled", "errored", None, "weird")
    lives: tuple[LiveStatusWire | None, ...] = (
        None,
        {},
        {"is_live": True},
        {"is_live": False},
        {"is_live": None},
    )
    for status, live in itertools.product(statuses, lives):
        _, issues = _health(status, live)
        assert all(classify(i) is PRV for i in issues), (status, live, issues)


def test_hostile_and_huge_strings_are_classified_by_their_start_without_error() -> None:
    assert classify("\x1b[31m[bold]keyframe[/bold] interval\u202e") is ENC
    assert classify("x" * 10_000_000 + " keyframe") is OTH  # only the start is read
    assert classify("dropped " + "x" * 10_000_000) is ING
    assert classify(None) is OTH  # type: ignore[arg-type]  # untrusted: not even a string


def test_classes_of_a_session() -> None:
    assert classes_of(["Low bitrate", "Dropped frames"]) == {ENC, ING}
    assert classes_of([], unhealthy=True) == {OTH}  # unhealthy, but not told why
    assert classes_of(["Low bitrate"], unhealthy=True) == {ENC}
    assert classes_of([], stale=True) == {POLL}
    assert classes_of([]) == frozenset()


def test_class_values_are_the_documented_stable_labels() -> None:
    assert [c.value for c in IssueClass] == [
        "encoder",
        "ingest",
        "provider",
        "playback",
        "polling",
        "other",
    ]
