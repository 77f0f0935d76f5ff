"""End to end: simulator → `livetop export` (a real process) → a real Prometheus server with the
shipped rules, queried through its HTTP API: sessions appear, a provider fault turns
`livetop_provider_up` to 0 and fires LivetopProviderDown, and clearing it recovers. Every query
of the shipped Grafana dashboard runs in that Prometheus too.

The rules are the shipped ones with `for:` cut to 1 s (the test cannot wait minutes); their
timing is tested by `promtool test rules` (test_rules.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.exporter import ExportProcess, wait_until, write_config
from support.prometheus import MISSING, PROMETHEUS, PrometheusServer, quick_rules
from tui.exporter.command import shipped_text
from tui.sim import Fault, RunningSimulator, SimConfig, start_in_thread

pytestmark = pytest.mark.skipif(PROMETHEUS is None, reason=MISSING)


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with start_in_thread(SimConfig(seed=11, sessions=60, churn=0.4)) as running:
        yield running


def scalar(prom: PrometheusServer, expr: str) -> float | None:
    result = prom.query(expr)
    return float(result[0]["value"][1]) if result else None


def dashboard_queries() -> list[str]:
    """Every PromQL expression of the shipped dashboard, template variables filled in."""
    dashboard = json.loads(shipped_text("dashboard"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [a["expr"] for a in dashboard["annotations"]["list"]]
    fill = {"$instance": ".*", "$provider": ".*", "$__rate_interval": "1m"}
    return [re.sub(r"\$\w+", lambda m: fill[m.group(0)], e) for e in exprs]


def test_sessions_a_provider_fault_its_alert_and_recovery(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    config = write_config(sim, tmp_path, refresh_interval=0.5)
    with (
        ExportProcess(config, "--per-session", log_dir=tmp_path / "logs") as export,
        PrometheusServer(
            tmp_path / "prometheus",
            [export.url.removeprefix("http://").removesuffix("/metrics")],
            rules=quick_rules(shipped_text("rules")),
        ) as prom,
    ):
        # Sessions appear, every provider is up.
        live = 'sum(livetop_sessions{job="livetop", provider="studio", state="live"})'
        wait_until(lambda: (scalar(prom, live) or 0) > 0, 20)
        up = 'livetop_provider_up{provider="studio", kind="livepeer"}'
        assert scalar(prom, up) == 1
        assert scalar(prom, "count(livetop_session_info)") == scalar(
            prom, 'sum(livetop_sessions{state="live"})'
        )
        assert prom.firing("LivetopProviderDown") == []

        # Every dashboard query is valid PromQL over what the exporter serves; the panels
        # that show state (not rates of rare events) have data already.
        results: dict[str, list[dict[str, Any]]] = {q: prom.query(q) for q in dashboard_queries()}
        empty = sorted(q for q, r in results.items() if not r)
        assert all("rate(" in q or "ALERTS" in q or "calls_status_mismatch" in q for q in empty), (
            empty
        )

        # A fault: every Livepeer key refused.
        sim.set_fault("livepeer", Fault(auth=True))
        wait_until(lambda: scalar(prom, up) == 0, 15)
        wait_until(lambda: prom.firing("LivetopProviderDown"), 15)
        (alert,) = prom.firing("LivetopProviderDown")
        assert (alert["provider"], alert["kind"], alert["severity"]) == (
            "studio",
            "livepeer",
            "critical",
        )
        errors = 'livetop_poll_errors_total{provider="studio", reason="auth"}'
        assert (scalar(prom, errors) or 0) >= 1
        assert scalar(prom, 'livetop_provider_up{provider="uiza"}') == 1  # the others go on
        assert (scalar(prom, live) or 0) > 0  # stale, but still shown: nothing is wiped

        # Recovery: the exporter polls again on its own (backoff), the alert clears.
        sim.clear_faults()
        wait_until(lambda: scalar(prom, up) == 1, 20)
        wait_until(lambda: prom.firing("LivetopProviderDown") == [], 10)
