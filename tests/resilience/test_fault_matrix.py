"""The fault matrix: every provider, every fault the simulator can inject, one running console.

For each provider one console runs against the simulator and cycles through the faults. In each
cell, while the fault is on, the console must keep answering keys, show the failure on the
provider bar in the provider's own words, keep that provider's last good sessions (marked stale)
while the other providers stay fresh, and never poll sooner than its backoff or the server's
`Retry-After` allows (requests are timestamped at the simulator). Once the fault is lifted it
must recover at the next poll, which comes when the provider bar said it would: within one
*current* polling interval, i.e. the backed-off delay after n failures (`interval × 2^n ± 20 %`,
capped at max(2 × interval, 10 s)) or exactly the `Retry-After`. `r` skips our own backoff (the
502 cell) and forces exactly one request through a server's `Retry-After` (the 429 cell).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import pytest

from support.harness import (
    INTERVAL,
    KIND_OF,
    PROVIDERS,
    SLACK,
    TIMEOUT,
    RequestLog,
    StoreWatch,
    all_loaded,
    assert_layout_intact,
    backoff_bound,
    backoff_floor,
    bar_text,
    fast_settings,
    keys_of,
    quit_app,
    wait_for,
)
from tui.app import LivetopApp
from tui.sim import Fault, RunningSimulator
from tui.sim.wire import error_body
from tui.store import EventKind, ProviderHealth
from tui.widgets.detail_pane import DetailPane
from tui.widgets.event_log import EventLog
from tui.widgets.provider_bar import ProviderBar
from tui.widgets.sessions_table import SessionsTable

# Poll → screen: one request, one store update, one frame. Generous for a loaded 2-core CI box.
RECOVERY_SLACK = 1.0


def own_message(kind: str, status: int) -> str:
    """What the bar must show for `status`: the provider's own error text, as it words it."""
    body = error_body(kind, status)
    if kind == "livepeer":
        return f"HTTP {status}: {body['errors'][0]}"
    if kind == "uiza":
        return f"HTTP {status}: {body['message']} ({body['error_type']})"
    return f"HTTP {status}: {body['message']} ({body['error']})"


@dataclass(frozen=True)
class Cell:
    """One fault and what the console must show for it."""

    name: str
    fault: Fault
    shows: str  # on the provider bar ("" for faults that must not fail the provider)
    fails: bool = True
    failures: int = 1  # failed polls to watch before lifting the fault (backoff doubling)
    retry_after: float | None = None
    lag: float = 0.0  # how long a failing request takes before it fails (a hang: the timeout)
    refresh_now: bool = False  # the operator presses `r` once the fault is lifted


def cells(kind: str) -> list[Cell]:
    """The matrix row of one provider. Livepeer's account listing names no id, so its 404 for
    a watched id is in `test_watched_ids.py` (stream mode)."""
    rows = [
        Cell("401", Fault(auth=True), own_message(kind, 401)),
        Cell("429+Retry-After", Fault(rate_limit=1.0, retry_after=2), "", retry_after=2.0),
        Cell(
            "502 html x2, then r",
            Fault(html_5xx=1.0),
            "HTTP 502: Bad Gateway (text/html body)",
            failures=2,
            refresh_now=True,
        ),
        Cell("hang", Fault(hang=1.0), "timed out (ReadTimeout)", lag=TIMEOUT),
        Cell("drop mid-body", Fault(drop=1.0), "peer closed connection without sending"),
        Cell("truncated json", Fault(truncate=1.0), "invalid payload: body is not JSON"),
        Cell("schema drift", Fault(drift=True), "", fails=False),
    ]
    rows[1] = Cell(**{**rows[1].__dict__, "shows": own_message(kind, 429)})
    if kind != "livepeer":
        rows.insert(1, Cell("404 watched id", Fault(not_found=True), own_message(kind, 404)))
    return rows


