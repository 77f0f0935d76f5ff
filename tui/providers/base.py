"""What every provider client shares: the protocol, httpx setup, error mapping and decoding.

A client owns one `httpx.AsyncClient` and is used as an async context manager. Every failure
leaves it as a `ProviderError` (see `errors.py`); nothing else escapes a client method.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import os
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, TypeVar

import httpx
from pydantic import SecretStr, TypeAdapter, ValidationError
from pydantic_core import from_json

from tui import __version__
from tui.models import FetchResult, ProviderKind, Session
from tui.providers.bounds import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY,
    ERROR_BODY_MAX,
    MB,
    Reading,
    read_body,
)
from tui.providers.errors import (
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderInvalidPayload,
    ProviderNotFound,
    ProviderNotJSON,
    ProviderRateLimited,
    ProviderTimeout,
)
from tui.providers.scheduler import ProviderHeld, RequestScheduler
from tui.redact import Redactor

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Keep idle connections for as long as a poll interval can be (the calls API is polled every
# 1.2 s per watched call): httpx's default of 5 s made every calls poll, and any poll slower
# than that, open new connections, a TCP and TLS handshake per request. Servers that close
# earlier are noticed before a connection is reused.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=90.0)
# Validate list items in slices so a 10k-session page never stalls the UI's event loop.
SLICE = 250
# Provider text in error messages is untrusted and unbounded: keep one readable line.
_MAX_MESSAGE = 300

# What a client judges "live" by: UTC now (tests freeze it). Not `tui.clock.Clock`, the
# injectable time of the loops.
UtcNow = Callable[[], datetime]
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Provider(Protocol):
    """What the refresher, the snapshot command and the drill-down need from a provider."""

    name: str

    @property
    def kind(self) -> ProviderKind: ...

    async def fetch(self) -> FetchResult:
        """Every session this provider is configured to watch."""
        ...

    async def fetch_related(self, parent_id: str) -> FetchResult:
        """The sessions under one parent: a stream's sessions, an entity's, or one call."""
        ...

    async def fetch_session(self, session_id: str, parent_id: str | None) -> Session:
        """One session's full record."""
        ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@functools.cache
def _shared_tls() -> ssl.SSLContext:
    """One verifying TLS context for every client: building one loads the system's CA
    certificates, ~30 ms each, and the console builds a client per provider at start-up."""
    return ssl.create_default_context()


def _tls(base_url: str) -> ssl.SSLContext | bool:
    """The TLS context for a base URL: the shared verifying one, or none for plain HTTP (the
    simulator on loopback): a client never leaves its origin (no redirects; `Link` pages on
    another host are refused), so an http:// client has nothing to verify."""
    return False if base_url.startswith("http://") else _shared_tls()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, min(seconds, 24 * 3600.0))


def one_line(text: object, limit: int = _MAX_MESSAGE) -> str:
    """Untrusted text folded to one bounded line (control characters become spaces)."""
    flat = "".join(ch if ch.isprintable() else " " for ch in str(text))
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def transport_reason(exc: BaseException) -> str:
    """An httpx transport error as one line, with the OS's reason when httpx hides it.

    A refused connection reads "All connection attempts failed"; the `ConnectionRefusedError`
    that says why is a few links down the exception chain. "Connection refused" and "Network is
    unreachable" send an operator to different places, so it is worth appending.
    """
    text = one_line(exc) or type(exc).__name__
    node: BaseException | None = exc
    for _ in range(8):  # a bounded walk: chains can in principle loop
        if node is None:
            break
        if isinstance(node, OSError) and node.errno is not None:
            # asyncio puts "Connect call failed (host, port)" in strerror; the errno is the why.
            reason = os.strerror(node.errno) if node.errno > 0 else str(node.strerror or "")
            reason = one_line(reason, 80)
            if not reason:
                break
            return text if reason.casefold() in text.casefold() else f"{text} ({reason})"
        node = node.__cause__ or node.__context__
    return text


