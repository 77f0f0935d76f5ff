"""Alerts: a toast and the bell for what needs a person now (a session unhealthy or ended, a
provider failing, the rundown's absences), so that a burst of them is one toast.

With thousands of sessions something ends or falters on every poll, and a toast a poll would be
noise, not an alert (and each one repaints the lines under it): at most one toast per kind per
`ALERT_WINDOW`; what comes in between is counted into one toast at the end of the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from tui.absence import ABSENCES
from tui.store import EventKind, SessionStore, StoreEvent
from tui.watch import WatchList

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from tui.config import Settings

ALERTS = {EventKind.UNHEALTHY, EventKind.ENDED, EventKind.PROVIDER_FAILED, *ABSENCES}
# Alerts about one session: with `alerts = "watched"` only a watched session's raise one.
SESSION_ALERTS = {EventKind.UNHEALTHY, EventKind.ENDED}
ALERT_WINDOW = 10.0  # real seconds: toasts are for people
_WARNINGS = {EventKind.ENDED, EventKind.OVERRUN}


class Alerts:
    """Toasts and the bell on `app` for the events it is given (`raise_events`); `settings`:
    the console's settings now (bell, alerts = "all" or "watched"; None: attached or in
    replay, every alert and the bell)."""

    def __init__(
        self,
        app: App[None],
        store: SessionStore,
        watchlist: WatchList,
        settings: Callable[[], Settings | None],
    ) -> None:
        self._app, self._store, self._watchlist, self._settings = app, store, watchlist, settings
        self._held: dict[EventKind, list[StoreEvent]] = {}  # alerts waiting for their window
        self._next: dict[EventKind, float] = {}  # when a kind's next toast may show

    def raise_events(self, events: Iterable[StoreEvent]) -> None:
        """A toast and the bell: one toast per kind per call (50 failures are one toast), and
        at most one per kind per `ALERT_WINDOW`; later ones wait and are shown together."""
        now = time.monotonic()
        due: list[EventKind] = []
        for event in events:
            if event.kind not in ALERTS or not self._wanted(event):
                continue
            held = self._held.setdefault(event.kind, [])
            held.append(event)
            if len(held) > 1:
                continue  # a toast of this kind is already due or waiting
            wait = self._next.get(event.kind, now) - now
            if wait <= 0:
                due.append(event.kind)
            else:
                self._app.set_timer(wait, partial(self._toast, event.kind, bell=True))
        for kind in due:
            self._toast(kind)
        if due and self._bell_on():
            self._app.bell()

    def _wanted(self, event: StoreEvent) -> bool:
        """With `alerts = "watched"`, a session's alert only when it is watched; a provider's
        and the rundown's always (the event log keeps everything either way)."""
        settings = self._settings()
        if settings is None or settings.alerts == "all":
            return True
        key = event.key
        if event.kind not in SESSION_ALERTS or key is None:
            return True
        session = self._store.get(key)
        parent = session.parent_id if session else None
        return self._watchlist.covers(key.provider, key.id, parent)

    def _bell_on(self) -> bool:
        settings = self._settings()
        return settings is None or settings.bell

    def _toast(self, kind: EventKind, *, bell: bool = False) -> None:
        group = self._held.pop(kind, [])
        if not group:
            return
        self._next[kind] = time.monotonic() + ALERT_WINDOW
        from tui.widgets.event_log import event_line

        severity: SeverityLevel = "warning" if kind in _WARNINGS else "error"
        if len(group) == 1:
            self._app.notify(event_line(group[0]).plain, severity=severity, markup=False)
        else:
            words = kind.value.replace("_", " ")
            self._app.notify(f"{len(group)} × {words}", severity=severity, markup=False)
        if bell and self._bell_on():
            self._app.bell()
