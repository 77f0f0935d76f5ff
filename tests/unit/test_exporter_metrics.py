"""The exporter's metrics, built from a store fed by hand (no HTTP): values, labels, bounds."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from tui.clock import FakeClock
from tui.exporter import Exporter
from tui.models import FetchResult, ProviderKind, Session, SessionState
from tui.providers.calls import _health, status_mismatch
from tui.providers.errors import (
    ERROR_REASONS,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderInvalidPayload,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderTimeout,
)
from tui.store import SessionStore

LIVE, ENDED = SessionState.LIVE, SessionState.ENDED
KINDS = {"studio": "livepeer", "calls": "calls"}
Labels = frozenset[tuple[str, str]]


def mk(sid: str, provider: str = "studio", **kw: Any) -> Session:
    kind = ProviderKind.CALLS if provider == "calls" else ProviderKind.LIVEPEER
    fields: dict[str, Any] = {
        "name": f"name-{sid}",
        "state": LIVE,
        "healthy": True,
        "ingest_bps": 1_000_000.0,
        "outgoing_bps": 3_000_000.0,
    }
    fields.update(kw)
    return Session(provider=provider, kind=kind, id=sid, **fields)


def call(sid: str, status: str | None, is_live: bool | None) -> Session:
    """A watched call as the calls client makes it, with its wire record in `details`."""
    live = {"is_live": is_live}
    healthy, issues = _health(status, live)  # type: ignore[arg-type]  # the wire TypedDict
    state = {"live": LIVE, "ended": ENDED}.get(status or "", SessionState.SCHEDULED)
    details = {"id": sid, "status": status, "live": live}
    return mk(sid, "calls", state=state, healthy=healthy, issues=issues, details=details)


def scrape(exporter: Exporter) -> dict[str, dict[Labels, float]]:
    """Every sample of one scrape, by sample name, then by label set."""
    text, _ = exporter.render()
    out: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            out.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return out


def at(samples: Mapping[Labels, float], **labels: str) -> float:
    return samples[frozenset(labels.items())]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> SessionStore:
    store = SessionStore(clock=clock)
    for name in KINDS:
        store.register(name, interval=2.0)
    return store


def test_aggregates_count_sessions_by_state_and_health_and_sum_live_rates(
    store: SessionStore, clock: FakeClock
) -> None:
    exporter = Exporter(store, KINDS)
    store.apply(
        "studio",
        FetchResult(
            (
                mk("a"),
                mk("b", healthy=False, issues=("Low bitrate: ingest at 600 kbps",)),
                mk("c", healthy=None, ingest_bps=math.inf, outgoing_bps=math.nan),
                mk("d", ingest_bps=-5.0, outgoing_bps=None),
                mk("e", state=ENDED, healthy=None, ingest_bps=9e9),
            )
        ),
        latency=0.3,
    )
    m = scrape(exporter)
    sessions = m["livetop_sessions"]
    assert at(sessions, provider="studio", kind="livepeer", state="live", health="healthy") == 2
    assert at(sessions, provider="studio", kind="livepeer", state="live", health="unhealthy") == 1
    assert at(sessions, provider="studio", kind="livepeer", state="live", health="unknown") == 1
    assert at(sessions, provider="studio", kind="livepeer", state="ended", health="unknown") == 1
    # Every state x health is there, at 0 when empty: an alert's ratio never meets a gap.
    assert len([k for k in sessions if ("provider", "studio") in k]) == 15
    # Only live sessions, and only sane rates: inf, NaN, negative and missing add nothing.
    assert at(m["livetop_ingest_bits_per_second"], provider="studio") == 2_000_000
    assert at(m["livetop_outgoing_bits_per_second"], provider="studio") == 6_000_000
    issues = m["livetop_session_issues"]
    assert at(issues, provider="studio", **{"class": "encoder"}) == 1
    assert sum(v for k, v in issues.items() if ("provider", "studio") in k) == 1
    assert at(m["livetop_provider_up"], provider="studio", kind="livepeer") == 1
    assert at(m["livetop_provider_up"], provider="calls", kind="calls") == 0  # never polled
    assert at(m["livetop_provider_last_success_timestamp_seconds"], provider="studio") == (
        clock.time()
    )
    assert frozenset({("provider", "calls")}) not in m.get(
        "livetop_provider_last_success_timestamp_seconds", {}
    )


def test_a_failed_poll_is_down_and_stale_and_counts_its_reason_and_duration(
    store: SessionStore,
) -> None:
    exporter = Exporter(store, KINDS)
    store.apply("studio", FetchResult((mk("a"),)), latency=0.2)
    store.fail("studio", ProviderAuthError("studio", "GET /stream", 401, "bad key"), latency=0.04)
    store.fail("studio", ProviderTimeout("studio", "GET /stream", "timed out"), latency=10.0)
    m = scrape(exporter)
    assert at(m["livetop_provider_up"], provider="studio", kind="livepeer") == 0
    assert at(m["livetop_provider_stale"], provider="studio") == 1
    errors = m["livetop_poll_errors_total"]
    assert at(errors, provider="studio", reason="auth") == 1
    assert at(errors, provider="studio", reason="timeout") == 1
    assert at(errors, provider="calls", reason="auth") == 0  # known from the start, at 0
    assert at(m["livetop_poll_duration_seconds_count"], provider="studio") == 3
    assert at(m["livetop_poll_duration_seconds_sum"], provider="studio") == pytest.approx(10.24)
    buckets = m["livetop_poll_duration_seconds_bucket"]
    assert at(buckets, provider="studio", le="0.05") == 1
    assert at(buckets, provider="studio", le="0.25") == 2
    assert at(buckets, provider="studio", le="10.0") == 3
    assert at(buckets, provider="studio", le="+Inf") == 3
    # The sessions are kept (stale) and still counted: a failed poll wipes nothing.
    assert at(m["livetop_session_issues"], provider="studio", **{"class": "polling"}) == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ProviderTimeout("p", "GET /", "timed out"), "timeout"),
        (ProviderConnectionError("p", "GET /", "refused"), "connection"),
        (ProviderAuthError("p", "GET /", 403, "no"), "auth"),
        (ProviderNotFound("p", "GET /", 404, "gone"), "not_found"),
        (ProviderRateLimited("p", "GET /", 429, "slow down"), "rate_limited"),
        (ProviderHTTPError("p", "GET /", 418, "teapot"), "http_4xx"),
        (ProviderHTTPError("p", "GET /", 503, "busy"), "http_5xx"),
        (ProviderInvalidPayload("p", "GET /", "not JSON"), "invalid_payload"),
        (ProviderError("p", "GET /", "internal error: KeyError"), "internal"),
    ],
)
def test_every_provider_error_has_a_reason_of_the_fixed_set(
    store: SessionStore, error: ProviderError, reason: str
) -> None:
    assert error.reason == reason and reason in ERROR_REASONS
    store.fail("studio", error)
    assert store.status("studio").error_reasons == (reason,)


def test_a_partial_poll_is_up_and_counts_each_failed_part(store: SessionStore) -> None:
    exporter = Exporter(store, KINDS)
    missing = ProviderNotFound("calls", "GET /v1/live/calls/x", 404, "no such call")
    result = FetchResult((call("c1", "live", True),), errors=(missing, missing))
    store.apply("calls", result, latency=0.01)
    m = scrape(exporter)
    assert at(m["livetop_provider_up"], provider="calls", kind="calls") == 1
    assert at(m["livetop_poll_errors_total"], provider="calls", reason="not_found") == 2
    assert at(m["livetop_poll_duration_seconds_count"], provider="calls") == 1


def test_session_events_count_transitions_after_the_first_poll(store: SessionStore) -> None:
    exporter = Exporter(store, KINDS)
    store.apply("studio", FetchResult((mk("a"), mk("b"))))  # initial load: no events
    store.apply("studio", FetchResult((mk("a", healthy=False), mk("b"), mk("c"))))
    store.apply("studio", FetchResult((mk("a"), mk("c", state=ENDED))))
    events = scrape(exporter)["livetop_session_events_total"]
    assert at(events, provider="studio", event="went_live") == 1
    assert at(events, provider="studio", event="unhealthy") == 1
    assert at(events, provider="studio", event="recovered") == 1
    assert at(events, provider="studio", event="ended") == 2  # "c" ended, "b" gone
    assert at(events, provider="calls", event="ended") == 0


def test_polls_before_the_exporter_started_are_not_counted(store: SessionStore) -> None:
    store.fail("studio", "internal error: KeyError", latency=1.0)
    exporter = Exporter(store, KINDS)
    store.fail("studio", "internal error: KeyError", latency=1.0)
    m = scrape(exporter)
    assert at(m["livetop_poll_errors_total"], provider="studio", reason="internal") == 1
    assert at(m["livetop_poll_duration_seconds_count"], provider="studio") == 1
    exporter.close()  # unsubscribed: nothing counts any more
    store.fail("studio", "internal error: KeyError", latency=1.0)
    assert (
        at(scrape(exporter)["livetop_poll_errors_total"], provider="studio", reason="internal") == 1
    )


def test_calls_status_mismatch_counts_row_and_backend_disagreeing(store: SessionStore) -> None:
    exporter = Exporter(store, KINDS)
    calls = (
        call("agree-live", "live", True),
        call("agree-ended", "ended", False),
        call("row-live", "live", False),  # the row says live, the backend not
        call("row-ended", "ended", True),  # the reverse
        call("unknown", "live", None),  # the lookup failed: unknown, not a disagreement
        call("errored", "errored", True),
    )
    store.apply("calls", FetchResult(calls))
    assert [c.id for c in calls if status_mismatch(c)] == ["row-live", "row-ended"]
    m = scrape(exporter)
    assert at(m["livetop_calls_status_mismatch"], provider="calls") == 2
    assert frozenset({("provider", "studio")}) not in m["livetop_calls_status_mismatch"]
    assert at(m["livetop_session_issues"], provider="calls", **{"class": "provider"}) == 3


def test_aggregate_series_do_not_grow_with_sessions_or_issue_wording(
    store: SessionStore,
) -> None:
    exporter = Exporter(store, KINDS)
    store.apply("studio", FetchResult((mk("a"),)))
    few = sum(len(v) for v in scrape(exporter).values())
    many = [
        mk(f"s{i}", healthy=False, issues=(f"weird issue number {i} <b>{'x' * i}</b>",))
        for i in range(500)
    ]
    store.apply("studio", FetchResult(tuple(many)))
    m = scrape(exporter)
    assert sum(len(v) for v in m.values()) == few
    assert at(m["livetop_session_issues"], provider="studio", **{"class": "other"}) == 500
    text = exporter.render()[0].decode()
    assert "weird issue" not in text and "name-s1" not in text and "s499" not in text


def test_per_session_series_only_when_asked_live_only_capped_unhealthy_first(
    store: SessionStore,
) -> None:
    sessions = [mk(f"s{i:02}") for i in range(10)]
    sessions += [mk("sick", healthy=False), mk("gone", state=ENDED)]
    store.apply("studio", FetchResult(tuple(sessions)))
    assert "livetop_session_info" not in scrape(Exporter(store, KINDS))
    capped = scrape(Exporter(store, KINDS, per_session=4))
    kept = {dict(k)["session"] for k in capped["livetop_session_info"]}
    assert "sick" in kept and "gone" not in kept and len(kept) == 4
    assert capped["livetop_session_series_dropped"][frozenset()] == 7
    assert at(capped["livetop_session_healthy"], provider="studio", session="sick") == 0
    all_live = Exporter(store, KINDS, per_session=2000)
    m = scrape(all_live)
    assert len(m["livetop_session_info"]) == 11
    assert at(m["livetop_session_ingest_bits_per_second"], provider="studio", session="s03") == (
        1_000_000
    )
    # A session that ends simply vanishes from the next scrape.
    store.apply("studio", FetchResult((*sessions[1:10], mk("s00", state=ENDED), sessions[10])))
    after = scrape(all_live)
    assert {dict(k)["session"] for k in after["livetop_session_info"]} == kept_minus(m, "s00")


def kept_minus(m: Mapping[str, Mapping[Labels, float]], sid: str) -> set[str]:
    return {dict(k)["session"] for k in m["livetop_session_info"]} - {sid}


def test_per_session_labels_are_inert_bounded_unique_and_never_secret(
    store: SessionStore,
) -> None:
    hostile = "\x1b]52;c;aGk=\x07" + "é\u202e" + "q" * 300
    sessions = (
        mk(hostile + "1", name="\x1b[2J<script>", secret=SecretStr("sk_live_TOPSECRET")),
        mk(hostile + "2"),  # alike in the first 128 characters: one series, not two
        mk('quote"back\\slash\nnewline', name="x" * 1000),
        mk("\ud800surrogate"),  # not encodable as UTF-8 as it is
    )
    store.apply("studio", FetchResult(sessions))
    exporter = Exporter(store, KINDS, per_session=100)
    text = exporter.render()[0].decode()
    assert "TOPSECRET" not in text and "\x1b" not in text and "\u202e" not in text
    m = scrape(exporter)  # parses: escaping held
    ids = {dict(k)["session"] for k in m["livetop_session_info"]}
    assert len(ids) == 3 and all(len(i) <= 128 for i in ids)
    assert 'quote"back\\slash newline' in ids
    assert m["livetop_session_series_dropped"][frozenset()] == 1
    names = {dict(k)["name"] for k in m["livetop_session_info"]}
    assert max(len(n) for n in names) <= 64


def test_viewers_and_viewers_affected_once_the_provider_reports_them(
    store: SessionStore,
) -> None:
    exporter = Exporter(store, KINDS)
    store.apply("studio", FetchResult((mk("a", viewers=5),)))
    m = scrape(exporter)
    assert "livetop_viewers" not in m  # no viewership measured yet: unknown, not zero
    sessions = (
        mk("ok", viewers=120),
        mk("sick", healthy=False, viewers=900),
        mk("errors", viewers=40, playback_error_rate=0.5),  # its viewers see errors
        mk("ended-sick", state=ENDED, healthy=False, viewers=7),  # not live: not counted
        mk("unknown", viewers=None),
    )
    measured = datetime.fromtimestamp(FakeClock().time(), UTC)
    store.apply("studio", FetchResult(sessions, viewers_at=measured))
    m = scrape(exporter)
    assert at(m["livetop_viewers"], provider="studio") == 1060
    assert at(m["livetop_viewers_affected"], provider="studio") == 940
    assert frozenset({("provider", "calls")}) not in m["livetop_viewers"]  # calls: none
