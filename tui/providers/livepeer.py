"""Livepeer Studio: `GET /session`, `GET /session/{id}`, `GET /stream/{parentId}/sessions`,
and beside each poll `GET /data/views/now` (realtime viewership, see `viewership.py`).

Listing pages newest activity first (`order=lastSeen-true`) with `limit` up to 1000, follows the
`Link: <...>; rel="next"` header, and stops once a page reaches sessions older than the watch
window, instead of downloading the account's whole history every poll.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Required, cast
from urllib.parse import quote

import httpx
from pydantic import FiniteFloat, SecretStr, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from tui.models import FetchResult, Profile, ProviderKind, Session, SessionState
from tui.providers.base import (
    SLICE,
    BaseClient,
    finish_partial,
    gather_partial,
    one_line,
)
from tui.providers.bounds import Reading
from tui.providers.errors import ProviderInvalidPayload, redacting
from tui.providers.records import Fresh, RecordIndex, Seen, TooManyRecords
from tui.providers.sanity import Sanity
from tui.providers.scheduler import side_job
from tui.providers.viewership import ENDPOINT as VIEWS
from tui.providers.viewership import MAX_BODY as VIEWS_MAX_BODY
from tui.providers.viewership import PARAMS as VIEWS_PARAMS
from tui.providers.viewership import PATH as VIEWS_PATH
from tui.providers.viewership import Viewership, Views, read_audience

# Ints stay ints (smart-mode union), so the detail pane shows what the API sent.
Number = int | FiniteFloat

LIVE_WINDOW = timedelta(seconds=90)  # the service itself calls a stream inactive after 90 s
MAX_PAGE = 1000
MAX_PAGES = 100  # a hard stop even if every cursor is new: 100k sessions is past any window


class ProfileWire(TypedDict, total=False):
    """One `profiles[]` entry (`ffmpeg-profile` in the OpenAPI schema)."""

    name: str
    width: int | None
    height: int | None
    bitrate: int | None
    fps: FiniteFloat | None
    fpsDen: int | None
    quality: int | None
    gop: str | FiniteFloat | None  # a string in the schema, a number in the docs' example
    profile: str | None
    encoder: str | None


class SessionWire(TypedDict, total=False):
    """A Livepeer `session`, field by field (camelCase as on the wire; unknown fields ignored).

    `isHealthy`, `issues`, `profiles` and `recordingSpec` are typed `any` in the published docs
    (and hold placeholder strings in their examples), so they are read defensively.
    """

    id: Required[str]
    name: str | None
    kind: str | None
    userId: str | None
    lastSeen: Number | None
    sourceSegments: Number | None
    transcodedSegments: Number | None
    sourceSegmentsDuration: Number | None
    transcodedSegmentsDuration: Number | None
    sourceBytes: Number | None
    transcodedBytes: Number | None
    ingestRate: Number | None
    outgoingRate: Number | None
    isHealthy: Any
    issues: Any
    createdAt: Number | None
    parentId: str | None
    projectId: str | None
    record: bool | None
    recordingStatus: str | None
    recordingUrl: str | None
    mp4Url: str | None
    playbackId: str | None
    profiles: Any
    recordingSpec: Any


SESSION = TypeAdapter(SessionWire)
PROFILE = TypeAdapter(ProfileWire)
# The core validators, called directly in the per-record loops (the adapter's wrapper adds
# ~0.4 µs a call: ~8 ms to a first poll of 10,000 sessions).
_session = SESSION.validator.validate_python
_profile = PROFILE.validator.validate_python
_profile_list = TypeAdapter(list[ProfileWire]).validator.validate_python

# Validated profile fields -> Profile. A poll of 10,000 sessions holds ~30,000 profiles but a
# handful of distinct ladders; validated values have one type per field (ints stay ints, `fps`
# is a float, `gop` a string or a float), so equal items make an equal Profile (only 0.0 and
# -0.0 share an entry). Bounded: a server sending endless distinct profiles only refills it.
_PROFILE_CACHE: dict[tuple[tuple[str, Any], ...], Profile] = {}
_PROFILE_CACHE_MAX = 1024


def _profile_of(p: ProfileWire) -> Profile:
    key = tuple(p.items())
    found = _PROFILE_CACHE.get(key)
    if found is None:
        gop = p.get("gop")
        found = Profile(
            name=p.get("name") or "",
            width=p.get("width"),
            height=p.get("height"),
            bitrate=p.get("bitrate"),
            fps=p.get("fps"),
            gop=None if gop is None else (gop if isinstance(gop, str) else f"{gop:g}"),
            profile=p.get("profile"),
            encoder=p.get("encoder"),
        )
        if len(_PROFILE_CACHE) >= _PROFILE_CACHE_MAX:
            _PROFILE_CACHE.clear()
        _PROFILE_CACHE[key] = found
    return found


def _profiles(value: Any) -> tuple[Profile, ...]:
    """`profiles[]` read defensively: a malformed entry is left out, not the session."""
    if not isinstance(value, list):
        return ()
    try:
        valid: list[ProfileWire] = _profile_list(value)  # one call when all are valid
    except ValidationError:
        valid = []
        for item in value:
            try:
                valid.append(_profile(item))
            except ValidationError:
                continue
    return tuple(map(_profile_of, valid))


_STARTED = frozenset({"started_at"})


def _bits(rate: float | None) -> float | None:
    return None if rate is None else rate * 8.0


# What a record's bytes became: its session, and the raw `lastSeen` it carried.
_Seen = tuple[Session, Any]


def _all_newer(records: list[Seen[_Seen] | Fresh], cutoff_ms: int) -> bool:
    """Every raw record on a page plainly inside the window (so the page cannot end it)."""
    for record in records:
        if isinstance(record, Seen):
            seen = record.value[1]
        else:
            raw = record.raw
            seen = raw.get("lastSeen") if type(raw) is dict else None
        # Exact types: a bool is an int, and validation would judge other types differently.
        if type(seen) not in (int, float) or not seen > cutoff_ms + 1:
            return False
    return True


def _state(last_seen: datetime | None, now: datetime) -> SessionState:
    if last_seen is None:
        return SessionState.UNKNOWN
    return SessionState.LIVE if now - last_seen < LIVE_WINDOW else SessionState.ENDED


def normalize_session(provider: str, wire: SessionWire, now: datetime) -> Session:
    """A Livepeer session as a neutral `Session` (live while `lastSeen` is under 90 s old;
    absurd values are None and named in `invalid`, see `sanity.py`)."""
    check = Sanity(now)
    last_seen = check.epoch_ms("last_seen", wire.get("lastSeen"))
    created = check.epoch_ms("created_at", wire.get("createdAt"))
    state = _state(last_seen, now)
    healthy = wire.get("isHealthy")
    issues = wire.get("issues")
    sent = wire.get("sourceSegmentsDuration")
    duration = check.span("duration_s", sent)
    if sent is None and last_seen and created:
        duration = max(0.0, (last_seen - created).total_seconds())
    ingest = check.rate("ingest_bps", _bits(wire.get("ingestRate")))
    outgoing = check.rate("outgoing_bps", _bits(wire.get("outgoingRate")))
    invalid = check.invalid
    if "created_at" in invalid:
        invalid |= _STARTED  # the start of air time is the creation time
    return Session(
        provider=provider,
        kind=ProviderKind.LIVEPEER,
        id=wire["id"],
        name=wire.get("name") or "",
        state=state,
        healthy=healthy if isinstance(healthy, bool) else None,
        issues=tuple(i for i in issues if isinstance(i, str)) if isinstance(issues, list) else (),
        parent_id=wire.get("parentId"),
        created_at=created,
        last_seen=last_seen,
        ended_at=last_seen if state is SessionState.ENDED else None,
        duration_s=duration,
        ingest_bps=ingest,
        outgoing_bps=outgoing,
        recording=wire.get("recordingStatus"),
        started_at=created,
        profiles=_profiles(wire.get("profiles")),
        details=wire,
        invalid=invalid,
    )


def stream_sessions_endpoint(stream_id: str) -> str:
    """How the request for one stream's sessions is named (in errors, and to the scheduler)."""
    return f"GET /stream/{one_line(stream_id, 80)}/sessions"


