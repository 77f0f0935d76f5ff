"""A row's text, and the detail pane's, is recomputed only when the clock could change it:
`stable_for` and `detail_pane.stays` never promise longer than the text really stays the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.columns import COLUMNS, stable_for
from tui.models import ProviderKind, Session, SessionState
from tui.widgets.detail_pane import describe, stays

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ages = st.one_of(
    st.none(),
    st.floats(-30, 120),  # where the text changes every second or every 5 s
    st.floats(-30, 3 * 86400),
)


def session(state: SessionState, started: float | None, seen: float | None) -> Session:
    return Session(
        "studio",
        ProviderKind.LIVEPEER,
        "a",
        "a",
        state,
        started_at=None if started is None else NOW - timedelta(seconds=started),
        last_seen=None if seen is None else NOW - timedelta(seconds=seen),
        duration_s=42.0,
    )


def cells(s: Session, now: datetime) -> list[str]:
    return [c.render(s, now) for c in COLUMNS]


def detail(s: Session, now: datetime) -> str:
    return "\n".join(line.plain for line in describe(s, now, reveal=False, stale=False))


# (what promises, the text it promises for, whether the text changes right after)
PROMISES = {"row": (stable_for, cells, False), "detail": (stays, detail, True)}


@pytest.mark.parametrize(("promise", "text", "tight"), PROMISES.values(), ids=PROMISES)
@given(
    st.sampled_from([SessionState.LIVE, SessionState.ENDED]),
    ages,
    ages,
    st.floats(0, 1, exclude_max=True),
)
def test_text_stays_the_same_for_as_long_as_promised(
    promise: Callable[[Session, datetime], float],
    text: Callable[[Session, datetime], object],
    tight: bool,
    state: SessionState,
    started: float | None,
    seen: float | None,
    share: float,
) -> None:
    s = session(state, started, seen)
    wait = promise(s, NOW)
    assert wait > 0
    if wait == float("inf"):
        wait = 10 * 86400.0
    # datetimes hold microseconds: a moment within one of the promise rounds onto its end
    later = NOW + timedelta(seconds=max(0.0, wait * share - 1e-6))
    assert text(s, later) == text(s, NOW)
    # and it is no promise of nothing: the moment it runs out, the text can change
    if tight and wait < 10 * 86400.0:
        assert text(s, NOW + timedelta(seconds=wait + 1e-3)) != text(s, NOW)


def test_a_long_running_session_is_recomputed_once_a_minute_not_every_second() -> None:
    s = session(SessionState.LIVE, started=3600 + 30.5, seen=120.5)
    assert stable_for(s, NOW) == 29.5
    assert stable_for(session(SessionState.LIVE, 5.25, 3.0), NOW) == 0.75  # "5s" ticks
    assert stable_for(session(SessionState.ENDED, None, None), NOW) == float("inf")
    # the detail pane shows the exact age: a second, not 5 s, under a minute
    assert stays(s, NOW) == 29.5
    assert stays(session(SessionState.LIVE, 3600.0, 7.25), NOW) == 0.75
    assert stays(session(SessionState.ENDED, None, 2.0), NOW) == 3.0  # "now" until 5 s


def test_a_session_off_air_shows_no_rate() -> None:
    rates = [c for c in COLUMNS if c.label in ("INGEST", "OUTGOING")]
    live = replace(session(SessionState.LIVE, 60, 1), ingest_bps=2.1e6, outgoing_bps=4e6)
    ended = replace(live, state=SessionState.ENDED)
    assert [c.render(live, NOW) for c in rates] == ["2.1 Mb/s", "4.0 Mb/s"]
    assert [c.render(ended, NOW) for c in rates] == ["—", "—"]


def call(state: SessionState, scheduled: float | None, **kw: object) -> Session:
    """A call scheduled `scheduled` seconds from NOW (negative: past its start)."""
    at = None if scheduled is None else NOW + timedelta(seconds=scheduled)
    fields: dict[str, object] = {"last_seen": NOW - timedelta(minutes=43), **kw}
    return Session("calls", ProviderKind.CALLS, "c", "Guest", state, scheduled_at=at, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("promise", "text", "tight"), PROMISES.values(), ids=PROMISES)
@given(
    st.sampled_from([SessionState.SCHEDULED, SessionState.LIVE, SessionState.ENDED]),
    st.one_of(st.none(), st.floats(-200, 200), st.floats(-3 * 86400, 3 * 86400)),
    ages,
    st.floats(0, 1, exclude_max=True),
)
def test_a_calls_countdown_stays_for_as_long_as_promised(
    promise: Callable[[Session, datetime], float],
    text: Callable[[Session, datetime], object],
    tight: bool,
    state: SessionState,
    scheduled: float | None,
    ended: float | None,
    share: float,
) -> None:
    ended_at = None if ended is None else NOW - timedelta(seconds=ended)
    s = call(state, scheduled, ended_at=ended_at, started_at=NOW - timedelta(minutes=5))
    wait = promise(s, NOW)
    assert wait > 0
    if wait == float("inf"):
        wait = 10 * 86400.0
    later = NOW + timedelta(seconds=max(0.0, wait * share - 1e-6))
    assert text(s, later) == text(s, NOW)


def test_a_call_says_when_it_starts_or_how_late_it_is_not_when_its_row_changed() -> None:
    by_label = {c.label: c for c in COLUMNS}
    on_air, seen, state = by_label["ON AIR"], by_label["SEEN"], by_label["STATE"]
    soon = call(SessionState.SCHEDULED, 12 * 60 - 30)
    assert (state.render(soon, NOW), on_air.render(soon, NOW)) == ("scheduled", "in 12m")
    assert on_air.render(call(SessionState.SCHEDULED, 2 * 86400), NOW) == "in 2d"
    # Late: the state column says so (it stays at every width), nothing is on air.
    late = call(SessionState.SCHEDULED, -3 * 60 - 5)
    assert (state.render(late, NOW), on_air.render(late, NOW)) == ("late 3m", "—")
    assert state.render(call(SessionState.SCHEDULED, -59 * 60), NOW) == "late 59m"
    assert state.render(call(SessionState.SCHEDULED, -3 * 86400), NOW) == "late 3d"
    live = call(SessionState.LIVE, -600, started_at=NOW - timedelta(minutes=7))
    assert on_air.render(live, NOW) == "7m"
    assert seen.render(live, NOW) == "—"  # not "43m": the row was edited then, nothing more
    ended = call(SessionState.ENDED, -600, ended_at=NOW - timedelta(minutes=4))
    assert seen.render(ended, NOW) == "4m"


def test_the_detail_pane_of_a_call() -> None:
    lines = detail(call(SessionState.SCHEDULED, 12 * 60 - 30, parent_id="sc_123"), NOW)
    assert "stream call sc_123" in lines  # label and value apart
    assert "scheduled  2026-11-22 12:11:30Z (starts in 12m)" in lines
    assert "updated    2026-11-22 11:17:00Z (43m)" in lines and "last seen" not in lines
    late = call(SessionState.LIVE, -600, started_at=NOW - timedelta(minutes=7))
    assert "(started 3m late)" in detail(late, NOW)
