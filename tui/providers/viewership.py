"""Livepeer realtime viewership: who is watching each stream now, joined to its live session.

`GET /data/views/now?breakdownBy[]=playbackId` answers for the whole account, one
`realtime-viewership-metric` per playback id: `viewCount` (viewers now) and `errorRate` (the
share of their views that fail). One request a poll, never one a session. Rules:

- **Beside the poll, never in its way.** The request starts with the listing, as a side
  request (`tui.providers.scheduler.side_job`): within the budget and counted in the poll's
  cost, but it neither delays, fails nor backs off the poll. What has arrived when the
  listing is done is joined; otherwise the last good counts are (for at most `KEEP`; older
  ones are unknown), `FetchResult.viewers_at` saying when they were measured, and the request
  goes on for the next poll (no second one while it is out).
- **Refused** (401/403: the endpoint needs a private, non-CORS key): said once, on the provider
  line (`FetchResult.notice`) and in the log, and asked again only every `FORBIDDEN_RETRY`.
- **Failed** otherwise (an HTTP error, a timeout, a body that is not a list): the notice says
  so; asked again after 5 s, doubling to `MAX_BACKOFF` (or after the server's Retry-After).
- **Bounded apart.** Its answer is read into a bound of its own (`MAX_BODY`, or
  `max_response_mb` if smaller), not the one the listing's pages share: a huge answer fails
  the viewership alone.
- **Untrusted rows.** A row without a playback id (the account's total) or with one no listed
  session has (an asset, a stream outside the window) is left out; a row that is not an object
  or whose numbers are not numbers is skipped and counted; a count that is negative,
  fractional or over `MAX_VIEWERS`, an error rate outside 0-1, is None and named in
  `Session.invalid`. Rows of one playback id (if the server broke them down further) add up.
- **Join.** A playback id is its stream's, shared by the stream's sessions: the live one seen
  last gets the viewers; ended ones get none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from pydantic import StrictFloat, StrictInt, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from tui.models import MAX_HOLD, FetchResult, Session, SessionState
from tui.providers.base import SLICE, one_line
from tui.providers.bounds import MB
from tui.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderHTTPError,
    ProviderInvalidPayload,
)
from tui.providers.sanity import MAX_VIEWERS, NOTHING, Sanity
from tui.providers.scheduler import ProviderHeld

ENDPOINT: Final = "GET /data/views/now"
PATH: Final = "data/views/now"
PARAMS: Final = {"breakdownBy[]": "playbackId"}
MAX_BODY: Final = 8 * MB  # ~100,000 playback ids; read apart from the poll's own answers
KEEP: Final = timedelta(minutes=5)  # last good counts older than this are unknown, not shown
FORBIDDEN_RETRY: Final = timedelta(minutes=30)
FIRST_BACKOFF: Final = 5.0
MAX_BACKOFF: Final = 300.0
MAX_ID: Final = 200  # characters of a playback id: longer is not one

log = logging.getLogger("livetop.viewership")

# JSON numbers only: `true` or `"12"` is not a count (pydantic's lax mode would take both).
_Number = StrictInt | StrictFloat


class MetricWire(TypedDict, total=False):
    """A `realtime-viewership-metric` (unknown fields ignored)."""

    playbackId: str | None
    device: str | None
    browser: str | None
    country: str | None
    viewCount: _Number | None
    errorRate: _Number | None


_metric = TypeAdapter(MetricWire).validator.validate_python


class Views(NamedTuple):
    """One playback id's audience now; a value outside sense is None and named in `invalid`."""

    viewers: int | None
    error_rate: float | None
    invalid: frozenset[str] = NOTHING


Audience = Mapping[str, Views]


def _combined(a: Views, b: Views) -> Views:
    """Two rows of one playback id: viewers add up, error rates weigh by viewers."""
    invalid = a.invalid | b.invalid
    viewers = None if a.viewers is None or b.viewers is None else a.viewers + b.viewers
    rate: float | None = None
    if a.error_rate is not None and b.error_rate is not None:
        if viewers:
            assert a.viewers is not None and b.viewers is not None
            rate = (a.error_rate * a.viewers + b.error_rate * b.viewers) / viewers
        else:
            rate = max(a.error_rate, b.error_rate)
    if viewers is not None and viewers > MAX_VIEWERS:
        viewers, invalid = None, invalid | {"viewers"}
    return Views(viewers, rate, invalid)


