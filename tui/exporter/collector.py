"""The metrics, built from the store at scrape time (so an ended session simply vanishes).

Every label value is bounded: provider names come from the config, the rest from fixed sets
(kind, state, health, issue class, event, reason). Issue strings and keys never become labels.
Per-session series (`per_session` set) are the one exception to "aggregates only": live
sessions only, at most `per_session` of them, each labelled by its id (made inert and cut to
128 characters); `livetop_session_series_dropped` counts the live sessions left out.

The collector reads the store synchronously, on the event loop that polls into it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from tui import __version__
from tui.exporter.tally import POLL_BUCKETS, Tally
from tui.format import safe_text
from tui.issue_classes import IssueClass, classes_of
from tui.models import ProviderKind, Session, SessionState
from tui.providers.calls import status_mismatch
from tui.session_list import in_trouble
from tui.store import ProviderHealth, SessionStore

DEFAULT_PER_SESSION_LIMIT = 2000
_UP = (ProviderHealth.OK, ProviderHealth.PARTIAL)  # the last poll brought data
_LIVE, _ENDED = SessionState.LIVE, SessionState.ENDED
_HEALTH = {True: "healthy", False: "unhealthy", None: "unknown"}
_BOUNDS = [repr(b) for b in POLL_BUCKETS] + ["+Inf"]  # how Prometheus writes `le` ("0.5")
_MAX_ID = 128
_MAX_NAME = 64


def _rate(value: float | None) -> float:
    """A rate to add up: absent, negative or non-finite values count as nothing."""
    if value is None or not math.isfinite(value) or value < 0:
        return 0.0
    return value


@dataclass(slots=True)
class _Totals:
    """One provider's aggregates over its sessions."""

    sessions: dict[tuple[str, str], int] = field(default_factory=dict)
    issues: dict[IssueClass, int] = field(default_factory=lambda: dict.fromkeys(IssueClass, 0))
    ingest: float = 0.0
    outgoing: float = 0.0
    mismatches: int = 0
    viewers: int = 0  # on live sessions
    affected: int = 0  # on sessions in trouble (unhealthy, or their viewers seeing errors)


