"""The provider bar's line: the provider's own words, the data's age, and the next poll only
when it matters (a countdown ticking every second on a healthy provider is noise)."""

from __future__ import annotations

from tui.store import ProviderHealth, ProviderStatus
from tui.widgets.provider_bar import describe

NOW = 1_795_348_800.0


def line(**fields: object) -> str:
    base: dict[str, object] = {"name": "studio", "health": ProviderHealth.OK, "interval": 2.0}
    base.update(last_success=NOW - 1, last_latency=0.012, session_count=54)
    base.update(fields)
    return describe(ProviderStatus(**base), NOW, paused=False).plain  # type: ignore[arg-type]


def test_a_healthy_provider_shows_no_countdown() -> None:
    assert line(next_poll=NOW + 1) == " ● studio       OK       · 54 sessions · every 2s · 12 ms"
    assert "every 0.5s" in line(interval=0.5) and "every 8.4s" in line(interval=8.4)
    assert line(polling_since=NOW - 0.5).endswith("12 ms")  # an ordinary poll in flight


def test_late_data_shows_its_age() -> None:
    assert "· data 5s old ·" in line(last_success=NOW - 5)
    assert "· no data yet ·" in line(last_success=None)


def test_a_slow_poll_and_a_long_wait_are_shown() -> None:
    assert "· every 2s · polling… 3s · 12 ms" in line(polling_since=NOW - 3)
    assert "· next 30s ·" in line(next_poll=NOW + 30)  # e.g. a Retry-After


def test_a_failing_provider_says_when_it_is_retried() -> None:
    text = line(
        health=ProviderHealth.FAILING,
        last_error="invalid API key",
        error_detail="studio: GET /session: HTTP 401: invalid API key",
        consecutive_failures=3,
        next_poll=NOW + 8,
    )
    assert "FAILING (3 in a row): HTTP 401: invalid API key" in text
    assert text.endswith("· data 1s old · retry in 8s · 12 ms")


def test_paused_says_so() -> None:
    status = ProviderStatus(name="uiza", health=ProviderHealth.OK, next_poll=NOW + 1)
    assert describe(status, NOW, paused=True).plain.endswith("· no data yet · paused")


def test_the_budget_is_named_when_it_sets_the_pace() -> None:
    calls = line(name="calls", session_count=7, interval=8.4, budget=50, budget_bound=True)
    assert calls == " ● calls        OK       · 7 sessions · every 8.4s · budget 50/min · 12 ms"
    assert len(calls) <= 80
    many = line(name="calls", session_count=1000, interval=1200.0, budget=50, budget_bound=True)
    assert "· 1000 sessions · every 20m · budget 50/min ·" in many
    assert "budget" not in line(budget=600, budget_bound=False)  # not what limits it: no noise


def test_a_retry_after_past_the_cap_says_what_was_asked() -> None:
    text = line(
        health=ProviderHealth.FAILING,
        last_error="too many requests",
        error_detail="studio: GET /session: HTTP 429: too many requests",
        next_poll=NOW + 900,
        retry_after=86400.0,
    )
    assert text.endswith("· retry in 15m (asked 1d00h, capped) · 12 ms")
    assert "capped" not in line(health=ProviderHealth.FAILING, next_poll=NOW + 30, retry_after=30.0)