async def read_audience(provider: str, body: Any) -> tuple[dict[str, Views], int]:
    """The audience by playback id from a decoded answer, and how many rows were skipped as
    malformed; `ProviderInvalidPayload` when the answer is not a list, or when rows came and
    not one was usable."""
    if not isinstance(body, list):
        raise ProviderInvalidPayload(
            provider, ENDPOINT, f"expected a list, got {type(body).__name__}"
        )
    out: dict[str, Views] = {}
    skipped = 0
    for start in range(0, len(body), SLICE):
        if start:
            await asyncio.sleep(0)
        for row in body[start : start + SLICE]:
            try:
                wire = _metric(row)
            except ValidationError:
                skipped += 1
                continue
            pid = wire.get("playbackId")
            if not pid or len(pid) > MAX_ID:
                continue  # the account's total, or not a playback id: nothing to join
            check = Sanity(None)
            views = Views(
                check.count("viewers", wire.get("viewCount")),
                check.share("playback_error_rate", wire.get("errorRate")),
                check.invalid,
            )
            known = out.get(pid)
            out[pid] = views if known is None else _combined(known, views)
    if skipped and skipped == len(body):
        raise ProviderInvalidPayload(provider, ENDPOINT, f"no usable row ({skipped} malformed)")
    return out, skipped


_LIVE = SessionState.LIVE


def _playback_id(session: Session) -> str | None:
    pid = session.details.get("playbackId")
    return pid if isinstance(pid, str) and pid else None