class BaseClient:
    """One provider API over one `httpx.AsyncClient`; subclasses add the endpoints.

    Subclasses set `kind`, `default_base_url`, and implement `_auth_header` and
    `_error_message` (how their API phrases errors).
    """

    kind: ClassVar[ProviderKind]
    default_base_url: ClassVar[str]

    def __init__(
        self,
        name: str,
        api_key: SecretStr | str,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: UtcNow = utc_now,
        deadline: float = DEFAULT_DEADLINE,
        max_body: int = DEFAULT_MAX_BODY,
        scheduler: RequestScheduler | None = None,
    ) -> None:
        self.name = name
        # Every request is admitted by one; without a shared one, the client has its own.
        self.scheduler = scheduler or RequestScheduler(name)
        self._key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._redactor = Redactor([self._key.get_secret_value()])
        self._clock = clock
        self.deadline = deadline
        self.max_body = max_body
        self._reading = Reading(max_body)
        base = base_url or self.default_base_url
        self._http = httpx.AsyncClient(
            base_url=base,
            headers={
                "Authorization": self._auth_header(self._key.get_secret_value()),
                "Accept": "application/json",
                "User-Agent": f"livetop/{__version__}",
            },
            timeout=timeout,
            limits=LIMITS,
            transport=transport,
            verify=_tls(base),
            follow_redirects=False,  # a redirect must never carry our key to another host
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, base_url={str(self.base_url)!r})"

    @property
    def base_url(self) -> httpx.URL:
        return self._http.base_url

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- what subclasses define ---------------------------------------------------------

    def _auth_header(self, key: str) -> str:
        raise NotImplementedError

    def _error_message(self, body: Any) -> str | None:
        """The provider's own error text from a decoded error body, or None."""
        raise NotImplementedError

    # -- requests -----------------------------------------------------------------------

    async def _get(
        self, path: str, params: Mapping[str, str | int] | None = None
    ) -> tuple[Any, httpx.Response]:
        """GET `path` (relative to the base URL) and decode its JSON, or raise ProviderError."""
        return await self._get_url(path, params, endpoint=f"GET {path}")

    async def _get_url(
        self,
        url: str | httpx.URL,
        params: Mapping[str, str | int] | None,
        *,
        endpoint: str,
        reading: Reading | None = None,
    ) -> tuple[Any, httpx.Response]:
        response = await self._get_response(url, params, endpoint=endpoint, reading=reading)
        return self._decode(response, endpoint), response

    async def _get_response(
        self,
        url: str | httpx.URL,
        params: Mapping[str, str | int] | None,
        *,
        endpoint: str,
        reading: Reading | None = None,
    ) -> httpx.Response:
        """GET `url` once the scheduler admits it (budget, concurrency, the server's hold); the
        scheduler notes how it went. Every request of a client goes through here, and waiting
        for admission is not part of any timeout. `reading`: see `_send_get`."""
        async with self.scheduler.request(endpoint):
            return await self._send_get(url, params, endpoint=endpoint, reading=reading)

    async def _send_get(
        self,
        url: str | httpx.URL,
        params: Mapping[str, str | int] | None,
        *,
        endpoint: str,
        reading: Reading | None = None,
    ) -> httpx.Response:
        """GET `url`: the successful response with its body read (not decoded), or raise.

        From sending it, the whole answer must arrive within `deadline` seconds and hold at
        most `max_body` bytes once decompressed (see `bounds.py`), counted with the client's
        other answers; a side request (Livepeer's viewership) reads into a `reading` of its
        own instead, so it never takes the room of the poll's answers.
        """
        try:
            async with asyncio.timeout(self.deadline):
                return await self._exchange(url, params, endpoint, reading or self._reading)
        except TimeoutError:
            raise ProviderTimeout(
                self.name,
                endpoint,
                f"no complete answer in {self.deadline:g} s (request_deadline)",
            ) from None

    async def _exchange(
        self,
        url: str | httpx.URL,
        params: Mapping[str, str | int] | None,
        endpoint: str,
        reading: Reading,
    ) -> httpx.Response:
        try:
            async with self._http.stream("GET", url, params=params) as streamed:
                if not streamed.is_success:
                    response, _ = await read_body(streamed, ERROR_BODY_MAX)
                    raise self._status_error(response, endpoint)
                response, stopped = await read_body(streamed, reading.limit, reading)
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(
                self.name, endpoint, f"timed out ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise ProviderConnectionError(self.name, endpoint, transport_reason(exc)) from None
        except httpx.DecodingError as exc:
            raise ProviderInvalidPayload(
                self.name, endpoint, f"body cannot be decompressed ({one_line(exc, 80)})"
            ) from None
        except httpx.InvalidURL as exc:
            raise ProviderConnectionError(self.name, endpoint, one_line(exc)) from None
        if stopped is not None:
            what = "answer" if stopped == "answer" else "answers being read at once"
            bound = "max_response_mb" if reading is self._reading else "its own bound"
            raise ProviderInvalidPayload(
                self.name,
                endpoint,
                f"{what} larger than {reading.limit / MB:g} MB once decompressed ({bound})",
            )
        return response

    def _decode(self, response: httpx.Response, endpoint: str) -> Any:
        try:
            # pydantic-core's parser takes ~40 % of `json.loads`'s time (10k Livepeer sessions:
            # 55 vs 135 ms, all of it holding the GIL); what it refuses (lone surrogates,
            # UTF-16, deep nesting) goes through `json`, which decides and words the error.
            return from_json(response.content)
        except ValueError:
            pass
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            kind = one_line(response.headers.get("content-type", "").split(";")[0], 40)
            if "json" in kind:  # the API's answer, broken (cut short, say)
                raise ProviderInvalidPayload(
                    self.name, endpoint, f"body is not JSON ({one_line(exc, 80)})"
                ) from None
            # Not even said to be JSON: something else answered in the API's place.
            raise ProviderNotJSON(
                self.name,
                endpoint,
                f"body is not JSON but {kind or 'of no content type'}: not the API answering "
                "(a login page, a proxy?)",
            ) from None
        except RecursionError:
            raise ProviderInvalidPayload(self.name, endpoint, "body nests too deeply") from None

    def _status_error(self, response: httpx.Response, endpoint: str) -> ProviderHTTPError:
        status = response.status_code
        message: str | None = None
        try:
            message = self._error_message(json.loads(response.content))
        except (ValueError, UnicodeDecodeError, RecursionError):
            message = None
        if not message:
            reason = response.reason_phrase or "error"
            kind = response.headers.get("content-type", "").split(";")[0] or "no content type"
            message = f"{reason} ({kind} body)"
        message = one_line(message)
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is None and status == 429:
                retry_after = self._rate_limit_reset(response)
        cls: type[ProviderHTTPError] = ProviderHTTPError
        if status in (401, 403):
            cls = ProviderAuthError
        elif status == 404:
            cls = ProviderNotFound
        elif status == 429:
            cls = ProviderRateLimited
        return cls(self.name, endpoint, status, message, retry_after=retry_after)

    def _rate_limit_reset(self, response: httpx.Response) -> float | None:
        """Seconds until an `X-RateLimit-Reset` epoch, for APIs that send it instead."""
        reset = response.headers.get("x-ratelimit-reset")
        if not reset:
            return None
        try:
            return parse_retry_after(str(float(reset) - time.time()))
        except ValueError:
            return None

    # -- decoding -------------------------------------------------------------------------

    def _validate(self, adapter: TypeAdapter[T], data: Any, endpoint: str) -> T:
        """Validate one record, turning a failure into ProviderInvalidPayload naming the field."""
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise invalid_payload(self.name, endpoint, exc) from None

    async def _normalize_items(
        self,
        items: Any,
        adapter: TypeAdapter[T],
        normalize: Callable[[T], Session],
        endpoint: str,
    ) -> tuple[list[Session], int]:
        """Validate and normalize a list, skipping (and counting) malformed items."""
        if not isinstance(items, list):
            raise ProviderInvalidPayload(
                self.name, endpoint, f"expected a list, got {type(items).__name__}"
            )
        sessions: list[Session] = []
        skipped = 0
        for start in range(0, len(items), SLICE):
            for item in items[start : start + SLICE]:
                try:
                    sessions.append(normalize(adapter.validate_python(item)))
                except (ValidationError, ValueError, TypeError, OverflowError):
                    skipped += 1
            if start + SLICE < len(items):
                await asyncio.sleep(0)
        return sessions, skipped


def invalid_payload(provider: str, endpoint: str, exc: ValidationError) -> ProviderInvalidPayload:
    first = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    return ProviderInvalidPayload(provider, endpoint, one_line(first["msg"], 120), field)


async def gather_partial(
    calls: Iterable[Awaitable[FetchResult]],
) -> tuple[list[Session], int, list[ProviderError]]:
    """Run per-parent fetches together; keep what succeeded and collect what failed."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    sessions: list[Session] = []
    skipped = 0
    errors: list[ProviderError] = []
    for result in results:
        if isinstance(result, ProviderError):
            errors.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            sessions.extend(result.sessions)
            skipped += result.skipped
    # The failures that were sent first: the one that stopped the rest says what went wrong.
    errors.sort(key=lambda error: isinstance(error, ProviderHeld))
    return sessions, skipped, errors


def finish_partial(
    sessions: list[Session], skipped: int, errors: list[ProviderError], attempted: int
) -> FetchResult:
    """A fetch where every part failed is a failure; otherwise keep what arrived."""
    if errors and len(errors) == attempted:
        raise errors[0]
    return FetchResult(tuple(sessions), skipped, tuple(errors))


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC; a timestamp without an offset is taken to be UTC, as these APIs mean it."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
