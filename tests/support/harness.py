"""Helpers for the resilience tests (imported as `harness`; fixtures live in conftest.py).

Here: settings with short intervals and timeouts, a thread that timestamps every request
the simulator receives (from its public request counters), a store watcher that remembers each
provider's last good sessions, and helpers that read the screen as an operator sees it.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from rich.cells import cell_len
from rich.console import Console

from tui.app import LivetopApp
from tui.config import Settings, settings_from_dict
from tui.models import SessionKey
from tui.sim import RunningSimulator
from tui.store import ProviderHealth, SessionStore, StoreDiff
from tui.widgets.provider_bar import ProviderBar

INTERVAL = 0.5  # the refresher's floor: the fastest schedule there is
TIMEOUT = 0.5  # seconds a client waits for an answer (the `hang` fault needs a short one)
JITTER = 0.2  # the refresher's backoff jitter
SLACK = 0.06  # request timestamps come from a sampling thread: allow this much error
# (configured name, simulator provider, index of its line on the provider bar)
PROVIDERS: tuple[tuple[str, str, int], ...] = (
    ("studio", "livepeer", 0),
    ("uiza", "uiza", 1),
    ("calls", "calls", 2),
)
KIND_OF = {name: kind for name, kind, _ in PROVIDERS}
INDEX_OF = {name: index for name, _, index in PROVIDERS}


def provider_entries(
    sim: RunningSimulator,
    *,
    interval: float = INTERVAL,
    timeout: float | None = TIMEOUT,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The three providers on `sim`, each watching what makes one request per poll."""
    ids: dict[str, dict[str, Any]] = {
        "livepeer": {},
        "uiza": {"entity_ids": [sim.entity_ids[1]]},  # 14 sessions: one page
        # A budget that lets one call keep the 0.5 s pace (its default, 50/min, would make it
        # 1.2 s): these tests are about faults; the budget's own are in test_budget.py.
        "calls": {"call_ids": [sim.call_ids[0]], "max_requests_per_minute": 600},
    }
    entries = []
    for name, kind, _ in PROVIDERS:
        entry: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "base_url": sim.base_urls[kind],
            "api_key": sim.api_keys[kind],
            "interval": interval,
            **ids[kind],
        }
        if timeout is not None:
            entry["timeout"] = timeout
        entry.update((overrides or {}).get(name, {}))
        entries.append(entry)
    return entries


def fast_settings(sim: RunningSimulator, **kwargs: Any) -> Settings:
    """Settings polling every provider every `INTERVAL` with a `TIMEOUT` second timeout."""
    data = {
        "refresh_interval": INTERVAL,
        "bell": False,
        "providers": provider_entries(sim, **kwargs),
    }
    return settings_from_dict(data, source="<resilience>", environ={})


class RequestLog:
    """When each poll's request reached the simulator, per provider, from its public counters
    (side requests, Livepeer's viewership, left out: they go beside a poll, not on a schedule).

    A daemon thread samples `sim.poll_counts` every `period` seconds and stamps each new
    request with `time.monotonic()`; use it as a context manager.
    """

    def __init__(self, sim: RunningSimulator, period: float = 0.002) -> None:
        self._sim = sim
        self._period = period
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._times: dict[str, list[float]] = {kind: [] for _, kind, _ in PROVIDERS}
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)

    def __enter__(self) -> RequestLog:
        self._last = self._sim.poll_counts
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2.0)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            counts, now = self._sim.poll_counts, time.monotonic()
            with self._lock:
                for kind, n in counts.items():
                    self._times[kind].extend([now] * (n - self._last.get(kind, 0)))
            self._last = counts

    def times(
        self, kind: str, since: float = float("-inf"), until: float = float("inf")
    ) -> list[float]:
        """Arrival times of `kind`'s requests in [since, until]."""
        with self._lock:
            return [t for t in self._times[kind] if since <= t <= until]


class StoreWatch:
    """Follows the store from the app's side: per provider, the session keys of its last
    successful poll and when each poll ended (monotonic), so schedules can be checked even
    where the simulator sees no request (a refused connection)."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store
        self.last_ok: dict[str, frozenset[SessionKey]] = {}
        self.polls: dict[str, list[tuple[float, bool]]] = {}  # (ended at, succeeded)
        self._attempts: dict[str, float | None] = {}
        self.unsubscribe = store.subscribe(self._on_diff)

    def _on_diff(self, diff: StoreDiff) -> None:
        status = self._store.status(diff.provider)
        if status.last_attempt != self._attempts.get(diff.provider):
            self._attempts[diff.provider] = status.last_attempt
            ok = status.health is not ProviderHealth.FAILING
            self.polls.setdefault(diff.provider, []).append((time.monotonic(), ok))
        if status.health is ProviderHealth.OK and status.polling_since is None:
            self.last_ok[diff.provider] = keys_of(self._store, diff.provider)

    def ends(self, provider: str, since: float = float("-inf")) -> list[tuple[float, bool]]:
        return [(t, ok) for t, ok in self.polls.get(provider, []) if t >= since]


def keys_of(store: SessionStore, provider: str) -> frozenset[SessionKey]:
    return frozenset(s.key for s in store.sessions(provider))


async def wait_for(pilot: Any, condition: Callable[[], bool], limit: float = 10.0) -> float:
    """Let the app run until `condition()` holds; the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > limit:
            raise AssertionError(f"timed out after {limit} s waiting for the app")
        await pilot.pause(0.02)
    return time.monotonic() - start


async def quit_app(pilot: Any) -> None:
    """Leave as an operator does, with `q`: Textual's test harness otherwise tears the screens
    down while the app still handles messages, and a poll landing then finds no widgets."""
    await pilot.press("q")
    await pilot.pause()


def all_loaded(app: LivetopApp) -> bool:
    statuses = app.store.statuses()
    return bool(statuses) and all(s.health is ProviderHealth.OK for s in statuses)


def screen_lines(app: LivetopApp) -> list[str]:
    """The whole screen as the terminal would show it, one plain string per line.

    The same render as `App.export_screenshot()`, exported as text instead of SVG.
    """
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text(styles=False).splitlines()


def assert_layout_intact(app: LivetopApp) -> list[str]:
    """Every screen line exactly the terminal's width, the header on top; the lines."""
    width, height = app.size
    lines = screen_lines(app)
    assert len(lines) == height, f"{len(lines)} lines on a {height}-line screen"
    for y, line in enumerate(lines):
        assert cell_len(line) == width, f"line {y} is {cell_len(line)} cells: {line!r}"
        assert "\x1b" not in line and "\x07" not in line, f"raw control on line {y}: {line!r}"
    assert lines[0].lstrip().startswith("livetop"), lines[0]
    return lines


def bar_text(app: LivetopApp, name: str) -> str:
    """The full text of `name`'s provider line (what is visible is cut at the screen edge)."""
    return app.screen.query_one(ProviderBar).line_text(name)


def backoff_bound(failures: int, interval: float = INTERVAL, cap: float = 10.0) -> float:
    """The longest delay the refresher may schedule after `failures` failures in a row."""
    if failures <= 0:
        return interval
    return min(max(cap, 2 * interval), interval * 2.0**failures * (1 + JITTER))


def backoff_floor(failures: int, interval: float = INTERVAL, cap: float = 10.0) -> float:
    """The shortest delay the refresher may schedule after `failures` failures in a row."""
    if failures <= 0:
        return interval
    return min(max(cap, 2 * interval), interval * 2.0**failures) * (1 - JITTER)