class Joiner:
    """Joins an audience to sessions, handing back the very object of the last join for a
    session whose record and audience did not change (the store then skips it at once)."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[str, tuple[Session, Views, Session]] = {}

    def join(self, sessions: Iterable[Session], audience: Audience) -> list[Session]:
        """The sessions, the live one seen last of each playback id in `audience` with its
        viewers (the others as they came)."""
        sessions = list(sessions)
        if not audience:
            self._last = {}
            return sessions
        chosen: dict[str, int] = {}  # playback id -> index of the session that gets it
        for i, s in enumerate(sessions):  # the hot loop: 10,000 sessions every poll
            if s.state is not _LIVE:
                continue
            pid = s.details.get("playbackId")
            if type(pid) is not str or pid not in audience:
                continue
            j = chosen.get(pid)
            if j is None or _later(s, sessions[j]):
                chosen[pid] = i
        last, kept = self._last, {}
        for pid, i in chosen.items():
            base, views = sessions[i], audience[pid]
            known = last.get(base.id)
            if known is not None and known[0] is base and known[1] == views:
                joined = known[2]
            else:
                joined = _with(base, views)
            sessions[i] = joined
            kept[base.id] = (base, views, joined)
        self._last = kept
        return sessions

    def again(self, sessions: Iterable[Session], audience: Audience) -> list[Session]:
        """A drill-down's sessions: those the last `join` gave viewers get them again (the
        same choice, so the poll and the drill-down never disagree on who has them)."""
        out = []
        for s in sessions:
            pid = _playback_id(s) if s.id in self._last and s.is_live else None
            views = audience.get(pid) if pid is not None else None
            out.append(s if views is None else _with(s, views))
        return out


def _with(session: Session, views: Views) -> Session:
    invalid = session.invalid | views.invalid if views.invalid else session.invalid
    return replace(
        session, viewers=views.viewers, playback_error_rate=views.error_rate, invalid=invalid
    )


def _later(a: Session, b: Session) -> bool:
    """`a` was seen after `b` (then created after it)."""
    key_a = (a.last_seen is not None, a.last_seen or datetime.min, a.created_at or datetime.min)
    key_b = (b.last_seen is not None, b.last_seen or datetime.min, b.created_at or datetime.min)
    try:
        return key_a > key_b
    except TypeError:  # aware against naive: sessions of one client are all aware
        return False


class Viewership:
    """One client's viewership: the request beside each poll, the last good audience, the
    notice for the provider line, and when to ask again (see the module's rules).

    `fetch` makes the request (as a side request) and reads the answer; `clock` is the
    client's UTC clock, which every time here is measured on.
    """

    def __init__(
        self,
        provider: str,
        fetch: Callable[[], Awaitable[tuple[dict[str, Views], int]]],
        clock: Callable[[], datetime],
    ) -> None:
        self._provider = provider
        self._fetch = fetch
        self._clock = clock
        self._task: asyncio.Task[tuple[dict[str, Views], int, datetime]] | None = None
        self._audience: dict[str, Views] = {}
        self._measured: datetime | None = None
        self._not_before: datetime | None = None
        self._failures = 0
        self._refused_said = False
        self._joiner = Joiner()
        self.notice: str | None = None

    @property
    def asking(self) -> bool:
        """A request is out."""
        return self._task is not None

    def begin(self) -> None:
        """Take the answer of a request that has finished, then send the next one, unless one
        is still out or it is not yet time to ask again."""
        self._take()
        if self._task is not None:
            return
        if self._not_before is not None and self._clock() < self._not_before:
            return
        self._task = asyncio.ensure_future(self._ask())

    async def _ask(self) -> tuple[dict[str, Views], int, datetime]:
        audience, skipped = await self._fetch()
        return audience, skipped, self._clock()  # measured when the answer came

    async def settle(self, wait: float = 0.0) -> None:
        """Take the answer if it has come, waiting at most `wait` seconds for it."""
        task = self._task
        if task is not None and not task.done() and wait > 0:
            await asyncio.wait((task,), timeout=wait)
        self._take()

    def attach(self, result: FetchResult) -> FetchResult:
        """The result with the audience joined and when it was measured, and the notice."""
        joined, at = self.join(result.sessions)
        return replace(result, sessions=tuple(joined), viewers_at=at, notice=self.notice)

    def join(self, sessions: Iterable[Session]) -> tuple[list[Session], datetime | None]:
        """A poll's sessions with the last good audience (none once it is older than `KEEP`),
        and when it was measured."""
        if self._measured is not None and self._clock() - self._measured > KEEP:
            self._audience, self._measured = {}, None
        return self._joiner.join(sessions, self._audience), self._measured

    def join_again(self, sessions: Iterable[Session]) -> list[Session]:
        """A drill-down's sessions with the viewers the last poll gave them."""
        return self._joiner.again(sessions, self._audience)

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- outcomes -------------------------------------------------------------------------

    def _take(self) -> None:
        task = self._task
        if task is None or not task.done():
            return
        self._task = None
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            self._answered(*task.result())
        elif isinstance(error, ProviderHeld):
            pass  # not sent: the provider is failing or held, which its line already says
        elif isinstance(error, ProviderAuthError):
            self._refused(error)
        elif isinstance(error, ProviderError):
            self._failed(error)
        else:  # a bug here must not end viewership, nor the poll: logged, retried later
            log.error("%s: viewership raised %s", self._provider, type(error).__name__)
            log.debug("%s: viewership traceback", self._provider, exc_info=error)
            self._failed(ProviderError(self._provider, ENDPOINT, "internal error"))

    def _answered(self, audience: dict[str, Views], skipped: int, measured: datetime) -> None:
        self._audience, self._measured = audience, measured
        self._failures, self._not_before, self._refused_said = 0, None, False
        rows = f"{skipped} malformed row{'' if skipped == 1 else 's'}"
        self.notice = f"viewers: {rows} skipped" if skipped else None

    def _refused(self, error: ProviderAuthError) -> None:
        self._not_before = self._clock() + FORBIDDEN_RETRY
        self._audience, self._measured = {}, None
        self.notice = f"viewers need a private key ({error.status})"
        if not self._refused_said:
            self._refused_said = True
            log.warning(
                "%s: realtime viewership refused (HTTP %d: %s): it needs a private (non-CORS) "
                "API key; asking again every %d min",
                self._provider,
                error.status,
                one_line(error.message, 120),
                FORBIDDEN_RETRY.total_seconds() // 60,
            )

    def _failed(self, error: ProviderError) -> None:
        self._failures += 1
        wait = min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** min(self._failures - 1, 16))
        if error.retry_after is not None:
            wait = min(max(error.retry_after, FIRST_BACKOFF), MAX_HOLD)
        self._not_before = self._clock() + timedelta(seconds=wait)
        status = f"HTTP {error.status}: " if isinstance(error, ProviderHTTPError) else ""
        self.notice = f"viewers failed: {status}{one_line(error.message, 80)}"
        log.info("%s: viewership failed: %s", self._provider, error)
