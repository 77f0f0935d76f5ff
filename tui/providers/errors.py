"""The one exception tree every provider failure becomes.

```
ProviderError                    any failure talking to a provider; the rest of livetop catches this
├── ProviderConnectionError      could not connect, or the connection dropped mid-response
│   └── ProviderTimeout          connect/read/write/pool timeout
├── ProviderHTTPError            a non-2xx answer; `status`, the provider's own `message`
│   ├── ProviderAuthError        401 / 403: the key is wrong or lacks rights
│   ├── ProviderNotFound         404: a watched id does not exist (or is not ours)
│   └── ProviderRateLimited      429 (`retry_after` seconds when the server said)
└── ProviderInvalidPayload       the body is not the JSON the API documents (`field` names where),
    │                            or it is past a limit (`max_response_mb`, a page's `limit`)
    └── ProviderNotJSON          a 2xx body, not JSON nor said to be (a login page, a proxy's)
```

Every error names the provider and the endpoint (method + path, never the query or a header).
Provider text in a message (an echoed error, a `Link` cursor) can hold a key: each client hides
every run of its key in the errors it raises (`redact`), before anything stores or shows them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Concatenate, ParamSpec, Protocol, TypeVar

from tui.models import FetchResult


class ProviderError(Exception):
    """Base of every provider failure. `str()` is a one-line message safe to show and log;
    `reason` says why in one word of `ERROR_REASONS` (for counting, never the message)."""

    _reason: ClassVar[str] = "internal"

    def __init__(self, provider: str, endpoint: str, message: str) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self.message = message
        super().__init__(f"{provider}: {endpoint}: {message}")

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked us to wait before the next request, if it said."""
        return None

    @property
    def reason(self) -> str:
        return self._reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.provider!r}, {self.endpoint!r}, {self.message!r})"

    def redact(self, hide: Callable[[str], str]) -> None:
        """Pass every text this error carries through `hide` (a `tui.redact.Redactor`)."""
        self.endpoint = hide(self.endpoint)
        self.message = hide(self.message)
        self.args = tuple(hide(a) if isinstance(a, str) else a for a in self.args)


class ProviderConnectionError(ProviderError):
    """The connection could not be made or was dropped before a full response arrived."""

    _reason = "connection"


class ProviderTimeout(ProviderConnectionError):
    """The provider did not answer within the client's timeout."""

    _reason = "timeout"


class ProviderHTTPError(ProviderError):
    """The provider answered with a non-success status; `message` is its own error text."""

    def __init__(
        self,
        provider: str,
        endpoint: str,
        status: int,
        message: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self._retry_after = retry_after
        super().__init__(provider, endpoint, f"HTTP {status}: {message}")
        self.message = message

    @property
    def retry_after(self) -> float | None:
        return self._retry_after

    @property
    def reason(self) -> str:
        if type(self)._reason != ProviderError._reason:
            return type(self)._reason
        return "http_5xx" if self.status >= 500 else "http_4xx"


class ProviderAuthError(ProviderHTTPError):
    """401/403: the API key was refused."""

    _reason = "auth"


class ProviderNotFound(ProviderHTTPError):
    """404: the session, stream, entity or call does not exist."""

    _reason = "not_found"


class ProviderRateLimited(ProviderHTTPError):
    """429: too many requests."""

    _reason = "rate_limited"


class ProviderInvalidPayload(ProviderError):
    """The body could not be decoded or does not match the API's documented shape."""

    _reason = "invalid_payload"

    def __init__(self, provider: str, endpoint: str, message: str, field: str | None = None):
        self.field = field
        where = f" (field {field})" if field else ""
        super().__init__(provider, endpoint, f"invalid payload{where}: {message}")
        self.message = f"invalid payload{where}: {message}"


class ProviderNotJSON(ProviderInvalidPayload):
    """A successful status with a body neither JSON nor labelled JSON: whatever answered is
    not the API (a login page, a captive portal, a proxy), so nothing says the key works."""


class _Redacting(Protocol):
    @property
    def _redactor(self) -> Callable[[str], str]: ...


P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=_Redacting)


def redacting(
    method: Callable[Concatenate[C, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[C, P], Coroutine[Any, Any, R]]:
    """For every public method of a client: the errors it raises or returns (a partial
    result's) leave with every run of the client's key hidden (its `_redactor`, a
    `tui.redact.Redactor`). Provider text in them (an echoed error, a `Link` cursor, an id)
    is thus clean before anything stores or shows it. A raised error also leaves without the
    frames it was raised in: they hold the answer (a whole page), and errors are kept (a
    partial poll's, the last failure's) long after."""

    @functools.wraps(method)
    async def guarded(self: C, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = await method(self, *args, **kwargs)
        except ProviderError as exc:
            exc.redact(self._redactor)
            exc.__traceback__ = None
            if exc.__suppress_context__:  # `raise ... from None`: its context is not wanted
                exc.__context__ = None
            raise exc  # not bare: that would put the inner frames back
        if isinstance(result, FetchResult):
            for error in result.errors:
                if isinstance(error, ProviderError):
                    error.redact(self._redactor)
        return result

    return guarded


# Every `ProviderError.reason`: why a request failed, in a fixed set of words (metric labels,
# counts), never the message itself. "internal" is also livetop's own bug in a client.
ERROR_REASONS = (
    "timeout",
    "connection",
    "auth",
    "not_found",
    "rate_limited",
    "http_4xx",
    "http_5xx",
    "invalid_payload",
    "internal",
)