class Matrix:
    """One console, its simulator and the request log, and the checks every cell makes."""

    def __init__(
        self, app: LivetopApp, pilot: Any, sim: RunningSimulator, log: RequestLog, watch: StoreWatch
    ) -> None:
        self.app, self.pilot, self.sim, self.log, self.watch = app, pilot, sim, log, watch

    @property
    def store(self) -> Any:
        return self.app.store

    def idle(self, name: str) -> bool:
        status = self.store.status(name)
        return status.polling_since is None and status.next_poll is not None

    async def keys_answer(self, events: bool) -> None:
        """The console answers keys while a provider fails: the cursor moves and comes back;
        with `events`, the event log opens on the failure and closes again."""
        table = self.app.screen.query_one(SessionsTable)
        start = table.cursor_key
        await self.pilot.press("j")
        assert table.cursor_key != start and table.cursor_key is not None
        await self.pilot.press("k")
        assert table.cursor_key == start
        if events:
            await self.pilot.press("e")
            assert "provider failed" in self.app.screen.query_one(EventLog).text
            await self.pilot.press("e")

    def others_fresh(self, name: str) -> None:
        for other in KIND_OF:
            if other == name:
                continue
            status = self.store.status(other)
            assert status.health is ProviderHealth.OK and not status.stale, status
            assert not any(self.store.is_stale(k) for k in keys_of(self.store, other))

    def stale_on_screen(self, name: str) -> None:
        """The failing provider's rows all carry the stale mark (`~`, second in the gutter,
        after `!` unhealthy, `+` new or `-` ended when those hold too); nobody else's do. Its
        detail pane says STALE."""
        table = self.app.screen.query_one(SessionsTable)
        table.select_key(min(keys_of(self.store, name)))
        self.app.redraw(tick=True)
        pane = self.app.screen.query_one(DetailPane).text
        assert "STALE" in pane
        lines = assert_layout_intact(self.app)
        top = next(y for y, line in enumerate(lines) if "PROVIDER" in line and "NAME" in line)
        rows = [(line[:2], line[3:].split(" ", 1)[0]) for line in lines[top + 1 :]]
        rows = [(gutter, who) for gutter, who in rows if who in KIND_OF]
        mine = [gutter for gutter, who in rows if who == name]
        assert mine, "no row of the failing provider on screen"
        assert mine and all(g in (" ~", "!~", "+~", "-~") for g in mine), mine
        assert all(g[1] != "~" for g, who in rows if who != name), rows

    async def run(self, name: str, cell: Cell, cells_of: list[Cell]) -> None:
        kind, store = KIND_OF[name], self.store
        await wait_for(self.pilot, lambda: all_loaded(self.app) and self.idle(name))
        t_set = time.monotonic()
        others_before = {o: len(self.log.times(KIND_OF[o])) for o in KIND_OF if o != name}
        self.sim.set_fault(kind, cell.fault)
        if not cell.fails:
            await self.survives(name, kind, t_set)
            return
        limit = INTERVAL + cell.lag + 3.0
        await wait_for(
            self.pilot, lambda: store.status(name).health is ProviderHealth.FAILING, limit
        )
        kept = self.watch.last_ok[name]

        # While failing: keys, the bar in the provider's words, last good data kept and stale.
        await self.keys_answer(events=cell is cells_of[0])
        await wait_for(self.pilot, lambda: "FAILING" in bar_text(self.app, name), limit=2)
        text = bar_text(self.app, name)
        assert cell.shows in text, (cell.name, text)
        assert self.app.screen.query_one(ProviderBar).is_banner(name)
        assert keys_of(store, name) == kept and kept
        assert all(store.is_stale(k) for k in kept)
        self.others_fresh(name)
        self.stale_on_screen(name)
        forced: float | None = None
        if cell.retry_after is not None:
            forced = await self.refresh_now_forces_one_request(name, kind, cell.retry_after)

        # Watch the backoff double, then lift the fault when the next poll is scheduled.
        await wait_for(
            self.pilot,
            lambda: store.status(name).consecutive_failures >= cell.failures and self.idle(name),
            limit=cell.failures * (backoff_bound(cell.failures) + cell.lag) + 3.0,
        )
        status = store.status(name)
        assert keys_of(store, name) == kept  # still nothing dropped after more failures
        promise = status.next_poll - time.time()
        bound = cell.retry_after or backoff_bound(status.consecutive_failures)
        assert promise <= bound + SLACK, (cell.name, promise, bound)
        t_lift = time.monotonic()
        self.sim.set_fault(kind, None)
        if cell.refresh_now:  # `r` cuts our own backoff short: recovery at once
            await self.pilot.press("r")
            promise = 0.0
        took = await wait_for(
            self.pilot,
            lambda: store.status(name).health is ProviderHealth.OK,
            limit=max(promise, 0.0) + RECOVERY_SLACK + 2.0,
        )
        t_ok = time.monotonic()
        assert took <= max(promise, 0.0) + RECOVERY_SLACK, (cell.name, took, promise)
        self.recovered(name)

        # Count at the simulator: never faster than the backoff or Retry-After allowed. (The
        # log's thread may stamp the last request a moment after the app showed its answer.)
        expected = status.consecutive_failures + 1
        await wait_for(self.pilot, lambda: len(self.log.times(kind, since=t_set)) >= expected, 1)
        arrivals = self.log.times(kind, since=t_set, until=t_ok + INTERVAL / 2)
        # The request `r` forced through a Retry-After came early by design.
        gaps = [b - a for a, b in itertools.pairwise(arrivals) if b != forced]
        assert len(arrivals) == expected, (cell.name, arrivals)
        if cell.refresh_now:
            gaps = gaps[:-1]  # the last poll came at the operator's `r`, by design
        for n, gap in enumerate(gaps, start=1):
            floor = cell.retry_after or backoff_floor(n)
            assert gap >= floor + cell.lag - SLACK, (cell.name, n, gap, floor)
        assert arrivals[-1] >= t_lift - SLACK
        # The other providers kept polling all along.
        for other, before in others_before.items():
            assert len(self.log.times(KIND_OF[other])) > before, other

    async def survives(self, name: str, kind: str, t_set: float) -> None:
        """Drift is not a failure: unknown fields ignored, nulls and gaps tolerated, and not
        one drifted record dropped as malformed."""
        store = self.store
        await wait_for(self.pilot, lambda: len(self.log.times(kind, since=t_set)) >= 2)
        await wait_for(self.pilot, lambda: self.idle(name))
        status = store.status(name)
        assert status.health is ProviderHealth.OK and not status.stale, status
        assert status.skipped == 0 and status.session_count > 0
        assert not any(store.is_stale(k) for k in keys_of(store, name))
        self.app.redraw(tick=True)
        assert "FAILING" not in bar_text(self.app, name)
        self.sim.set_fault(kind, None)

    def recovered(self, name: str) -> None:
        store = self.store
        status = store.status(name)
        assert not status.stale and status.consecutive_failures == 0
        assert not any(store.is_stale(k) for k in keys_of(store, name))
        self.app.redraw(tick=True)
        bar = self.app.screen.query_one(ProviderBar)
        assert not bar.is_banner(name) and "OK" in bar_text(self.app, name)
        kinds = [e.kind for e in store.events if e.provider == name]
        assert kinds[-1] is EventKind.PROVIDER_RECOVERED

    async def refresh_now_forces_one_request(
        self, name: str, kind: str, retry_after: float
    ) -> float:
        """`r` during a Retry-After forces exactly one request through it; its arrival."""
        t_429 = self.log.times(kind)[-1]
        await self.pilot.press("r")
        await self.pilot.pause(0.3)
        early = self.log.times(kind, since=t_429 + SLACK, until=t_429 + retry_after - SLACK)
        assert len(early) == 1, "r must force one request through the Retry-After, only one"
        return early[0]


@pytest.mark.parametrize("name", [name for name, _, _ in PROVIDERS])
async def test_fault_matrix(name: str, sim: RunningSimulator) -> None:
    app = LivetopApp(fast_settings(sim))
    watch = StoreWatch(app.store)  # before the first poll: it must see every good one
    try:
        with RequestLog(sim) as log:
            async with app.run_test(size=(120, 40)) as pilot:
                matrix = Matrix(app, pilot, sim, log, watch)
                await wait_for(pilot, lambda: all_loaded(app))
                row = cells(KIND_OF[name])
                for cell in row:
                    await matrix.run(name, cell, row)
                await quit_app(pilot)
    finally:
        sim.clear_faults()
    assert app.return_code == 0
