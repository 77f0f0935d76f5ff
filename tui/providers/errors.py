"""The one exception tree every provider failure becomes.

```
ProviderError                    any failure talking to a provider; the rest of livetop catches this
├── ProviderConnectionError      could not connect, or the connection dropped mid-response
│   └── ProviderTimeout          connect/read/write/pool timeout
├── ProviderHTTPError            a non-2xx answer; `status`, the provider's own `message`
│   ├── ProviderAuthError        401 / 403: the key is wrong or lacks rights
│   ├── ProviderNotFound         404: a watched id does not exist (or is not ours)
│   └── ProviderRateLimited      429 (`retry_after` seconds when the server said)
└── ProviderInvalidPayload       the body is not the JSON the API documents (`field` names where)
```

Every error names the provider and the endpoint (method + path, never the query or a header),
so messages, reprs and logs never contain an API key.
"""

from __future__ import annotations

from typing import ClassVar


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