class StoreCollector:
    """A `prometheus_client` collector over one `SessionStore` (see the module docstring).

    `kinds` maps each configured provider to its kind, in config order; `tally` holds what
    happened between scrapes; `per_session` is the cap of per-session series, None for none.
    """

    def __init__(
        self,
        store: SessionStore,
        kinds: Mapping[str, str],
        tally: Tally,
        *,
        per_session: int | None = None,
    ) -> None:
        self._store = store
        self._kinds = dict(kinds)
        self._tally = tally
        self._per_session = None if per_session is None else max(0, per_session)

    def describe(self) -> list[Metric]:
        return []  # no registration-time check: this collector owns the livetop_ names

    def _providers(self) -> list[str]:
        return [*self._kinds, *(p for p in self._store.providers if p not in self._kinds)]

    def collect(self) -> Iterator[Metric]:
        providers = self._providers()
        yield from self._provider_metrics(providers)
        yield from self._session_metrics(providers)
        yield from self._tally_metrics(providers)
        if self._per_session is not None:
            yield from self._per_session_metrics(providers, self._per_session)
        info = GaugeMetricFamily(
            "livetop_build_info", "livetop's version (always 1)", labels=["version"]
        )
        info.add_metric([__version__], 1)
        yield info

    def _kind(self, provider: str) -> str:
        return self._kinds.get(provider, "unknown")

    def _provider_metrics(self, providers: list[str]) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "livetop_provider_up",
            "1 when the provider's last poll brought data, 0 when it failed or none finished yet",
            labels=["provider", "kind"],
        )
        success = GaugeMetricFamily(
            "livetop_provider_last_success_timestamp_seconds",
            "When the provider's last successful poll ended (Unix time)",
            labels=["provider"],
        )
        stale = GaugeMetricFamily(
            "livetop_provider_stale",
            "1 while livetop's data of the provider is stale (last poll failed, or too old)",
            labels=["provider"],
        )
        interval = GaugeMetricFamily(
            "livetop_provider_poll_interval_seconds",
            "The provider's configured polling interval",
            labels=["provider"],
        )
        for name in providers:
            try:
                status = self._store.status(name)
            except KeyError:
                continue
            up.add_metric([name, self._kind(name)], 1 if status.health in _UP else 0)
            if status.last_success is not None:
                success.add_metric([name], status.last_success)
            stale.add_metric([name], 1 if status.stale else 0)
            interval.add_metric([name], status.interval)
        yield from (up, success, stale, interval)

    def _viewers_known(self, provider: str) -> bool:
        """The provider reports viewers and their counts came (however few they are)."""
        store = self._store
        return provider in store.providers and store.status(provider).viewers_at is not None

    def _totals(self, provider: str) -> _Totals:
        store, totals = self._store, _Totals()
        stale_all = store.status(provider).stale if provider in store.providers else False
        calls = self._kind(provider) == ProviderKind.CALLS
        counts = totals.sessions
        for s in store.sessions(provider):
            key = (s.state.value, _HEALTH.get(s.healthy, "unknown"))
            counts[key] = counts.get(key, 0) + 1
            if s.state is _LIVE:
                totals.ingest += _rate(s.ingest_bps)
                totals.outgoing += _rate(s.outgoing_bps)
                seen = max(0, s.viewers or 0)
                totals.viewers += seen
                if in_trouble(s):
                    totals.affected += seen
            if calls and status_mismatch(s):
                totals.mismatches += 1
            if s.state is _ENDED:
                continue
            stale = stale_all or store.is_stale(s.key)
            playback = s.playback_failing
            if s.issues or s.healthy is False or stale or playback:
                found = classes_of(
                    s.issues, unhealthy=s.healthy is False, stale=stale, playback=playback
                )
                for cls in found:
                    totals.issues[cls] += 1
        return totals

    def _session_metrics(self, providers: list[str]) -> Iterator[Metric]:
        sessions = GaugeMetricFamily(
            "livetop_sessions",
            "Sessions in livetop's store (ended ones for 10 minutes), by state and health",
            labels=["provider", "kind", "state", "health"],
        )
        ingest = GaugeMetricFamily(
            "livetop_ingest_bits_per_second",
            "Ingest bitrate summed over the provider's live sessions",
            labels=["provider"],
        )
        outgoing = GaugeMetricFamily(
            "livetop_outgoing_bits_per_second",
            "Outgoing (transcoded) bitrate summed over the provider's live sessions",
            labels=["provider"],
        )
        issues = GaugeMetricFamily(
            "livetop_session_issues",
            "Sessions not ended with trouble of this class (issue strings mapped to classes)",
            labels=["provider", "class"],
        )
        viewers = GaugeMetricFamily(
            "livetop_viewers",
            "Viewers of the provider's live sessions (providers that report viewers only)",
            labels=["provider"],
        )
        affected = GaugeMetricFamily(
            "livetop_viewers_affected",
            "Viewers of live sessions in trouble: unhealthy, or their playback failing",
            labels=["provider"],
        )
        mismatch = GaugeMetricFamily(
            "livetop_calls_status_mismatch",
            "Watched calls whose row and video backend disagree on whether they are live",
            labels=["provider"],
        )
        for name in providers:
            kind, totals = self._kind(name), self._totals(name)
            for state in SessionState:
                for health in _HEALTH.values():
                    n = totals.sessions.get((state.value, health), 0)
                    sessions.add_metric([name, kind, state.value, health], n)
            ingest.add_metric([name], totals.ingest)
            outgoing.add_metric([name], totals.outgoing)
            for cls, n in totals.issues.items():
                issues.add_metric([name, cls.value], n)
            if kind == ProviderKind.CALLS:
                mismatch.add_metric([name], totals.mismatches)
            if self._viewers_known(name):
                viewers.add_metric([name], totals.viewers)
                affected.add_metric([name], totals.affected)
        yield from (sessions, ingest, outgoing, issues, viewers, affected, mismatch)

    def _tally_metrics(self, providers: list[str]) -> Iterator[Metric]:
        tally = self._tally
        events = CounterMetricFamily(
            "livetop_session_events",
            "Session events seen after each provider's first poll",
            labels=["provider", "event"],
        )
        for (provider, event), n in tally.events.items():
            events.add_metric([provider, event], n)
        errors = CounterMetricFamily(
            "livetop_poll_errors",
            "Errors of polls (a partial poll counts each failed part)",
            labels=["provider", "reason"],
        )
        for (provider, reason), n in tally.errors.items():
            errors.add_metric([provider, reason], n)
        durations = HistogramMetricFamily(
            "livetop_poll_duration_seconds",
            "How long each poll of a provider took, failed ones included",
            labels=["provider"],
        )
        for provider in providers:
            hist = tally.latency.get(provider)
            if hist is not None:
                buckets = list(zip(_BOUNDS, hist.cumulative(), strict=True))
                durations.add_metric([provider], buckets, sum_value=hist.sum)
        yield from (events, errors, durations)

    def _per_session_metrics(self, providers: list[str], limit: int) -> Iterator[Metric]:
        live = [s for p in providers for s in self._store.sessions(p) if s.state is _LIVE]
        live.sort(key=_keep_first)
        kept = live[:limit]
        labels = ["provider", "session"]
        info = GaugeMetricFamily(
            "livetop_session_info",
            "One live session (always 1), with its kind and name",
            labels=["provider", "session", "kind", "name"],
        )
        healthy = GaugeMetricFamily(
            "livetop_session_healthy",
            "1 healthy, 0 unhealthy (absent while the provider does not say)",
            labels=labels,
        )
        ingest = GaugeMetricFamily(
            "livetop_session_ingest_bits_per_second",
            "A live session's ingest bitrate",
            labels=labels,
        )
        outgoing = GaugeMetricFamily(
            "livetop_session_outgoing_bits_per_second",
            "A live session's outgoing bitrate",
            labels=labels,
        )
        seen: set[tuple[str, str]] = set()
        for s in kept:
            sid = _label(s.id, _MAX_ID)
            if (s.provider, sid) in seen:  # ids alike in their first 128 characters
                continue  # a duplicate series would make Prometheus refuse the whole scrape
            seen.add((s.provider, sid))
            info.add_metric([s.provider, sid, s.kind.value, _label(s.name, _MAX_NAME)], 1)
            if s.healthy is not None:
                healthy.add_metric([s.provider, sid], 1 if s.healthy else 0)
            if s.ingest_bps is not None and math.isfinite(s.ingest_bps):
                ingest.add_metric([s.provider, sid], s.ingest_bps)
            if s.outgoing_bps is not None and math.isfinite(s.outgoing_bps):
                outgoing.add_metric([s.provider, sid], s.outgoing_bps)
        dropped = GaugeMetricFamily(
            "livetop_session_series_dropped",
            "Live sessions left out of the per-session series by --per-session-limit",
        )
        dropped.add_metric([], len(live) - len(seen))
        yield from (info, healthy, ingest, outgoing, dropped)


def _label(text: str, limit: int) -> str:
    """Provider text as a label value: printable and bounded (most ids already are)."""
    return text if len(text) <= limit and text.isprintable() else safe_text(text, limit)


def _keep_first(s: Session) -> tuple[bool, float, str, str]:
    """Which live sessions the cap keeps: unhealthy ones, then the longest on air (a set that
    changes little between scrapes), then by provider and id."""
    start = s.started_at or s.created_at
    return (s.healthy is not False, start.timestamp() if start else math.inf, s.provider, s.id)
