"""`livetop export`: poll every provider headless and serve the metrics until stopped.

The data path is the console's (`tui.engine.build_refresher`: the same clients, intervals and
request budgets), without Textual. `--rules` and `--dashboard` print files shipped inside the
package instead.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import AsyncExitStack
from importlib.resources import files
from typing import TextIO

from tui.collector import Collector
from tui.config import Settings
from tui.engine import build_refresher, poll_until_signalled
from tui.exporter.server import parse_listen, serve_metrics
from tui.store import SessionStore

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_INTERRUPTED = 130
GC_EVERY = 60.0
SHIPPED = {"rules": "rules.yml", "dashboard": "dashboard.json"}


def shipped_text(which: str) -> str:
    """The Prometheus rules (`"rules"`) or the Grafana dashboard (`"dashboard"`) as shipped."""
    return files("tui.exporter").joinpath(SHIPPED[which]).read_text(encoding="utf-8")


def run_export(
    settings: Settings,
    *,
    listen: str,
    per_session: int | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """Serve until SIGTERM (exit 0) or SIGINT (130); 1 when `listen` is unusable."""
    try:
        parse_listen(listen)
    except ValueError as exc:
        print(f"livetop export: error: {exc}", file=err)
        return EXIT_USAGE
    return asyncio.run(_export(settings, listen, per_session, out, err))


async def _export(
    settings: Settings, listen: str, per_session: int | None, out: TextIO, err: TextIO
) -> int:
    # Only what the metrics need: no sample history (the console's sparklines).
    store = SessionStore(default_interval=settings.refresh_interval, history_size=1)
    refresher = build_refresher(settings, store)
    async with AsyncExitStack() as stack:
        try:
            server = await stack.enter_async_context(
                serve_metrics(store, settings, listen, per_session=per_session)
            )
        except OSError as exc:
            await refresher.stop()  # closes the clients the refresher was given
            print(f"livetop export: cannot listen on {listen}: {exc.strerror or exc}", file=err)
            return EXIT_USAGE
        names = ", ".join(p.name for p in settings.providers)
        print(f"livetop export: serving {server.url} (providers: {names})", file=out)
        out.flush()
        # The console's freeze-and-collect schedule (tui/collector.py) without its raised
        # thresholds: those keep key presses fast, and here would only let cyclic garbage pile
        # up between full collections (a saw-tooth up to twice the memory).
        collector = Collector(every=GC_EVERY)
        stack.callback(collector.stop)
        housekeeping = asyncio.create_task(_collect_garbage(store, collector))
        stack.callback(housekeeping.cancel)
        signum = await poll_until_signalled(refresher)
    return EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_OK


async def _collect_garbage(store: SessionStore, collector: Collector) -> None:
    """Freeze what the first load left (later collections skip it), then unfreeze and collect
    in full every `GC_EVERY` seconds: with 10,000 sessions a full walk costs ~100 ms."""
    while True:
        await asyncio.sleep(1.0)
        if all(s.last_success is not None for s in store.statuses()):
            collector.loaded()
        collector.tick()
