"""Viewer impact without a screen: the trouble order by viewers affected, sort `v`, the
`issue:` filter, the VIEWERS and ISSUE columns, the store's count of viewers affected and its
viewer history, and the snapshot contract's two new fields."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tui import format as fmt
from tui.clock import FakeClock
from tui.columns import COLUMNS, fit_columns
from tui.issue_classes import IssueClass, classes_of
from tui.models import SNAPSHOT_FIELDS, FetchResult, ProviderKind, Session, SessionState
from tui.session_list import (
    SortKey,
    SortOrder,
    audience_step,
    parse_filter,
    sort_sessions,
    visible_keys,
)
from tui.snapshot import session_json
from tui.store import SampleRing, SessionStore

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def s(
    sid: str,
    *,
    viewers: int | None = None,
    errors: float | None = None,
    healthy: bool | None = True,
    state: SessionState = SessionState.LIVE,
    issues: tuple[str, ...] = (),
    started: int = 600,
    provider: str = "studio",
) -> Session:
    return Session(
        provider=provider,
        kind=ProviderKind.LIVEPEER,
        id=sid,
        name=sid,
        state=state,
        healthy=healthy,
        issues=issues,
        last_seen=NOW - timedelta(seconds=2),
        started_at=NOW - timedelta(seconds=started),
        viewers=viewers,
        playback_error_rate=errors,
    )


def order(
    sessions: list[Session], key: SortKey = SortKey.TROUBLE, reverse: bool = False
) -> list[str]:
    return [x.id for x in sort_sessions(sessions, SortOrder(key, reverse))]


# -- trouble, ranked by impact -------------------------------------------------------------------


def test_trouble_first_the_most_viewers_affected_first() -> None:
    sessions = [
        s("ok-big", viewers=90_000),
        s("bad-3", viewers=3, healthy=False, started=5000),
        s("bad-12k", viewers=12_000, healthy=False, started=100),
        s("bad-unknown", healthy=False, started=9000),
        s("failing-playback", viewers=400, errors=0.2),  # healthy ingest, viewers see errors
        s("ended-bad", viewers=None, healthy=False, state=SessionState.ENDED),
        s("ok-small", viewers=2),
    ]
    assert order(sessions) == [
        "bad-12k",
        "failing-playback",
        "bad-3",
        "bad-unknown",
        "ok-big",  # then the live ones as before (on air as long: by name)
        "ok-small",
        "ended-bad",
    ]


def test_a_handful_of_viewers_coming_and_going_moves_no_row() -> None:
    # Same step (10k-20k): the order within it is the settled one (longest on air first).
    a = s("a", viewers=12_000, healthy=False, started=3000)
    b = s("b", viewers=14_000, healthy=False, started=100)
    assert order([a, b]) == ["a", "b"]
    assert order([replace(a, viewers=19_999), replace(b, viewers=10_001)]) == ["a", "b"]
    assert order([a, replace(b, viewers=20_000)]) == ["b", "a"]  # a step up: it moves


@pytest.mark.parametrize(
    ("viewers", "step"),
    [
        (None, 0),
        (0, 0),
        (1, 1),
        (2, 2),
        (4, 2),
        (5, 3),
        (9, 3),
        (10, 4),
        (19, 4),
        (20, 5),
        (12_000, 13),
        (10**8, 25),
    ],
)
def test_audience_steps(viewers: int | None, step: int) -> None:
    assert audience_step(viewers) == step


def test_a_playback_error_rate_under_the_line_is_no_trouble() -> None:
    quiet = s("quiet", viewers=100, errors=0.049, started=100)
    loud = s("loud", viewers=100, errors=0.05, started=50)
    old = s("old", started=900)
    assert order([old, quiet, loud]) == ["loud", "old", "quiet"]
    assert not replace(loud, state=SessionState.ENDED).playback_failing


# -- sort by viewers ---------------------------------------------------------------------------


def test_v_sorts_by_viewers_most_first_and_unknown_last() -> None:
    sessions = [s("none"), s("zero", viewers=0), s("many", viewers=5000), s("few", viewers=3)]
    assert order(sessions, SortKey.VIEWERS) == ["many", "few", "zero", "none"]
    assert order(sessions, SortKey.VIEWERS, reverse=True) == ["none", "zero", "few", "many"]
    assert SortOrder().pressed(SortKey.VIEWERS).label == "viewers ↓"


# -- issue classes and the filter -----------------------------------------------------------


FILTERED = [
    s("keyframes", healthy=False, issues=("Keyframe interval of 4.0s is too long",)),
    s("frames", healthy=False, issues=("Dropped frames: 3% lost",)),
    s("both", healthy=False, issues=("Low bitrate: 800 kbps", "Dropped frames: 9%")),
    s("odd", healthy=False, issues=("Stream health check returned code 17",)),
    s("silent", healthy=False),  # unhealthy, and not told why
    s("watched", viewers=50, errors=0.3),
    s("fine", viewers=50, errors=0.001),
    s("backend", provider="calls", healthy=False, issues=("call errored",)),
]


def matching(text: str, stale: set[str] | None = None) -> list[str]:
    gone = stale or set()
    flt = parse_filter(text, stale=lambda x: x.id in gone)
    return sorted(k.id for k in visible_keys(FILTERED, flt, SortOrder()))


def test_issue_filters_by_where_the_fault_is() -> None:
    assert matching("issue:encoder") == ["both", "keyframes"]
    assert matching("issue:ingest") == ["both", "frames"]
    assert matching("issue:provider") == ["backend"]
    assert matching("issue:playback") == ["watched"]  # measured: its viewers see errors
    assert matching("issue:other") == ["odd", "silent"]  # never dropped
    assert matching("issue:polling", stale={"fine"}) == ["fine"]  # livetop's own stale data
    assert matching("-issue:encoder issue:ingest") == ["frames"]
    assert matching("ISSUE:Encoder") == ["both", "keyframes"]


def test_an_unknown_class_is_a_problem_listing_the_classes() -> None:
    flt = parse_filter("issue:keyframe")
    assert flt.problems == ("issue: encoder, ingest, provider, playback, polling, other",)
    assert not flt.terms


def test_unknown_wording_is_other_never_dropped() -> None:
    assert classes_of(["wibble wobble"]) == {IssueClass.OTHER}
    assert classes_of([], playback=True) == {IssueClass.PLAYBACK}


# -- columns ---------------------------------------------------------------------------------


def render(label: str, session: Session) -> str:
    col = next(c for c in COLUMNS if c.label == label)
    return col.render(session, NOW)


def test_the_viewers_column() -> None:
    assert render("VIEWERS", s("a", viewers=14_234)) == "14.2k"
    assert render("VIEWERS", s("a", viewers=812)) == "812"
    assert render("VIEWERS", s("a")) == fmt.DASH
    assert render("VIEWERS", s("a", viewers=5, state=SessionState.ENDED)) == fmt.DASH
    assert render("VIEWERS", replace(s("a"), invalid=frozenset({"viewers"}))) == fmt.INVALID


def test_the_viewers_column_is_the_first_to_go() -> None:
    widths = range(60, 220)
    full = next(w for w in widths if len(fit_columns(w)) == len(COLUMNS))
    assert "VIEWERS" not in [c.label for c, _ in fit_columns(full - 1)]
    assert len(fit_columns(full - 1)) == len(COLUMNS) - 1


def test_the_issue_column_leads_with_the_class() -> None:
    both = FILTERED[2]
    assert render("ISSUE", both) == "encoder: Low bitrate: 800 kbps\x00 +1"
    assert render("ISSUE", s("a", viewers=9, errors=0.123)) == "playback: 12% of views fail"
    assert render("ISSUE", s("a")) == ""


def test_counts_and_shares_read_in_few_cells() -> None:
    shown = [fmt.count(n) for n in (0, 9_999, 10_000, 14_234, 99_949, 312_345, 999_500, 10**8)]
    assert shown == ["0", "9,999", "10.0k", "14.2k", "99.9k", "312k", "1.0M", "100M"]
    assert max(len(x) for x in shown) <= 6
    assert [fmt.percent(x) for x in (None, 0.0, 0.004, 0.123, 1.0)] == [
        fmt.DASH,
        "0.0%",
        "0.4%",
        "12%",
        "100%",
    ]


# -- the store: viewers affected, viewer history ----------------------------------------------


def fetched(*sessions: Session, at: float | None = None) -> FetchResult:
    when = None if at is None else datetime.fromtimestamp(at, UTC)
    return FetchResult(tuple(sessions), viewers_at=when)


def test_the_store_counts_viewers_on_unhealthy_streams() -> None:
    store = SessionStore(clock=FakeClock())
    store.apply("studio", fetched(s("a", viewers=100), s("b", viewers=12_000, healthy=False)))
    store.apply("calls", fetched(s("c", healthy=False, provider="calls")))
    assert store.counts().affected == 12_000
    assert store.counts("calls").affected is None  # unhealthy, but nobody counted
    store.apply("studio", fetched(s("a", viewers=100), s("b", viewers=12_000)))
    assert store.counts().affected is None


def test_viewers_are_sampled_with_the_rates() -> None:
    clock = FakeClock()
    store = SessionStore(clock=clock)
    t0 = clock.time()
    for count in (10, None, 30):
        session = replace(s("a", viewers=count), ingest_bps=None)
        store.apply("studio", fetched(session, at=t0))
    ended = replace(s("a", viewers=30), state=SessionState.ENDED)
    store.apply("studio", fetched(ended, at=t0))  # not on air: not sampled
    assert [x.viewers for x in store.history(s("a").key)] == [10.0, 30.0]
    status = store.status("studio")
    assert status.viewers_at == t0
    assert status.viewers_late(t0 + 30.0) is None
    assert status.viewers_late(t0 + 60.0) == pytest.approx(60.0)


def test_a_notice_reaches_the_providers_status() -> None:
    store = SessionStore(clock=FakeClock())
    store.apply("studio", FetchResult((), notice="viewers need a private key (403)"))
    assert store.status("studio").notice == "viewers need a private key (403)"
    assert store.status("studio").health.value == "ok"  # a notice is not a failure


def test_the_ring_grows_a_viewer_array_only_once_viewers_come() -> None:
    plain, counted = SampleRing(120), SampleRing(120)
    for i in range(200):
        plain.append(float(i), 1e6, 2e6)
        counted.append(float(i), 1e6, 2e6, None if i < 150 else float(i))

    def size(ring: SampleRing) -> int:
        arrays = (ring._t, ring._v, ring._w)
        return sys.getsizeof(ring) + sum(sys.getsizeof(a) for a in arrays if a is not None)

    assert size(plain) < 2_300  # as documented: ~2.3 KB a session
    assert size(counted) - size(plain) < 620  # ~0.5 KB more with viewers
    samples = counted.samples()
    assert len(samples) == 120 and samples[0].t == 80.0
    assert [x.viewers for x in samples[68:72]] == [None, None, 150.0, 151.0]
    assert plain.samples()[-1].viewers is None


# -- the snapshot contract ---------------------------------------------------------------------


def test_the_snapshot_has_viewers_and_the_playback_error_rate() -> None:
    after = SNAPSHOT_FIELDS.index("recording") + 1  # then the rundown's watched and late
    assert SNAPSHOT_FIELDS[after : after + 2] == ("viewers", "playback_error_rate")
    known = session_json(s("a", viewers=1200, errors=0.01234567))
    assert (known["viewers"], known["playback_error_rate"]) == (1200, 0.0123)
    unknown = session_json(s("b"))
    assert list(unknown) == list(SNAPSHOT_FIELDS)
    assert unknown["viewers"] is None and unknown["playback_error_rate"] is None
