"""Uiza v1: `GET /v1/live_entities/{entity_id}/live_sessions[/{id}]`.

Auth is the raw key with no scheme. A session with no `duration` is still broadcasting. The
session's stream key is a secret (whoever holds it can broadcast on the channel); the API names
it `ingest_key`, `stream_key` or `key` depending on the document, so all three are accepted.

A poll lists each entity's sessions within the watch window, as the Livepeer client does: a
channel of short segments gathers thousands of sessions, and paging through all of them every
poll would cost one request per hundred (and fail past `MAX_PAGES`). The list is newest first
and an entity (one channel, one stream key) broadcasts its sessions one after another, so once a
page holds a session that ended before the window, every later page ended earlier still.
A drill-down into an entity (`fetch_related`) still lists its whole history.

A poll also asks for pages about as long as the window was last time (a few sessions more than
it held, at least `POLL_SLACK`): an entity with three sessions in the hour then costs a
13-session page, not a 100-session one that is decoded to be mostly thrown away.

A session names only its entity's id; the entity's name (`GET /v1/live_entities/{id}`) is what
an operator knows a channel by. Each watched entity's name is asked for once, then again every
`NAME_TTL_S` (a minute after a failure), beside the polls: started when a poll starts, as side
requests of a job of their own (`tui.providers.scheduler`: after every other waiting request,
never sent while the provider is held or failing, their failures theirs alone), not counted
in the poll's cost (a few requests every ten minutes would make its pace flap), never waited
for (but `names_wait`, for a one-off fetch such as `snapshot`). A poll's sessions carry the
names known when its answer came, the entity's id until one is (or when the entity has
none). The entity also holds its stream key (`ingest.key`): nothing but `name` is read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar, Required
from urllib.parse import quote

from pydantic import FiniteFloat, SecretStr, TypeAdapter
from typing_extensions import TypedDict

from tui.models import MAX_HOLD, FetchResult, ProviderKind, Session, SessionState
from tui.providers.base import (
    BaseClient,
    as_utc,
    finish_partial,
    gather_partial,
    one_line,
)
from tui.providers.errors import ProviderError, ProviderInvalidPayload, redacting
from tui.providers.sanity import Sanity, display_name
from tui.providers.scheduler import Priority, job

PAGE_SIZE = 100  # the API's maximum
POLL_SLACK = 10  # a poll's page holds this many more than the window held last time
MAX_PAGES = 100
WINDOW_S = 3600.0  # as the Livepeer client's: sessions live, or ended within the last hour
_KEY_FIELDS = ("ingest_key", "stream_key", "key")
NAME_TTL_S = 600.0  # an entity's name is asked for again after ten minutes
NAME_RETRY_S = 60.0  # and after a minute when asking failed (or as long as the server asks)
NAME_CONCURRENCY = 4  # names asked for at once: most of the provider's requests stay free

log = logging.getLogger("livetop.providers.uiza")


class LiveSessionWire(TypedDict, total=False):
    """A Uiza live session, field by field; unknown fields ignored."""

    id: Required[str]
    entity_id: str | None
    duration: FiniteFloat | None
    created_at: datetime | None
    updated_at: datetime | None
    ingest_key: SecretStr | None
    stream_key: SecretStr | None
    key: SecretStr | None


class LiveSessionPageWire(TypedDict, total=False):
    """The list envelope; `data` items are validated one by one so a bad one is only skipped."""

    data: Required[list[Any]]
    next_page_token: str | None
    prev_page_token: str | None


SESSION = TypeAdapter(LiveSessionWire)
PAGE = TypeAdapter(LiveSessionPageWire)


def normalize_session(
    provider: str,
    wire: LiveSessionWire,
    now: datetime | None = None,
    entity_name: str | None = None,
) -> Session:
    """A Uiza live session as a neutral `Session`; the stream key goes to `secret` only.
    Absurd values are None and named in `invalid` (see `sanity.py`; `now` for times ahead).
    Its name is `entity_name`, else its entity's id."""
    check = Sanity(now)
    sent = wire.get("duration")
    duration = check.span("duration_s", sent)
    created = check.moment("created_at", as_utc(wire.get("created_at")))
    last_seen = check.moment("last_seen", as_utc(wire.get("updated_at")))
    entity = wire.get("entity_id")
    secret = wire.get("ingest_key") or wire.get("stream_key") or wire.get("key")
    invalid = check.invalid
    if "created_at" in invalid:
        invalid |= {"started_at"}  # the start of air time is the creation time
    ended_at = None
    if duration is not None and created is not None:
        try:
            ended_at = created + timedelta(seconds=duration)
        except OverflowError:
            ended_at = None
    details = {k: v for k, v in wire.items() if k not in _KEY_FIELDS}
    return Session(
        provider=provider,
        kind=ProviderKind.UIZA,
        id=wire["id"],
        name=entity_name or entity or "",
        state=SessionState.LIVE if sent is None else SessionState.ENDED,
        parent_id=entity,
        created_at=created,
        last_seen=last_seen,
        ended_at=ended_at,
        duration_s=duration,
        started_at=created,
        details=details,
        secret=secret,
        invalid=invalid,
    )