class LivepeerClient(BaseClient):
    """Livepeer Studio sessions, paged and windowed, with their viewers. Auth: `Authorization:
    Bearer <key>`.

    `viewership` False leaves viewers out (no request for them); `viewers_wait` is how long a
    poll waits for them after its listing: 0 in the console (a poll never waits; they come
    with the next one), longer for a one-off fetch (`snapshot`).
    """

    kind: ClassVar[ProviderKind] = ProviderKind.LIVEPEER
    default_base_url: ClassVar[str] = "https://livepeer.studio/api"

    def __init__(
        self,
        name: str,
        api_key: SecretStr | str,
        *,
        stream_ids: Sequence[str] = (),
        window_s: float = 3600.0,
        page_limit: int = MAX_PAGE,
        viewership: bool = True,
        viewers_wait: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, api_key, **kwargs)
        self.viewership = Viewership(name, self._audience, self._clock) if viewership else None
        self.viewers_wait = viewers_wait
        self._views_reading = Reading(min(self.max_body, VIEWS_MAX_BODY))
        self.stream_ids = tuple(stream_ids)
        self.window = timedelta(seconds=window_s)
        self.page_limit = max(1, min(page_limit, MAX_PAGE))
        # The last listing's records by their exact bytes, and the session each became.
        self._records: RecordIndex[_Seen] = RecordIndex()

    def _auth_header(self, key: str) -> str:
        return f"Bearer {key}"

    def _error_message(self, body: Any) -> str | None:
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            return "; ".join(one_line(e, 200) for e in errors[:5])
        return None

    def _normalize(self, wire: SessionWire) -> Session:
        return normalize_session(self.name, wire, self._clock())

    async def _page_records(
        self, response: httpx.Response, endpoint: str
    ) -> list[Seen[_Seen] | Fresh]:
        """A listing page's records: those seen last listing recognised by their bytes, the
        others decoded. A page that cannot be cut into records is decoded whole, and then
        nothing on it is recognised. A page longer than the `limit` asked for is refused
        (before its records are decoded, when it can be cut)."""
        try:
            records = await self._records.split(response.content, limit=self.page_limit)
        except TooManyRecords:
            records = None
            count = f"more than {self.page_limit}"
        else:
            if records is not None:
                return records
            body = self._decode(response, endpoint)
            if not isinstance(body, list):
                raise ProviderInvalidPayload(
                    self.name, endpoint, f"expected a list, got {type(body).__name__}"
                )
            if len(body) <= self.page_limit:
                return [Fresh(None, b"", item) for item in body]
            count = str(len(body))
        raise ProviderInvalidPayload(
            self.name,
            endpoint,
            f"page holds {count} records; limit={self.page_limit} was asked for",
        )

    async def _page_sessions(self, records: list[Seen[_Seen] | Fresh]) -> tuple[list[Session], int]:
        """Sessions of one page and how many records were skipped as malformed.

        A record with the bytes of one validated last listing is that session again (the
        same bytes decode and validate the same), unless it went from live to ended with time
        alone. The rest are validated and normalized, `SLICE` at a time between yields to the
        event loop; the invalid ones are skipped and counted.
        """
        now = self._clock()
        index = self._records
        sessions: list[Session] = []
        skipped = 0
        work = 0
        for record in records:
            if isinstance(record, Seen):
                known = record.value
                session = known[0]
                # Re-judged when time alone may change it: live to ended, or a time that
                # was too far ahead (invalid) coming within reach.
                if session.invalid or _state(session.last_seen, now) is not session.state:
                    wire = cast(SessionWire, session.details)
                    session = normalize_session(self.name, wire, now)
                    known = (session, known[1])
                index.keep(record, known)
                sessions.append(session)
                continue
            try:
                session = normalize_session(self.name, _session(record.raw), now)
            except (ValidationError, ValueError, TypeError, OverflowError):
                skipped += 1
            else:
                index.add(record, (session, record.raw.get("lastSeen")))
                sessions.append(session)
            work += 1
            if work == SLICE:
                work = 0
                await asyncio.sleep(0)
        return sessions, skipped

    # -- endpoints ------------------------------------------------------------------------

    @redacting
    async def list_sessions(self) -> FetchResult:
        """`GET /session`: the account's sessions seen within the watch window, all pages."""
        endpoint = "GET /session"
        cutoff = self._clock() - self.window
        cutoff_ms = int(cutoff.timestamp() * 1000)
        first: dict[str, str | int] = {
            "limit": self.page_limit,
            "order": "lastSeen-true,createdAt-true",
            "filters": json.dumps([{"id": "lastSeen", "value": {"gt": cutoff_ms}}]),
        }
        params: dict[str, str | int] | None = first
        url: httpx.URL | str = "session"
        seen_cursors: set[str] = set()
        by_id: dict[str, Session] = {}
        skipped = 0
        self._records.begin()
        ahead: asyncio.Task[httpx.Response] | None = None
        try:
            for number in range(1, MAX_PAGES + 1):
                if ahead is None:
                    response = await self._get_response(url, params, endpoint=endpoint)
                else:
                    response = await ahead
                    ahead = None
                records = await self._page_records(response, endpoint)
                next_link = response.links.get("next", {}).get("url")
                following: httpx.URL | None = None
                if next_link and number < MAX_PAGES and _all_newer(records, cutoff_ms):
                    # This page cannot end the window, so the next one will be asked for
                    # anyway: ask now, and the server builds it while this one is validated.
                    following = self._following(response, next_link, seen_cursors, first)
                    ahead = asyncio.ensure_future(
                        self._get_response(following, None, endpoint=endpoint)
                    )
                    await asyncio.sleep(0)  # let it send the request before this page's work
                page, bad = await self._page_sessions(records)
                skipped += bad
                reached_window = False
                for session in page:
                    if session.last_seen is not None and session.last_seen <= cutoff:
                        reached_window = True  # newest first: everything after this is older
                        continue
                    # Sessions shift between pages while paging; the first sighting wins.
                    by_id.setdefault(session.id, session)
                if reached_window or not next_link:
                    break
                url = following or self._following(response, next_link, seen_cursors, first)
                params = None
            else:
                raise ProviderInvalidPayload(
                    self.name, endpoint, f"more than {MAX_PAGES} pages; paging stopped"
                )
        finally:
            if ahead is not None:  # not needed after all (an error): do not leave it dangling
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)
        self._records.commit()
        return FetchResult(tuple(by_id.values()), skipped)

    def _following(
        self, response: httpx.Response, link: str, seen: set[str], first: dict[str, str | int]
    ) -> httpx.URL:
        url = self._next_page(response, link, seen, "GET /session")
        # Keep our limit/order/filters if the server's link left them out.
        return url.copy_merge_params({k: v for k, v in first.items() if k not in url.params})

    def _next_page(
        self, response: httpx.Response, link: str, seen: set[str], endpoint: str
    ) -> httpx.URL:
        """The `rel="next"` URL, refused if it leaves our origin or repeats a cursor."""
        try:
            url = response.url.join(link)
        except (httpx.InvalidURL, ValueError):
            raise ProviderInvalidPayload(self.name, endpoint, "unusable Link header") from None
        base = self.base_url
        if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
            # Following it would send our API key to another host.
            raise ProviderInvalidPayload(self.name, endpoint, "Link points to another host")
        cursor = url.params.get("cursor") or str(url)
        if cursor in seen:
            raise ProviderInvalidPayload(
                self.name, endpoint, f"Link repeats cursor {one_line(cursor, 60)!r}"
            )
        seen.add(cursor)
        return url

    @redacting
    async def get_session(self, session_id: str) -> Session:
        """`GET /session/{id}`: one session's full record."""
        endpoint = f"GET /session/{one_line(session_id, 80)}"
        body, _ = await self._get_url(
            f"session/{quote(session_id, safe='')}", None, endpoint=endpoint
        )
        return self._normalize(self._validate(SESSION, body, endpoint))

    @redacting
    async def stream_sessions(self, parent_id: str, *, record: bool | None = None) -> FetchResult:
        """`GET /stream/{parentId}/sessions[?record=1]`: one stream's sessions (not paged)."""
        endpoint = stream_sessions_endpoint(parent_id)
        params = {"record": 1 if record else 0} if record is not None else None
        path = f"stream/{quote(parent_id, safe='')}/sessions"
        body, _ = await self._get_url(path, params, endpoint=endpoint)
        sessions, skipped = await self._normalize_items(body, SESSION, self._normalize, endpoint)
        return FetchResult(tuple(sessions), skipped)

    @redacting
    async def realtime_viewership(self) -> tuple[dict[str, Views], int]:
        """`GET /data/views/now?breakdownBy[]=playbackId`: the account's viewers by playback
        id, and how many rows were malformed."""
        reading = self._views_reading
        body, _ = await self._get_url(VIEWS_PATH, VIEWS_PARAMS, endpoint=VIEWS, reading=reading)
        return await read_audience(self.name, body)

    async def _audience(self) -> tuple[dict[str, Views], int]:
        with side_job():  # beside the poll: never its delay nor its failure
            return await self.realtime_viewership()

    # -- Provider protocol ----------------------------------------------------------------

    @redacting
    async def fetch(self) -> FetchResult:
        views = self.viewership
        if views is not None:
            views.begin()
        if not self.stream_ids:
            result = await self.list_sessions()
        else:
            sessions, skipped, errors = await gather_partial(
                self._windowed(stream_id) for stream_id in self.stream_ids
            )
            result = finish_partial(sessions, skipped, errors, len(self.stream_ids))
        if views is None:
            return result
        await views.settle(self.viewers_wait)
        return views.attach(result)

    async def aclose(self) -> None:
        if self.viewership is not None:
            await self.viewership.aclose()
        await super().aclose()

    async def _windowed(self, stream_id: str) -> FetchResult:
        result = await self.stream_sessions(stream_id)
        cutoff = self._clock() - self.window
        recent = tuple(s for s in result.sessions if s.last_seen is None or s.last_seen > cutoff)
        return FetchResult(recent, result.skipped)

    # A drill-down's sessions carry the poll's last viewers too: without them, each fetch
    # would blank the counts the poll had joined.

    @redacting
    async def fetch_related(self, parent_id: str) -> FetchResult:
        result = await self.stream_sessions(parent_id)
        if self.viewership is None:
            return result
        sessions = self.viewership.join_again(result.sessions)
        return FetchResult(tuple(sessions), result.skipped, result.errors)

    @redacting
    async def fetch_session(self, session_id: str, parent_id: str | None) -> Session:
        session = await self.get_session(session_id)
        if self.viewership is None:
            return session
        return self.viewership.join_again((session,))[0]
