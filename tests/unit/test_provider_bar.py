"""The provider bar's line: the provider's own words, the data's age, and the next poll only
when it matters (a countdown ticking every second on a healthy provider is noise)."""

from __future__ import annotations

from typing import Any

from tui.store import ProviderHealth, ProviderStatus
from tui.widgets.provider_bar import describe

NOW = 1_795_348_800.0


def line(width: int | None = None, name_width: int = 12, **fields: object) -> str:
    base: dict[str, object] = {"name": "studio", "health": ProviderHealth.OK, "interval": 2.0}
    base.update(last_success=NOW - 1, last_latency=0.012, session_count=54)
    base.update(fields)
    status = ProviderStatus(**base)  # type: ignore[arg-type]
    return describe(status, NOW, paused=False, width=width, name_width=name_width).plain


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
    assert text == (
        " ✖ studio       FAILING (3 in a row) · data 1s old · retry in 8s"
        " · HTTP 401: invalid API key · 54 sessions · 12 ms"
    )


GATEWAY: dict[str, Any] = {
    "name": "calls",
    "health": ProviderHealth.FAILING,
    "last_error": "Bad Gateway (text/html body) from the proxy in front of the API, again",
    "error_detail": "calls: GET /v1/live/calls/x: HTTP 502: Bad Gateway (text/html body) "
    "from the proxy in front of the API, again",
    "consecutive_failures": 12,
    "last_success": NOW - 3725,
    "next_poll": NOW + 9,
    "budget": 50,
    "session_count": 7,
}


def test_the_facts_come_before_the_message_and_fit_80_and_120_columns() -> None:
    """The provider's message pushed the data age and the retry countdown off the screen: the
    facts now come first, in shorter words where whole ones would leave the message no room."""
    for width, name_width in ((80, 12), (80, 6), (120, 12), (120, 6)):
        shown = line(width, name_width, **GATEWAY)[:width]
        for fact in ("FAILING", "12", "1h02m old", "retry", "9s", "budget 50/min", "HTTP 502"):
            assert fact in shown, (width, shown)
    assert (
        line(120, 6, **GATEWAY)[:120]
        == (
            " ✖ calls  FAILING (12 in a row) · data 1h02m old · retry in 9s · budget 50/min"
            " · HTTP 502: Bad Gateway (text/html body) from…"[:120]
        )
    )
    assert line(80, 6, **GATEWAY).startswith(
        " ✖ calls  FAILING ×12 · 1h02m old · retry 9s · budget 50/min · HTTP 502: Bad Gateway"
    )
    # Where there is room, whole words; without a width (a log, a test), whole words too.
    assert "(12 in a row) · data 1h02m old · retry in 9s" in line(200, **GATEWAY)
    assert "(12 in a row) · data 1h02m old · retry in 9s" in line(**GATEWAY)


def test_a_capped_wait_a_pause_and_no_data_are_facts_too() -> None:
    capped = line(80, 6, **{**GATEWAY, "retry_after": 86400.0, "next_poll": NOW + 900})
    assert "retry 15m (asked 1d00h, capped)" in capped[:80]
    status = ProviderStatus(**{**GATEWAY, "last_success": None})
    paused = describe(status, NOW, paused=True, width=80, name_width=6).plain
    assert paused.startswith(" ✖ calls  FAILING ×12 · no data yet · paused · budget 50/min")


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
    assert "· retry in 15m (asked 1d00h, capped) · HTTP 429: too many requests ·" in text
    assert "capped" not in line(health=ProviderHealth.FAILING, next_poll=NOW + 30, retry_after=30.0)