def entity_sessions_endpoint(entity_id: str) -> str:
    """How the request for one entity's sessions is named (in errors, and to the scheduler)."""
    return f"GET /v1/live_entities/{one_line(entity_id, 80)}/live_sessions"


class UizaClient(BaseClient):
    """Uiza live sessions of the watched entities. Auth: `Authorization: <raw key>`."""

    kind: ClassVar[ProviderKind] = ProviderKind.UIZA
    default_base_url: ClassVar[str] = "https://api.uiza.sh"

    def __init__(
        self,
        name: str,
        api_key: SecretStr | str,
        *,
        entity_ids: Sequence[str] = (),
        window_s: float = WINDOW_S,
        names_wait: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, api_key, **kwargs)
        self.entity_ids = tuple(entity_ids)
        self.names_wait = names_wait
        self.window = timedelta(seconds=window_s)
        self._in_window: dict[str, int] = {}  # per entity: sessions its last poll kept
        self._names: dict[str, str] = {}  # per entity: its name, once known
        self._names_due: dict[str, datetime] = {}  # per entity: when to ask for it again
        self._names_failing: set[str] = set()  # entities whose last ask failed (logged once)
        self._namer: asyncio.Task[None] | None = None
        self._answering = True  # the last poll got an answer: names may be asked with the next

    @property
    def entity_names(self) -> dict[str, str]:
        """The entity names known so far, by entity id."""
        return dict(self._names)

    @property
    def asking_names(self) -> bool:
        """Whether names are being asked for right now."""
        return self._namer is not None and not self._namer.done()

    async def aclose(self) -> None:
        if self._namer is not None:
            self._namer.cancel()
            await asyncio.gather(self._namer, return_exceptions=True)
        await super().aclose()

    def _auth_header(self, key: str) -> str:
        return key

    def _error_message(self, body: Any) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            return None
        kind = body.get("error_type")
        return (
            f"{body['message']} ({one_line(kind, 40)})"
            if isinstance(kind, str)
            else body["message"]
        )

    def _normalize(self, wire: LiveSessionWire, entity_name: str | None = None) -> Session:
        return normalize_session(self.name, wire, self._clock(), entity_name)

    @staticmethod
    def _path(entity_id: str) -> str:
        return f"v1/live_entities/{quote(entity_id, safe='')}/live_sessions"

    @redacting
    async def list_sessions(self, entity_id: str, window: timedelta | None = None) -> FetchResult:
        """An entity's live sessions, newest first, following `next_page_token`.

        With a `window`, only those live or ended within it, and no page after the first that
        reaches past it, in pages sized by the last such listing (see the module doc).
        """
        endpoint = entity_sessions_endpoint(entity_id)
        cutoff = None if window is None else self._clock() - window
        sessions: dict[str, Session] = {}
        skipped = 0
        token: str | None = None
        seen: set[str] = set()
        size = PAGE_SIZE
        if window is not None and entity_id in self._in_window:
            size = min(PAGE_SIZE, self._in_window[entity_id] + POLL_SLACK)
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {"page_size": size}
            if token:
                params["page_token"] = token
            body, _ = await self._get_url(self._path(entity_id), params, endpoint=endpoint)
            page = self._validate(PAGE, body, endpoint)
            if len(page["data"]) > size:
                raise ProviderInvalidPayload(
                    self.name,
                    endpoint,
                    f"page holds {len(page['data'])} sessions; page_size={size} was asked for",
                )
            named = partial(self._normalize, entity_name=self._names.get(entity_id))
            items, bad = await self._normalize_items(page["data"], SESSION, named, endpoint)
            skipped += bad
            reached_window = False
            for session in items:
                if (
                    cutoff is not None
                    and session.ended_at is not None
                    and session.ended_at < cutoff
                ):
                    reached_window = True
                    continue
                sessions.setdefault(session.id, session)
            token = page.get("next_page_token")
            if not token or reached_window:
                if window is not None:
                    self._in_window[entity_id] = len(sessions)
                return FetchResult(tuple(sessions.values()), skipped)
            if token in seen:
                raise ProviderInvalidPayload(
                    self.name, endpoint, f"next_page_token repeats {one_line(token, 60)!r}"
                )
            seen.add(token)
        raise ProviderInvalidPayload(self.name, endpoint, f"more than {MAX_PAGES} pages")

    @redacting
    async def get_session(self, entity_id: str, session_id: str) -> Session:
        """One live session of an entity."""
        endpoint = (
            f"GET /v1/live_entities/{one_line(entity_id, 80)}"
            f"/live_sessions/{one_line(session_id, 80)}"
        )
        path = f"{self._path(entity_id)}/{quote(session_id, safe='')}"
        body, _ = await self._get_url(path, None, endpoint=endpoint)
        return self._normalize(self._validate(SESSION, body, endpoint), self._names.get(entity_id))

    @redacting
    async def get_entity_name(self, entity_id: str) -> str | None:
        """A live entity's name, None when it has none (missing, null, blank, not text)."""
        endpoint = f"GET /v1/live_entities/{one_line(entity_id, 80)}"
        path = f"v1/live_entities/{quote(entity_id, safe='')}"
        body, _ = await self._get_url(path, None, endpoint=endpoint)
        if not isinstance(body, dict):
            raise ProviderInvalidPayload(
                self.name, endpoint, f"expected an object, got {type(body).__name__}"
            )
        return display_name(body.get("name"))  # and nothing else: `ingest.key` is a secret

    async def learn_names(self) -> None:
        """Ask now for the watched entities' names that are due, and wait for them (and for
        those being asked already). Polls start this without waiting (see the module doc)."""
        self._ask_names()
        if self._namer is not None:
            await asyncio.shield(self._namer)  # a caller that gives up leaves it running

    async def _learn_names(self, entity_ids: Sequence[str]) -> None:
        """A few at a time, as a side job of their own. Failures are kept, not raised: the
        entity keeps its last name, or its id, and is asked again in `NAME_RETRY_S`."""
        slots = asyncio.Semaphore(NAME_CONCURRENCY)

        async def learn(entity_id: str) -> None:
            async with slots:
                await self._learn_name(entity_id)

        with job(Priority.SIDE):  # side requests, but not the poll's: no parent
            await asyncio.gather(*(learn(e) for e in entity_ids))

    async def _learn_name(self, entity_id: str) -> None:
        try:
            name = await self.get_entity_name(entity_id)
        except Exception as exc:  # a ProviderError, or a bug: never the polls' concern
            asked = exc.retry_after if isinstance(exc, ProviderError) else None
            wait = max(NAME_RETRY_S, min(asked or 0.0, MAX_HOLD))  # a server's wish, capped
            self._names_due[entity_id] = self._clock() + timedelta(seconds=wait)
            if entity_id not in self._names_failing:
                self._names_failing.add(entity_id)
                shown = "its last name" if entity_id in self._names else "its id"
                why = (
                    exc
                    if isinstance(exc, ProviderError)
                    else f"internal error: {type(exc).__name__}"
                )
                log.info(
                    "%s: no name for entity %s, showing %s: %s",
                    self.name,
                    one_line(entity_id, 80),
                    shown,
                    why,
                )
            return
        self._names_due[entity_id] = self._clock() + timedelta(seconds=NAME_TTL_S)
        self._names_failing.discard(entity_id)
        if name is None:
            self._names.pop(entity_id, None)
        else:
            self._names[entity_id] = name

    def _ask_names(self) -> None:
        """Start asking for the names that are due, unless names are being asked already."""
        if self.asking_names:
            return
        now = self._clock()
        due = [e for e in dict.fromkeys(self.entity_ids) if self._names_due.get(e, now) <= now]
        if due:
            self._namer = asyncio.create_task(
                self._learn_names(due), name=f"livetop-names-{self.name}"
            )

    # -- Provider protocol ----------------------------------------------------------------

    @redacting
    async def fetch(self) -> FetchResult:
        # Names are asked with a poll while the provider answers; after a failed poll, only
        # once one is answered again (a name must never be what a recovering provider's one
        # probe at a time waits behind).
        if self._answering:
            self._ask_names()
        if self.names_wait > 0 and self._namer is not None and not self._namer.done():
            # A one-off fetch: the names first (within `names_wait`), for the listing to carry.
            await asyncio.wait((self._namer,), timeout=self.names_wait)
        try:
            sessions, skipped, errors = await gather_partial(
                self.list_sessions(entity_id, self.window) for entity_id in self.entity_ids
            )
            result = finish_partial(sessions, skipped, errors, len(self.entity_ids))
        except ProviderError:
            self._answering = False
            raise
        self._answering = True
        self._ask_names()
        return result

    @redacting
    async def fetch_related(self, parent_id: str) -> FetchResult:
        return await self.list_sessions(parent_id)

    @redacting
    async def fetch_session(self, session_id: str, parent_id: str | None) -> Session:
        if not parent_id:
            raise ProviderInvalidPayload(
                self.name, "GET live_session", "session has no entity_id", "entity_id"
            )
        return await self.get_session(parent_id, session_id)
